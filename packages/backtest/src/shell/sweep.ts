/**
 * `kmm sweep --capture FILE --grid FILE`: many backtests of one capture in parallel (piscina,
 * one worker per core by default), with a progress bar, ranked by P&L into sweep.csv and
 * sweep.html (P&L, Sharpe, max drawdown, fill rate, churn).
 *
 * Grid file (JSON or YAML): { "base": {KEY: value, ...}, "grid": {KEY: [v1, v2, ...], ...} }.
 * Keys are config keys, plus `queue_model`, `latency_ms`, `feed_latency_ms` and `seed`; the
 * sweep runs the cartesian product. Limit: SWEEP_RUNS_MAX runs (refused above it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Piscina } from 'piscina';
import { SingleBar, Presets } from 'cli-progress';
import { parse as parseYaml } from 'yaml';
import { makeDirsSync } from '@kmm/shared';
import { QUEUE_MODELS, type QueueModelName } from '../core/queue-models.js';
import type { BacktestMetrics } from './backtest.js';
import { runSweepTask, type SweepTask } from './sweep-worker.js';
import { runTimeScale } from './scorecard.js';

export const SWEEP_RUNS_MAX = 100_000;
/**
 * Pool tasks per worker thread: grid points are sent in chunks (fewer round trips, each worker
 * stays on its parsed capture), but several chunks per thread so a slow chunk does not leave the
 * other threads idle at the end.
 */
export const SWEEP_CHUNKS_PER_THREAD = 4;
const SPECIAL = new Set(['queue_model', 'latency_ms', 'feed_latency_ms', 'seed']);

export interface SweepRow {
  rank: number;
  params: Record<string, string | number | boolean>;
  metrics: BacktestMetrics;
}

export interface SweepOptions {
  capture: string;
  grid: { base?: Record<string, unknown>; grid: Record<string, unknown[]> };
  configFile?: string;
  marketsFile?: string;
  /** worker threads; 0 = run on this thread (the one-thread baseline) */
  threads: number;
  out: string | null;
  progress?: boolean;
}

