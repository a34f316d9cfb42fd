/**
 * @kmm/strategy-worker: the strategy actor. The worker entry is `@kmm/strategy-worker/shell`
 * (src/shell/main.ts); the pure core (pricing, KMM-v2 takers and queue logic, risk gates) is
 * `./core` (re-exported here for the app, tests and benchmarks).
 */
export * from './core/index.js';
export * from './actor/index.js';
