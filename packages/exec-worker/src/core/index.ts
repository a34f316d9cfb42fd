/**
 * @kmm/exec-worker/core: the pure exec core (types, params, diffing, churn gates, rate limits,
 * breakers, post-only adaptation, pre-flight, bookkeeping, reconciliation, ExecCore). No I/O
 * is reachable from here: drivers other than the worker shell (backtest) import this entry.
 */
export * from './types.js';
export * from './journal-record.js';
export * from './figures.js';
export * from './params.js';
export * from './rate-limiter.js';
export * from './breakers.js';
export * from './post-only.js';
export * from './preflight.js';
export * from './bookkeeping.js';
export * from './differ.js';
export * from './reconciler.js';
export * from './exec-core.js';
export { scorecardOf, scorecardOptionsOf, SCORECARD_HORIZONS_S, TAKER_SPREAD_TARGET_CENTS, TAKER_SPREAD_FAILURE_CENTS, type Scorecard, type MarketEvent, type MarkoutRow as ScorecardMarkoutRow, type ScorecardOptions } from './scorecard.js';
export * from './event-risk.js';
