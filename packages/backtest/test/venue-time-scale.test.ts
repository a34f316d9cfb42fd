/**
 * A backtest of a time-compressed demo grants exec the tokens the demo's simulator granted: the
 * venue refilled its buckets kmm_time_scale x faster per second of the run (shared rateBucketsAt),
 * and the run's config.json says so, so exec's mirror in the backtest does too. Without it the
 * backtest's exec waited for tokens the live one had, and which market got them was decided by
 * microseconds (issue 16 parity). A run from before the key (no kmm_time_scale) is real time.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '@kmm/shared';
import { BacktestEngine, queueModel } from '../src/index.js';

const noSinks = { journal: () => {}, tape: () => {}, decision: () => {}, ops: () => {} };
const market = { market: 'KXSCALE-26-A', tickSize: 100, closeTimeMs: 1_800_000_000_000 };

async function writeRefillPerS(timeScale?: number): Promise<number> {
  const engine = new BacktestEngine({
    config: resolveConfig({ kmm_shards: 1, ...(timeScale !== undefined ? { kmm_time_scale: timeScale } : {}) }),
    markets: [market],
    model: queueModel('exchange', 2),
    latencyMs: 1,
    feedLatencyMs: 0,
    seed: 1,
    startWallMs: 1_790_000_000_000,
    sinks: noSinks,
  });
  await engine.start();
  const exec = engine.exec;
  if (!exec) throw new Error('exec did not start');
  return exec.core.limiter.write.refillPerS;
}

describe('backtest: the venue time scale of the recorded run', () => {
  it("exec's write bucket refills as the recorded simulator's did: x30 for a 30x demo, the tier's without the key", async () => {
    const real = await writeRefillPerS();
    expect(real).toBe(80); // basic 100 tokens/s x kmm_rate_budget_fraction 0.8
    expect(await writeRefillPerS(30)).toBe(real * 30);
  });
});
