import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { kmm, Mailbox } from '../src/index.js';

const env = (o: kmm.v1.IEnvelope) => kmm.v1.Envelope.create(o);

describe('mailbox overflow policy', () => {
  it('conflates market state per market (latest wins, order kept)', () => {
    const mb = new Mailbox(4);
    expect(mb.push(env({ bookFeatures: { market: 'A', bestBid: 1 } }), 'book.0')).toBe('queued');
    expect(mb.push(env({ bookFeatures: { market: 'B', bestBid: 1 } }), 'book.0')).toBe('queued');
    expect(mb.push(env({ bookFeatures: { market: 'A', bestBid: 2 } }), 'book.0')).toBe('conflated');
    expect(mb.depth).toBe(2);
    expect(mb.shift()!.env.bookFeatures!.bestBid).toBe(2);
    expect(mb.shift()!.env.bookFeatures!.market).toBe('B');
    expect(mb.conflated).toBe(1);
  });
  it('rejects commands when full and counts the drop', () => {
    const mb = new Mailbox(2);
    mb.push(env({ orderCommand: { market: 'A' } }), 'strategy');
    mb.push(env({ orderCommand: { market: 'B' } }), 'strategy');
    expect(mb.push(env({ takerIntent: { market: 'C' } }), 'strategy')).toBe('rejected');
    expect(mb.push(env({ bookDelta: { market: 'C' } }), 'ingest')).toBe('dropped');
    expect(mb.dropped).toBe(2);
    expect(mb.depth).toBe(2);
  });
  it('admits critical events past capacity up to the hard limit, then fails loudly', () => {
    const mb = new Mailbox(2);
    for (let i = 0; i < 8; i++) mb.push(env({ fill: { tradeId: String(i) } }), 'exec');
    expect(() => mb.push(env({ fill: { tradeId: 'x' } }), 'exec')).toThrow(/hard limit/);
  });
  it('agrees with a naive model: bounds, conflation in place, FIFO (property)', () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant('delta' as const), m: fc.constantFrom('A', 'B', 'C') }),
      fc.record({ k: fc.constant('features' as const), m: fc.constantFrom('A', 'B', 'C') }),
      fc.record({ k: fc.constant('cmd' as const), m: fc.constantFrom('A', 'B') }),
      fc.record({ k: fc.constant('shift' as const), m: fc.constant('') }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 80 }), (cap, ops) => {
        const mb = new Mailbox(cap);
        const model: Array<{ key: string | null; id: number }> = [];
        let seq = 0;
        for (const o of ops) {
          if (o.k === 'shift') {
            const got = mb.shift();
            const want = model.shift();
            if ((got?.env.header?.causationId ?? null) !== (want?.id ?? null)) return false;
            continue;
          }
          const id = ++seq;
          const body = o.k === 'delta' ? { bookDelta: { market: o.m } } : o.k === 'features' ? { bookFeatures: { market: o.m } } : { orderCommand: { market: o.m } };
          const result = mb.push(env({ header: { causationId: id }, ...body }), 'x');
          if (o.k === 'features') {
            const slot = model.find((e) => e.key === 'bf:' + o.m);
            if (slot) slot.id = id;
            else model.push({ key: 'bf:' + o.m, id });
            if (result !== (slot ? 'conflated' : 'queued')) return false;
          } else if (model.length >= cap) {
            if (result !== (o.k === 'cmd' ? 'rejected' : 'dropped')) return false;
          } else {
            model.push({ key: null, id });
            if (result !== 'queued') return false;
          }
          if (mb.depth !== model.length || mb.depth > mb.criticalCapacity) return false;
        }
        return true;
      }),
    );
  });
});
