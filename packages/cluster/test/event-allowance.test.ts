/**
 * Event allowances on the hot path, end to end against a real nats-server: the real exec actor
 * (paper venue) as the gateway of shard 1 publishes its figures; the risk aggregator writes
 * allowance.event.<event> for each event; the gateway's EventAllowanceWatch (its shard's events
 * only) hands them to exec, whose pre-flight then refuses an order past the event's allowance
 * with EVENT_LOSS_OVER_ALLOWANCE (exec's static MM_MAX_EVENT_LOSS_USD and its shard allowance
 * would both have let it pass).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { kmm, resolveConfig, ONE_DOLLAR } from '@kmm/shared';
import { openBuckets } from '../src/shell/buckets.js';
import { ExecGatewayHost } from '../src/shell/exec-host.js';
import { GatewayController, gatewayActor } from '../src/shell/gateway.js';
import { AllowanceWatch, EventAllowanceWatch, RiskAggregator } from '../src/shell/risk.js';
import { eventAllowanceKey, eventKeyOf } from '../src/core/risk.js';
import { NatsTransport } from '../src/shell/transport.js';
import { describeNats, next, serveInbox, useNatsServer } from './nats.js';

const EVENT = 'KXEVA-26JAN01';
const MKT = `${EVENT}-T50`;
const SOLO = 'KXSOLO-26JAN01-T50';

describeNats('event allowances reach exec', () => {
  const fx = useNatsServer();

  it('aggregator -> KV allowance.event.<event> -> the gateway of its shard -> exec pre-flight', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'kmm-evt-alw-'));
    try {
      const timing = { leaseMs: 2000, nodeMs: 2000 };
      const ncG = await fx.connect();
      const ncS = await fx.connect();
      const ncR = await fx.connect();
      const tg = new NatsTransport(ncG, 'ea');
      const ts = new NatsTransport(ncS, 'ea');
      const { got, arrives } = serveInbox(ts, 'strategy.s1');
      await ncS.flush();

      // the account may lose $3 in all, one event at most $2.50: the event's allowance is
      // min($2.50, its worst case + the free budget) and binds before the shard's $3
      const agg = new RiskAggregator(ncR, (await openBuckets(ncR, 'ea', timing)).control, 'ea', 'risk-a', { maxTotalLossMoney: 3 * ONE_DOLLAR, maxEventLossMoney: 2.5 * ONE_DOLLAR, maxAccountLossMoney: 0, maxDrawdownMoney: 0 }, () => true);
      await agg.start();

      const grid = { status: kmm.v1.MarketStatus.MARKET_ACTIVE, priceRanges: [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }] };
      const markets = [{ market: MKT, eventTicker: EVENT, ...grid }, { market: SOLO, ...grid }];
      let eventAllowancesIn = (): void => undefined;
      const received = new Promise<void>((r) => (eventAllowancesIn = r));
      const host = new ExecGatewayHost({
        transport: tg,
        natsUrl: fx.server.url,
        shard: 1,
        routeOf: (m) => (m === MKT || m === SOLO ? 'strategy.s1' : null),
        allRoutes: () => ['strategy.s1'],
        extra: { paper: true, runDir, markets },
        // exec got a set of both events of the shard (the only such set has EVENT at $2.50: before
        // its orders, the event is not in the figures at all)
        onOps: (ev) => {
          if (ev.event === 'exec_event_allowances' && (JSON.parse(ev.json) as { events: number }).events === 2) eventAllowancesIn();
        },
        // exec's own caps are far away: only the allowances can bind
        config: resolveConfig({ kmm_shards: 1, kmm_tape_interval_ms: 50, MM_MAX_TOTAL_LOSS_USD: 10_000, MM_MAX_EVENT_LOSS_USD: 10_000, MM_MAX_POS: 100, rebalance_threshold: 0 }) as unknown as Record<string, unknown>,
      });
      const bG = await openBuckets(ncG, 'ea', timing);
      const allowance = new AllowanceWatch(bG.control, 1);
      allowance.on('allowance', (usd: number) => host.setAllowanceUsd(usd));
      await allowance.start();
      // the gateway's events: exec's keys of its shard's markets (SOLO has no event ticker)
      const events = new EventAllowanceWatch(bG.control, markets.map((m) => eventKeyOf(m.market, m.eventTicker)));
      events.on('allowances', (usd: Map<string, number>) => host.setEventAllowancesUsd(usd));
      await events.start();
      // an event of another shard: written to KV, never handed to this gateway's exec
      await bG.control.put(eventAllowanceKey('KXOTHER-26JAN01'), JSON.stringify({ allowanceUsd: 1, worstUsd: 0, wallMs: Date.now() }));
      const gw = new GatewayController(ncG, tg, bG, 1, 'gw-a', host);
      const active = next(gw, 'active');
      await gw.start();
      await active;

      // 5 YES bid at $0.40 and 5 ask at $0.60: the event's worst case is $2 either way
      const resting = arrives((e) => e.workingOrders?.market === MKT && (e.workingOrders.orders?.length ?? 0) === 2);
      ts.send('strategy.s1', gatewayActor(1), [
        { connection: { kind: kmm.v1.ConnectionEvent.Kind.CONNECTED } },
        { marketTrust: { market: MKT, state: kmm.v1.TrustState.TRUSTED } },
        { targetQuotes: { market: MKT, levels: [{ side: kmm.v1.BookSide.BID, level: 0, price: 4000, countCenti: 500 }, { side: kmm.v1.BookSide.ASK, level: 0, price: 6000, countCenti: 500 }], bestBid: 4500, bestAsk: 5500 } },
      ]);
      await resting;
      // the aggregator's view: the event's $2 worst case + the $1 left of the budget, capped at
      // $2.50; SOLO (an event of its own, nothing at risk) gets the free $1; KXOTHER is not ours
      await received;
      expect(events.usd).toEqual(new Map([[EVENT, 2.5], [eventKeyOf(SOLO), 1]]));
      const kv = await bG.control.get(eventAllowanceKey(EVENT));
      expect(kv?.json<{ allowanceUsd: number; worstUsd: number }>()).toMatchObject({ allowanceUsd: 2.5, worstUsd: 2 });

      // a bid of 20 (worst case $8) is refused by the event's allowance, with its own code
      const refused = arrives((e) => e.orderReject?.market === MKT && e.orderReject.code === kmm.v1.RejectCode.EVENT_LOSS_OVER_ALLOWANCE);
      ts.send('strategy.s1', gatewayActor(1), [
        { targetQuotes: { market: MKT, levels: [{ side: kmm.v1.BookSide.BID, level: 0, price: 4000, countCenti: 2000 }, { side: kmm.v1.BookSide.ASK, level: 0, price: 6000, countCenti: 500 }], bestBid: 4500, bestAsk: 5500 } },
      ]);
      await refused;
      expect(got.find((e) => e.orderReject?.code === kmm.v1.RejectCode.EVENT_LOSS_OVER_ALLOWANCE)!.orderReject!.message).toBe(`EVENT_LOSS_OVER_ALLOWANCE (event ${EVENT} worst case $8.00 > allowance $2.50)`);

      await gw.stop();
      events.stop();
      allowance.stop();
      agg.stop();
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  });
});
