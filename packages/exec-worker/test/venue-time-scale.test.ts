/**
 * A time-compressed simulator (kmm demo --speed N) grants its tier's tokens N x faster per second
 * of the run, so that per second of market the budget is Kalshi's (shared rateBucketsAt). Exec's
 * mirror refills the same way from kmm_time_scale (the demo sets it from --speed), and the
 * configuration refuses any scale but 1 against Kalshi (a mirror faster than the exchange would
 * meet 429s).
 */
import { describe, expect, it } from 'vitest';
import { RATE_TIERS, rateBucketsAt, resolveConfig } from '@kmm/shared';
import { ExecCore, RateLimiter, execParamsOf } from '../src/index.js';
import { marketInfo } from './helpers.js';

describe('venue time scale', () => {
  it('scales the refill of both buckets, never the burst; 1 is the tier as it is; a bad scale is refused', () => {
    expect(rateBucketsAt('basic', 1)).toBe(RATE_TIERS.basic);
    expect(rateBucketsAt('basic', 30)).toEqual({ readTokensPerS: 6000, readCapacity: 200, writeTokensPerS: 3000, writeCapacity: 100 });
    for (const bad of [0, -1, Number.NaN, Infinity]) expect(() => rateBucketsAt('basic', bad)).toThrow(/venue time scale must be a positive number/);
    expect(() => rateBucketsAt('gold' as never, 1)).toThrow(/unknown rate tier 'gold'/);
  });

  it("exec's mirror at scale 30 refills 30x its budget (kmm_rate_budget_fraction applies as ever)", () => {
    const real = new RateLimiter('basic', 800, 2000, 0);
    const fast = new RateLimiter('basic', 800, 2000, 0, 1, 30);
    expect([real.write.refillPerS, real.write.capacityTokens]).toEqual([80, 80]);
    expect([fast.write.refillPerS, fast.write.capacityTokens]).toEqual([2400, 80]);
    // the same burst (creates leave the cancel and taker reserves), refilled in 1/30 of the time
    let burst = 0;
    while (fast.tryCreate(10, 0) && real.tryCreate(10, 0)) burst++;
    expect(burst).toBe(5);
    expect(fast.write.waitMs(80, 0)).toBe(Math.ceil(real.write.waitMs(80, 0) / 30));
    expect(fast.write.waitMs(80, 0)).toBeLessThanOrEqual(Math.ceil(1000 / 30));
  });

  it('exec takes the scale from kmm_time_scale; the configuration allows it with the simulator only', () => {
    expect(execParamsOf(resolveConfig({ kmm_shards: 1 })).venueTimeScale).toBe(1);
    const p = execParamsOf(resolveConfig({ kmm_shards: 1, kmm_time_scale: 30 }));
    expect(p.venueTimeScale).toBe(30);
    const core = new ExecCore(p, { runId: 'ts', markets: [marketInfo()], nowMs: 0 });
    expect(core.limiter.write.refillPerS).toBe(2400);
    expect(() => resolveConfig({ kmm_env: 'prod', kmm_time_scale: 30 })).toThrow(/kmm_time_scale 30 with kmm_env prod: only the simulator compresses time/);
    expect(() => resolveConfig({ kmm_time_scale: 0 })).toThrow(/kmm_time_scale/);
  });
});
