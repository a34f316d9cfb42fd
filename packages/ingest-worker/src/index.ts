/**
 * @kmm/ingest-worker: the Kalshi websocket connector actor. The worker entry is `./shell`
 * (dist/shell/main.js); the pure core is `./core` (re-exported here for the app and tests).
 */
export * from './core/index.js';
export * from './actor/index.js';
