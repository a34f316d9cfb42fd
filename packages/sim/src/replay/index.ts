/** The replay market (see replay.ts): recorded books and prints drive the engine's public book. */
export { parseReplayCapture, PAIR_WINDOW_MS, type ReplayCapture, type ReplayEvent, type ReplayMarket, type ReplaySnapshot, type ReplayDelta, type ReplayTrade } from './capture.js';
export {
  ReplayDriver,
  addReplayMarkets,
  replayMarketSpecs,
  QUEUE_MODEL_NAMES,
  REPLAY_USERS,
  REPLAY_CLOSE_AFTER_MS,
  type QueueModelName,
  type ReplayDriverOptions,
  type ReplayStats,
} from './replay.js';
export { loadReplay, type ReplaySource } from './load.js';
