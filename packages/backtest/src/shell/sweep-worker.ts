/**
 * Piscina worker for `kmm sweep`: runs backtests (no run folder) and returns their metrics, one
 * task or a chunk of tasks per call (runSweepChunk). The capture is parsed once per worker thread
 * and kept, as are the configs built from the grid's overrides (tasks of a sweep share them).
 */
import type { CaptureLine } from '@kmm/ingest-worker/core';
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
  /** market seconds per second of the capture (its run folder's market.json): the markout horizons */
  timeScale: number;
}

let cached: { path: string; lines: CaptureLine[] } | null = null;
/** Configs built in this worker, by (file, overrides); limit CONFIGS_MAX, overflow: cleared. */
const configs = new Map<string, Record<string, unknown>>();
const CONFIGS_MAX = 1024;

function configOf(t: SweepTask): Record<string, unknown> {
  const key = JSON.stringify([t.configFile ?? '', t.set]);
  let c = configs.get(key);
  if (!c) {
    if (configs.size >= CONFIGS_MAX) configs.clear();
    c = loadBacktestConfig(t.configFile, t.set);
    configs.set(key, c);
  }
  return c;
}

export async function runSweepTask(t: SweepTask): Promise<BacktestMetrics> {
  // parsed once per worker thread and kept: every task of a sweep reads the same capture
  if (!cached || cached.path !== t.capture) cached = { path: t.capture, lines: readCaptureLines(t.capture) };
  const r = await runBacktest({ capture: t.capture, queueModel: t.queueModel, latencyMs: t.latencyMs, feedLatencyMs: t.feedLatencyMs, seed: t.seed, marketsFile: t.marketsFile, timeScale: t.timeScale, out: null }, { lines: cached.lines, config: configOf(t) });
  return r.metrics;
}

/**
 * Several grid points in one pool task: one message round trip per chunk instead of per run,
 * and the worker stays on the capture it has parsed. Results in task order.
 */
export async function runSweepChunk(tasks: SweepTask[]): Promise<BacktestMetrics[]> {
  const out: BacktestMetrics[] = [];
  for (let i = 0; i < tasks.length; i++) out.push(await runSweepTask(tasks[i]));
  return out;
}

export default runSweepTask;
