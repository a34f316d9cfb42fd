/**
 * Exec parameters: a typed, validated view of the flat config record (seed variable names as
 * keys, seed units as values). Built once at start-up and on CONFIG_UPDATE; the core only ever
 * sees this object, so it is testable without the config module.
 *
 * Defaults are the seeds' own (000: MM_QUOTE_REFRESH_MS, MM_MIN_REPRICE_TICKS, MM_MAX_POS;
 * 003: 2 s pause on 429; 004: reprice, POF, breaker, stale, notional knobs). Keys with a `kmm_`
 * prefix are system choices of ours; their defaults are stated here and nowhere else.
 * A bad value is an error naming the key (untrusted input is checked at the edge).
 */

export type Tier = 'basic' | 'advanced' | 'expert' | 'premier' | 'paragon' | 'prime' | 'prestige';

export interface ExecParams {
  // --- reprice gates (000 + 004)
  quoteRefreshMs: number; // MM_QUOTE_REFRESH_MS: min time between reprice rounds of one market
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
  maxPosCenti: number; // MM_MAX_POS (contracts) in centi
  maxOrderCenti: number; // kmm_max_order_contracts
  // --- stale book (004)
  cancelOnStaleBook: boolean;
  staleCancelGraceMs: number;
  // --- rate limits (kalshi-api.md section 5)
  tier: Tier;
  rateBudgetPermille: number; // kmm_rate_budget_fraction: share of the tier's refill we allow ourselves
  rateLimitPauseMs: number; // rate_limit_pause_s (003: 2 s)
  batchMaxOrders: number; // kmm_batch_max_orders
  // --- venue order flags
  orderGroupContractsLimit: number; // kmm_order_group_contracts_limit (contracts, rolling 15 s); 0 = no group (also when kmm_order_group_enabled=false)
  cancelOrderOnPause: boolean; // kmm_cancel_order_on_pause
  adoptOrdersOnStart: boolean; // kmm_adopt_orders_on_start
  clientOrderIdPrefix: string; // kmm_client_order_id_prefix
  // --- reconciliation, polling, bounds
  reconcileIntervalMs: number; // kmm_reconcile_interval_s
  reconcileGraceMs: number; // kmm_reconcile_grace_ms: recent local changes are not judged by a snapshot
  inflightTimeoutMs: number; // kmm_inflight_timeout_ms: a command without a result -> uncertain + reconcile
  queuePositionPollMs: number; // kmm_queue_position_poll_s (0 = off)
  marketsPollMs: number; // kmm_market_refresh_s (0 = off)
  tapeIntervalMs: number; // kmm_tape_interval_ms
  fillDedupMax: number; // kmm_fill_dedup_max: trade ids remembered (oldest evicted)
  maxOrdersTracked: number; // kmm_max_orders_tracked: live + uncertain orders; placements beyond are rejected
  maxLevelsPerSide: number; // kmm_max_levels_per_side: quote levels per side accepted from a target
  shardCount: number; // kmm_shards
}

export const EXEC_DEFAULTS: ExecParams = {
  quoteRefreshMs: 5000,
  minRepriceTicks: 2,
  minRepriceMoveTicks: 2,
  minRepriceEdgeDeltaBpsMilli: 500,
  minRepriceIntervalMs: 500,
  repriceTolerancePermille: 250,
  maxOrderAgeMs: 60_000,
  journalRepriceDecisions: true,
  adaptivePofEnabled: true,
  postOnlySafetyTicks: 2,
  pofMaxSafetyTicks: 8,
  pofBackoffMultiplier: 1.7,
  pofStreakResetMs: 45_000,
  pofCooldownMs: 2000,
  breakerMaxFailures: 5,
  breakerCooldownMs: 30_000,
  failureWindowMs: 60_000,
  failureRateTrip: 0.35,
  minAttemptsForBreaker: 10,
  maxOrderNotionalMoney: 250 * 10_000,
  maxPositionNotionalMoney: 2500 * 10_000,
  maxPosCenti: 5 * 100,
  maxOrderCenti: 100 * 100,
  cancelOnStaleBook: true,
  staleCancelGraceMs: 3000,
  tier: 'basic',
  rateBudgetPermille: 800,
  rateLimitPauseMs: 2000,
  batchMaxOrders: 20,
  orderGroupContractsLimit: 100,
  cancelOrderOnPause: true,
  adoptOrdersOnStart: false,
  clientOrderIdPrefix: 'kmm',
  reconcileIntervalMs: 30_000,
  reconcileGraceMs: 3000,
  inflightTimeoutMs: 15_000,
  queuePositionPollMs: 5000,
  marketsPollMs: 60_000,
  tapeIntervalMs: 1000,
  fillDedupMax: 100_000,
  maxOrdersTracked: 2000,
  maxLevelsPerSide: 5,
  shardCount: 1,
};

