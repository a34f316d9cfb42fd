/**
 * The risk aggregator: its arithmetic (pure), and against a real nats-server the lease holder
 * writes each gateway's and event's allowance to KV (a gateway's AllowanceWatch reads it), a
 * standby writes nothing, and the aggregator itself trips the kill switch on an account loss
 * cap breach and, after a clear, on a drawdown breach.
 */
import { expect, it, describe } from 'vitest';
import { ONE_DOLLAR, kmm } from '@kmm/shared';
import { eventWorstPc } from '@kmm/exec-worker';
import { aggregateRisk, eventAllowanceKey, figuresSubject, gatewayAllowanceKey, kvToken, RISK_STATE_KEY, type GatewayFigures, type FigureMarket, type RiskLimits } from '../src/core/risk.js';
import { openBuckets } from '../src/shell/buckets.js';
import { LeaseKeeper } from '../src/shell/lease.js';
import { AllowanceWatch, RiskAggregator, type AllowanceValue } from '../src/shell/risk.js';
import { KillWatch, clearKillSwitch, type KillState } from '../src/shell/kill.js';
import { RISK_LEASE_KEY } from '../src/core/subjects.js';
import { describeNats, next, useNatsServer } from './nats.js';

const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;
const USD = ONE_DOLLAR;

function mkt(market: string, event: string, over: Partial<FigureMarket> = {}): FigureMarket {
  return { market, event, exclusive: true, positionCenti: 0, costPriceCenti: 0, realizedMoney: 0, feesMoney: 0, markedMoney: 0, orders: [], ...over };
}

const LIMITS: RiskLimits = { maxTotalLossMoney: 100 * USD, maxEventLossMoney: 40 * USD, maxAccountLossMoney: 50 * USD, maxDrawdownMoney: 30 * USD };

// shard 1: an exclusive event of two ranges, long 10 YES of A at $0.30 and a bid of 10 on B at
// $0.20 (worst: neither wins = $3 + $2 = $5); shard 2: one market, short 20 at $0.60 (worst: YES
// = 20 x $0.40 = $8), realised -$4 (fees $1 inside), marked +$2
function figures(realized2 = -4 * USD, marked2 = 2 * USD): GatewayFigures[] {
  return [
    {
      shard: 1,
      epoch: 3,
      wallMs: 0,
      markets: [
        mkt('EV1-A', 'EV1', { positionCenti: 1000, costPriceCenti: 3000 * 1000 }),
        mkt('EV1-B', 'EV1', { orders: [{ side: BID, price: 2000, remCenti: 1000 }] }),
      ],
    },
    { shard: 2, epoch: 1, wallMs: 0, markets: [mkt('M2', '', { exclusive: false, positionCenti: -2000, costPriceCenti: 6000 * 2000, realizedMoney: realized2, feesMoney: 1 * USD, markedMoney: marked2, orders: [{ side: ASK, price: 9900, remCenti: 100 }] })] },
  ];
}

