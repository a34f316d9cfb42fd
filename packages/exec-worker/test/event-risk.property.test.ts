/**
 * Event-level risk (event-risk.ts), properties:
 *  - for any positions and resting orders in a mutually exclusive event, the computed worst-case
 *    loss equals a brute-force payoff table's: every outcome (each market winning, none of them)
 *    times every subset of resting orders filling, the P&L settled from scratch; for a
 *    non-exclusive event every combination of YES/NO per market;
 *  - the room per side is exactly the largest order the gate accepts;
 *  - ExecCore never sends an order that takes an exclusive event's worst case past
 *    MM_MAX_EVENT_LOSS_USD (orders that do not raise it may go out): random targets and fills
 *    across the event's markets, the worst case recomputed by brute force from what exec sent.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { kmm, ONE_DOLLAR } from '@kmm/shared';
import { eventWorstPc, riskOrderOf, roomCenti, type EventExposure, type EventLeg, type RiskOrder } from '../src/core/event-risk.js';
import { ExecCore } from '../src/index.js';
import { ackAll, cmds, params } from './helpers.js';

const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;

/** Brute force: max over outcomes and fill subsets of -(P&L), pc units (price x centi). */
function bruteWorstPc(legs: EventLeg[], exclusive: boolean): number {
  const orders: { leg: number; o: RiskOrder }[] = [];
  legs.forEach((l, i) => l.orders.forEach((o) => orders.push({ leg: i, o })));
  // outcomes: settle price per leg
  const outcomes: number[][] = [];
  if (exclusive) {
    for (let k = 0; k <= legs.length; k++) outcomes.push(legs.map((_, i) => (i === k ? ONE_DOLLAR : 0)));
  } else {
    for (let mask = 0; mask < 1 << legs.length; mask++) outcomes.push(legs.map((_, i) => (mask & (1 << i) ? ONE_DOLLAR : 0)));
  }
  let worst = -Infinity;
  for (const settle of outcomes) {
    for (let fills = 0; fills < 1 << orders.length; fills++) {
      let pnl = 0;
      legs.forEach((l, i) => {
        // a long paid its cost and receives the settlement; a short received its cost and pays it
        pnl += l.positionCenti >= 0 ? settle[i] * l.positionCenti - l.costPriceCenti : l.costPriceCenti - settle[i] * -l.positionCenti;
      });
      orders.forEach(({ leg, o }, j) => {
        if (!(fills & (1 << j))) return;
        pnl += o.side === BID ? (settle[leg] - o.price) * o.remCenti : (o.price - settle[leg]) * o.remCenti;
      });
      worst = Math.max(worst, 0 - pnl);
    }
  }
  return worst;
}

const priceArb = fc.integer({ min: 1, max: 99 }).map((c) => c * 100);
const orderArb = fc.record({ side: fc.constantFrom(BID, ASK), price: priceArb, remCenti: fc.integer({ min: 1, max: 2000 }) });
const legArb = fc
  .record({ q: fc.integer({ min: -3000, max: 3000 }), avg: priceArb, orders: fc.array(orderArb, { maxLength: 2 }) })
  .map(({ q, avg, orders }) => ({ market: '', positionCenti: q, costPriceCenti: Math.abs(q) * avg, orders }));
const legsArb = fc.array(legArb, { minLength: 1, maxLength: 4 }).map((ls) => ls.map((l, i) => ({ ...l, market: `M${i}` })));

describe('event worst case = brute-force payoff table', () => {
  it('mutually exclusive event: every outcome including none of the listed, every fill subset', () => {
    fc.assert(
      fc.property(legsArb, (legs) => {
        expect(eventWorstPc(legs, true)).toBe(bruteWorstPc(legs, true));
      }),
      { numRuns: 100 },
    );
  });

  it('independent markets: the sum of per-market worst cases (every YES/NO combination)', () => {
    fc.assert(
      fc.property(legsArb, (legs) => {
        expect(eventWorstPc(legs, false)).toBe(bruteWorstPc(legs, false));
      }),
      { numRuns: 300 },
    );
  });

  it('the room is the largest order whose worst case stays within the limit', () => {
    fc.assert(
      fc.property(legsArb, fc.boolean(), fc.nat(), fc.constantFrom(BID, ASK), priceArb, fc.integer({ min: 0, max: 200_000 * 100 }), (legs, exclusive, kk, side, price, extraPc) => {
        const k = kk % legs.length;
        const limit = eventWorstPc(legs, exclusive) + extraPc;
        const room = roomCenti(legs, exclusive, k, side, price, limit);
        const withOrder = (n: number) => legs.map((l, i) => (i === k ? { ...l, orders: [...l.orders, { side, price, remCenti: n }] } : l));
        if (room === Infinity) return;
        expect(eventWorstPc(withOrder(room), exclusive)).toBeLessThanOrEqual(limit);
        expect(eventWorstPc(withOrder(room + 1), exclusive)).toBeGreaterThan(limit);
      }),
      { numRuns: 300 },
    );
  });
});

