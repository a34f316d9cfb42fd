/**
 * Exec parameters: exec's unit-named view of the effective configuration.
 *
 * Role: a pure derivation, `execParamsOf(cfg)`, from a `KmmConfig` that the shared config
 * registry has already validated (loadConfig / resolveConfig / validateLiveChange). Defaults,
 * ranges and live flags are written once, in `@kmm/shared` CONFIG_SPECS (`kmm config explain`);
 * here only the unit conversions (s -> ms, USD -> 1/10,000 $, contracts -> centi, fraction ->
 * permille) and the order-group switch are done. The core only ever sees this object, so it is
 * testable without the config module.
 */
import { effectiveOrderGroupLimit, inRunTime, positionCapsOf, type KmmConfig, type RateTier } from '@kmm/shared';

export type Tier = RateTier;

export interface ExecParams {
  // --- reprice gates (000 + 004)
  minRepriceTicks: number; // MM_MIN_REPRICE_TICKS (000)
  minRepriceMoveTicks: number; // MM_MIN_REPRICE_MOVE_TICKS (004)
  minRepriceEdgeDeltaBpsMilli: number; // MM_MIN_REPRICE_EDGE_DELTA_BPS x 1000
  minRepriceIntervalMs: number; // MM_MIN_REPRICE_INTERVAL_S
  repriceTolerancePermille: number; // MM_REPRICE_TOLERANCE_PERCENT (a fraction of the target offset) x 1000
  maxOrderAgeMs: number; // MM_MAX_ORDER_AGE_S: forced refresh
  journalRepriceDecisions: boolean; // MM_JOURNAL_REPRICE_DECISIONS
  // --- post-only (004)
  adaptivePofEnabled: boolean;
  postOnlySafetyTicks: number;
  pofMaxSafetyTicks: number;
  pofBackoffMultiplier: number;
  pofStreakResetMs: number;
  pofCooldownMs: number;
  // --- breakers (004)
  breakerMaxFailures: number;
  breakerCooldownMs: number;
  failureWindowMs: number;
  failureRateTrip: number;
  minAttemptsForBreaker: number;
  // --- pre-flight / risk (000 + 004)
  maxOrderNotionalMoney: number; // MM_MAX_ORDER_NOTIONAL_USD in 1/10,000 $
  maxPositionNotionalMoney: number; // MM_MAX_POSITION_NOTIONAL_USD
  maxTotalNotionalMoney: number; // MM_MAX_TOTAL_NOTIONAL_USD (all markets together; 0 = off)
  maxEventLossMoney: number; // MM_MAX_EVENT_LOSS_USD (worst case of one event, event-risk.ts; 0 = off)
  maxTotalLossMoney: number; // MM_MAX_TOTAL_LOSS_USD (the events' worst cases summed; 0 = off)
  longCapCenti: number; // positionCapsOf(cfg).longCenti: MM_MAX_POS unless MM_MAX_LONG_POS is set (centi)
  shortCapCenti: number; // positionCapsOf(cfg).shortCenti: MM_MAX_POS unless MM_MAX_SHORT_POS is set (centi)
  maxOrderCenti: number; // fat_finger_max_contracts (kmm_max_order_contracts is its alias): the strategy's size clip too
  // --- stale book (004)
  cancelOnStaleBook: boolean;
  /** UNTRUSTED (gap, reconnect): resting orders are pulled this long after the report (MM_STALE_CANCEL_GRACE_S) */
  staleCancelGraceMs: number;
  /**
   * STALE (no data for stale_data_s): pulled this long after the report. The 004 grace counts from
   * the last data, which was stale_data_s before the report: max(0, grace - stale_data_s), so at
   * the defaults a quiet book is pulled 5 s after its last tick (003 "No ticks 5s").
   */
  staleBookCancelAfterMs: number;
  // --- rate limits (kalshi-api.md section 5)
  tier: Tier;
  /**
   * kmm_time_scale: seconds of market per second of the run (1 on Kalshi; a time-compressed
   * simulator's speed): the token buckets refill this much faster (rateBucketsAt)
   */
  venueTimeScale: number;
  rateBudgetPermille: number; // kmm_rate_budget_fraction: share of the tier's refill we allow ourselves
  readShare: number; // kmm_read_share_fraction: this process's share of the account's read bucket (0..1]
  rateLimitPauseMs: number; // rate_limit_pause_s (003: 2 s)
  highLatencyWarnUs: number; // high_latency_warn_ms: a request round trip above this -> ops warn high_latency
  batchMaxOrders: number; // kmm_batch_max_orders
  // --- venue order flags
  orderGroupContractsLimit: number; // kmm_order_group_contracts_limit, or its risk sizing when 0 (contracts, rolling 15 s); 0 here = no group (kmm_order_group_enabled=false)
  cancelOrderOnPause: boolean; // kmm_cancel_order_on_pause
  adoptOrdersOnStart: boolean; // kmm_adopt_orders_on_start
  clientOrderIdPrefix: string; // kmm_client_order_id_prefix
  orderExpiryMs: number; // kmm_order_expiry_s: lifetime of a resting order on the exchange
  orderRenewAfterMs: number; // an order is re-placed (cancel + place) this long after placement: 80% of its lifetime
  // --- reconciliation, polling, bounds
  reconcileIntervalMs: number; // kmm_reconcile_interval_s
  reconcileGraceMs: number; // kmm_reconcile_grace_ms: recent local changes are not judged by a snapshot
  inflightTimeoutMs: number; // kmm_inflight_timeout_ms: a command without a result -> uncertain + reconcile
  queuePositionPollMs: number; // kmm_queue_position_poll_s (0 = off; tests only: the registry's minimum is 0.5 s)
  marketsPollMs: number; // kmm_market_refresh_s (0 = off; tests only: the registry's minimum is 1 s)
  tapeIntervalMs: number; // kmm_tape_interval_ms
  fillDedupMax: number; // kmm_fill_dedup_max: trade ids remembered (oldest evicted)
  maxOrdersTracked: number; // kmm_max_orders_tracked: live + uncertain orders; placements beyond are rejected
  maxLevelsPerSide: number; // kmm_max_levels_per_side: quote levels per side accepted from a target
  shardCount: number; // kmm_shards (the exec shell sets it from Startup.shard_count)
  /** the effective configuration these params were derived from (CONFIG_UPDATE merges into it) */
  config: Readonly<KmmConfig>;
}

