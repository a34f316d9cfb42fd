/**
 * startSimProcess: the simulator in a child process of its own (kmm bench latency) answers REST
 * and admin calls like the worker-thread host, and moveAll (the bench's burst) changes every
 * market's book at once, stamped with the shared monotonic clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
// from dist: the child process runs the built process-child.js (build first, as other dist tests)
import { startSimProcess, type SimThreadHandle } from '../dist/index.js';

let sim: SimThreadHandle | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

describe('startSimProcess', () => {
  it('runs in another process, serves REST, and moveAll changes every book in one call', async () => {
    sim = await startSimProcess({ port: 0, seed: 3, markets: 4, speed: 0.01, tier: 'unlimited', profile: 'active', stepMs: 1000 });
    expect(sim.pid).not.toBe(process.pid);
    const res = await fetch(`${sim.restBaseUrl}/markets?limit=10`);
    expect(res.status).toBe(200);
    const tickers = await sim.marketTickers();
    expect(tickers.length).toBe(4);
    const before = await Promise.all(tickers.map((t) => sim!.book(t)));
    const t0 = Number(process.hrtime.bigint());
    const b = await sim.moveAll(3);
    expect(b.startMonoNs).toBeGreaterThanOrEqual(t0);
    expect(b.endMonoNs).toBeGreaterThanOrEqual(b.startMonoNs);
    const after = await Promise.all(tickers.map((t) => sim!.book(t)));
    const changed = tickers.filter((_, i) => JSON.stringify(before[i]) !== JSON.stringify(after[i])).length;
    expect(changed).toBe(4);
    const u = await sim.usage();
    expect(u.rssMb).toBeGreaterThan(0);
  });
});
