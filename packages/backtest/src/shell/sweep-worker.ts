/**
 * Piscina worker for `kmm sweep`: runs one backtest per task (no run folder) and returns its
 * metrics. The capture is read once per worker and kept (tasks of a sweep share it).
 */
import type { CaptureLine } from '@kmm/ingest-worker';
import { loadBacktestConfig, readCaptureLines, runBacktest, type BacktestMetrics } from './backtest.js';
import type { QueueModelName } from '../core/queue-models.js';

export interface SweepTask {
  capture: string;
  configFile?: string;
  set: Record<string, string | number | boolean>;
  queueModel: QueueModelName;
  latencyMs: number;
  feedLatencyMs: number;
  seed: number;
  marketsFile?: string;
}

let cached: { path: string; lines: CaptureLine[] } | null = null;

export async function runSweepTask(t: SweepTask): Promise<BacktestMetrics> {
  if (!cached || cached.path !== t.capture) cached = { path: t.capture, lines: readCaptureLines(t.capture) };
  const config = loadBacktestConfig(t.configFile, t.set);
  const r = await runBacktest({ capture: t.capture, queueModel: t.queueModel, latencyMs: t.latencyMs, feedLatencyMs: t.feedLatencyMs, seed: t.seed, marketsFile: t.marketsFile, out: null }, { lines: cached.lines, config });
  return r.metrics;
}

export default runSweepTask;