// ------------------------------------------------------------------ exec never passes the cap

const EVENT = 'KXEVT-26JAN01';
const MARKETS = [`${EVENT}-A`, `${EVENT}-B`, `${EVENT}-C`];
const CAP_MONEY = 20 * 10_000; // $20

function eventCore(): ExecCore {
  const p = params({ maxEventLossMoney: CAP_MONEY, maxTotalLossMoney: 0, maxTotalNotionalMoney: 0, maxPositionNotionalMoney: 1e12, maxOrderNotionalMoney: 1e12 });
  const infos = MARKETS.map((market) => ({ market, eventTicker: EVENT, mutuallyExclusive: true, status: kmm.v1.MarketStatus.MARKET_ACTIVE, priceRanges: [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }] }));
  const core = new ExecCore(p, { runId: 'ev', markets: infos, nowMs: 0 });
  core.start(0);
  core.onSnapshot({ requestedAtMs: 0, orders: [], positions: [], fills: [] }, 0);
  core.onOrderGroup('og-1', 0);
  for (const m of MARKETS) core.onTrust({ market: m, state: kmm.v1.TrustState.TRUSTED }, 0);
  return core;
}

/** The event's legs from exec's bookkeeping (positions, live orders; an amend in flight at its worse state). */
function legsOf(core: ExecCore): EventLeg[] {
  return MARKETS.map((market) => {
    const pos = core.bk.positions.get(market);
    const mo = core.bk.markets.get(market);
    const orders: RiskOrder[] = [];
    for (const o of mo ? [...mo.bids, ...mo.asks, ...mo.others] : []) {
      const r = o ? riskOrderOf(o) : null;
      if (r) orders.push(r);
    }
    return { market, positionCenti: pos?.positionCenti ?? 0, costPriceCenti: pos?.costPriceCenti ?? 0, orders };
  });
}

const stepArb = fc.record({
  market: fc.integer({ min: 0, max: 2 }),
  bid: fc.integer({ min: 0, max: 98 }),
  spread: fc.integer({ min: 1, max: 10 }),
  sizeCenti: fc.integer({ min: 1, max: 60 }).map((c) => c * 100),
  fill: fc.option(fc.record({ side: fc.constantFrom(BID, ASK), frac: fc.integer({ min: 1, max: 100 }) }), { nil: undefined }),
});