export function parseGrid(text: string, name: string): SweepOptions['grid'] {
  let v: unknown;
  try {
    v = name.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new Error(`grid ${name}: not valid ${name.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null) throw new Error(`grid ${name}: expected an object with "grid"`);
  const g = (v as { grid?: unknown }).grid;
  if (typeof g !== 'object' || g === null || Array.isArray(g)) throw new Error(`grid ${name}: "grid" must map keys to lists of values`);
  for (const [k, vals] of Object.entries(g)) {
    if (!Array.isArray(vals) || vals.length === 0) throw new Error(`grid ${name}: grid.${k} must be a non-empty list`);
    for (const x of vals) if (!['string', 'number', 'boolean'].includes(typeof x)) throw new Error(`grid ${name}: grid.${k} has a value that is not a string, number or boolean`);
    if (k === 'queue_model') for (const x of vals) if (!QUEUE_MODELS.includes(x as QueueModelName)) throw new Error(`grid ${name}: queue_model ${JSON.stringify(x)} is not one of ${QUEUE_MODELS.join(', ')}`);
  }
  const base = (v as { base?: unknown }).base;
  if (base !== undefined && (typeof base !== 'object' || base === null || Array.isArray(base))) throw new Error(`grid ${name}: "base" must be an object`);
  return { base: base as Record<string, unknown> | undefined, grid: g as Record<string, unknown[]> };
}

/** The cartesian product of the grid, each merged over base. */
export function expandGrid(g: SweepOptions['grid']): Array<Record<string, string | number | boolean>> {
  let out: Array<Record<string, string | number | boolean>> = [{ ...((g.base ?? {}) as Record<string, string | number | boolean>) }];
  for (const [k, vals] of Object.entries(g.grid)) {
    const next: typeof out = [];
    for (const row of out) for (const v of vals) next.push({ ...row, [k]: v as string | number | boolean });
    out = next;
    if (out.length > SWEEP_RUNS_MAX) throw new Error(`grid has more than ${SWEEP_RUNS_MAX} combinations`);
  }
  return out;
}

function taskOf(o: SweepOptions, params: Record<string, string | number | boolean>, timeScale: number): SweepTask {
  // a time-compressed demo's capture: KMM runs at its time scale unless the grid says otherwise
  const set: Record<string, string | number | boolean> = timeScale !== 1 ? { kmm_time_scale: timeScale } : {};
  for (const [k, v] of Object.entries(params)) if (!SPECIAL.has(k)) set[k] = v;
  return {
    capture: resolve(o.capture),
    configFile: o.configFile,
    set,
    queueModel: String(params.queue_model ?? 'risk-averse') as QueueModelName,
    latencyMs: Number(params.latency_ms ?? 0),
    feedLatencyMs: Number(params.feed_latency_ms ?? 0),
    seed: Number(params.seed ?? 1),
    marketsFile: o.marketsFile,
    timeScale,
  };
}

export async function runSweep(o: SweepOptions): Promise<{ rows: SweepRow[]; wallMs: number; threads: number }> {
  const combos = expandGrid(o.grid);
  // a capture in a time-compressed demo's run folder: markouts in market time, KMM at its time
  // scale (kmm_time_scale), as backtest --capture does
  const timeScale = runTimeScale(dirname(resolve(o.capture)));
  const tasks = combos.map((p) => taskOf(o, p, timeScale));
  const bar = o.progress ? new SingleBar({ format: 'sweep [{bar}] {value}/{total} runs | {duration_formatted} elapsed | eta {eta_formatted}' }, Presets.shades_classic) : null;
  bar?.start(tasks.length, 0);
  const t0 = process.hrtime.bigint();
  const results: BacktestMetrics[] = new Array(tasks.length);
  let threads = o.threads;
  if (o.threads <= 0) {
    threads = 1;
    for (let i = 0; i < tasks.length; i++) {
      results[i] = await runSweepTask(tasks[i]);
      bar?.increment();
    }
  } else {
    const pool = new Piscina({ filename: new URL('./sweep-worker.js', import.meta.url).href, minThreads: o.threads, maxThreads: o.threads, maxQueue: tasks.length + 1 });
    // strided chunks (chunk c holds grid points c, c + n, c + 2n, ...): neighbouring grid points
    // differ in the outer keys (e.g. queue model) and cost differently, so a contiguous split
    // would leave one thread with all the slow runs at the end
    const chunkCount = Math.min(tasks.length, o.threads * SWEEP_CHUNKS_PER_THREAD);
    try {
      const runs: Promise<void>[] = [];
      for (let c = 0; c < chunkCount; c++) {
        const idx: number[] = [];
        for (let i = c; i < tasks.length; i += chunkCount) idx.push(i);
        runs.push(
          (pool.run(
            idx.map((i) => tasks[i]),
            { name: 'runSweepChunk' },
          ) as Promise<BacktestMetrics[]>).then((ms) => {
            for (let j = 0; j < ms.length; j++) results[idx[j]] = ms[j];
            bar?.increment(ms.length);
          }),
        );
      }
      await Promise.all(runs);
    } finally {
      await pool.destroy();
    }
  }
  bar?.stop();
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const rows = combos.map((params, i) => ({ rank: 0, params, metrics: results[i] }));
  // rank by P&L, then Sharpe, then lower drawdown; ties keep grid order
  rows.sort((a, b) => b.metrics.pnl - a.metrics.pnl || b.metrics.sharpe - a.metrics.sharpe || a.metrics.maxDrawdown - b.metrics.maxDrawdown);
  rows.forEach((r, i) => (r.rank = i + 1));
  if (o.out) writeSweepTables(o.out, rows, Object.keys(o.grid.grid));
  return { rows, wallMs, threads };
}

const METRIC_COLS: Array<[keyof BacktestMetrics, string]> = [
  ['pnl', 'pnl_usd'],
  ['sharpe', 'sharpe'],
  ['maxDrawdown', 'max_drawdown_usd'],
  ['fillRate', 'fill_rate'],
  ['churnPerMin', 'churn_per_min'],
  ['fills', 'fills'],
  ['contractsFilled', 'contracts'],
  ['fees', 'fees_usd'],
  ['ordersPlaced', 'orders'],
  ['maxInventory', 'max_inventory'],
];

function csvCell(v: unknown): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
function esc(v: unknown): string {
  return String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function writeSweepTables(dir: string, rows: SweepRow[], keys: string[]): void {
  makeDirsSync(dir); // not mkdirSync({ recursive }): it never returns for /proc/x
  const head = ['rank', ...keys, ...METRIC_COLS.map((c) => c[1])];
  const lines = [head.join(',')];
  for (const r of rows) lines.push([r.rank, ...keys.map((k) => r.params[k]), ...METRIC_COLS.map((c) => r.metrics[c[0]])].map(csvCell).join(','));
  writeFileSync(join(dir, 'sweep.csv'), lines.join('\n') + '\n');
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${[r.rank, ...keys.map((k) => r.params[k]), ...METRIC_COLS.map((c) => r.metrics[c[0]])].map((v) => `<td>${esc(v)}</td>`).join('')}</tr>`).join('\n');
  writeFileSync(
    join(dir, 'sweep.html'),
    `<!doctype html><html><head><meta charset="utf-8"><title>kmm sweep</title><style>body{font:13px system-ui,sans-serif;margin:20px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}tr:first-child td{background:#eef8ee}</style></head><body><h1>Parameter sweep: ${rows.length} runs, ranked by P&amp;L</h1><table><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table></body></html>\n`,
  );
}
