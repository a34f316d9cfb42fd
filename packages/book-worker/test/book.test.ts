/**
 * Model-based test of MarketBook: random snapshot/delta sequences (valid and invalid) applied to
 * the book and to a naive reference (a Map per leg); after every step the book equals the
 * reference and its invariants hold. A failing run prints its seed (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import { MarketBook } from '../src/core/book.js';

const YES = kmm.v1.LegSide.YES;
const NO = kmm.v1.LegSide.NO;
const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;

type Op =
  | { kind: 'snap'; yes: [number, number][]; no: [number, number][] }
  | { kind: 'delta'; leg: 'yes' | 'no'; price: number; mode: 'add' | 'remove_all' | 'remove_part' | 'raw'; amount: number };

const centPrice = fc.integer({ min: 1, max: 99 }).map((c) => c * 100);
const anyPrice = fc.oneof(centPrice, fc.integer({ min: -5, max: 10_005 })); // off-grid and out of range too
const size = fc.integer({ min: 1, max: 5_000_000 });
const levelsArb = fc.uniqueArray(fc.tuple(centPrice, size), { selector: (l) => l[0], maxLength: 30 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('snap' as const), yes: levelsArb, no: levelsArb }) },
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('delta' as const),
      leg: fc.constantFrom('yes' as const, 'no' as const),
      price: fc.oneof({ weight: 9, arbitrary: centPrice }, { weight: 1, arbitrary: anyPrice }),
      mode: fc.constantFrom('add' as const, 'remove_all' as const, 'remove_all' as const, 'remove_part' as const, 'raw' as const),
      amount: fc.oneof(fc.integer({ min: 1, max: 3_000_000 }), fc.integer({ min: 1, max: 200 })),
    }),
  },
);

class RefBook {
  yes = new Map<number, number>();
  no = new Map<number, number>();
  snapshot(yes: [number, number][], no: [number, number][]) {
    this.yes = new Map(yes);
    this.no = new Map(no);
  }
  /** returns false when the delta is not applicable (off-grid or negative result) */
  delta(leg: 'yes' | 'no', price: number, d: number): boolean {
    if (!(price >= 100 && price <= 9900 && price % 100 === 0)) return false;
    const m = leg === 'yes' ? this.yes : this.no;
    const v = (m.get(price) ?? 0) + d;
    if (v < 0) return false;
    if (v === 0) m.delete(price);
    else m.set(price, v);
    return true;
  }
  sorted(leg: 'yes' | 'no'): [number, number][] {
    return [...(leg === 'yes' ? this.yes : this.no).entries()].sort((a, b) => a[0] - b[0]);
  }
}

describe('MarketBook against a naive reference', () => {
  it('agrees after every step and keeps its invariants (property)', () => {
    fc.assert(
      fc.property(levelsArb, levelsArb, fc.array(opArb, { maxLength: 300 }), (y0, n0, ops) => {
        // cent bands known: off-grid prices are errors, not grid refinements
        const book = new MarketBook('M', [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }]);
        const ref = new RefBook();
        const lv = (l: [number, number][]) => l.map(([price, countCenti]) => ({ price, countCenti }));
        expect(book.applySnapshot(lv(y0), lv(n0))).toBe('ok');
        ref.snapshot(y0, n0);
        for (const op of ops) {
          if (op.kind === 'snap') {
            expect(book.applySnapshot(lv(op.yes), lv(op.no))).toBe('ok');
            ref.snapshot(op.yes, op.no);
          } else {
            // Deltas are mostly derived from the current level so that levels really empty out.
            const cur = (op.leg === 'yes' ? ref.yes : ref.no).get(op.price) ?? 0;
            let d = op.amount;
            if (op.mode === 'remove_all' && cur > 0) d = -cur;
            else if (op.mode === 'remove_part' && cur > 1) d = -1 - (op.amount % (cur - 1));
            else if (op.mode === 'raw') d = op.amount % 2 === 0 ? op.amount : -op.amount;
            const okRef = ref.delta(op.leg, op.price, d);
            const st = book.applyDelta(op.leg === 'yes' ? YES : NO, op.price, d);
            expect(st === 'ok').toBe(okRef);
            if (!okRef) expect(book.valid).toBe(false);
          }
          book.assertInvariants();
          expect(book.legLevels(YES)).toEqual(ref.sorted('yes'));
          expect(book.legLevels(NO)).toEqual(ref.sorted('no'));
          // derived YES asks: NO bid at q is a YES ask at 1 - q; best prices and crossed flag
          const bids = ref.sorted('yes');
          const asks = ref.sorted('no').map(([q, c]) => [10_000 - q, c] as [number, number]).sort((a, b) => a[0] - b[0]);
          const bb = bids.length ? bids[bids.length - 1] : [0, 0];
          const ba = asks.length ? asks[0] : [0, 0];
          expect([book.bestBid(), book.bestBidCenti()]).toEqual(bb);
          expect([book.bestAsk(), book.bestAskCenti()]).toEqual(ba);
          expect(book.crossed).toBe(bids.length > 0 && asks.length > 0 && bb[0] >= ba[0]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses bad snapshots without touching the book', () => {
    const book = new MarketBook('M', [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }]);
    book.applySnapshot([{ price: 4000, countCenti: 100 }], [{ price: 5500, countCenti: 50 }]);
    const before = [book.legLevels(YES), book.legLevels(NO)];
    expect(book.applySnapshot([{ price: 4050, countCenti: 1 }], [])).toBe('invalid_price');
    expect(book.applySnapshot([{ price: 4000, countCenti: 1 }, { price: 4000, countCenti: 2 }], [])).toBe('duplicate_level');
    expect(book.applySnapshot([{ price: 4000, countCenti: -1 }], [])).toBe('invalid_size');
    expect([book.legLevels(YES), book.legLevels(NO)]).toEqual(before);
    expect(book.valid).toBe(false);
    expect(book.applySnapshot([], [])).toBe('ok');
    expect(book.valid).toBe(true);
  });

  it('flags a crossed book from the venue instead of fixing it', () => {
    const book = new MarketBook('M');
    book.applySnapshot([{ price: 6000, countCenti: 100 }], [{ price: 5000, countCenti: 100 }]); // YES ask at 0.50 < bid 0.60
    expect(book.crossed).toBe(true);
    expect(book.sizeAt(ASK, 5000)).toBe(100);
    expect(book.sizeAt(BID, 6000)).toBe(100);
  });

  it('refines an unknown grid to the finest one when a sub-penny price arrives, keeping the levels', () => {
    const book = new MarketBook('M');
    book.applySnapshot([{ price: 4000, countCenti: 100 }], []);
    expect(book.grid.size).toBe(99);
    expect(book.applyDelta(YES, 4005, 250)).toBe('ok');
    expect(book.grid.size).toBe(9999);
    expect(book.legLevels(YES)).toEqual([
      [4000, 100],
      [4005, 250],
    ]);
    expect(book.valid).toBe(true);
  });
});
