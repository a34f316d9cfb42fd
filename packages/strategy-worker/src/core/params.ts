/**
 * Strategy parameters: the typed, validated view of the flat config record.
 *
 * Keys are the seeds' own names (MM_* from 000/004, snake_case from 002, Q_critical etc. from
 * 001) in the seeds' own units (USD, bps, seconds, contracts); system keys we had to invent are
 * prefixed `kmm_`. `paramsFromConfig(record)` fills every absent key with the seed default (or
 * the documented assumption where the seed gives none) and rejects ill-typed or out-of-range
 * values with one error that names every bad key. Presets (002 conservative / aggressive /
 * high_frequency) sit between defaults and the record: record > preset > default.
 *
 * Invariants: every numeric param is finite and inside its [min, max]; derived integer
 * units (price 1/10,000 $, count 1/100 contract) are computed once here, never per message.
 */

type Kind = 'number' | 'boolean' | 'string';

interface KeySpec {
  kind: Kind;
  def: number | boolean | string;
  min?: number;
  max?: number;
  oneOf?: readonly string[];
  /** may be changed by CONFIG_UPDATE while running */
  live: boolean;
  doc: string;
}

type NumSpec = KeySpec & { kind: 'number'; def: number };
type BoolSpec = KeySpec & { kind: 'boolean'; def: boolean };
type StrSpec = KeySpec & { kind: 'string'; def: string };
const N = (def: number, min: number, max: number, doc: string, live = true): NumSpec => ({ kind: 'number', def, min, max, live, doc });
const B = (def: boolean, doc: string, live = true): BoolSpec => ({ kind: 'boolean', def, live, doc });
const S = (def: string, oneOf: readonly string[] | undefined, doc: string, live = true): StrSpec => ({ kind: 'string', def, oneOf, live, doc });

const BIG = 1e9;

