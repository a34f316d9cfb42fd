/**
 * The other side of the recorded book reaching our price is not a fill (only passing it is).
 *
 * With quotes that join the touch (kmm_pricing_model=grid), our order sits where the recorded
 * ladder's touch is; when the simulator's liquidity providers re-centre by a tick, the capture
 * shows the level at our price emptied and a resting order of the other side placed at it, with
 * no print. Live, that order was never there: the simulator's LPs are post-only and never rest
 * at or through the other side (our order included), and a venue never shows a locked book. The
 * venue used to fill us at every such tick: `kmm backtest --like` of a 60 s demo on the active
 * profile gave 63 fills against the live run's 4 (60 of them with no print in their market).
 * A print at our price, or the book moving strictly through it, still fills us.
 */
import { describe, expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import { SimVenue, queueModel, QUEUE_MODELS } from '../src/index.js';

const M = 'KXLOCK-26-A';
const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;
const YES = kmm.v1.LegSide.YES;
const NO = kmm.v1.LegSide.NO;
const T0 = 1_790_000_000_000;

/** Others' book: YES bid 0.91 (40), YES ask 0.92 (30: NO bid 0.08); our ask joins the touch at 0.92. */
function venue(model: string): SimVenue {
  const v = new SimVenue(queueModel(model), [{ market: M, priceRanges: [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }], feeType: 'quadratic', feeMultiplierMilli: 1000 }]);
  v.onSnapshot({ market: M, yesBids: [{ price: 9100, countCenti: 4000 }], noBids: [{ price: 800, countCenti: 3000 }, { price: 700, countCenti: 5000 }] }, T0);
  const r = v.place({ market: M, clientOrderId: 'us', side: ASK, price: 9200, countCenti: 200, postOnly: true }, T0 + 10);
  expect(r.ok).toBe(true);
  expect(v.fills).toEqual([]);
  return v;
}

/** The recorded ladder moves up a tick: the asks at 0.92 are pulled, a bid is placed at 0.92 (no print). */
function ladderUp(v: SimVenue, t: number): void {
  v.onDelta({ market: M, leg: NO, price: 800, deltaCenti: -3000 }, T0 + t);
  v.onDelta({ market: M, leg: YES, price: 9200, deltaCenti: 2500 }, T0 + t);
}

/** ... and back down: the bid at 0.92 is pulled, asks return to 0.92. */
function ladderDown(v: SimVenue, t: number): void {
  v.onDelta({ market: M, leg: YES, price: 9200, deltaCenti: -2500 }, T0 + t);
  v.onDelta({ market: M, leg: NO, price: 800, deltaCenti: 3000 }, T0 + t);
}

describe('a recorded order resting at our price on the other side (a locked book) does not fill us', () => {
  for (const model of QUEUE_MODELS) {
    it(`${model}: ladder ticks through the touch we joined give no fill; passing our price does`, () => {
      const v = venue(model);
      let fills = 0;
      for (let i = 0; i < 20; i++) {
        ladderUp(v, 100 + i * 100);
        fills += v.fills.length;
        ladderDown(v, 150 + i * 100);
        fills += v.fills.length;
      }
      expect(fills).toBe(0);
      expect(v.crossingFills).toBe(0);
      expect(v.resting().map((o) => o.remainingCenti)).toEqual([200]);
      expect(v.account(M)!.positionCenti).toBe(0);
      // the market passes our price: a bid at 0.93 over our 0.92 ask would have traded with us
      ladderUp(v, 5000);
      expect(v.fills).toEqual([]);
      v.onDelta({ market: M, leg: YES, price: 9300, deltaCenti: 1000 }, T0 + 5010);
      expect(v.fills.map((f) => [f.side, f.yesPrice, f.countCenti, f.isTaker])).toEqual([[ASK, 9200, 200, false]]);
      expect(v.account(M)!.positionCenti).toBe(-200);
      // counted as a fill of the book crossing us (no print): the backtest says how many of its fills are such
      expect(v.crossingFills).toBe(1);
    });
  }

  it('a print at our price still reaches us once the queue ahead is gone', () => {
    const v = venue('risk-averse');
    ladderUp(v, 100);
    ladderDown(v, 200);
    // the asks ahead of us were pulled at the tick and came back behind us: a taker buying 35 at 0.92 takes ours first
    v.onTrade({ market: M, yesPrice: 9200, countCenti: 3500, takerBookSide: BID, tsMs: T0 + 300 }, T0 + 300);
    expect(v.fills.map((f) => [f.yesPrice, f.countCenti])).toEqual([[9200, 200]]);
  });
});
