/**
 * @kmm/ingest-worker/core: the pure ingest core (frame and capture-line parsing, seq checks,
 * reconnect backoff, params, IngestCore). No I/O is reachable from here: drivers other than the
 * worker shell (backtest, replay, benchmarks) import this entry.
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
} from './parse.js';
export { SeqTracker, SEQ_TRACKER_SIDS_MAX, type SeqVerdict } from './seq.js';
export { ReconnectBackoff } from './backoff.js';
export { ingestParamsOf, type IngestParams } from './params.js';
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
} from './ingest.js';
