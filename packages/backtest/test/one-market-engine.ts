/**
 * A backtest engine on one market for tests that drive it frame by frame (own-reports,
 * venue-book, venue-line): the market selected (ingest routes it; the strategy's first quotes wait
 * for its start-up check on the 250 ms tick, after these tests), the exchange queue model, 1 ms
 * order latency, no sinks.
 */
import { resolveConfig } from '@kmm/shared';
import { BacktestEngine, queueModel, type EngineOptions } from '../src/index.js';

const noSinks = { journal: () => {}, tape: () => {}, decision: () => {}, ops: () => {} };

export function oneMarketEngine(market: string, startWallMs: number, extra: Partial<EngineOptions> = {}): BacktestEngine {
  return new BacktestEngine({
    config: resolveConfig({ kmm_shards: 1, max_time_to_resolution_hours: 8760 }),
    markets: [{ market, tickSize: 100, closeTimeMs: startWallMs + 90 * 86_400_000 }],
    model: queueModel('exchange', 2),
    latencyMs: 1,
    feedLatencyMs: 0,
    seed: 1,
    startWallMs,
    sinks: noSinks,
    ...extra,
  });
}
