/**
 * Matching engine: property tests (no crossed book, conservation of contracts and money incl.
 * fees and rounding, level totals), price-time priority, STP, IOC/FOK, post-only, reduce-only,
 * expiration, order groups, settlement, queue positions and determinism.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SeededRng, SimClock } from '@kmm/shared';
import { Engine } from '../src/engine/engine.js';
import type { BookSide, FillRec } from '../src/engine/types.js';
import { NULL_LISTENER } from '../src/engine/types.js';
import { priceStructureBands, SERIES } from '../src/flow/catalog.js';

const T = 'KXTEST-26JAN01-T1';

function mkEngine(structure = 'linear_cent', series = 'KXNBAGAME', seed = 1) {
  const clock = new SimClock();
  const e = new Engine({ clock, rng: new SeededRng(seed) });
  for (const s of SERIES) e.addSeries(s);
  e.addMarket({
    ticker: T,
    marketId: 'm-1',
    eventTicker: 'KXTEST-26JAN01',
    seriesTicker: series,
    title: 't',
    yesSubTitle: 't',
    priceLevelStructure: structure,
    bands: priceStructureBands(structure),
    openTimeMs: 0,
    closeTimeMs: clock.wallMs() + 86_400_000,
    createdTimeMs: 0,
    settlementTimerS: 600,
    exchangeIndex: 0,
  });
  for (const u of ['a', 'b', 'c']) e.createAccount(u, 1_000_000 * 1_000_000, { keepHistory: true, precisionMicro: u === 'a' ? 10_000 : 1 });
  return { e, clock };
}

function checkInvariants(e: Engine): void {
  const m = e.markets.get(T)!;
  const b = m.book;
  if (b.bestBidIdx >= 0 && b.bestAskIdx >= 0) expect(b.bestBid()).toBeLessThan(b.bestAsk());
  for (let i = 0; i < b.grid.size; i++) {
    let s = 0;
    for (const o of b.bids[i]) s += o.remainingCenti;
    expect(b.bidTotal[i]).toBe(s);
    s = 0;
    for (const o of b.asks[i]) s += o.remainingCenti;
    expect(b.askTotal[i]).toBe(s);
  }
  // contracts: net positions sum to zero; open interest = sum of longs
  let net = 0;
  let longs = 0;
  for (const a of e.accounts.values()) {
    const p = a.positions.get(T)?.positionCenti ?? 0;
    net += p;
    if (p > 0) longs += p;
  }
  expect(net).toBe(0);
  expect(m.openInterestCenti).toBe(longs);
  expect(e.moneyImbalanceMicro()).toBe(0);
}

const opArb = fc.record({
  user: fc.constantFrom('a', 'b', 'c'),
  kind: fc.constantFrom('new', 'new', 'new', 'cancel', 'amend', 'decrease'),
  side: fc.constantFrom<BookSide>('bid', 'ask'),
  priceCents: fc.integer({ min: 30, max: 70 }),
  countCenti: fc.integer({ min: 1, max: 5000 }),
  tif: fc.constantFrom('good_till_canceled' as const, 'immediate_or_cancel' as const, 'fill_or_kill' as const),
  stp: fc.constantFrom('taker_at_cross' as const, 'maker' as const),
  postOnly: fc.boolean(),
  pick: fc.nat(),
});

describe('matching properties', () => {
  it('never leaves a crossed book and conserves contracts and money (fees and rounding included)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 120 }), fc.constantFrom('linear_cent', 'tapered_deci_cent'), (ops, structure) => {
        const { e, clock } = mkEngine(structure);
        for (const op of ops) {
          clock.advanceMs(7);
          const resting = e.restingOrders(op.user);
          if (op.kind === 'new' || resting.length === 0) {
            e.createOrder(op.user, {
              ticker: T,
              side: op.side,
              price: op.priceCents * 100,
              countCenti: op.countCenti,
              tif: op.tif,
              stp: op.stp,
              postOnly: op.postOnly,
            });
          } else {
            const o = resting[op.pick % resting.length];
            if (op.kind === 'cancel') e.cancelOrder(op.user, o.orderId);
            else if (op.kind === 'decrease') e.decreaseOrder(op.user, o.orderId, { reduceByCenti: Math.max(1, Math.floor(o.remainingCenti / 2)) });
            else e.amendOrder(op.user, o.orderId, { ticker: T, side: o.side, price: op.priceCents * 100, countCenti: o.filledCenti + op.countCenti });
          }
          checkInvariants(e);
        }
        // settle and check money again: every contract paid out
        e.settleMarket(T, ops.length % 2 === 0 ? 'yes' : 'no');
        expect(e.markets.get(T)!.openInterestCenti).toBe(0);
        expect(e.moneyImbalanceMicro()).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it('fills resting orders in price-time priority', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ p: fc.integer({ min: 40, max: 45 }), q: fc.integer({ min: 100, max: 900 }) }), { minLength: 2, maxLength: 15 }), (asks) => {
        const { e, clock } = mkEngine();
        const ids: Array<{ id: string; p: number; seq: number }> = [];
        asks.forEach((x, i) => {
          clock.advanceMs(1);
          const r = e.createOrder(i % 2 ? 'b' : 'c', { ticker: T, side: 'ask', price: x.p * 100, countCenti: x.q, tif: 'good_till_canceled', stp: 'maker' });
          if (r.ok) ids.push({ id: r.order.orderId, p: x.p, seq: i });
        });
        const fills: FillRec[] = [];
        e.listener = { ...NULL_LISTENER, onFill: (f) => fills.push(f) };
        e.createOrder('a', { ticker: T, side: 'bid', price: 9900, countCenti: 1_000_000, tif: 'immediate_or_cancel', stp: 'maker' });
        const makerOrder = fills.filter((f) => !f.isTaker).map((f) => f.orderId);
        const expected = [...ids].sort((x, y) => x.p - y.p || x.seq - y.seq).map((x) => x.id);
        expect(makerOrder).toEqual(expected);
        // taker pays each maker's price, never better than its own limit
        for (const f of fills.filter((x) => x.isTaker)) expect(f.price).toBeLessThanOrEqual(9900);
      }),
    );
  });
});

describe('order semantics', () => {
  it('self-trade prevention: taker_at_cross cancels the taker, maker cancels the resting order', () => {
    const { e } = mkEngine();
    const rest = e.createOrder('a', { ticker: T, side: 'ask', price: 5000, countCenti: 500, tif: 'good_till_canceled', stp: 'maker' });
    expect(rest.ok).toBe(true);
    const t1 = e.createOrder('a', { ticker: T, side: 'bid', price: 5000, countCenti: 100, tif: 'good_till_canceled', stp: 'taker_at_cross' });
    if (!t1.ok) throw new Error('expected ok');
    expect(t1.fillCenti).toBe(0);
    expect(t1.order.status).toBe('canceled');
    expect(t1.order.remainingCenti).toBe(0);
    expect(e.markets.get(T)!.book.bestAskSize()).toBe(500);
    const t2 = e.createOrder('a', { ticker: T, side: 'bid', price: 5000, countCenti: 100, tif: 'good_till_canceled', stp: 'maker' });
    if (!t2.ok) throw new Error('expected ok');
    expect(t2.order.status).toBe('resting');
    expect(e.markets.get(T)!.book.bestAskIdx).toBe(-1);
  });

  it('IOC cancels the rest, FOK fills all or nothing, post-only cross is rejected', () => {
    const { e } = mkEngine();
    e.createOrder('b', { ticker: T, side: 'ask', price: 5000, countCenti: 300, tif: 'good_till_canceled', stp: 'maker' });
    const fok = e.createOrder('a', { ticker: T, side: 'bid', price: 5000, countCenti: 400, tif: 'fill_or_kill', stp: 'maker' });
    if (!fok.ok) throw new Error('fok');
    expect(fok.fillCenti).toBe(0);
    const ioc = e.createOrder('a', { ticker: T, side: 'bid', price: 5000, countCenti: 400, tif: 'immediate_or_cancel', stp: 'maker' });
    if (!ioc.ok) throw new Error('ioc');
    expect(ioc.fillCenti).toBe(300);
    expect(ioc.order.remainingCenti).toBe(0);
    expect(ioc.order.status).toBe('canceled');
    e.createOrder('b', { ticker: T, side: 'ask', price: 5100, countCenti: 300, tif: 'good_till_canceled', stp: 'maker' });
    const po = e.createOrder('a', { ticker: T, side: 'bid', price: 5100, countCenti: 100, tif: 'good_till_canceled', stp: 'maker', postOnly: true });
    expect(po.ok).toBe(false);
    if (!po.ok) expect([po.http, po.code, po.details]).toEqual([400, 'invalid_order', 'post only cross']);
  });

  it('reduce-only caps at the position; expiration cancels; insufficient balance; duplicate client id; off-grid price', () => {
    const { e, clock } = mkEngine();
    const r0 = e.createOrder('a', { ticker: T, side: 'ask', price: 5000, countCenti: 100, tif: 'good_till_canceled', stp: 'maker', reduceOnly: true });
    expect(r0.ok).toBe(false);
    e.createOrder('b', { ticker: T, side: 'ask', price: 5000, countCenti: 300, tif: 'good_till_canceled', stp: 'maker' });
    e.createOrder('a', { ticker: T, side: 'bid', price: 5000, countCenti: 200, tif: 'immediate_or_cancel', stp: 'maker' });
    const ro = e.createOrder('a', { ticker: T, side: 'ask', price: 6000, countCenti: 1000, tif: 'good_till_canceled', stp: 'maker', reduceOnly: true });
    if (!ro.ok) throw new Error('ro');
    expect(ro.order.initialCenti).toBe(200);
    const ex = e.createOrder('a', { ticker: T, side: 'bid', price: 4000, countCenti: 100, tif: 'good_till_canceled', stp: 'maker', expirationMs: clock.wallMs() + 1000 });
    if (!ex.ok) throw new Error('ex');
    clock.advanceMs(1500);
    e.tick();
    expect(ex.order.status).toBe('canceled');
    e.createAccount('poor', 100 * 10_000, { keepHistory: true });
    const ib = e.createOrder('poor', { ticker: T, side: 'bid', price: 5000, countCenti: 100_00, tif: 'good_till_canceled', stp: 'maker' });
    expect(!ib.ok && ib.code).toBe('insufficient_balance');
    e.createOrder('c', { ticker: T, side: 'bid', price: 3000, countCenti: 100, tif: 'good_till_canceled', stp: 'maker', clientOrderId: 'x1' });
    const dup = e.createOrder('c', { ticker: T, side: 'bid', price: 3000, countCenti: 100, tif: 'good_till_canceled', stp: 'maker', clientOrderId: 'x1' });
    expect(!dup.ok && [dup.http, dup.code]).toEqual([409, 'order_already_exists']);
    const off = e.createOrder('c', { ticker: T, side: 'bid', price: 3050, countCenti: 100, tif: 'good_till_canceled', stp: 'maker' });
    expect(!off.ok && off.code).toBe('invalid_price');
  });

  it('sub-penny grid accepts 0.001 steps only where the structure allows', () => {
    const { e } = mkEngine('tapered_deci_cent');
    expect(e.createOrder('a', { ticker: T, side: 'bid', price: 510, countCenti: 100, tif: 'good_till_canceled', stp: 'maker' }).ok).toBe(true);
    const mid = e.createOrder('a', { ticker: T, side: 'bid', price: 5010, countCenti: 100, tif: 'good_till_canceled', stp: 'maker' });
    expect(!mid.ok && mid.code).toBe('invalid_price');
  });

  it('a maker fill records the contracts truly ahead of it when its taker arrived (sim-only truth, not on the wire)', () => {
    const { e } = mkEngine();
    e.createOrder('b', { ticker: T, side: 'ask', price: 5100, countCenti: 200, tif: 'good_till_canceled', stp: 'maker' }); // a better level: not ahead at 52c
    e.createOrder('b', { ticker: T, side: 'ask', price: 5200, countCenti: 500, tif: 'good_till_canceled', stp: 'maker' });
    e.createOrder('c', { ticker: T, side: 'ask', price: 5200, countCenti: 300, tif: 'good_till_canceled', stp: 'maker' });
    const ours = e.createOrder('a', { ticker: T, side: 'ask', price: 5200, countCenti: 600, tif: 'good_till_canceled', stp: 'maker' });
    if (!('order' in ours)) throw new Error('not placed');
    e.createOrder('c', { ticker: T, side: 'bid', price: 5200, countCenti: 1_200, tif: 'immediate_or_cancel', stp: 'maker' });
    const fills = e.accounts.get('a')!.fills.filter((f: FillRec) => f.orderId === ours.order.orderId);
    // 1,200 takes 51c's 200, b's 500 at 52c, cancels c's own 300 (self-trade prevention): all 800 were ahead of ours, which fills 500
    expect(fills.map((f) => [f.countCenti, f.queueAheadCenti])).toEqual([[500, 800]]);
    // a second taker: what was left of ours is now at the front
    e.createOrder('b', { ticker: T, side: 'bid', price: 5200, countCenti: 100, tif: 'immediate_or_cancel', stp: 'maker' });
    const again = e.accounts.get('a')!.fills.filter((f: FillRec) => f.orderId === ours.order.orderId);
    expect(again.map((f) => f.queueAheadCenti)).toEqual([800, 0]);
    // the taker's own fill carries no queue figure
    expect(e.accounts.get('c')!.fills.filter((f: FillRec) => f.isTaker).every((f) => f.queueAheadCenti === -1)).toBe(true);
  });

  it('queue position counts contracts ahead at the same price; decrease keeps priority, amend up loses it', () => {
    const { e } = mkEngine();
    const o1 = e.createOrder('b', { ticker: T, side: 'bid', price: 4000, countCenti: 500, tif: 'good_till_canceled', stp: 'maker' });
    const o2 = e.createOrder('c', { ticker: T, side: 'bid', price: 4000, countCenti: 300, tif: 'good_till_canceled', stp: 'maker' });
    const o3 = e.createOrder('a', { ticker: T, side: 'bid', price: 4000, countCenti: 100, tif: 'good_till_canceled', stp: 'maker' });
    if (!o1.ok || !o2.ok || !o3.ok) throw new Error('create');
    expect(e.queuePositionCenti('a', o3.order.orderId)).toBe(800);
    e.decreaseOrder('b', o1.order.orderId, { reduceByCenti: 200 });
    expect(e.queuePositionCenti('a', o3.order.orderId)).toBe(600);
    expect(e.queuePositionCenti('c', o2.order.orderId)).toBe(300);
    e.amendOrder('b', o1.order.orderId, { ticker: T, side: 'bid', price: 4000, countCenti: 1000 });
    expect(e.queuePositionCenti('b', o1.order.orderId)).toBe(400);
    expect(e.queuePositionCenti('a', o3.order.orderId)).toBe(300);
  });

  it('order group triggers at its contracts limit within 15 s, cancels its orders and rejects new ones until reset', () => {
    const { e } = mkEngine();
    const g = e.createOrderGroup('a', 500);
    if ('ok' in g) throw new Error('group');
    const q1 = e.createOrder('a', { ticker: T, side: 'bid', price: 4000, countCenti: 1000, tif: 'good_till_canceled', stp: 'maker', orderGroupId: g.id });
    const q2 = e.createOrder('a', { ticker: T, side: 'ask', price: 6000, countCenti: 1000, tif: 'good_till_canceled', stp: 'maker', orderGroupId: g.id });
    if (!q1.ok || !q2.ok) throw new Error('create');
    e.createOrder('b', { ticker: T, side: 'ask', price: 4000, countCenti: 600, tif: 'immediate_or_cancel', stp: 'maker' });
    expect(g.triggered).toBe(true);
    expect(q1.order.status).toBe('canceled');
    expect(q2.order.status).toBe('canceled');
    const rej = e.createOrder('a', { ticker: T, side: 'bid', price: 4000, countCenti: 100, tif: 'good_till_canceled', stp: 'maker', orderGroupId: g.id });
    expect(rej.ok).toBe(false);
    e.resetOrderGroup('a', g.id);
    expect(e.createOrder('a', { ticker: T, side: 'bid', price: 4000, countCenti: 100, tif: 'good_till_canceled', stp: 'maker', orderGroupId: g.id }).ok).toBe(true);
  });

  it('trading pause keeps cancels, exchange pause refuses everything, cancel_order_on_pause orders go', () => {
    const { e } = mkEngine();
    const keep = e.createOrder('a', { ticker: T, side: 'bid', price: 4000, countCenti: 100, tif: 'good_till_canceled', stp: 'maker' });
    const go = e.createOrder('a', { ticker: T, side: 'bid', price: 3900, countCenti: 100, tif: 'good_till_canceled', stp: 'maker', cancelOnPause: true });
    if (!keep.ok || !go.ok) throw new Error('create');
    e.pauseExchange();
    expect(go.order.status).toBe('canceled');
    expect(keep.order.status).toBe('resting');
    expect(e.cancelOrder('a', keep.order.orderId).ok).toBe(false);
    e.resumeExchange();
    e.pauseTrading();
    expect(e.createOrder('a', { ticker: T, side: 'bid', price: 3900, countCenti: 100, tif: 'good_till_canceled', stp: 'maker' }).ok).toBe(false);
    expect(e.cancelOrder('a', keep.order.orderId).ok).toBe(true);
  });

  it('is deterministic for a seed and a sequence of inputs', () => {
    const run = () => {
      const { e } = mkEngine('linear_cent', 'KXNBAGAME', 42);
      const out: string[] = [];
      e.listener = { ...NULL_LISTENER, onFill: (f) => out.push(`${f.tradeId}|${f.orderId}|${f.price}|${f.countCenti}|${f.feeMoney}`) };
      for (let i = 0; i < 50; i++) {
        e.createOrder(i % 2 ? 'b' : 'c', { ticker: T, side: i % 3 ? 'ask' : 'bid', price: (45 + (i % 10)) * 100, countCenti: 100 + i * 7, tif: 'good_till_canceled', stp: 'maker' });
      }
      return out.join('\n');
    };
    expect(run()).toBe(run());
    expect(run().length).toBeGreaterThan(0);
  });
});
