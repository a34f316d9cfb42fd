/**
 * The scorecard's definitions (src/core/scorecard.ts) on hand-built journals and markets: each
 * figure against the value worked out by hand in the test.
 */
import { describe, expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import { scorecardOf, type JournalRecord, type MarketEvent } from '../src/core/index.js';

const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;
const PLACE = kmm.v1.CommandKind.PLACE;
const RESTING = kmm.v1.OrderStatus.RESTING;
const M = 'M';
const opts = { markets: [M], maxSpreadPrice: 400, minSizeCenti: 100, startMs: 0, endMs: 100_000 };
const fig = { netPnl: 0, feesPaid: 0 };

/** others' book: bid at b (size 1000 contracts), ask at a */
function book(tMs: number, b: number, a: number, size = 100_000): MarketEvent[] {
  return [
    { k: 'reset', tMs, market: M },
    { k: 'level', tMs, market: M, side: BID, price: b, sizeCenti: size },
    { k: 'level', tMs, market: M, side: ASK, price: a, sizeCenti: size },
  ];
}
function place(t: number, coid: string, side: number, price: number, countCenti: number, taker = false): JournalRecord {
  return { k: 'cmd', t, orders: [{ kind: PLACE, market: M, clientOrderId: coid, side, price, countCenti, taker }] };
}
function ack(t: number, coid: string, side: number, price: number, remainingCenti: number, status: number = RESTING): JournalRecord {
  return { k: 'ack', t, kind: PLACE, market: M, coid, oid: 'o' + coid, side, price, remainingCenti, status };
}
function fill(t: number, coid: string, side: number, yesPrice: number, countCenti: number, isTaker = false): JournalRecord {
  return { k: 'fill', t, tradeId: `tr${t}${coid}`, coid, oid: 'o' + coid, market: M, side, yesPrice, countCenti, isTaker, feeMoney: 0 };
}

describe('scorecard definitions', () => {
  it('spread captured and markout loss per side at 1/10/60 s, against others\' mid', () => {
    // mid 50c until 5 s, 48c from 5 s to 20 s, 52c after
    const market = [...book(0, 4900, 5100), ...book(5000, 4700, 4900), ...book(20_000, 5100, 5300)];
    const journal = [place(1000, 'b', BID, 4900, 200), ack(1000, 'b', BID, 4900, 200), fill(4500, 'b', BID, 4900, 200), place(1000, 'a', ASK, 5100, 100), ack(1000, 'a', ASK, 5100, 100), fill(4800, 'a', ASK, 5100, 100)];
    const s = scorecardOf(journal.sort((x, y) => x.t! - y.t!), market, fig, opts);
    // bid fill at 49, mid 50: +1c; ask fill at 51, mid 50: +1c
    expect(s.spreadCapturedCents).toBe(1);
    const [h1, h10, h60] = s.adverseSelection;
    // 1 s later (5.5 s / 5.8 s) the mid is 48: the bid lost 2c, the ask gained 2c (loss -2)
    expect([h1.bid, h1.ask]).toEqual([2, -2]);
    // both: (2 * 2 - 2 * 1) / 3 contracts
    expect(h1.all).toBe(0.67);
    // 10 s later (14.5 s, 14.8 s): still 48
    expect([h10.bid, h10.ask]).toEqual([2, -2]);
    // 60 s later: mid 52: the bid gained 2c, the ask lost 2c
    expect([h60.bid, h60.ask, h60.fills]).toEqual([-2, 2, 2]);
  });

  it('a time-compressed run (timeScale 20): the horizons are market time, h / 20 s of the run clock', () => {
    // the same market and fills as above, mid 48c from 5 s to 20 s, 52c after
    const market = [...book(0, 4900, 5100), ...book(5000, 4700, 4900), ...book(20_000, 5100, 5300)];
    const journal = [place(1000, 'b', BID, 4900, 200), ack(1000, 'b', BID, 4900, 200), fill(4500, 'b', BID, 4900, 200)];
    const s = scorecardOf(journal, market, fig, { ...opts, timeScale: 20 });
    const [h1, h10, h60] = s.adverseSelection;
    // 1 s of market = 50 ms of run: 4.55 s, the mid still 50: no loss
    expect(h1.bid).toBe(0);
    // 10 s of market = 0.5 s: 5.0 s, the mid 48: lost 2c
    expect(h10.bid).toBe(2);
    // 60 s of market = 3 s: 7.5 s, still 48 (the real-time reading, 64.5 s, saw 52: a gain)
    expect(h60.bid).toBe(2);
    expect(s.timeScale).toBe(20);
    expect(scorecardOf(journal, market, fig, opts).timeScale).toBe(1);
  });

  it('fills too close to the end or without a mid are left out', () => {
    const market = book(0, 4900, 5100);
    const journal = [place(0, 'b', BID, 4900, 100), ack(0, 'b', BID, 4900, 100), fill(95_000, 'b', BID, 4900, 100)];
    const s = scorecardOf(journal, market, fig, opts);
    expect(s.adverseSelection.map((r) => [r.fills, r.leftOut])).toEqual([[1, 0], [0, 1], [0, 1]]);
  });

  it('net P&L and fees per contract, fill rate', () => {
    const market = book(0, 4900, 5100);
    const journal = [place(0, 'b', BID, 4900, 400), ack(0, 'b', BID, 4900, 400), fill(10, 'b', BID, 4900, 100)];
    const s = scorecardOf(journal, market, { netPnl: 0.05, feesPaid: 0.02 }, opts);
    expect(s.netPnlPerContractCents).toBe(5);
    expect(s.feesPerContractCents).toBe(2);
    expect(s.fillRate).toBe(0.25);
  });

  it('share of quoting time at the touch, per side', () => {
    const market = book(0, 4900, 5100);
    // bid at the touch (49) from 0 to 50 s, behind (48) from 50 to 100 s; ask at 52 (behind) all along
    const journal = [ack(0, 'b', BID, 4900, 100), ack(0, 'a', ASK, 5200, 100), ack(50_000, 'b', BID, 4800, 100)];
    const s = scorecardOf(journal, market, fig, opts);
    expect(s.atTouchBidPct).toBe(50);
    expect(s.atTouchAskPct).toBe(0);
    expect(s.atTouchPct).toBe(25);
    // the book is 2c wide all along: every moment counts as a 1-2c book
    expect(s.atTouchTightPct).toBe(25);
  });

  it('at the touch on 1-2c books only: time on a wider book is left out', () => {
    // a 2c book (49/51) for 50 s, then a 4c book (48/52) for 50 s; our bid at the others' best all along
    const market = [...book(0, 4900, 5100), ...book(50_000, 4800, 5200)];
    const journal = [ack(0, 'b', BID, 4900, 100), ack(0, 'a', ASK, 5300, 100), ack(50_000, 'b', BID, 4800, 100)];
    const s = scorecardOf(journal, market, fig, { ...opts, endMs: 100_000 });
    // bid: at the touch all 100 s; ask (53c) never; on the 2c book (0-50 s): 50 s bid at the touch of 100 s quoting
    expect(s.atTouchBidPct).toBe(100);
    expect(s.atTouchTightPct).toBe(50);
  });

  it('two-sided uptime within the max spread and min size', () => {
    const market = book(0, 4800, 5200);
    // 0-20 s: bid 49 / ask 52 (3c, 1 contract each): counts; 20-40 s: ask 54 (5c > 4c): does not;
    // 40-60 s: ask 52 with 0.5 contract: does not; 60-100 s: ask cancelled: does not
    const journal = [ack(0, 'b', BID, 4900, 100), ack(0, 'a', ASK, 5200, 100), ack(20_000, 'a', ASK, 5400, 100), ack(40_000, 'a', ASK, 5200, 50), ack(60_000, 'a', ASK, 5200, 0, kmm.v1.OrderStatus.CANCELED)];
    const s = scorecardOf(journal, market, fig, opts);
    expect(s.twoSidedUptimePct).toBe(20);
  });

  it('queue ahead at fill: others at our price when we joined, less trades on our side, capped by their size', () => {
    const market: MarketEvent[] = [
      ...book(0, 4900, 5100, 1000),
      { k: 'trade', tMs: 2000, market: M, price: 4900, countCenti: 300, hitSide: BID },
      { k: 'trade', tMs: 2500, market: M, price: 4900, countCenti: 999, hitSide: ASK }, // the other side: not ahead of our bid
      { k: 'level', tMs: 3000, market: M, side: BID, price: 4900, sizeCenti: 500 }, // cancels: at most 5 ahead now
    ];
    const journal = [ack(1000, 'b', BID, 4900, 100), fill(2600, 'b', BID, 4900, 10), fill(4000, 'b', BID, 4900, 10)];
    const s = scorecardOf(journal, market, fig, opts);
    // at the first fill: 1000 - 300 = 700 centi; at the second: min(700, 500) = 500: mean 6 contracts
    expect(s.queueAheadAtFill).toEqual({ estimated: 6, actual: null, fills: 2, actualFills: 0 });
    // the simulator's truth for one of the two fills (by trade id): the mean of those that have it
    const sim = scorecardOf(journal, market, fig, { ...opts, queueAheadActual: new Map([['tr2600b', 800]]) });
    expect(sim.queueAheadAtFill).toEqual({ estimated: 6, actual: 8, fills: 2, actualFills: 1 });
  });

  it('effective spread paid on takers against the mid, with 001\'s target and failure', () => {
    const market = book(0, 4900, 5100);
    const ok = scorecardOf([fill(10, 't', BID, 5100, 100, true)], market, fig, opts);
    expect([ok.takerEffectiveSpreadCents, ok.takerEffectiveSpreadStatus]).toEqual([1, 'target']);
    const bad = scorecardOf([fill(10, 't', ASK, 4400, 100, true)], market, fig, opts);
    expect([bad.takerEffectiveSpreadCents, bad.takerEffectiveSpreadStatus]).toEqual([6, 'failure']);
    expect(bad.spreadCapturedCents).toBeNull();
  });

  it('refuses a bad obligation', () => {
    expect(() => scorecardOf([], [], fig, { ...opts, maxSpreadPrice: 0 })).toThrow(/maxSpreadPrice/);
  });
});
