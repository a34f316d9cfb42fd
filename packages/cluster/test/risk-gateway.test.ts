/**
 * The allowance on the hot path, end to end against a real nats-server: the real exec actor
 * (paper venue) as the gateway of shard 1 publishes its figures on every tape write; the risk
 * aggregator computes the event's worst case from them and writes the shard's allowance to KV;
 * the gateway's AllowanceWatch hands it to exec as its live MM_MAX_TOTAL_LOSS_USD, and exec's own
 * pre-flight then refuses a bid the allowance does not cover (its static cap would have passed it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { kmm, resolveConfig, ONE_DOLLAR } from '@kmm/shared';
import { openBuckets } from '../src/shell/buckets.js';
import { ExecGatewayHost } from '../src/shell/exec-host.js';
import { GatewayController, gatewayActor } from '../src/shell/gateway.js';
import { AllowanceWatch, RiskAggregator } from '../src/shell/risk.js';
import type { RiskView } from '../src/core/risk.js';
import { NatsTransport } from '../src/shell/transport.js';
import { describeNats, next, serveInbox, useNatsServer } from './nats.js';

const MKT = 'KXRISK-26JAN01-T50';

describeNats('risk allowance reaches exec', () => {
  const fx = useNatsServer();

  it('exec figures -> aggregator -> KV allowance -> exec pre-flight', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'kmm-risk-gw-'));
    try {
      const timing = { leaseMs: 2000, nodeMs: 2000 };
      const ncG = await fx.connect();
      const ncS = await fx.connect();
      const ncR = await fx.connect();
      const tg = new NatsTransport(ncG, 'rg');
      const ts = new NatsTransport(ncS, 'rg');
      const { got, arrives } = serveInbox(ts, 'strategy.s1');
      await ncS.flush();

      // the aggregator: the account may lose $3 in all; no loss cap or drawdown trips here
      const agg = new RiskAggregator(ncR, (await openBuckets(ncR, 'rg', timing)).control, 'rg', 'risk-a', { maxTotalLossMoney: 3 * ONE_DOLLAR, maxEventLossMoney: 0, maxAccountLossMoney: 0, maxDrawdownMoney: 0 }, () => true);
      await agg.start();

      let configUpdated = (): void => undefined;
      const updated = new Promise<void>((r) => (configUpdated = r));
      const host = new ExecGatewayHost({
        transport: tg,
        natsUrl: fx.server.url,
        shard: 1,
        routeOf: (m) => (m === MKT ? 'strategy.s1' : null),
        allRoutes: () => ['strategy.s1'],
        extra: { paper: true, runDir, markets: [{ market: MKT, eventTicker: 'KXRISK-26JAN01', status: kmm.v1.MarketStatus.MARKET_ACTIVE, priceRanges: [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }] }] },
        // exec's own static cap is far away: only the allowance can bind
        onOps: (ev) => {
          if (ev.event === 'exec_config_updated') configUpdated();
        },
        config: resolveConfig({ kmm_shards: 1, kmm_tape_interval_ms: 50, MM_MAX_TOTAL_LOSS_USD: 10_000, MM_MAX_POS: 100, rebalance_threshold: 0 }) as unknown as Record<string, unknown>,
      });
      const bG = await openBuckets(ncG, 'rg', timing);
      const allowance = new AllowanceWatch(bG.control, 1);
      allowance.on('allowance', (usd: number) => host.setAllowanceUsd(usd));
      await allowance.start();
      const gw = new GatewayController(ncG, tg, bG, 1, 'gw-a', host);
      const active = next(gw, 'active');
      await gw.start();
      await active;

      const resting = arrives((e) => e.workingOrders?.market === MKT && (e.workingOrders.orders?.length ?? 0) === 2);
      // the aggregator sees both orders in the figures: worst case = 5 x $0.40 either way = $2
      const seen = new Promise<RiskView>((r) => agg.on('view', (v: RiskView) => v.events[0]?.worstMoney === 2 * ONE_DOLLAR && r(v)));
      ts.send('strategy.s1', gatewayActor(1), [
        { connection: { kind: kmm.v1.ConnectionEvent.Kind.CONNECTED } },
        { marketTrust: { market: MKT, state: kmm.v1.TrustState.TRUSTED } },
        { targetQuotes: { market: MKT, levels: [{ side: kmm.v1.BookSide.BID, level: 0, price: 4000, countCenti: 500 }, { side: kmm.v1.BookSide.ASK, level: 0, price: 6000, countCenti: 500 }], bestBid: 4500, bestAsk: 5500 } },
      ]);
      await resting;
      const v = await seen;
      expect(v.events[0]).toMatchObject({ event: 'KXRISK-26JAN01', shard: 1, worstMoney: 2 * ONE_DOLLAR, allowanceMoney: 3 * ONE_DOLLAR });
      expect(v.gateways).toEqual([{ shard: 1, pnlMoney: 0, worstMoney: 2 * ONE_DOLLAR, allowanceMoney: 3 * ONE_DOLLAR }]);
      // the allowance reached exec as its live MM_MAX_TOTAL_LOSS_USD ...
      await updated;
      expect(allowance.usd).toBe(3);
      // ... and its own pre-flight now refuses a bid of 20 (worst case $8) against $3, not $10,000
      const refused = arrives((e) => e.orderReject?.market === MKT && e.orderReject.code === kmm.v1.RejectCode.RISK);
      ts.send('strategy.s1', gatewayActor(1), [
        { targetQuotes: { market: MKT, levels: [{ side: kmm.v1.BookSide.BID, level: 0, price: 4000, countCenti: 2000 }, { side: kmm.v1.BookSide.ASK, level: 0, price: 6000, countCenti: 500 }], bestBid: 4500, bestAsk: 5500 } },
      ]);
      await refused;
      expect(got.find((e) => e.orderReject?.code === kmm.v1.RejectCode.RISK)!.orderReject!.message).toBe('TOTAL_LOSS_OVER_CAP (all events $8.00 > max $3.00)');

      await gw.stop();
      allowance.stop();
      agg.stop();
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  });
});
