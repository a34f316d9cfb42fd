/**
 * @kmm/book-worker: the book shard actor. The worker entry is `./shell` (dist/shell/main.js);
 * this entry exports the pure core (books, features, queue estimator, shard) and the capture
 * replay used by `./kmm replay`.
 */
export { MarketBook, gridFor, FINEST_BANDS, type ApplyStatus } from './core/book.js';
export { FeatureEngine, featureParamsOf, type FeatureParams } from './core/features.js';
export { QueueEstimator, QUEUE_ORDERS_MAX, QUEUE_PENDING_OWN_MAX, type OwnOrder, type LevelSize } from './core/queue.js';
export {
  BookShardCore,
  bookParamsOf,
  type BookParams,
  type BookSink,
  type BookLogLevel,
  type MarketEntry,
  type QueueErrorStats,
} from './core/shard.js';
export { CaptureReplay, replayCapture, replayCaptureBooks, runReplayCli, type VenueBook, type VenueBooks, type ReplayStats } from './replay/replay.js';
