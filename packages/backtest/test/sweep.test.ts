/**
 * Sweep: the piscina pool (strided chunks of grid points, capture parsed once per worker) gives
 * exactly the one-thread results, row for row; chunks return their runs in task order.
 * The pool test runs the built package (dist: the pool loads dist/shell/sweep-worker.js).
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSweepChunk, runSweepTask, type SweepTask } from '../src/index.js';

const repoRoot = resolve(__dirname, '../../..');
const SESSION = resolve(repoRoot, '../shared/data/kalshi-ws-capture-2026-07-01/session.jsonl');
const SET = { max_time_to_resolution_hours: 8760 };

describe('sweep', () => {
  it('a chunk returns the same metrics as its tasks run one by one, in task order', async () => {
    const tasks: SweepTask[] = (['risk-averse', 'exchange', 'prob-power'] as const).map((qm, i) => ({ capture: SESSION, set: { ...SET, MM_SPREAD_MULTIPLIER: 1 + i * 0.5 }, queueModel: qm, latencyMs: 5 * i, feedLatencyMs: 0, seed: 1, timeScale: 1 }));
    const chunk = await runSweepChunk(tasks);
    expect(chunk.length).toBe(tasks.length);
    for (let i = 0; i < tasks.length; i++) {
      const one = await runSweepTask(tasks[i]);
      expect({ ...chunk[i], wallMs: 0, eventsPerSec: 0 }).toEqual({ ...one, wallMs: 0, eventsPerSec: 0 });
    }
  });

  it('piscina on 2 threads ranks and scores like one thread', async () => {
    const { runSweep } = (await import('../dist/index.js')) as typeof import('../src/index.js');
    const grid = { base: SET, grid: { queue_model: ['risk-averse', 'prob-power', 'exchange'], latency_ms: [0, 25], MM_SPREAD_MULTIPLIER: [0.5, 1.5] } };
    const one = await runSweep({ capture: SESSION, grid, threads: 0, out: null });
    const pool = await runSweep({ capture: SESSION, grid, threads: 2, out: null });
    expect(pool.rows.length).toBe(12);
    const strip = (rows: typeof one.rows) => rows.map((r) => ({ rank: r.rank, params: r.params, pnl: r.metrics.pnl, fills: r.metrics.fills, orders: r.metrics.ordersPlaced, events: r.metrics.events }));
    expect(strip(pool.rows)).toEqual(strip(one.rows));
  });
});
