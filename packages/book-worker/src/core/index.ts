/**
 * @kmm/book-worker/core: the pure book core (books on the price grid, features, queue
 * estimator, shard). No I/O is reachable from here: drivers other than the worker shell
 * (backtest, replay, benchmarks) import this entry.
 */
export { MarketBook, gridFor, FINEST_BANDS, type ApplyStatus } from './book.js';
export { FeatureEngine, featureParamsOf, type FeatureParams } from './features.js';
export { OwnLevels, OWN_SLOTS_MAX } from './own.js';
export { QueueEstimator, QUEUE_ORDERS_MAX, QUEUE_PENDING_OWN_MAX, type OwnOrder, type LevelSize } from './queue.js';
export {
  BookShardCore,
  bookParamsOf,
  type BookParams,
  type BookSink,
  type BookLogLevel,
  type MarketEntry,
  type QueueErrorStats,
} from './shard.js';