describe('exec never sends an order past MM_MAX_EVENT_LOSS_USD', () => {
  it('random targets and fills across an exclusive event', () => {
    let seq = 0;
    let refusedTotal = 0;
    let sentTotal = 0;
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 5, maxLength: 40 }), (steps) => {
        const core = eventCore();
        let t = 1;
        const capPc = CAP_MONEY * 100;
        let refused = 0;
        for (const s of steps) {
          const market = MARKETS[s.market];
          const bid = s.bid ? s.bid * 100 : 0;
          const ask = Math.min(99, s.bid + s.spread) * 100;
          const before = bruteWorstPc(legsOf(core), true);
          const fx = core.onTargets({ market, levels: [...(bid ? [{ side: BID, level: 0, price: bid, countCenti: s.sizeCenti }] : []), { side: ASK, level: 0, price: ask, countCenti: s.sizeCenti }], bestBid: bid, bestAsk: ask }, t++);
          refused += fx.out.filter((o) => /EVENT_LOSS_OVER_CAP/.test(o.body.orderReject?.message ?? '')).length;
          sentTotal += cmds(fx).length;
          // the in-place worst case (the hot path) equals the table of the legs, amends in flight included
          const ev = (core as unknown as { events: EventExposure }).events;
          for (const g of ev.groups().values()) expect(ev.worstPc(g)).toBe(eventWorstPc(ev.legs(g), g.exclusive));
          for (const c of cmds(fx)) {
            // the orders just sent are in the bookkeeping (pending): the worst case with them
            const after = bruteWorstPc(legsOf(core), true);
            expect(after <= capPc || after <= before, `worst ${after} > cap ${capPc} (before ${before})`).toBe(true);
            core.onCommandResult(ackAll(c), t++);
          }
          if (s.fill) {
            const mo = core.bk.marketOrders(market);
            const o = (s.fill.side === BID ? mo.bids : mo.asks)[0];
            if (o && o.orderId && riskOrderOf(o)) {
              const rem = o.totalCenti - o.filledCenti;
              const n = Math.max(1, Math.floor((rem * s.fill.frac) / 100));
              const pos = core.bk.position(market).positionCenti + (o.side === BID ? n : -n);
              core.onFill({ tradeId: `T${++seq}`, orderId: o.orderId, market, side: o.side, yesPrice: o.price, countCenti: n, postPositionCenti: pos }, t++, 'ws');
            }
          }
          // (no bound after a fill: a fill that reduces a position banks its P&L, which leaves the
          // table of the open position; the cap bounds what exec sends, checked above)
        }
        refusedTotal += refused;
      }),
      { numRuns: 100 },
    );
    // the runs reach the cap (refusals) and trade below it (orders sent)
    expect(refusedTotal).toBeGreaterThan(0);
    expect(sentTotal).toBeGreaterThan(100);
  });

  it('the room exec reports is what the gate accepts: an order of room + 1 is refused', () => {
    const core = eventCore();
    // long 30 YES of A at 0.50: loss under B, C or none is $15; a bid on B at 0.40 adds $0.40 a
    // contract under A, C and none: $5 left of the $20 cap -> 12.5 contracts, priced at B's
    // opposite touch (0.41): floor(5 / 0.41) = 12.19
    const a = MARKETS[0];
    const fx = core.onTargets({ market: a, levels: [{ side: BID, level: 0, price: 5000, countCenti: 3000 }], bestBid: 5000, bestAsk: 5100 }, 1);
    const c = cmds(fx)[0];
    core.onCommandResult(ackAll(c), 2);
    const o = core.bk.marketOrders(a).bids[0]!;
    // B's target first (no order: an empty level), so exec knows B's touch; then A's fill
    // reports B's room too (an event's markets are reported together)
    core.onTargets({ market: MARKETS[1], levels: [], bestBid: 4000, bestAsk: 4100 }, 3);
    const fill = core.onFill({ tradeId: 'F1', orderId: o.orderId, market: a, side: BID, yesPrice: 5000, countCenti: 3000, postPositionCenti: 3000 }, 3, 'ws');
    const wo = fill.out.filter((x) => x.peer === 'strategy' && x.body.workingOrders?.market === MARKETS[1]).at(-1)?.body.workingOrders;
    expect(wo?.roomBidCenti).toBe(1219);
    const fxB = core.onTargets({ market: MARKETS[1], levels: [{ side: BID, level: 0, price: 4000, countCenti: 1300 }], bestBid: 4000, bestAsk: 4100 }, 4);
    expect(cmds(fxB)).toHaveLength(0);
    expect(fxB.out.find((x) => x.body.orderReject)?.body.orderReject?.message).toMatch(/^EVENT_LOSS_OVER_CAP \(event KXEVT-26JAN01 worst case \$20\.20 > max \$20\.00\)$/);
    // 12 contracts at 0.40 fit; selling A (reducing the worst case) always passes
    expect(cmds(core.onTargets({ market: MARKETS[1], levels: [{ side: BID, level: 0, price: 4000, countCenti: 1200 }], bestBid: 4000, bestAsk: 4100 }, 5))).toHaveLength(1);
    expect(cmds(core.onTargets({ market: a, levels: [{ side: ASK, level: 0, price: 5100, countCenti: 3000 }], bestBid: 5000, bestAsk: 5100 }, 6))).toHaveLength(1);
  });
});

