/**
 * @kmm/exec-worker public API: the pure exec core (diffing, gates, rate limits, breakers,
 * post-only adaptation, pre-flight, bookkeeping, reconciliation) and the shell pieces other
 * packages use (REST client, gateways, journal, tape), and the actor descriptor (actor/)
 * that both drivers run. The worker entry is './shell'.
 */
export * from './core/index.js';
export * from './shell/venue.js';
export * from './shell/signature-cache.js';
export * from './shell/rest-client.js';
export * from './actor/gateway.js';
export * from './shell/journal.js';
export * from './shell/tape.js';
export * from './actor/index.js';
export * from './shell/env.js';