/** Every key the strategy reads, with its default, range and whether it is live-safe. */
export const STRATEGY_KEYS = {
  // ---- 000: risk caps (contracts) and refresh
  MM_MAX_POS: N(5, 0, BIG, 'hard position cap, contracts'),
  MM_MAX_LONG_POS: N(5, 0, BIG, 'long-side cap, contracts'),
  MM_MAX_SHORT_POS: N(5, 0, BIG, 'short-side cap, contracts'),
  MM_QUOTE_REFRESH_MS: N(5000, 0, 3_600_000, 'min interval between non-urgent target changes per market, ms'),
  // ---- 004: spread / size / skew / toxicity / profile
  MM_SPREAD_MULTIPLIER: N(1.0, 0, 100, 'placement distance = spread_ema x this (half-spread around reservation)'),
  MM_MIN_OFFSET_BPS: N(100, 0, 10_000, 'min placement distance, bps of mid'),
  MM_MAX_OFFSET_BPS: N(1000, 0, 10_000, 'max placement distance, bps of mid'),
  MM_MIN_SPREAD_BPS: N(100, 0, 10_000, 'book spread below this pauses both sides and cancels, bps of mid'),
  MM_ORDER_SIZE_MULTIPLIER: N(1, 0, 1000, 'order size = this x quote_size contracts'),
  MM_MAX_POSITION_SIZE: N(100, 0, BIG, 'position cap, contracts'),
  MM_SIZE_SCALE_PER_LEVEL: N(1.0, 0, 10, 'size factor per further level'),
  MM_NUM_PRICE_LEVELS: N(1, 1, 20, 'quote levels per side'),
  MM_INVENTORY_SKEW_FACTOR: N(0.5, 0, 10, 'scales the tanh skew'),
  MM_INVENTORY_DEADBAND_PCT: N(0.1, 0, 0.99, 'fraction of the cap with zero skew'),
  MM_SKEW_SHAPE_K: N(2.0, 0, 20, 'tanh curvature; 0 = linear'),
  MM_SKEW_MAX_BPS: N(20, 0, 10_000, 'max skew at the cap, bps of mid, before the skew factor'),
  MM_IMBALANCE_PAUSE_THRESHOLD: N(0.7, 0, 1.01, 'imbalance_ema beyond +-this pauses the side that would be run over'),
  MM_MICRO_VOL_MAX_BPS: N(8, 0, 100_000, 'micro vol above: widen; above 1.25x: pause (0 = off)'),
  MM_MICRO_DRIFT_MAX_BPS: N(6, 0, 100_000, 'micro drift above: widen; above 1.25x: pause (0 = off)'),
  MM_VOLATILITY_OFFSET_MULTIPLIER: N(0.35, 0, 100, 'extra offset = this x excess vol/drift bps'),
  MM_MARKET_PROFILE: S('legacy', ['legacy', 'crypto'], 'legacy | crypto'),
  MM_VOL_REGIME_ENABLED: B(true, 'crypto: scale offsets by volatility regime'),
  MM_VOL_REGIME_CALM_BPS: N(8, 0, 100_000, 'regime vol below: CALM'),
  MM_VOL_REGIME_ELEVATED_BPS: N(20, 0, 100_000, 'regime vol at/above: ELEVATED'),
  MM_VOL_REGIME_EXTREME_BPS: N(45, 0, 100_000, 'regime vol at/above: EXTREME'),
  MM_VOL_OFFSET_SCALE_CALM: N(0.8, 0, 100, 'offset scale in CALM'),
  MM_VOL_OFFSET_SCALE_ELEVATED: N(1.5, 0, 100, 'offset scale in ELEVATED'),
  MM_VOL_OFFSET_SCALE_EXTREME: N(2.2, 0, 100, 'offset scale in EXTREME'),
  MM_TREND_ENABLED: B(true, 'crypto: trend bias'),
  MM_TREND_STRONG_THRESHOLD: N(0.7, 0, 10, '|trend_strength| at/above: strong trend'),
  MM_TREND_COUNTER_SIDE_SIZE_CUT: N(0.6, 0, 1, 'strong trend: counter-trend side size x (1 - cut)'),
  MM_TREND_SKEW_BOOST: N(1.5, 0, 100, 'strong trend against the position: skew x boost'),
  MM_INVENTORY_WARN_PCT: N(0.5, 0, 10, 'crypto: |q|/cap at/above: increasing side size halved'),
  MM_INVENTORY_CRITICAL_PCT: N(0.8, 0, 10, 'crypto: at/above: increasing side size x 0.25'),
  MM_INVENTORY_HARD_PCT: N(0.95, 0, 10, 'crypto: at/above: only reducing quotes + inventory_hard_band event'),
  MM_FUNDING_BIAS_ENABLED: B(true, 'crypto: funding bias from the external feed'),
  MM_FUNDING_INVENTORY_WEIGHT: N(1.0, 0, 100, 'funding bias inventory weight'),
  MM_FUNDING_BIAS_CAP_BPS: N(5, 0, 10_000, 'funding bias cap, bps of mid'),
  MM_MAX_ORDER_NOTIONAL_USD: N(250, 0, BIG, 'per-order notional cap, USD'),
  MM_MAX_POSITION_NOTIONAL_USD: N(2500, 0, BIG, 'position notional cap, USD'),
  MM_CANCEL_ON_STALE_BOOK: B(true, 'pause quoting when the book is STALE (after the grace)'),
  MM_STALE_CANCEL_GRACE_S: N(3.0, 0, 3600, 'grace before pausing on STALE, s'),
  MM_JOURNAL_REPRICE_DECISIONS: B(true, 'journal every changed decision with its inputs and steps'),
  // ---- 002: dynamic spread, presets, selection, exits
  base_spread: N(0.04, 0, 1, 'base full spread, USD (0.04 = 4c)'),
  min_spread: N(0.02, 0, 1, 'min full spread, USD'),
  max_spread: N(0.1, 0, 1, 'max full spread, USD (assumed default)'),
  max_inventory: N(50, 0, BIG, 'inventory cap, contracts (assumed default)'),
  inventory_skew_threshold: N(10, 0, BIG, '|q| above: spread x inventory_spread_multiplier and per-10 adjustment'),
  skew_price_adjustment_per_10: N(0.01, 0, 1, 'reservation shift per 10 contracts, USD'),
  inventory_spread_multiplier: N(1.3, 0, 100, 'spread multiplier above inventory_skew_threshold'),
  low_liquidity_threshold: N(10_000, 0, BIG, 'liquidity below this (USD): spread + low_liquidity_spread_add'),
  low_liquidity_spread_add: N(0.02, 0, 1, 'USD added to the spread in a thin market'),
  time_to_close_urgent_hours: N(6, 0, BIG, 'time to close below: spread x time_to_close_urgent_multiplier (scenario 3)'),
  time_to_close_urgent_multiplier: N(2.0, 0, 100, 'spread multiplier inside the urgent window'),
  time_to_close_near_hours: N(24, 0, BIG, 'time to close below (beyond urgent): spread x time_to_close_near_multiplier'),
  time_to_close_near_multiplier: N(1.5, 0, 100, 'spread multiplier inside the near window'),
  force_exit_hours: N(0.5, 0, BIG, 'time to close below (hours): forced exit of |q| > force_exit_min_inventory'),
  rebalance_threshold: N(20, 0, BIG, '|q| above (contracts): exit signal, take the whole position (002 check_exit); 0 = off'),
  force_exit_min_inventory: N(5, 0, BIG, '|q| above (contracts): forced exit near close'),
  quote_size: N(10, 0, BIG, 'contracts per quote'),
  max_position_size: N(100, 0, BIG, 'position cap, contracts (002 name)'),
  max_markets: N(10, 0, 10_000, 'markets quoted at once'),
  min_liquidity: N(5000, 0, BIG, 'selection: min liquidity, USD (unknown liquidity passes)'),
  min_volume_24h: N(0, 0, BIG, 'selection: min 24h volume, contracts'),
  max_time_to_resolution_hours: N(120, 0, BIG, 'selection: max time to close, hours (0 = no limit)'),
  scan_interval_seconds: N(30, 0.1, BIG, 'market selection rotation period, s'),
  max_quote_age_seconds: N(30, 0, BIG, 'quote-age refresh: re-decide and re-emit after this, s (0 = off)'),
  price_change_requote_threshold: N(0.02, 0, 1, 'mid move (USD) since the last emitted target that makes a change urgent'),
  volume_spike_pause: B(true, 'pause both sides while the book reports a volume spike'),
  // ---- 001: KMM-v2
  IMPULSE_CONTROL_ENABLED: B(true, 'v2 takers: bailout, inventory breach, toxicity, arbitrage'),
  QUEUE_OPTIMIZATION_ENABLED: B(true, 'v2 queue: cancel-replace to the front, yield on toxic flow'),
  Q_critical: N(600, 0, BIG, '|q| above (contracts): take to Q_target'),
  Q_target: N(500, 0, BIG, 'inventory after a breach take, contracts'),
  MAX_QUEUE_DEPTH: N(1000, 0, BIG, 'contracts ahead above which we move to the front'),
  DESIRED_INVENTORY: N(0, -BIG, BIG, 'move to the front only on a side that keeps |q| within this (contracts)'),
  toxicity_threshold: N(0.05, 0, 1, 'alpha move against the position (USD) that closes it'),
  arb_min_edge_cents: N(1, 0, 99, 'arbitrage only when the oracle beats touch + spread + fee by more than this'),
  bailout_max_slippage_cents: N(5, 0, 99, 'taker limit at most this beyond the touch'),
  fat_finger_max_contracts: N(100, 1, BIG, 'no order (maker level or taker) larger than this: exec would reject it'),
  risk_aversion: N(0.1, 0, 100, 'A-S gamma: r = S - q gamma sigma^2 (T-t), S in cents, sigma in c/sqrt(s), T-t in s'),
  horizon_s: N(3600, 1, BIG, 'A-S T-t = min(this, time to close), s'),
  order_arrival_k: N(1.5, 0.001, 1000, 'A-S k: delta = gamma sigma^2 (T-t) + (2/gamma) ln(1 + gamma/k), cents'),
  volatility_prior: N(0.05, 0, 100, 'sigma (c/sqrt(s)) while the book reports no vol'),
  volatility_floor: N(0.005, 0, 100, 'lower bound on sigma (c/sqrt(s))'),
  MM_VOL_REGIME_MEDIUM_WINDOW_S: N(60, 1, BIG, 'window of the book vol_medium_bps (sigma per sqrt(s) = vol / sqrt(window))'),
  quote_min_price_cents: N(1, 1, 99, 'no quote below this'),
  quote_max_price_cents: N(99, 1, 99, 'no quote above this'),
  external_skew_max_cents: N(5, 0, 99, 'cap on get_external_skew, cents'),
  alpha_poll_s: N(5, 0.1, BIG, 'feed poll period, s (shell)', false),
  // ---- system keys (ours)
  kmm_pricing_model: S('stoikov', ['stoikov', 'logodds'], 'stoikov (linear) | logodds (bounded-price) reservation'),
  kmm_preset: S('none', ['none', 'conservative', 'aggressive', 'high_frequency'], '002 preset under the record (the config module applies it too)', false),
  kmm_bailout_horizon_s: N(60, 0, BIG, 'bailout: holding cost over this horizon vs crossing now, s'),
  kmm_level_spacing_ticks: N(1, 1, 100, 'ticks between levels'),
  kmm_queue_front_contracts: N(10, 0, BIG, 'ahead at/below this: we are at the front'),
  kmm_toxic_ofi_contracts: N(200, 0, BIG, 'OFI against our side beyond this: toxic flow (yield)'),
  kmm_taker_cooldown_ms: N(2000, 0, BIG, 'no new taker in a market while one is in flight, ms'),
  kmm_alpha_weight: N(1.0, 0, 10, 'external skew = weight x (fair - mid) in ticks'),
  kmm_alpha_max_age_ms: N(60_000, 0, BIG, 'external fair values older than this are ignored'),
  kmm_external_fair_values: S('', undefined, 'file path or http(s) URL of the external fair-value feed (shell)', false),
  kmm_startup_settle_ms: N(1500, 0, BIG, 'after the first exchange position, wait this before the startup cap check'),
  kmm_startup_wait_max_ms: N(10_000, 0, BIG, 'run the startup cap check after this even with no positions'),
} as const satisfies Record<string, KeySpec>;

