/**
 * A gateway's config in a cluster (cluster-trade.ts gatewayConfig): what the account has once is
 * split over the exchange shards' gateways: the worst-case loss cap (until the risk aggregator's
 * allowance) and the REST read bucket (kmm_read_share_fraction = 1 / shards unless the operator
 * set it). The gateway's exec then reads within its share (its read bucket, from execParamsOf).
 */
import { describe, expect, it } from 'vitest';
import { loadConfig, cliFromAssignments, resolveConfig, type KmmConfig } from '@kmm/shared';
import { ExecCore, execParamsOf } from '@kmm/exec-worker';
import { gatewayConfig, gatewayReadShare } from '../src/commands/cluster-trade.js';

const readBucketOf = (cfg: Record<string, unknown>): [number, number] => {
  const core = new ExecCore(execParamsOf(resolveConfig({ ...(cfg as Partial<KmmConfig>), kmm_shards: 1 })), { runId: 'g', markets: [], nowMs: 0 });
  return [core.limiter.read.refillPerS, core.limiter.read.capacityTokens];
};

describe('gateway config in a cluster', () => {
  it('splits the read bucket and the loss cap over the shards', () => {
    const loaded = loadConfig({ env: {} });
    const cfg = gatewayConfig(loaded.values as unknown as Record<string, unknown>, 3);
    expect(cfg.kmm_read_share_fraction).toBe(1 / 3);
    expect(cfg.MM_MAX_TOTAL_LOSS_USD).toBe(3333.33);
    // basic tier, budget 0.8: 160 reads/s and 160 tokens for the account, a third each
    const [rate, capacity] = readBucketOf(cfg);
    expect(rate).toBeCloseTo(160 / 3, 9);
    expect(capacity).toBe(53);
    // one shard: the whole bucket, as a single process
    expect(readBucketOf(gatewayConfig(loaded.values as unknown as Record<string, unknown>, 1))).toEqual([160, 160]);
    expect(gatewayReadShare(0)).toBe(1);
  });

  it('keeps a read share the operator set', () => {
    const loaded = loadConfig({ env: {}, cli: cliFromAssignments(['kmm_read_share_fraction=0.5']) });
    const explicit = new Set(Object.keys(loaded.sources).filter((k) => loaded.sources[k] !== 'default'));
    expect(explicit.has('kmm_read_share_fraction')).toBe(true);
    const cfg = gatewayConfig(loaded.values as unknown as Record<string, unknown>, 4, explicit);
    expect(cfg.kmm_read_share_fraction).toBe(0.5);
    expect(readBucketOf(cfg)).toEqual([80, 80]);
  });
});
