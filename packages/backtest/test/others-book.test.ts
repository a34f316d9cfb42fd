/**
 * OthersBook: the recorded run's own orders out of a recorded book, with tags (Kalshi tags the
 * deltas our account caused) and without (only user_order frames say what is ours), and the
 * book's sequence numbers kept gapless.
 */
import { describe, expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import type { Frame } from '@kmm/ingest-worker/core';
import { OthersBook } from '../src/index.js';

const M = 'KXOWN-26-A';
const BID = kmm.v1.BookSide.BID;
const YES = kmm.v1.LegSide.YES;
const NO = kmm.v1.LegSide.NO;
const RESTING = kmm.v1.OrderStatus.RESTING;
const CANCELED = kmm.v1.OrderStatus.CANCELED;

let seq = 0;
const snap = (yes: Array<[number, number]>, no: Array<[number, number]>): Frame => {
  seq = 1;
  return { kind: 'snapshot', sid: 1, seq, tsMs: 0, market: M, body: { market: M, yesBids: yes.map(([price, countCenti]) => ({ price, countCenti })), noBids: no.map(([price, countCenti]) => ({ price, countCenti })), sid: 1, seq } };
};
const delta = (leg: number, price: number, deltaCenti: number, clientOrderId = ''): Frame => {
  seq++;
  return { kind: 'delta', sid: 1, seq, tsMs: 0, market: M, body: { market: M, leg, price, deltaCenti, clientOrderId, sid: 1, seq } };
};
const userOrder = (id: string, side: number, price: number, remainingCenti: number, status = RESTING, clientOrderId = ''): Frame => ({ kind: 'user_order', sid: 4, tsMs: 0, market: M, body: { market: M, orderId: id, clientOrderId, side, price, remainingCenti, status } });
const fill = (id: string, side: number, yesPrice: number, countCenti: number, clientOrderId = ''): Frame => ({ kind: 'fill', sid: 3, tsMs: 0, market: M, body: { market: M, orderId: id, clientOrderId, side, yesPrice, countCenti, isTaker: false } });

/** Applies the frames out to a plain book (leg key -> size) and checks the sequence has no gap. */
class Replica {
  readonly levels = new Map<string, number>();
  lastSeq = 0;
  apply(out: Frame[]): void {
    for (const f of out) {
      if (f.kind === 'snapshot') {
        this.levels.clear();
        for (const l of f.body.yesBids ?? []) this.levels.set(`Y${l.price}`, Number(l.countCenti));
        for (const l of f.body.noBids ?? []) this.levels.set(`N${l.price}`, Number(l.countCenti));
        this.lastSeq = f.seq;
      } else if (f.kind === 'delta') {
        expect(f.seq).toBe(this.lastSeq + 1);
        expect(f.body.seq).toBe(f.seq);
        expect(f.body.clientOrderId ?? '').toBe('');
        this.lastSeq = f.seq;
        const k = `${f.body.leg === YES ? 'Y' : 'N'}${f.body.price}`;
        const v = (this.levels.get(k) ?? 0) + Number(f.body.deltaCenti);
        if (v > 0) this.levels.set(k, v);
        else this.levels.delete(k);
      }
    }
  }
}

describe('OthersBook', () => {
  it('tagged: our placement, fill and cancel never show; others\' changes do, gapless', () => {
    const ob = new OthersBook();
    const r = new Replica();
    r.apply(ob.process(snap([[4000, 1000]], [[5500, 2000]])));
    r.apply(ob.process(delta(YES, 4000, 300, 'k-1'))); // our bid of 3 at 0.40
    r.apply(ob.process(userOrder('o1', BID, 4000, 300, RESTING, 'k-1')));
    expect(r.levels.get('Y4000')).toBe(1000);
    expect(ob.ownCenti(M, BID, 4000)).toBe(300);
    r.apply(ob.process(delta(NO, 5500, 700, 'k-2'))); // our ask of 7 at 0.45 (NO bid 0.55)
    expect(r.levels.get('N5500')).toBe(2000);
    r.apply(ob.process(delta(YES, 4000, 500))); // others add 5
    expect(r.levels.get('Y4000')).toBe(1500);
    // a print fills 1 of ours: the book's (untagged) decrease first, then the fill frame
    r.apply(ob.process(delta(YES, 4000, -100)));
    r.apply(ob.process(fill('o1', BID, 4000, 100, 'k-1')));
    expect(r.levels.get('Y4000')).toBe(1500);
    r.apply(ob.process(delta(YES, 4000, -200, 'k-1'))); // we cancel the rest
    r.apply(ob.process(userOrder('o1', BID, 4000, 0, CANCELED, 'k-1')));
    expect(r.levels.get('Y4000')).toBe(1500);
    expect(ob.ownCenti(M, BID, 4000)).toBe(0);
    expect(ob.stats.ownDeltasDropped).toBeGreaterThanOrEqual(3);
  });

  it('untagged: user_order frames say what is ours; a snapshot with our order in it shows others only', () => {
    const ob = new OthersBook();
    const r = new Replica();
    r.apply(ob.process(snap([[4000, 1000]], [])));
    r.apply(ob.process(delta(YES, 4100, 400))); // our order, not tagged: looks like others' at first
    expect(r.levels.get('Y4100')).toBe(400);
    r.apply(ob.process(userOrder('o9', BID, 4100, 400))); // now known: taken out by an added delta
    expect(r.levels.has('Y4100')).toBe(false);
    r.apply(ob.process(delta(YES, 4100, 200))); // someone joins us
    expect(r.levels.get('Y4100')).toBe(200);
    r.apply(ob.process(snap([[4000, 1000], [4100, 600]], []))); // resubscribe: the snapshot holds ours
    expect(r.levels.get('Y4100')).toBe(200);
    r.apply(ob.process(delta(YES, 4100, -400))); // our cancel (untagged) ...
    r.apply(ob.process(userOrder('o9', BID, 4100, 0, CANCELED)));
    expect(r.levels.get('Y4100')).toBe(200); // ... others' 2 were there all along
    r.apply(ob.process(delta(YES, 4000, -1000)));
    expect(r.levels.has('Y4000')).toBe(false);
  });

  it('a capture without our orders passes through unchanged', () => {
    const ob = new OthersBook();
    const frames = [snap([[4000, 1000]], [[5500, 100]]), delta(YES, 4000, -500), delta(NO, 5600, 300)];
    for (const f of frames) expect(ob.process(f)).toEqual([f]);
  });

  it('the backtest\'s own bid hides others\' ask at its price (a locked book no live venue shows) and shows it again when it goes', () => {
    const ob = new OthersBook();
    const r = new Replica();
    // others: bid 0.40 x10, ask 0.42 x20 (NO 0.58)
    r.apply(ob.process(snap([[4000, 1000]], [[5800, 2000]])));
    // the backtest's bid of 2 at 0.41 (an inside bid): nothing hidden, our delta comes tagged
    const placed = ob.inject(M, BID, 4100, 200, 'bt-1', 0);
    expect(placed.map((f) => (f.kind === 'delta' ? [f.body.leg, f.body.price, f.body.deltaCenti, f.body.clientOrderId] : f.kind))).toEqual([[YES, 4100, 200, 'bt-1']]);
    r.lastSeq = placed[0].seq as number;
    // the recording's asks move to 0.41 (NO 0.59): at our bid, so the book shows nothing there
    r.apply(ob.process(delta(NO, 5900, 1500)));
    expect(r.levels.get('N5900')).toBeUndefined();
    // ... nor when it grows, while our bid rests
    r.apply(ob.process(delta(NO, 5900, 500)));
    expect(r.levels.get('N5900')).toBeUndefined();
    expect(r.levels.get('N5800')).toBe(2000);
    // our bid goes (cancel): the 0.41 ask shows again, after our own delta
    const gone = ob.inject(M, BID, 4100, -200, 'bt-1', 0);
    expect(gone.map((f) => (f.kind === 'delta' ? [f.body.leg, f.body.price, f.body.deltaCenti] : f.kind))).toEqual([
      [YES, 4100, -200],
      [NO, 5900, 2000],
    ]);
    expect(gone.map((f) => f.seq)).toEqual([r.lastSeq + 1, r.lastSeq + 2]);
    // a new bid at 0.41 hides it first, then rests: the book is never locked in between
    const again = ob.inject(M, BID, 4100, 200, 'bt-2', 0);
    expect(again.map((f) => (f.kind === 'delta' ? [f.body.leg, f.body.price, f.body.deltaCenti] : f.kind))).toEqual([
      [NO, 5900, -2000],
      [YES, 4100, 200],
    ]);
  });
});