const USD_TO_MONEY = 10_000;
const CENTI_PER_CONTRACT = 100;
const s2ms = (s: number): number => Math.round(s * 1000);
/** s2ms for a market-time value in run time: a positive one never rounds to 0 (its 0 means off) */
const s2msOn = (s: number): number => (s > 0 ? Math.max(1, Math.round(s * 1000)) : 0);
const permille = (f: number): number => Math.round(f * 1000);

/** Exec's parameters from a validated configuration (no checks: the registry did them). */
export function execParamsOf(cfgIn: Readonly<KmmConfig>): ExecParams {
  // its market-time intervals (reprice interval, quote age, post-only cooldowns) in run time (kmm_time_scale)
  const cfg = inRunTime(cfgIn);
  return {
    minRepriceTicks: cfg.MM_MIN_REPRICE_TICKS,
    minRepriceMoveTicks: cfg.MM_MIN_REPRICE_MOVE_TICKS,
    minRepriceEdgeDeltaBpsMilli: permille(cfg.MM_MIN_REPRICE_EDGE_DELTA_BPS),
    minRepriceIntervalMs: s2msOn(cfg.MM_MIN_REPRICE_INTERVAL_S),
    repriceTolerancePermille: permille(cfg.MM_REPRICE_TOLERANCE_PERCENT),
    maxOrderAgeMs: s2msOn(cfg.MM_MAX_ORDER_AGE_S),
    journalRepriceDecisions: cfg.MM_JOURNAL_REPRICE_DECISIONS,
    adaptivePofEnabled: cfg.MM_ADAPTIVE_POF_ENABLED,
    postOnlySafetyTicks: cfg.MM_POST_ONLY_SAFETY_TICKS,
    pofMaxSafetyTicks: cfg.MM_POF_MAX_SAFETY_TICKS,
    pofBackoffMultiplier: cfg.MM_POF_BACKOFF_MULTIPLIER,
    pofStreakResetMs: s2msOn(cfg.MM_POF_STREAK_RESET_S),
    pofCooldownMs: s2msOn(cfg.MM_POF_COOLDOWN_S),
    breakerMaxFailures: cfg.MM_CIRCUIT_BREAKER_MAX_FAILURES,
    breakerCooldownMs: s2ms(cfg.MM_CIRCUIT_BREAKER_COOLDOWN_S),
    failureWindowMs: s2ms(cfg.MM_FAILURE_WINDOW_S),
    failureRateTrip: cfg.MM_FAILURE_RATE_TRIP,
    minAttemptsForBreaker: cfg.MM_MIN_ATTEMPTS_FOR_BREAKER,
    maxOrderNotionalMoney: Math.round(cfg.MM_MAX_ORDER_NOTIONAL_USD * USD_TO_MONEY),
    maxPositionNotionalMoney: Math.round(cfg.MM_MAX_POSITION_NOTIONAL_USD * USD_TO_MONEY),
    maxTotalNotionalMoney: Math.round(cfg.MM_MAX_TOTAL_NOTIONAL_USD * USD_TO_MONEY),
    maxEventLossMoney: Math.round(cfg.MM_MAX_EVENT_LOSS_USD * USD_TO_MONEY),
    maxTotalLossMoney: Math.round(cfg.MM_MAX_TOTAL_LOSS_USD * USD_TO_MONEY),
    longCapCenti: positionCapsOf(cfg).longCenti,
    shortCapCenti: positionCapsOf(cfg).shortCenti,
    maxOrderCenti: Math.floor(cfg.fat_finger_max_contracts) * CENTI_PER_CONTRACT,
    cancelOnStaleBook: cfg.MM_CANCEL_ON_STALE_BOOK,
    staleCancelGraceMs: s2ms(cfg.MM_STALE_CANCEL_GRACE_S),
    staleBookCancelAfterMs: Math.max(0, s2ms(cfg.MM_STALE_CANCEL_GRACE_S) - s2ms(cfg.stale_data_s)),
    tier: cfg.kmm_rate_tier,
    venueTimeScale: cfg.kmm_time_scale,
    rateBudgetPermille: permille(cfg.kmm_rate_budget_fraction),
    readShare: cfg.kmm_read_share_fraction,
    rateLimitPauseMs: s2ms(cfg.rate_limit_pause_s),
    highLatencyWarnUs: Math.round(cfg.high_latency_warn_ms * 1000),
    batchMaxOrders: cfg.kmm_batch_max_orders,
    // kmm_order_group_enabled=false: no group at all (0), whatever the limit says
    // the configured limit, or (0) the risk sizing of limits.ts
    orderGroupContractsLimit: cfg.kmm_order_group_enabled ? effectiveOrderGroupLimit(cfg) : 0,
    cancelOrderOnPause: cfg.kmm_cancel_order_on_pause,
    adoptOrdersOnStart: cfg.kmm_adopt_orders_on_start,
    clientOrderIdPrefix: cfg.kmm_client_order_id_prefix,
    orderExpiryMs: s2ms(cfg.kmm_order_expiry_s),
    // the last 20% (at least 6 s at the 30 s minimum) covers the expiration's rounding down to a
    // whole second, the cancel's round trip and a rate-limit hold
    orderRenewAfterMs: s2ms(cfg.kmm_order_expiry_s) - Math.floor(s2ms(cfg.kmm_order_expiry_s) / 5),
    reconcileIntervalMs: s2ms(cfg.kmm_reconcile_interval_s),
    reconcileGraceMs: cfg.kmm_reconcile_grace_ms,
    inflightTimeoutMs: cfg.kmm_inflight_timeout_ms,
    queuePositionPollMs: s2ms(cfg.kmm_queue_position_poll_s),
    marketsPollMs: s2ms(cfg.kmm_market_refresh_s),
    tapeIntervalMs: cfg.kmm_tape_interval_ms,
    fillDedupMax: cfg.kmm_fill_dedup_max,
    maxOrdersTracked: cfg.kmm_max_orders_tracked,
    maxLevelsPerSide: cfg.kmm_max_levels_per_side,
    shardCount: cfg.kmm_shards,
    config: cfgIn,
  };
}