describe('exec never sends an order past MM_MAX_TOTAL_LOSS_USD (several events, several orders per pump)', () => {
  // two exclusive events of two markets and a market of its own; targets of 1-3 markets land in
  // one pump, so each pre-flight check sees the orders queued before it (event-risk.ts pumpTotalPc)
  const EVENTS: Array<{ key: string; exclusive: boolean; markets: string[] }> = [
    { key: 'KXE1-26JAN01', exclusive: true, markets: ['KXE1-26JAN01-A', 'KXE1-26JAN01-B'] },
    { key: 'KXE2-26JAN01', exclusive: true, markets: ['KXE2-26JAN01-C', 'KXE2-26JAN01-D'] },
    { key: 'KXSOLO-26JAN01', exclusive: false, markets: ['KXSOLO-26JAN01-X'] },
  ];
  const ALL = EVENTS.flatMap((e) => e.markets);
  const TOTAL_CAP = 30 * 10_000; // $30
  const legsOfEvent = (core: ExecCore, markets: string[]): EventLeg[] =>
    markets.map((market) => {
      const pos = core.bk.positions.get(market);
      const mo = core.bk.markets.get(market);
      const orders: RiskOrder[] = [];
      for (const o of mo ? [...mo.bids, ...mo.asks, ...mo.others] : []) {
        const r = o ? riskOrderOf(o) : null;
        if (r) orders.push(r);
      }
      return { market, positionCenti: pos?.positionCenti ?? 0, costPriceCenti: pos?.costPriceCenti ?? 0, orders };
    });
  const totalWorst = (core: ExecCore): number => EVENTS.reduce((s, e) => s + Math.max(0, bruteWorstPc(legsOfEvent(core, e.markets), e.exclusive)), 0);
  const pumpArb = fc.array(fc.record({ market: fc.integer({ min: 0, max: ALL.length - 1 }), bid: fc.integer({ min: 1, max: 97 }), spread: fc.integer({ min: 1, max: 5 }), sizeCenti: fc.integer({ min: 1, max: 40 }).map((c) => c * 100) }), { minLength: 1, maxLength: 3 });

  it('random targets, 1-3 markets per pump', () => {
    let refusedTotal = 0;
    let sentTotal = 0;
    fc.assert(
      fc.property(fc.array(pumpArb, { minLength: 3, maxLength: 20 }), (pumps) => {
        const p = params({ maxEventLossMoney: 0, maxTotalLossMoney: TOTAL_CAP, maxTotalNotionalMoney: 0, maxPositionNotionalMoney: 1e12, maxOrderNotionalMoney: 1e12 });
        const infos = EVENTS.flatMap((e) => e.markets.map((market) => ({ market, eventTicker: e.key, mutuallyExclusive: e.exclusive, status: kmm.v1.MarketStatus.MARKET_ACTIVE, priceRanges: [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }] })));
        const core = new ExecCore(p, { runId: 'tot', markets: infos, nowMs: 0 });
        core.start(0);
        core.onSnapshot({ requestedAtMs: 0, orders: [], positions: [], fills: [] }, 0);
        core.onOrderGroup('og-1', 0);
        for (const m of ALL) core.onTrust({ market: m, state: kmm.v1.TrustState.TRUSTED }, 0);
        let t = 1;
        for (const targets of pumps) {
          const before = totalWorst(core);
          for (const s of targets) {
            const ask = Math.min(99, s.bid + s.spread) * 100;
            const fx = core.onTargets({ market: ALL[s.market], levels: [{ side: BID, level: 0, price: s.bid * 100, countCenti: s.sizeCenti }, { side: ASK, level: 0, price: ask, countCenti: s.sizeCenti }], bestBid: s.bid * 100, bestAsk: ask }, t, undefined, false);
            refusedTotal += fx.out.filter((o) => /TOTAL_LOSS_OVER_CAP/.test(o.body.orderReject?.message ?? '')).length;
          }
          const fx = core.pumpTargets(t++);
          refusedTotal += fx.out.filter((o) => /TOTAL_LOSS_OVER_CAP/.test(o.body.orderReject?.message ?? '')).length;
          const sent = cmds(fx);
          sentTotal += sent.length;
          const after = totalWorst(core);
          expect(after <= TOTAL_CAP * 100 || after <= before, `total worst ${after} > cap ${TOTAL_CAP * 100} (before ${before})`).toBe(true);
          for (const c of sent) core.onCommandResult(ackAll(c), t++);
        }
      }),
      { numRuns: 100 },
    );
    expect(refusedTotal).toBeGreaterThan(0);
    expect(sentTotal).toBeGreaterThan(100);
  });
});
