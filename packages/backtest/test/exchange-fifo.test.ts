/**
 * The exchange queue model follows every level from the capture's first snapshot (the venue
 * tracks them all for it), so where our order sits among others' orders is the simulator's
 * strict price-time FIFO, fed one order per delta:
 *  - an order that arrived (as one delta) before ours and is cancelled later was ahead of us;
 *  - a cancel that matches no order seen one by one comes out of the snapshot's size (those
 *    orders are the oldest, ahead of everything after them), not from behind us.
 * Before, the model started its FIFO when our order joined (the level as one chunk, an
 * unmatched cancel taken from the tail), so a level the simulator emptied ahead of us kept us
 * deep in the queue in the backtest while the live run's exchange said 0 ahead.
 */
import { describe, expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import { SimVenue, queueModel } from '../src/index.js';

const M = 'KXFIFO-26-A';
const BID = kmm.v1.BookSide.BID;
const YES = kmm.v1.LegSide.YES;
const T0 = 1_790_000_000_000;

function venue(): SimVenue {
  const v = new SimVenue(queueModel('exchange'), [{ market: M, priceRanges: [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }], feeType: 'quadratic', feeMultiplierMilli: 1000 }]);
  // YES bid 0.40: 30 contracts of unseen orders (the snapshot); ask side 0.45
  v.onSnapshot({ market: M, yesBids: [{ price: 4000, countCenti: 3000 }], noBids: [{ price: 5500, countCenti: 2000 }] }, T0);
  return v;
}
const delta = (v: SimVenue, centi: number, t: number): void => v.onDelta({ market: M, leg: YES, price: 4000, deltaCenti: centi }, T0 + t);
const place = (v: SimVenue, t: number): void => {
  const r = v.place({ market: M, clientOrderId: 'us', side: BID, price: 4000, countCenti: 500, postOnly: true }, T0 + t);
  expect(r.ok).toBe(true);
};
/** Our order's queue position, after the venue has handed any held decrease to the model (its next event: one on the other side). */
const ahead = (v: SimVenue, t: number): number => {
  v.onDelta({ market: M, leg: kmm.v1.LegSide.NO, price: 5500, deltaCenti: 100 }, T0 + t);
  return v.resting()[0].aheadCenti;
};

describe('exchange queue model: the FIFO from the first snapshot on', () => {
  it('an order seen arriving before ours and cancelled after it was ahead of us', () => {
    const v = venue();
    delta(v, 1234, 10); // one order of 12.34 joins (before us)
    place(v, 20); // ahead: 30 (snapshot) + 12.34
    expect(ahead(v, 101)).toBe(4234);
    delta(v, 777, 30); // one order behind us
    delta(v, -1234, 40); // the 12.34 cancels: it was ahead
    expect(ahead(v, 102)).toBe(3000);
  });

  it("a cancel of no order seen one by one is the snapshot's (ahead of us), not from behind us", () => {
    const v = venue();
    place(v, 10);
    expect(ahead(v, 103)).toBe(3000);
    delta(v, 2500, 20); // behind us
    delta(v, -1800, 30); // an unseen order of the snapshot's 30
    expect(ahead(v, 104)).toBe(1200);
    delta(v, -1200, 40); // the rest of the snapshot's size
    expect(ahead(v, 105)).toBe(0);
    // a print of 5 at our price now fills us whole
    v.onTrade({ market: M, yesPrice: 4000, countCenti: 500, takerBookSide: kmm.v1.BookSide.ASK, tsMs: T0 + 50 }, T0 + 50);
    expect(v.fills.map((f) => f.countCenti)).toEqual([500]);
  });
});
