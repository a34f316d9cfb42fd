/**
 * The real exec actor (paper venue) as the gateway of exchange shard 1, behind the
 * GatewayController, against a real nats-server: a strategy node on another connection sends
 * its targets to exec.1 and gets exec's working orders back (routed to the owner of the
 * market), exec journals to the shard's JetStream stream, the kill switch takes its orders off
 * and refuses commands, and a graceful stop cancels and verifies before the lease is released.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { kmm, resolveConfig } from '@kmm/shared';
import { openBuckets } from '../src/shell/buckets.js';
import { ExecGatewayHost } from '../src/shell/exec-host.js';
import { GatewayController, gatewayActor } from '../src/shell/gateway.js';
import { readJournalStream } from '../src/shell/journal-stream.js';
import { tripKillSwitch } from '../src/shell/kill.js';
import { NatsTransport } from '../src/shell/transport.js';
import { describeNats, next, serveInbox, useNatsServer } from './nats.js';

const MKT = 'KXTEST-26JAN01-T50';

describeNats('exec as the gateway of a shard', () => {
  const fx = useNatsServer();

  it('takes targets from a remote strategy node, answers it, journals to JetStream, obeys the kill switch, and cancels on stop', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'kmm-gw-'));
    try {
      const timing = { leaseMs: 2000, nodeMs: 2000 };
      const ncG = await fx.connect();
      const ncS = await fx.connect();
      const tg = new NatsTransport(ncG, 'ex');
      const ts = new NatsTransport(ncS, 'ex');
      const { got, arrives } = serveInbox(ts, 'strategy.s1');
      await ncS.flush();

      const host = new ExecGatewayHost({
        transport: tg,
        natsUrl: fx.server.url,
        shard: 1,
        routeOf: (m) => (m === MKT ? 'strategy.s1' : null),
        allRoutes: () => ['strategy.s1'],
        extra: { paper: true, runDir, markets: [{ market: MKT, status: kmm.v1.MarketStatus.MARKET_ACTIVE, priceRanges: [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }] }] },
        config: resolveConfig({ kmm_shards: 1 }) as unknown as Record<string, unknown>,
      });
      const gw = new GatewayController(ncG, tg, await openBuckets(ncG, 'ex', timing), 1, 'gw-a', host);
      const active = next(gw, 'active');
      const reconcileAsked = arrives((e) => e.control?.kind === kmm.v1.ControlKind.RECONCILE);
      await gw.start();
      await active;
      await reconcileAsked; // exec asked "strategy" for every target again: it reached the node

      const resting = arrives((e) => e.workingOrders?.market === MKT && (e.workingOrders.orders?.length ?? 0) === 2);
      ts.send('strategy.s1', gatewayActor(1), [
        { connection: { kind: kmm.v1.ConnectionEvent.Kind.CONNECTED } },
        { marketTrust: { market: MKT, state: kmm.v1.TrustState.TRUSTED } },
        { targetQuotes: { market: MKT, levels: [{ side: kmm.v1.BookSide.BID, level: 0, price: 4000, countCenti: 500 }, { side: kmm.v1.BookSide.ASK, level: 0, price: 6000, countCenti: 500 }], bestBid: 4500, bestAsk: 5500 } },
      ]);
      await resting;

      // the kill switch: exec cancels everything on the shard; new commands are refused
      const flat = arrives((e) => e.workingOrders?.market === MKT && (e.workingOrders.orders?.length ?? 0) === 0 && got.indexOf(e) > got.findIndex((x) => (x.workingOrders?.orders?.length ?? 0) === 2));
      await tripKillSwitch(ncS, (await openBuckets(ncS, 'ex', timing)).control, 'ex', 'risk-1', 'drawdown');
      await flat;
      const refused = await ts.command('strategy.s1', gatewayActor(1), { takerIntent: { market: MKT, side: kmm.v1.BookSide.BID, limitPrice: 5000, countCenti: 100 } });
      expect(refused!.orderReject).toMatchObject({ code: kmm.v1.RejectCode.RISK, message: 'kill switch active: drawdown' });

      await gw.stop();
      const journal = await readJournalStream(ncS, 'ex', 1);
      const kinds = journal.records.map((r) => r.k);
      expect(kinds[0]).toBe('start');
      const placed = journal.records.filter((r) => r.k === 'ack' && r.kind === kmm.v1.CommandKind.PLACE).length;
      expect(placed).toBe(2);
      const shutdown = journal.records.find((r) => r.k === 'shutdown');
      expect(shutdown).toMatchObject({ k: 'shutdown', verified: true, restingLeft: 0 });
      expect(host.unrouted).toBe(0);
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  });
});
