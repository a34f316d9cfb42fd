/**
 * @kmm/exec-worker public API: the pure exec core (diffing, gates, rate limits, breakers,
 * post-only adaptation, pre-flight, bookkeeping, reconciliation) and the shell pieces other
 * packages use (REST client, gateways, journal, tape, probe). The worker entry is './shell'.
 */
export * from './core/types.js';
export * from './core/journal-record.js';
export * from './core/params.js';
export * from './core/rate-limiter.js';
export * from './core/breakers.js';
export * from './core/post-only.js';
export * from './core/preflight.js';
export * from './core/bookkeeping.js';
export * from './core/differ.js';
export * from './core/reconciler.js';
export * from './core/exec-core.js';
export * from './shell/venue.js';
export * from './shell/signature-cache.js';
export * from './shell/rest-client.js';
export * from './shell/gateway.js';
export * from './shell/journal.js';
export * from './shell/tape.js';
export * from './shell/runner.js';
export * from './shell/probe.js';