export type StrategyKey = keyof typeof STRATEGY_KEYS;

/** Keys a CONFIG_UPDATE may change while running. */
export const LIVE_SAFE_KEYS: ReadonlySet<string> = new Set(
  (Object.keys(STRATEGY_KEYS) as StrategyKey[]).filter((k) => STRATEGY_KEYS[k].live),
);

/** The 002 presets (values exactly as in the seed). */
export const PRESETS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  conservative: {
    min_spread: 0.03, base_spread: 0.06, max_spread: 0.15,
    max_inventory: 30, inventory_skew_threshold: 8, rebalance_threshold: 15, quote_size: 5, max_position_size: 50,
    max_markets: 5, min_liquidity: 10_000, max_time_to_resolution_hours: 72,
  },
  aggressive: {
    min_spread: 0.015, base_spread: 0.03, max_spread: 0.08,
    max_inventory: 75, inventory_skew_threshold: 15, rebalance_threshold: 30, quote_size: 20, max_position_size: 150,
    max_markets: 15, min_liquidity: 3000, max_time_to_resolution_hours: 168,
  },
  high_frequency: {
    min_spread: 0.01, base_spread: 0.02, max_quote_age_seconds: 5, price_change_requote_threshold: 0.01,
    quote_size: 3, max_markets: 25, max_inventory: 20, inventory_skew_threshold: 5,
  },
};