const TIERS: readonly Tier[] = ['basic', 'advanced', 'expert', 'premier', 'paragon', 'prime', 'prestige'];

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly value: unknown,
    why: string,
  ) {
    super(`config ${key}=${JSON.stringify(value)}: ${why}`);
    this.name = 'ConfigError';
  }
}

function num(cfg: Record<string, unknown>, key: string, dflt: number, min: number, max: number): number {
  const v = cfg[key];
  if (v === undefined || v === null) return dflt;
  // Config values arrive already typed by the config module; a numeric string is accepted
  // defensively through Number(), which is exact for the integers and short decimals used here.
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new ConfigError(key, v, 'not a number');
  if (n < min || n > max) throw new ConfigError(key, v, `out of range [${min}, ${max}]`);
  return n;
}

function bool(cfg: Record<string, unknown>, key: string, dflt: boolean): boolean {
  const v = cfg[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === '1' || v === 1) return true;
  if (v === 'false' || v === '0' || v === 0) return false;
  throw new ConfigError(key, v, 'not a boolean');
}

/** Builds ExecParams from a flat config record; unknown keys are ignored, bad values throw ConfigError. */
export function execParamsFrom(cfg: Record<string, unknown>, base: ExecParams = EXEC_DEFAULTS): ExecParams {
  const d = base;
  const tierRaw = cfg.kmm_rate_tier ?? d.tier;
  if (typeof tierRaw !== 'string' || !TIERS.includes(tierRaw.toLowerCase() as Tier)) {
    throw new ConfigError('kmm_rate_tier', tierRaw, `expected one of ${TIERS.join('|')}`);
  }
  const prefix = cfg.kmm_client_order_id_prefix ?? d.clientOrderIdPrefix;
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_]{1,12}$/.test(prefix)) {
    throw new ConfigError('kmm_client_order_id_prefix', prefix, 'expected 1-12 characters [A-Za-z0-9_]');
  }
  return {
    quoteRefreshMs: Math.round(num(cfg, 'MM_QUOTE_REFRESH_MS', d.quoteRefreshMs, 0, 3_600_000)),
    minRepriceTicks: Math.round(num(cfg, 'MM_MIN_REPRICE_TICKS', d.minRepriceTicks, 0, 1000)),
    minRepriceMoveTicks: Math.round(num(cfg, 'MM_MIN_REPRICE_MOVE_TICKS', d.minRepriceMoveTicks, 0, 1000)),
    minRepriceEdgeDeltaBpsMilli: Math.round(num(cfg, 'MM_MIN_REPRICE_EDGE_DELTA_BPS', d.minRepriceEdgeDeltaBpsMilli / 1000, 0, 10_000) * 1000),
    minRepriceIntervalMs: Math.round(num(cfg, 'MM_MIN_REPRICE_INTERVAL_S', d.minRepriceIntervalMs / 1000, 0, 3600) * 1000),
    repriceTolerancePermille: Math.round(num(cfg, 'MM_REPRICE_TOLERANCE_PERCENT', d.repriceTolerancePermille / 1000, 0, 100) * 1000),
    maxOrderAgeMs: Math.round(num(cfg, 'MM_MAX_ORDER_AGE_S', d.maxOrderAgeMs / 1000, 0, 86_400) * 1000),
    journalRepriceDecisions: bool(cfg, 'MM_JOURNAL_REPRICE_DECISIONS', d.journalRepriceDecisions),
    adaptivePofEnabled: bool(cfg, 'MM_ADAPTIVE_POF_ENABLED', d.adaptivePofEnabled),
    postOnlySafetyTicks: Math.round(num(cfg, 'MM_POST_ONLY_SAFETY_TICKS', d.postOnlySafetyTicks, 0, 100)),
    pofMaxSafetyTicks: Math.round(num(cfg, 'MM_POF_MAX_SAFETY_TICKS', d.pofMaxSafetyTicks, 0, 100)),
    pofBackoffMultiplier: num(cfg, 'MM_POF_BACKOFF_MULTIPLIER', d.pofBackoffMultiplier, 1, 10),
    pofStreakResetMs: Math.round(num(cfg, 'MM_POF_STREAK_RESET_S', d.pofStreakResetMs / 1000, 0, 86_400) * 1000),
    pofCooldownMs: Math.round(num(cfg, 'MM_POF_COOLDOWN_S', d.pofCooldownMs / 1000, 0, 3600) * 1000),
    breakerMaxFailures: Math.round(num(cfg, 'MM_CIRCUIT_BREAKER_MAX_FAILURES', d.breakerMaxFailures, 1, 10_000)),
    breakerCooldownMs: Math.round(num(cfg, 'MM_CIRCUIT_BREAKER_COOLDOWN_S', d.breakerCooldownMs / 1000, 0, 86_400) * 1000),
    failureWindowMs: Math.round(num(cfg, 'MM_FAILURE_WINDOW_S', d.failureWindowMs / 1000, 1, 86_400) * 1000),
    failureRateTrip: num(cfg, 'MM_FAILURE_RATE_TRIP', d.failureRateTrip, 0, 1),
    minAttemptsForBreaker: Math.round(num(cfg, 'MM_MIN_ATTEMPTS_FOR_BREAKER', d.minAttemptsForBreaker, 1, 1_000_000)),
    maxOrderNotionalMoney: Math.round(num(cfg, 'MM_MAX_ORDER_NOTIONAL_USD', d.maxOrderNotionalMoney / 10_000, 0, 1e9) * 10_000),
    maxPositionNotionalMoney: Math.round(num(cfg, 'MM_MAX_POSITION_NOTIONAL_USD', d.maxPositionNotionalMoney / 10_000, 0, 1e9) * 10_000),
    maxPosCenti: Math.round(num(cfg, 'MM_MAX_POS', d.maxPosCenti / 100, 0, 1e9) * 100),
    maxOrderCenti: Math.round(num(cfg, 'kmm_max_order_contracts', d.maxOrderCenti / 100, 0.01, 1e9) * 100),
    cancelOnStaleBook: bool(cfg, 'MM_CANCEL_ON_STALE_BOOK', d.cancelOnStaleBook),
    staleCancelGraceMs: Math.round(num(cfg, 'MM_STALE_CANCEL_GRACE_S', d.staleCancelGraceMs / 1000, 0, 3600) * 1000),
    tier: tierRaw.toLowerCase() as Tier,
    rateBudgetPermille: Math.round(num(cfg, 'kmm_rate_budget_fraction', d.rateBudgetPermille / 1000, 0.05, 1) * 1000),
    rateLimitPauseMs: Math.round(num(cfg, 'rate_limit_pause_s', d.rateLimitPauseMs / 1000, 0, 600) * 1000),
    batchMaxOrders: Math.round(num(cfg, 'kmm_batch_max_orders', d.batchMaxOrders, 1, 1000)),
    orderGroupContractsLimit: bool(cfg, 'kmm_order_group_enabled', d.orderGroupContractsLimit > 0)
      ? Math.round(num(cfg, 'kmm_order_group_contracts_limit', d.orderGroupContractsLimit || EXEC_DEFAULTS.orderGroupContractsLimit, 0, 1_000_000))
      : 0,
    cancelOrderOnPause: bool(cfg, 'kmm_cancel_order_on_pause', d.cancelOrderOnPause),
    adoptOrdersOnStart: bool(cfg, 'kmm_adopt_orders_on_start', d.adoptOrdersOnStart),
    clientOrderIdPrefix: prefix,
    reconcileIntervalMs: Math.round(num(cfg, 'kmm_reconcile_interval_s', d.reconcileIntervalMs / 1000, 0, 86_400) * 1000),
    reconcileGraceMs: Math.round(num(cfg, 'kmm_reconcile_grace_ms', d.reconcileGraceMs, 0, 600_000)),
    inflightTimeoutMs: Math.round(num(cfg, 'kmm_inflight_timeout_ms', d.inflightTimeoutMs, 100, 600_000)),
    queuePositionPollMs: Math.round(num(cfg, 'kmm_queue_position_poll_s', d.queuePositionPollMs / 1000, 0, 86_400) * 1000),
    marketsPollMs: Math.round(num(cfg, 'kmm_market_refresh_s', d.marketsPollMs / 1000, 0, 86_400) * 1000),
    tapeIntervalMs: Math.round(num(cfg, 'kmm_tape_interval_ms', d.tapeIntervalMs, 0, 3_600_000)),
    fillDedupMax: Math.round(num(cfg, 'kmm_fill_dedup_max', d.fillDedupMax, 100, 10_000_000)),
    maxOrdersTracked: Math.round(num(cfg, 'kmm_max_orders_tracked', d.maxOrdersTracked, 10, 1_000_000)),
    maxLevelsPerSide: Math.round(num(cfg, 'kmm_max_levels_per_side', d.maxLevelsPerSide, 1, 100)),
    shardCount: Math.round(num(cfg, 'kmm_shards', d.shardCount, 1, 1024)),
  };
}
