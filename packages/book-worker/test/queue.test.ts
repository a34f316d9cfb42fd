/**
 * Property tests of the queue estimator.
 *  - An exact price-time (FIFO) level plays the exchange: its "contracts ahead" is what the
 *    exchange's queue-position endpoint reports. With every cancel coming from behind our orders,
 *    the estimate must equal it exactly (error 0) after every event, whichever order the trade
 *    message and its book deltas arrive in, with our own fills in the mix.
 *  - Random flow with cancels anywhere: the estimate is never negative and only moves forward by
 *    trades, by cancels larger than what is behind us, or by our fills; our fills never count twice.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import { QueueEstimator } from '../src/core/queue.js';

const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK; // taker sold YES: hits resting bids
const P = 4200;

interface Entry {
  owner: string; // '' = someone else
  size: number;
}

/** One price level as the exchange sees it (FIFO). */
class ExchangeLevel {
  q: Entry[] = [];
  total(): number {
    return this.q.reduce((s, e) => s + e.size, 0);
  }
  ahead(owner: string): number {
    let s = 0;
    for (const e of this.q) {
      if (e.owner === owner) return s;
      s += e.size;
    }
    return -1;
  }
  /** others' volume behind the last of our orders */
  othersBehindOurs(): number {
    let s = 0;
    for (let i = this.q.length - 1; i >= 0 && this.q[i].owner === ''; i--) s += this.q[i].size;
    return s;
  }
  cancelFromBack(n: number): void {
    while (n > 0) {
      const e = this.q[this.q.length - 1];
      const take = Math.min(e.size, n);
      e.size -= take;
      n -= take;
      if (e.size === 0) this.q.pop();
    }
  }
  /** consumes from the front; returns [others consumed, per-owner fills] */
  trade(c: number): { others: number; fills: [string, number][] } {
    let others = 0;
    const fills: [string, number][] = [];
    while (c > 0 && this.q.length > 0) {
      const e = this.q[0];
      const take = Math.min(e.size, c);
      e.size -= take;
      c -= take;
      if (e.owner === '') others += take;
      else fills.push([e.owner, take]);
      if (e.size === 0) this.q.shift();
    }
    return { others, fills };
  }
}

type Ev =
  | { k: 'add'; size: number }
  | { k: 'place'; size: number; deltaFirst: boolean }
  | { k: 'cancel_behind'; frac: number }
  | { k: 'trade'; frac: number; tradeFirst: boolean; ownDeltasFirst: boolean };

const evArb: fc.Arbitrary<Ev> = fc.oneof(
  fc.record({ k: fc.constant('add' as const), size: fc.integer({ min: 1, max: 5000 }) }),
  fc.record({ k: fc.constant('place' as const), size: fc.integer({ min: 1, max: 2000 }), deltaFirst: fc.boolean() }),
  fc.record({ k: fc.constant('cancel_behind' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ k: fc.constant('trade' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }), tradeFirst: fc.boolean(), ownDeltasFirst: fc.boolean() }),
);

