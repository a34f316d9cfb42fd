/**
 * kmm_read_share_fraction: a process's share of the account's REST read token bucket (a cluster
 * gives each exchange shard's gateway 1 / the number of shards). Exec's read bucket is the tier's
 * x kmm_rate_budget_fraction x the share, its capacity never below one reconcile (30 tokens), so
 * even the smallest share lets exec reconcile (start-up included).
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '@kmm/shared';
import { ExecCore, READ_BUCKET_MIN_TOKENS, RECONCILE_READ_TOKENS, RateLimiter, execParamsOf } from '../src/index.js';
import { marketInfo } from './helpers.js';

describe('read bucket share', () => {
  it('scales the read bucket (rate and capacity), never the write bucket', () => {
    // basic tier: 200 reads/s, 200 capacity; budget 0.8
    const whole = new RateLimiter('basic', 800, 2000, 0);
    expect([whole.read.refillPerS, whole.read.capacityTokens]).toEqual([160, 160]);
    const third = new RateLimiter('basic', 800, 2000, 0, 1 / 3);
    expect(third.read.refillPerS).toBeCloseTo(160 / 3, 9);
    expect(third.read.capacityTokens).toBe(53);
    expect([third.write.refillPerS, third.write.capacityTokens]).toEqual([whole.write.refillPerS, whole.write.capacityTokens]);
  });

  it('keeps one reconcile of capacity however small the share; refuses a share outside (0, 1]', () => {
    expect(READ_BUCKET_MIN_TOKENS).toBe(RECONCILE_READ_TOKENS);
    const tiny = new RateLimiter('basic', 800, 2000, 0, 0.001);
    expect(tiny.read.capacityTokens).toBe(30);
    expect(tiny.read.refillPerS).toBeCloseTo(0.16, 9);
    expect(tiny.tryRead(RECONCILE_READ_TOKENS, 0)).toBe(true);
    for (const bad of [0, -0.5, 1.5, Number.NaN]) expect(() => new RateLimiter('basic', 800, 2000, 0, bad)).toThrow(/read share must be in \(0, 1\]/);
  });

  it('exec takes it from kmm_read_share_fraction and still runs its start-up reconcile at the smallest share', () => {
    const p = execParamsOf(resolveConfig({ kmm_shards: 1, kmm_read_share_fraction: 0.25 }));
    expect(p.readShare).toBe(0.25);
    const core = new ExecCore(p, { runId: 'rs', markets: [marketInfo()], nowMs: 0 });
    expect([core.limiter.read.refillPerS, core.limiter.read.capacityTokens]).toEqual([40, 40]);
    const small = new ExecCore(execParamsOf(resolveConfig({ kmm_shards: 1, kmm_read_share_fraction: 0.001 })), { runId: 'rs', markets: [marketInfo()], nowMs: 0 });
    expect(small.start(0).reads.map((r) => r.kind)).toEqual(['reconcile']);
    expect(() => resolveConfig({ kmm_read_share_fraction: 0 })).toThrow(/kmm_read_share_fraction=0 .*between 0.001 and 1/);
  });
});
