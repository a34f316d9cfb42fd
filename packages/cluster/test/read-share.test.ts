/**
 * A gateway's slice of the account's REST read bucket, against a real nats-server: the real exec
 * actor (paper venue) as the gateway of shard 1, configured with kmm_read_share_fraction = 1/4
 * (what a cluster of four exchange shards gives each gateway), reads within a quarter of the
 * bucket: its health stats say so (read_bucket_tokens, read_refill_per_s).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { kmm, resolveConfig } from '@kmm/shared';
import { openBuckets } from '../src/shell/buckets.js';
import { ExecGatewayHost } from '../src/shell/exec-host.js';
import { GatewayController } from '../src/shell/gateway.js';
import { NatsTransport } from '../src/shell/transport.js';
import { describeNats, next, useNatsServer } from './nats.js';

describeNats("a gateway's read bucket", () => {
  const fx = useNatsServer();

  it('is the share the cluster gives it', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'kmm-read-share-'));
    try {
      const nc = await fx.connect();
      const t = new NatsTransport(nc, 'rs');
      const host = new ExecGatewayHost({
        transport: t,
        natsUrl: fx.server.url,
        shard: 1,
        routeOf: () => null,
        allRoutes: () => [],
        extra: { paper: true, runDir, markets: [{ market: 'KXRS-26JAN01-T50', status: kmm.v1.MarketStatus.MARKET_ACTIVE, priceRanges: [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }] }] },
        config: resolveConfig({ kmm_shards: 1, kmm_read_share_fraction: 0.25 }) as unknown as Record<string, unknown>,
      });
      const gw = new GatewayController(nc, t, await openBuckets(nc, 'rs', { leaseMs: 2000, nodeMs: 2000 }), 1, 'gw-a', host);
      const active = next(gw, 'active');
      await gw.start();
      await active;
      // exec's next heartbeat carries its stats
      const stats = await new Promise<Record<string, unknown>>((resolve) =>
        host.supervisor!.on('health', (h: kmm.v1.IHealth) => {
          const s = JSON.parse(h.statsJson || '{}') as Record<string, unknown>;
          if (s.read_bucket_tokens !== undefined) resolve(s);
        }),
      );
      // basic tier x kmm_rate_budget_fraction 0.8: 160 reads/s and 160 tokens for the account, a quarter here
      expect([stats.read_refill_per_s, stats.read_bucket_tokens]).toEqual([40, 40]);
      await gw.stop();
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  });
});
