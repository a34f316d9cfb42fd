/**
 * @kmm/book-worker: the book shard actor. The worker entry is `./shell` (dist/shell/main.js);
 * the pure core (books, features, queue estimator, shard) is `./core` (re-exported here).
 * The capture replay behind `./kmm replay` lives in @kmm/backtest.
 */
export * from './core/index.js';
export * from './actor/index.js';
