/**
 * @kmm/backtest: backtests, paper fills and parameter sweeps with the same ingest, book,
 * strategy and exec cores as live, on one thread with a simulated clock and a simulated venue
 * (queue models, latency, Kalshi fees, settlement).
 * Also the capture replay behind `kmm replay` (final books through the live ingest and book
 * descriptors in LocalKernel).
 */
export { queueModel, QUEUE_MODELS, RiskAverseQueue, ProbPowerQueue, ExchangeFifoQueue, LEVEL_CHUNKS_MAX, type QueueModel, type QueueModelName, type QueuedOrder, type LevelQueue, type FillOut } from './core/queue-models.js';
export { SimVenue, VENUE_ORDERS_MAX, type VenueOrder, type VenueFill, type VenueStats, type MarketAccount, type OrderSummary as VenueOrderSummary } from './core/venue.js';
export { BacktestEngine, DECISION_DRAIN_HOLD_MAX_MS, EVENTS_PENDING_MAX, type EngineOptions, type EngineSinks, type EquityPoint } from './core/engine.js';
export { runBacktest, decisionTicks, decisionFills, capturedDeltasOf, readCapture, readCaptureLines, inferMarkets, INFERRED_CLOSE_AFTER_MS, timeline, loadBacktestConfig, backtestCommandDefaults, BACKTEST_PROFILE, computeMetrics, CAPTURE_BYTES_MAX, CAPTURE_PROBE_BYTES, type BacktestOptions, type BacktestMetrics, type BacktestResult } from './shell/backtest.js';
export { runSweep, parseGrid, expandGrid, writeSweepTables, SWEEP_RUNS_MAX, SWEEP_CHUNKS_PER_THREAD, type SweepOptions, type SweepRow } from './shell/sweep.js';
export { runSweepTask, runSweepChunk, type SweepTask } from './shell/sweep-worker.js';
export { PaperVenueGateway, createPaperGateway, type PaperGatewayOptions } from './shell/paper.js';
export { ReplayEngine, type ReplayEngineOptions, type ReplayCounters } from './core/replay-engine.js';
export { CaptureReplay, replayCapture, replayCaptureBooks, type VenueBook, type VenueBooks, type ReplayStats, type ReplayOptions } from './shell/replay.js';
export { replayRecording, replayRecordingLines, type ActorReplayResult, type RecordedMessage, type ReplayMismatch } from './shell/replay-actor.js';
export { RUN_FOLDER, runConfigRecord, writeRunRecord, readRunFolder, likeConfig, backtestLike, recordedOrderLatencyMs, recordedDecisionToWireMs, recordedCommandLatenciesMs, recordedCommands, VENUE_REPORT_MAX_MS, recordedQueueModel, recordedExecStartDelayMs, recordedExecStartupMs, type RunConfigRecord, type RecordedRun, type LikeOptions, type LikeResult } from './shell/like.js';
export { OthersBook, attributeOwnFills, FILL_AFTER_DELTA_MS, type OthersBookStats, type OwnFills, type OwnFillPart } from './core/others-book.js';
export { marketEventsOf } from './core/market-events.js';
export { venueCheck, type VenueCheckResult, type VenueCheckMarket } from './shell/order-replay.js';
export { scorecardOfCapture, scorecardOfRunFolder, readSimQueue, runTimeScale, MARKET_FILE, SIM_QUEUE_FILE } from './shell/scorecard.js';
export { CommandLatencyMatcher, orderKey, MATCH_EARLY_MS, MATCH_LATE_MS, type RecordedCommand } from './core/command-latency.js';
export { RecordedFills, ReportLines, FILL_MATCH_MS, OWN_REPORT_EARLY_MS, OWN_REPORT_LATE_MS, type DecisionFill, type DecisionTick } from './core/run-timing.js';
