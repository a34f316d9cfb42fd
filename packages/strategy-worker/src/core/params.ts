/**
 * Strategy parameters: the strategy's unit-named view of the effective configuration.
 *
 * Role: a pure derivation, `strategyParamsOf(cfg)`, from a `KmmConfig` that the shared config
 * registry has already validated (loadConfig / resolveConfig / validateLiveChange). Nothing here
 * states a default, a range or a live flag: those are written once, in
 * `@kmm/shared` CONFIG_SPECS (`kmm config explain` shows them). The 002 presets are
 * CONFIG_PRESETS there too, applied while the config is built.
 *
 * Keys keep the seeds' own names (MM_* from 000/004, snake_case from 002, Q_critical etc. from
 * 001) in the seeds' units; the derived fields below convert them once into the integer units of
 * the wire (price 1/10,000 $, count 1/100 contract, ms), never per message.
 *
 * Invariant: the derived position caps are `positionCapsOf` (@kmm/shared config/caps.ts), the one
 * derivation exec and the limit rules use too: MM_MAX_POS both ways unless a side cap
 * (MM_MAX_LONG_POS / MM_MAX_SHORT_POS) is set, then the tightest with MM_MAX_POSITION_SIZE,
 * max_position_size and max_inventory.
 */
import { inRunTime, positionCapsOf, type ConfigKey, type KmmConfig } from '@kmm/shared';

/** The registry keys the strategy reads (names only: type, default, range and live flag are the registry's). */
const STRATEGY_CONFIG_KEYS = [
  'MM_MAX_POS', 'MM_MAX_LONG_POS', 'MM_MAX_SHORT_POS', 'MM_QUOTE_REFRESH_MS', 'MM_SPREAD_MULTIPLIER',
  'MM_MIN_OFFSET_BPS', 'MM_MAX_OFFSET_BPS', 'MM_MIN_SPREAD_BPS', 'MM_ORDER_SIZE_MULTIPLIER',
  'MM_MAX_POSITION_SIZE', 'MM_SIZE_SCALE_PER_LEVEL', 'MM_NUM_PRICE_LEVELS', 'MM_INVENTORY_SKEW_FACTOR',
  'MM_INVENTORY_DEADBAND_PCT', 'MM_SKEW_SHAPE_K', 'MM_SKEW_MAX_BPS', 'MM_IMBALANCE_PAUSE_THRESHOLD',
  'MM_MICRO_VOL_MAX_BPS', 'MM_MICRO_DRIFT_MAX_BPS', 'MM_VOLATILITY_OFFSET_MULTIPLIER', 'MM_MARKET_PROFILE',
  'MM_VOL_REGIME_ENABLED', 'MM_VOL_REGIME_CALM_BPS', 'MM_VOL_REGIME_ELEVATED_BPS',
  'MM_VOL_REGIME_EXTREME_BPS', 'MM_VOL_OFFSET_SCALE_CALM', 'MM_VOL_OFFSET_SCALE_ELEVATED',
  'MM_VOL_OFFSET_SCALE_EXTREME', 'MM_TREND_ENABLED', 'MM_TREND_STRONG_THRESHOLD',
  'MM_TREND_COUNTER_SIDE_SIZE_CUT', 'MM_TREND_SKEW_BOOST', 'MM_INVENTORY_WARN_PCT',
  'MM_INVENTORY_CRITICAL_PCT', 'MM_INVENTORY_HARD_PCT', 'MM_FUNDING_BIAS_ENABLED',
  'MM_FUNDING_INVENTORY_WEIGHT', 'MM_FUNDING_BIAS_CAP_BPS', 'MM_MAX_ORDER_NOTIONAL_USD',
  'MM_MAX_POSITION_NOTIONAL_USD', 'MM_CANCEL_ON_STALE_BOOK', 'MM_STALE_CANCEL_GRACE_S',
  'MM_JOURNAL_REPRICE_DECISIONS', 'base_spread', 'min_spread', 'max_spread', 'max_inventory',
  'inventory_skew_threshold', 'skew_price_adjustment_per_10', 'inventory_spread_multiplier',
  'low_liquidity_threshold', 'low_liquidity_spread_add', 'time_to_close_urgent_hours',
  'time_to_close_urgent_multiplier', 'time_to_close_near_hours', 'time_to_close_near_multiplier',
  'force_exit_hours', 'rebalance_threshold', 'force_exit_min_inventory', 'quote_size', 'max_position_size',
  'max_markets', 'min_liquidity', 'min_volume_24h', 'max_time_to_resolution_hours', 'scan_interval_seconds',
  'max_quote_age_seconds', 'price_change_requote_threshold', 'volume_spike_pause', 'IMPULSE_CONTROL_ENABLED',
  'QUEUE_OPTIMIZATION_ENABLED', 'Q_critical', 'Q_target', 'MAX_QUEUE_DEPTH', 'DESIRED_INVENTORY',
  'toxicity_threshold', 'arb_min_edge_cents', 'bailout_max_slippage_cents', 'fat_finger_max_contracts',
  'risk_aversion', 'horizon_s', 'order_arrival_k', 'volatility_prior', 'volatility_floor',
  'MM_VOL_REGIME_MEDIUM_WINDOW_S', 'quote_min_price_cents', 'quote_max_price_cents',
  'external_skew_max_cents', 'alpha_poll_s', 'kmm_pricing_model', 'kmm_preset', 'kmm_bailout_horizon_s', 'kmm_bailout_hysteresis',
  'kmm_level_spacing_ticks', 'kmm_queue_front_contracts', 'kmm_toxic_ofi_contracts', 'kmm_ofi_fair_ticks', 'kmm_markout_s', 'kmm_touch_hysteresis_ticks', 'kmm_taker_cooldown_ms',
  'kmm_alpha_weight', 'kmm_alpha_max_age_ms', 'kmm_external_fair_values', 'kmm_startup_settle_ms',
  'kmm_startup_wait_max_ms', 'stale_data_s', 'kmm_event_skew_ticks',
  'kmm_sweep_levels', 'kmm_jump_cents', 'kmm_sweep_pull_ms', 'kmm_close_widen_s', 'kmm_close_widen_ticks', 'kmm_close_stop_s',
] as const satisfies readonly ConfigKey[];