type Raw = { -readonly [K in StrategyKey]: (typeof STRATEGY_KEYS)[K] extends NumSpec ? number : (typeof STRATEGY_KEYS)[K] extends BoolSpec ? boolean : string };

/** Validated parameters plus derived integer units. */
export interface StrategyParams extends Raw {
  /** the record values actually used (for CONFIG_UPDATE merging and journaling) */
  readonly source: Readonly<Record<string, unknown>>;
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
  readonly staleGraceMs: number;
  readonly maxQuoteAgeMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`strategy config: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

export type ParseResult = { ok: true; params: StrategyParams } | { ok: false; problems: string[] };

const USD_TO_MONEY = 10_000;
const CENTI_PER_CONTRACT = 100;

/** Whole contracts -> centi, rounding a float config value to the nearest centi. */
function contractsToCenti(c: number): number {
  return Math.round(c * CENTI_PER_CONTRACT);
}
function usdToPrice(usd: number): number {
  return Math.round(usd * USD_TO_MONEY);
}

/** Validates a flat record (unknown keys are ignored: they belong to other actors). */
export function parseParams(record: Readonly<Record<string, unknown>>): ParseResult {
  const problems: string[] = [];
  const presetName = record['kmm_preset'];
  const named = typeof presetName === 'string' && presetName !== '' && presetName !== 'none';
  const preset = named ? PRESETS[presetName as string] : undefined;
  if (named && preset === undefined) problems.push(`kmm_preset: unknown preset ${JSON.stringify(presetName)}`);
  const raw: Record<string, unknown> = {};
  const source: Record<string, unknown> = {};
  for (const key of Object.keys(STRATEGY_KEYS) as StrategyKey[]) {
    const spec: KeySpec = STRATEGY_KEYS[key];
    let v: unknown = spec.def;
    if (preset !== undefined && key in preset) v = preset[key];
    if (Object.prototype.hasOwnProperty.call(record, key) && record[key] !== undefined) v = record[key];
    if (spec.kind === 'number') {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        problems.push(`${key}: expected a finite number, got ${JSON.stringify(v)}`);
        continue;
      }
      if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) {
        problems.push(`${key}: ${v} outside [${spec.min}, ${spec.max}]`);
        continue;
      }
    } else if (spec.kind === 'boolean') {
      if (typeof v !== 'boolean') {
        problems.push(`${key}: expected true/false, got ${JSON.stringify(v)}`);
        continue;
      }
    } else {
      if (typeof v !== 'string') {
        problems.push(`${key}: expected a string, got ${JSON.stringify(v)}`);
        continue;
      }
      if (spec.oneOf !== undefined && !spec.oneOf.includes(v)) {
        problems.push(`${key}: ${JSON.stringify(v)} is not one of ${spec.oneOf.join(', ')}`);
        continue;
      }
    }
    raw[key] = v;
    source[key] = v;
  }
  if (problems.length > 0) return { ok: false, problems };
  const r = raw as Raw;
  // Long/short caps: MM_MAX_LONG_POS / MM_MAX_SHORT_POS default to MM_MAX_POS when absent.
  const longPos = Object.prototype.hasOwnProperty.call(record, 'MM_MAX_LONG_POS') ? r.MM_MAX_LONG_POS : r.MM_MAX_POS;
  const shortPos = Object.prototype.hasOwnProperty.call(record, 'MM_MAX_SHORT_POS') ? r.MM_MAX_SHORT_POS : r.MM_MAX_POS;
  const contractCapCommon = Math.min(r.MM_MAX_POS, r.MM_MAX_POSITION_SIZE, r.max_position_size, r.max_inventory);
  if (r.min_spread > r.max_spread) problems.push(`min_spread ${r.min_spread} > max_spread ${r.max_spread}`);
  if (r.MM_MIN_OFFSET_BPS > r.MM_MAX_OFFSET_BPS) problems.push(`MM_MIN_OFFSET_BPS ${r.MM_MIN_OFFSET_BPS} > MM_MAX_OFFSET_BPS ${r.MM_MAX_OFFSET_BPS}`);
  if (r.Q_target > r.Q_critical) problems.push(`Q_target ${r.Q_target} > Q_critical ${r.Q_critical}`);
  if (r.quote_min_price_cents >= r.quote_max_price_cents) problems.push(`quote_min_price_cents ${r.quote_min_price_cents} >= quote_max_price_cents ${r.quote_max_price_cents}`);
  if (problems.length > 0) return { ok: false, problems };
  const params: StrategyParams = {
    ...r,
    MM_MAX_LONG_POS: longPos,
    MM_MAX_SHORT_POS: shortPos,
    source,
    longCapCenti: contractsToCenti(Math.min(contractCapCommon, longPos)),
    shortCapCenti: contractsToCenti(Math.min(contractCapCommon, shortPos)),
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
    staleGraceMs: Math.round(r.MM_STALE_CANCEL_GRACE_S * 1000),
    maxQuoteAgeMs: Math.round(r.max_quote_age_seconds * 1000),
  };
  return { ok: true, params };
}

/** Builds params from a config record; throws ConfigError naming every bad key (start-up edge). */
export function paramsFromConfig(record: Readonly<Record<string, unknown>> = {}): StrategyParams {
  const r = parseParams(record);
  if (!r.ok) throw new ConfigError(r.problems);
  return r.params;
}

/** The defaults as a flat record (seed names), e.g. for docs and the config module. */
export function defaultConfigRecord(): Record<string, number | boolean | string> {
  const out: Record<string, number | boolean | string> = {};
  for (const key of Object.keys(STRATEGY_KEYS) as StrategyKey[]) out[key] = STRATEGY_KEYS[key].def;
  return out;
}