describe('aggregateRisk', () => {
  it('sums P&L, takes each event worst case from exec event-risk, and splits the free budget', () => {
    const f = figures();
    const v = aggregateRisk(f, LIMITS, 0);
    expect(v).toMatchObject({ realizedMoney: -4 * USD, markedMoney: 2 * USD, feesMoney: 1 * USD, pnlMoney: -2 * USD, peakPnlMoney: 0, drawdownMoney: 2 * USD, breach: '' });
    // the same number exec's own gate computes for those legs
    expect(v.events.find((e) => e.event === 'EV1')!.worstMoney).toBe(Math.ceil(eventWorstPc(f[0].markets, true) / 100));
    expect(v.events.map((e) => [e.event, e.shard, e.worstMoney])).toEqual([
      ['EV1', 1, 5 * USD],
      ['market:M2', 2, 8 * USD + 100],
    ]);
    // budget $100 - $2 lost = $98; free = 98 - 13.01 = 84.99, half each
    const free = 98 * USD - (13 * USD + 100);
    expect(v.gateways).toEqual([
      { shard: 1, pnlMoney: 0, worstMoney: 5 * USD, allowanceMoney: 5 * USD + Math.floor(free / 2) },
      { shard: 2, pnlMoney: -2 * USD, worstMoney: 8 * USD + 100, allowanceMoney: 8 * USD + 100 + Math.floor(free / 2) },
    ]);
    expect(v.gateways[0].allowanceMoney + v.gateways[1].allowanceMoney).toBeLessThanOrEqual(98 * USD);
    // an event's allowance never passes MM_MAX_EVENT_LOSS_USD
    expect(v.events[0].allowanceMoney).toBe(40 * USD);
  });

  it('breaches on the account loss cap and on the drawdown from the peak; the floor keeps allowances above 0', () => {
    const lost = aggregateRisk(figures(-95 * USD, 0), LIMITS, 0);
    expect(lost.breach).toMatch(/^ACCOUNT_LOSS_CAP \(P&L \$-95\.00/);
    // budget spent: each gateway may keep its worst case, nothing more; never 0 (0 = off to exec)
    expect(lost.gateways.map((g) => g.allowanceMoney)).toEqual([5 * USD, 8 * USD + 100]);
    const empty = aggregateRisk([{ shard: 4, epoch: 1, wallMs: 0, markets: [mkt('X', '', { realizedMoney: -200 * USD })] }], LIMITS, 0);
    expect(empty.gateways[0].allowanceMoney).toBe(1);
    const dd = aggregateRisk(figures(10 * USD, 0), LIMITS, 45 * USD);
    expect(dd).toMatchObject({ pnlMoney: 10 * USD, peakPnlMoney: 45 * USD, drawdownMoney: 35 * USD });
    expect(dd.breach).toMatch(/^DRAWDOWN_LIMIT/);
    expect(aggregateRisk(figures(10 * USD, 0), { ...LIMITS, maxDrawdownMoney: 0 }, 45 * USD).breach).toBe('');
    expect(kvToken('KX.A B')).toBe('KX=2eA=20B');
    // the cluster trades 4 shards, 2 reported: each reporter gets a quarter of the free budget
    const four = aggregateRisk(figures().map((f) => ({ ...f, shards: 4 })), LIMITS, 0);
    const free = 98 * USD - (13 * USD + 100);
    expect(four.gateways.map((g) => g.allowanceMoney)).toEqual([5 * USD + Math.floor(free / 4), 8 * USD + 100 + Math.floor(free / 4)]);
  });
});

describeNats('risk aggregator on NATS', () => {
  const fx = useNatsServer();

  it('writes allowances (the lease holder only) that gateways read, and trips the kill switch on a breach', async () => {
    const timing = { leaseMs: 2000, nodeMs: 2000 };
    const C = 'risk1';
    const ncR = await fx.connect();
    const bR = await openBuckets(ncR, C, timing);
    const lease = new LeaseKeeper(bR.leases, RISK_LEASE_KEY, 'risk-a', { leaseMs: timing.leaseMs });
    const acquired = next(lease, 'acquired');
    await lease.start();
    await acquired;
    const agg = new RiskAggregator(ncR, bR.control, C, 'risk-a', LIMITS, () => lease.isLeader);
    let trips = 0;
    agg.on('tripped', () => trips++);
    const errors: Error[] = [];
    agg.on('error', (e: Error) => errors.push(e));
    await agg.start();
    // a standby on another connection hears the same figures and writes nothing
    const ncS = await fx.connect();
    const standby = new RiskAggregator(ncS, (await openBuckets(ncS, C, timing)).control, C, 'risk-b', LIMITS, () => false);
    await standby.start();

    const ncG = await fx.connect();
    const bG = await openBuckets(ncG, C, timing);
    const w1 = new AllowanceWatch(bG.control, 1);
    const w2 = new AllowanceWatch(bG.control, 2);
    const a1 = next<[number]>(w1, 'allowance');
    const a2 = next<[number]>(w2, 'allowance');
    await w1.start();
    await w2.start();
    const kills = new KillWatch(ncG, bG.control, C);
    await kills.start();

    const f = figures();
    ncG.publish(figuresSubject(C, 1), JSON.stringify(f[0]));
    ncG.publish(figuresSubject(C, 2), JSON.stringify(f[1]));
    const [[u1], [u2]] = await Promise.all([a1, a2]);
    const want = aggregateRisk(f, LIMITS, 0);
    expect(u1).toBe(want.gateways[0].allowanceMoney / USD);
    expect(u2).toBe(want.gateways[1].allowanceMoney / USD);
    await agg.settled();
    const ev = (await bG.control.get(eventAllowanceKey('EV1')))!.json<AllowanceValue>();
    expect(ev).toMatchObject({ allowanceUsd: 40, worstUsd: 5 });
    expect((await bG.control.get(gatewayAllowanceKey(1)))!.json<AllowanceValue>().worstUsd).toBe(5);
    await standby.settled();
    expect(standby.view).toBeNull();

    // shard 2 loses $60: the account loss cap ($50) trips the kill switch, by the aggregator
    const killed = next<[KillState]>(kills, 'kill');
    const tripped = next<[KillState]>(agg, 'tripped');
    const lossy = figures(-60 * USD, 0)[1];
    ncG.publish(figuresSubject(C, 2), JSON.stringify(lossy));
    const [[k]] = await Promise.all([killed, tripped]);
    expect(k).toMatchObject({ active: true, byNode: 'risk-a' });
    expect(k.reason).toMatch(/^risk aggregator: ACCOUNT_LOSS_CAP/);
    // the budget the loss left ($100 - $60) reached the gateways
    await agg.settled();
    const after = aggregateRisk([f[0], lossy], LIMITS, 0).gateways[1].allowanceMoney;
    expect(after).toBe(8 * USD + 100 + Math.floor((40 * USD - 13 * USD - 100) / 2));
    expect((await bG.control.get(gatewayAllowanceKey(2)))!.json<AllowanceValue>().allowanceUsd).toBe(after / USD);
    // while the switch is active the aggregator does not trip it again
    const viewed = next(agg, 'view');
    ncG.publish(figuresSubject(C, 2), JSON.stringify({ ...lossy, wallMs: 1 }));
    await viewed;
    await agg.settled();
    expect(trips).toBe(1);

    // cleared; P&L recovers to +$40 (the peak), then falls to +$5: drawdown $35 > $30 trips it again
    const cleared = next(kills, 'clear');
    await clearKillSwitch(bG.control, 'operator', 'resumed');
    await cleared;
    const peaked = new Promise<void>((r) => agg.on('view', (v: { pnlMoney: number }) => v.pnlMoney === 40 * USD && r()));
    ncG.publish(figuresSubject(C, 2), JSON.stringify(figures(40 * USD, 0)[1]));
    await peaked;
    const again = next<[KillState]>(kills, 'kill');
    ncG.publish(figuresSubject(C, 2), JSON.stringify(figures(5 * USD, 0)[1]));
    const [[k2]] = await Promise.all([again]);
    expect(k2.reason).toMatch(/^risk aggregator: DRAWDOWN_LIMIT \(P&L \$5\.00 is \$35\.00 below its peak \$40\.00/);
    await agg.settled();
    // the peak is kept in KV for the next holder
    expect((await bG.control.get(RISK_STATE_KEY))!.json<{ peakPnlMoney: number }>().peakPnlMoney).toBe(40 * USD);
    expect(agg.view!.pnlMoney).toBe(5 * USD);
    expect(trips).toBe(2);
    expect(errors).toEqual([]);

    for (const x of [agg, standby]) x.stop();
    w1.stop();
    w2.stop();
    kills.stop();
    await lease.release();
  });
});