type StrategyConfigKey = (typeof STRATEGY_CONFIG_KEYS)[number];
type Raw = Pick<KmmConfig, StrategyConfigKey>;

/** The configuration values the strategy reads plus derived integer units. */
export interface StrategyParams extends Raw {
  /** the effective configuration these params were derived from (CONFIG_UPDATE merges into it) */
  readonly source: Readonly<KmmConfig>;
  // derived, integer units
  readonly longCapCenti: number;
  readonly shortCapCenti: number;
  readonly quoteSizeCenti: number;
  readonly orderNotionalMoney: number;
  readonly positionNotionalMoney: number;
  readonly baseSpreadPrice: number;
  readonly minSpreadPrice: number;
  readonly maxSpreadPrice: number;
  readonly lowLiquidityMoney: number;
  readonly lowLiquidityAddPrice: number;
  readonly skewAdjPer10Price: number;
  readonly requoteMovePrice: number;
  readonly toxicityPrice: number;
  readonly arbMinEdgePrice: number;
  readonly takerSlippagePrice: number;
  readonly rebalanceCenti: number;
  readonly quoteMinPrice: number;
  readonly quoteMaxPrice: number;
  readonly alphaMaxSkewPrice: number;
  readonly scanIntervalMs: number;
  readonly qCriticalCenti: number;
  readonly qTargetCenti: number;
  readonly maxQueueDepthCenti: number;
  readonly desiredInventoryCenti: number;
  readonly queueFrontCenti: number;
  readonly toxicOfiContracts: number;
  readonly orderMaxCenti: number;
  readonly forceExitMs: number;
  readonly forceExitMinCenti: number;
  readonly urgentCloseMs: number;
  readonly nearCloseMs: number;
  readonly inventoryThresholdCenti: number;
  readonly minLiquidityMoney: number;
  readonly minVolumeCenti: number;
  readonly maxTimeToResolutionMs: number;
  /** after a STALE report, how long before the market stops (MM_STALE_CANCEL_GRACE_S beyond stale_data_s) */
  readonly staleGraceMs: number;
  readonly maxQuoteAgeMs: number;
}

const USD_TO_MONEY = 10_000;
const CENTI_PER_CONTRACT = 100;

/** Whole contracts -> centi, rounding a float config value to the nearest centi. */
function contractsToCenti(c: number): number {
  return Math.round(c * CENTI_PER_CONTRACT);
}
function usdToPrice(usd: number): number {
  return Math.round(usd * USD_TO_MONEY);
}

