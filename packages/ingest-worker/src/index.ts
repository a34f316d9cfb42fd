/**
 * @kmm/ingest-worker: the Kalshi websocket connector actor. The worker entry is `./shell`
 * (dist/shell/main.js); this entry exports the pure core, used by the shell, by the book
 * worker's capture replay, by tests and by benchmarks.
 */
export {
  parseFrame,
  parseFrameValue,
  parseCaptureLine,
  formatCaptureLine,
  PARSE_LIMITS,
  type Frame,
  type SnapshotFrame,
  type DeltaFrame,
  type TradeFrame,
  type FillFrame,
  type UserOrderFrame,
  type PositionFrame,
  type LifecycleFrame,
  type SubscribedFrame,
  type OkFrame,
  type UnsubscribedFrame,
  type ErrorFrame,
  type OtherFrame,
  type InvalidFrame,
  type CaptureLine,
} from './core/parse.js';
export { SeqTracker, SEQ_TRACKER_SIDS_MAX, type SeqVerdict } from './core/seq.js';
export { ReconnectBackoff } from './core/backoff.js';
export { ingestParamsOf, type IngestParams } from './core/params.js';
export {
  IngestCore,
  BOOK_CHANNEL,
  TRADE_CHANNEL,
  MARKET_CHANNELS,
  OTHER_CHANNELS,
  type IngestSink,
  type WsCommand,
  type LogLevel,
  type IngestCounters,
} from './core/ingest.js';