describe('QueueEstimator against an exact FIFO exchange level', () => {
  it('has error 0 after every event when all cancels come from behind (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.array(evArb, { maxLength: 80 }), (initial, events) => {
        const ex = new ExchangeLevel();
        if (initial > 0) ex.q.push({ owner: '', size: initial });
        let level = initial; // what our book shows at P (bid side)
        const qe = new QueueEstimator((side, price) => (side === BID && price === P ? level : 0));
        const remaining = new Map<string, number>();
        let nextId = 0;
        const delta = (d: number, coid: string) => {
          level += d;
          qe.onLevelDelta(BID, P, d, level, coid);
        };
        for (const ev of events) {
          if (ev.k === 'add') {
            ex.q.push({ owner: '', size: ev.size });
            delta(ev.size, '');
          } else if (ev.k === 'place') {
            const coid = `c${nextId++}`;
            ex.q.push({ owner: coid, size: ev.size });
            remaining.set(coid, ev.size);
            if (ev.deltaFirst) {
              delta(ev.size, coid);
              qe.place(coid, 'o' + coid, BID, P, ev.size);
            } else {
              qe.place(coid, 'o' + coid, BID, P, ev.size);
              delta(ev.size, coid);
            }
          } else if (ev.k === 'cancel_behind') {
            const n = Math.floor(ex.othersBehindOurs() * ev.frac);
            if (n === 0) continue;
            ex.cancelFromBack(n);
            delta(-n, '');
          } else {
            const c = Math.floor(ex.total() * ev.frac);
            if (c === 0) continue;
            const { others, fills } = ex.trade(c);
            const tradeMsg = () => qe.onTrade(P, c, ASK);
            const deltas = () => {
              const own = () => fills.forEach(([coid, f]) => delta(-f, coid));
              if (ev.ownDeltasFirst) own();
              if (others > 0) delta(-others, '');
              if (!ev.ownDeltasFirst) own();
            };
            if (ev.tradeFirst) {
              tradeMsg();
              deltas();
            } else {
              deltas();
              tradeMsg();
            }
            for (const [coid, f] of fills) {
              qe.onFill(coid, f);
              remaining.set(coid, remaining.get(coid)! - f);
            }
          }
          for (const [coid, rem] of remaining) {
            const o = qe.orders.get(coid);
            if (rem === 0) {
              expect(o).toBeUndefined();
              continue;
            }
            expect(o!.remainingCenti).toBe(rem); // fills counted exactly once
            expect(qe.calibrate(coid, ex.ahead(coid), false)).toBe(0);
          }
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('QueueEstimator rules under arbitrary flow', () => {
  type Flow = { k: 'add' | 'cancel' | 'trade' | 'fill'; n: number };
  const flowArb: fc.Arbitrary<Flow> = fc.record({ k: fc.constantFrom('add' as const, 'cancel' as const, 'trade' as const, 'fill' as const), n: fc.integer({ min: 1, max: 3000 }) });

  it('never negative; forward only by trades, cancels larger than behind, or fills (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 1000 }), fc.array(flowArb, { maxLength: 100 }), (start, mine, flow) => {
        let level = start;
        const qe = new QueueEstimator(() => level);
        qe.place('me', 'o', BID, P, mine);
        level += mine;
        qe.onLevelDelta(BID, P, mine, level, 'me');
        for (const f of flow) {
          const o = qe.orders.get('me');
          if (o === undefined) break;
          const before = o.aheadCenti;
          const behind = level - o.aheadCenti - o.inBookCenti;
          if (f.k === 'add') {
            level += f.n;
            qe.onLevelDelta(BID, P, f.n, level, '');
            expect(o.aheadCenti).toBe(before);
          } else if (f.k === 'cancel') {
            const others = level - o.inBookCenti;
            const r = Math.min(f.n, others);
            if (r === 0) continue;
            level -= r;
            qe.onLevelDelta(BID, P, -r, level, '');
            if (r <= behind) expect(o.aheadCenti).toBe(before);
            else expect(o.aheadCenti).toBeGreaterThanOrEqual(before - (r - behind));
          } else if (f.k === 'trade') {
            const c = Math.min(f.n, level);
            if (c === 0) continue;
            qe.onTrade(P, c, ASK);
            expect(o.aheadCenti).toBeGreaterThanOrEqual(before - c);
            // With the trade's own book decrease, the trade moves us by at most its size in total.
            // (An earlier unexplained decrease may be matched to this trade, and then this
            // decrease counts as that cancel instead: the sum stays within the bound.)
            const othersPart = Math.min(c, level - o.inBookCenti);
            level -= othersPart;
            if (othersPart > 0) qe.onLevelDelta(BID, P, -othersPart, level, '');
            expect(o.aheadCenti).toBeGreaterThanOrEqual(before - c);
          } else {
            const fsz = Math.min(f.n, o.remainingCenti);
            const remBefore = o.remainingCenti;
            level -= Math.min(fsz, o.inBookCenti);
            qe.onLevelDelta(BID, P, -Math.min(fsz, o.inBookCenti), level, 'me');
            expect(o.aheadCenti).toBe(before); // own delta: no move
            qe.onFill('me', fsz);
            if (fsz < remBefore) {
              expect(o.aheadCenti).toBe(0); // a fill proves we reached the front
              expect(o.remainingCenti).toBe(remBefore - fsz);
            } else expect(qe.orders.has('me')).toBe(false);
          }
          expect(o.aheadCenti).toBeGreaterThanOrEqual(0);
          expect(o.aheadCenti).toBeLessThanOrEqual(before);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('our cancel/replace goes to the back; a decrease keeps priority', () => {
    let level = 1000;
    const qe = new QueueEstimator(() => level);
    qe.place('me', 'o', BID, P, 100);
    level += 100;
    qe.onLevelDelta(BID, P, 100, level, 'me');
    qe.onTrade(P, 600, ASK);
    level -= 600;
    qe.onLevelDelta(BID, P, -600, level, '');
    expect(qe.orders.get('me')!.aheadCenti).toBe(400);
    qe.amend('me', 'o', P, 50); // decrease
    expect(qe.orders.get('me')!.aheadCenti).toBe(400);
    qe.amend('me', 'o', P, 200); // size up: back of the queue
    expect(qe.orders.get('me')!.aheadCenti).toBe(level - 100);
  });
});

describe('QueueEstimator counts each of our fills once between acks and Fill messages', () => {
  // Exec forwards the venue's order update (an OrderAck with cumulative filled and remaining) and
  // the WS fill separately; either may come first. Found by tests/queue.sim.test.ts against the sim.
  it('ack with the fill first, then the Fill', () => {
    const qe = new QueueEstimator(() => 0);
    qe.place('me', 'o', BID, P, 200, 0);
    qe.amend('me', 'o', P, 100, 100); // user_order: filled 1, remaining 1
    qe.onFill('me', 100); // the same fill
    expect(qe.orders.get('me')!.remainingCenti).toBe(100);
  });
  it('Fill first, then the ack with the fill', () => {
    const qe = new QueueEstimator(() => 0);
    qe.place('me', 'o', BID, P, 200, 0);
    qe.onFill('me', 100);
    qe.amend('me', 'o', P, 100, 100);
    expect(qe.orders.get('me')!.remainingCenti).toBe(100);
    qe.onFill('me', 100); // the last contract
    expect(qe.orders.has('me')).toBe(false);
  });
  it('a size-up amend after a partial fill still goes to the back', () => {
    let level = 500;
    const qe = new QueueEstimator(() => level);
    qe.place('me', 'o', BID, P, 200, 0);
    qe.onFill('me', 100);
    level = 300;
    qe.amend('me', 'o', P, 250, 100); // total 350 > 200: loses priority
    expect(qe.orders.get('me')!.aheadCenti).toBe(300);
    expect(qe.orders.get('me')!.remainingCenti).toBe(250);
  });
});