/** The strategy's parameters from a validated configuration (no checks: the registry did them). */
export function strategyParamsOf(cfg: Readonly<KmmConfig>): StrategyParams {
  // its market-time values (windows, horizons, the markout horizon, the sweep pull, sigma) in run
  // time for a time-compressed market (kmm_time_scale); `source` keeps the configuration as set
  const inRun = inRunTime(cfg);
  const raw: Record<string, unknown> = {};
  for (const key of STRATEGY_CONFIG_KEYS) raw[key] = inRun[key];
  const r = raw as Raw;
  const caps = positionCapsOf(cfg);
  const params: StrategyParams = {
    ...r,
    source: cfg,
    longCapCenti: caps.longCenti,
    shortCapCenti: caps.shortCenti,
    quoteSizeCenti: Math.min(Math.floor(r.MM_ORDER_SIZE_MULTIPLIER * r.quote_size), Math.floor(r.fat_finger_max_contracts)) * CENTI_PER_CONTRACT,
    orderNotionalMoney: Math.round(r.MM_MAX_ORDER_NOTIONAL_USD * USD_TO_MONEY),
    positionNotionalMoney: Math.round(r.MM_MAX_POSITION_NOTIONAL_USD * USD_TO_MONEY),
    baseSpreadPrice: usdToPrice(r.base_spread),
    minSpreadPrice: usdToPrice(r.min_spread),
    maxSpreadPrice: usdToPrice(r.max_spread),
    lowLiquidityMoney: Math.round(r.low_liquidity_threshold * USD_TO_MONEY),
    lowLiquidityAddPrice: usdToPrice(r.low_liquidity_spread_add),
    skewAdjPer10Price: usdToPrice(r.skew_price_adjustment_per_10),
    requoteMovePrice: usdToPrice(r.price_change_requote_threshold),
    toxicityPrice: usdToPrice(r.toxicity_threshold),
    arbMinEdgePrice: Math.round(r.arb_min_edge_cents * 100),
    takerSlippagePrice: Math.round(r.bailout_max_slippage_cents * 100),
    rebalanceCenti: contractsToCenti(r.rebalance_threshold),
    quoteMinPrice: Math.round(r.quote_min_price_cents * 100),
    quoteMaxPrice: Math.round(r.quote_max_price_cents * 100),
    alphaMaxSkewPrice: Math.round(r.external_skew_max_cents * 100),
    scanIntervalMs: Math.round(r.scan_interval_seconds * 1000),
    qCriticalCenti: contractsToCenti(r.Q_critical),
    qTargetCenti: contractsToCenti(r.Q_target),
    maxQueueDepthCenti: contractsToCenti(r.MAX_QUEUE_DEPTH),
    desiredInventoryCenti: contractsToCenti(r.DESIRED_INVENTORY),
    queueFrontCenti: contractsToCenti(r.kmm_queue_front_contracts),
    toxicOfiContracts: r.kmm_toxic_ofi_contracts,
    orderMaxCenti: Math.floor(r.fat_finger_max_contracts) * CENTI_PER_CONTRACT,
    forceExitMs: Math.round(r.force_exit_hours * 3_600_000),
    forceExitMinCenti: contractsToCenti(r.force_exit_min_inventory),
    urgentCloseMs: Math.round(r.time_to_close_urgent_hours * 3_600_000),
    nearCloseMs: Math.round(r.time_to_close_near_hours * 3_600_000),
    inventoryThresholdCenti: contractsToCenti(r.inventory_skew_threshold),
    minLiquidityMoney: Math.round(r.min_liquidity * USD_TO_MONEY),
    minVolumeCenti: contractsToCenti(r.min_volume_24h),
    maxTimeToResolutionMs: Math.round(r.max_time_to_resolution_hours * 3_600_000),
    // 003 "No ticks 5s -> pull" and 004's grace before cancelling on stale data: the grace counts
    // from the last data, and a STALE report already comes stale_data_s after it, so only the
    // part of the grace beyond stale_data_s is left (0 at the defaults 3 s and 5 s)
    staleGraceMs: Math.max(0, Math.round((r.MM_STALE_CANCEL_GRACE_S - r.stale_data_s) * 1000)),
    maxQuoteAgeMs: Math.round(r.max_quote_age_seconds * 1000),
  };
  return params;
}
