import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ExchangeFifoQueue, ProbPowerQueue, RiskAverseQueue, type FillOut, type QueuedOrder } from '../src/index.js';

const order = (id: string, rem: number): QueuedOrder => ({ id, remainingCenti: rem, aheadCenti: 0 });

describe('queue models', () => {
  it('risk-averse: fills only after prints consume the queue ahead; cancels never move us', () => {
    const m = new RiskAverseQueue();
    const l = m.newLevel();
    const o = order('a', 500);
    m.join(l, o, 1000);
    m.depth(l, 1000, 600); // cancels: assumed behind us, but ahead can't exceed the level
    expect(o.aheadCenti).toBe(600);
    const out: FillOut[] = [];
    m.trade(l, 400, out);
    expect(out).toEqual([]);
    expect(o.aheadCenti).toBe(200);
    m.trade(l, 300, out);
    expect(out).toEqual([{ order: o, countCenti: 100 }]);
  });

  it('prob-power: an unexplained decrease moves us forward by part of it', () => {
    const m = new ProbPowerQueue(2);
    const l = m.newLevel();
    const o = order('a', 500);
    m.join(l, o, 1000);
    m.depth(l, 1000, 2000); // someone behind us
    expect(o.aheadCenti).toBe(1000);
    m.depth(l, 2000, 1500); // 500 cancelled: front 1000, back 1000 -> half from ahead
    expect(o.aheadCenti).toBe(750);
    // a decrease explained by a print is not counted twice
    const out: FillOut[] = [];
    m.trade(l, 250, out);
    m.depth(l, 1500, 1250);
    expect(o.aheadCenti).toBe(500);
  });

  it('exchange FIFO: a whole-order cancel ahead of us moves us forward exactly', () => {
    const m = new ExchangeFifoQueue();
    const l = m.newLevel();
    const o = order('a', 500);
    m.depth(l, 0, 0);
    m.join(l, o, 700); // others: [700], then us
    m.depth(l, 700, 1000); // [700, us, 300]
    expect(o.aheadCenti).toBe(700);
    m.depth(l, 1000, 300); // the 700 order cancels whole
    expect(o.aheadCenti).toBe(0);
    const out: FillOut[] = [];
    m.trade(l, 200, out);
    expect(out).toEqual([{ order: o, countCenti: 200 }]);
  });

  it('property: ahead never exceeds the level and fills never exceed the print (all models)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('risk', 'prob', 'fifo'),
        fc.integer({ min: 0, max: 5000 }),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 })), { maxLength: 40 }),
        (kind, start, steps) => {
          const m = kind === 'risk' ? new RiskAverseQueue() : kind === 'prob' ? new ProbPowerQueue(3) : new ExchangeFifoQueue();
          const l = m.newLevel();
          const o = order('x', 1_000_000);
          m.join(l, o, start);
          let level = start;
          for (const [isTrade, n] of steps) {
            if (isTrade) {
              const out: FillOut[] = [];
              m.trade(l, n, out);
              const filled = out.reduce((s, f) => s + f.countCenti, 0);
              if (filled > n) return false;
            } else {
              m.depth(l, level, n);
              level = n;
              if (o.aheadCenti > level || o.aheadCenti < 0) return false;
            }
          }
          return true;
        },
      ),
    );
  });
});
