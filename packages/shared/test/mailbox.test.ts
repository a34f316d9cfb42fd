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
  it('a newer position never overtakes a fill of its market queued after the pending one', () => {
    const mb = new Mailbox(100);
    mb.push(env({ header: { causationId: 1 }, position: { market: 'A', positionCenti: 100 } }), 'exec');
    mb.push(env({ header: { causationId: 2 }, fill: { market: 'A', countCenti: 300, tradeId: 't' } }), 'exec');
    mb.push(env({ header: { causationId: 3 }, position: { market: 'A', positionCenti: 400 } }), 'exec');
    mb.push(env({ header: { causationId: 4 }, position: { market: 'B', positionCenti: 1 } }), 'exec');
    mb.push(env({ header: { causationId: 5 }, position: { market: 'B', positionCenti: 2 } }), 'exec');
    mb.push(env({ header: { causationId: 6 }, position: { market: 'A', positionCenti: 500 } }), 'exec');
    const order: number[] = [];
    for (let e = mb.shift(); e; e = mb.shift()) order.push(Number(e.env.header!.causationId));
    // A's position 1, then the fill, then A's newest position (6 replaced 3 in place: nothing about
    // A was queued after 3), then B's newest (5 replaced 4 in place)
    expect(order).toEqual([1, 2, 6, 5]);
  });

  it('agrees with a naive model: bounds, conflation in place unless it would overtake, FIFO (property)', () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant('delta' as const), m: fc.constantFrom('A', 'B', 'C') }),
      fc.record({ k: fc.constant('features' as const), m: fc.constantFrom('A', 'B', 'C') }),
      fc.record({ k: fc.constant('cmd' as const), m: fc.constantFrom('A', 'B') }),
      fc.record({ k: fc.constant('shift' as const), m: fc.constant('') }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 80 }), (cap, ops) => {
        const mb = new Mailbox(cap);
        const model: Array<{ key: string | null; id: number; m: string }> = [];
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
            // the newest pending features of the market, conflated in place only when nothing
            // else about that market is queued behind it
            let at = -1;
            for (let i = model.length - 1; i >= 0; i--) if (model[i].key === 'bf:' + o.m) { at = i; break; }
            const overtakes = at >= 0 && model.slice(at + 1).some((e) => e.m === o.m);
            if (at >= 0 && !overtakes) model[at].id = id;
            else model.push({ key: 'bf:' + o.m, id, m: o.m });
            if (result !== (at >= 0 && !overtakes ? 'conflated' : 'queued')) return false;
          } else if (model.length >= cap) {
            if (result !== (o.k === 'cmd' ? 'rejected' : 'dropped')) return false;
          } else {
            model.push({ key: null, id, m: o.m });
            if (result !== 'queued') return false;
          }
          if (mb.depth !== model.length || mb.depth > mb.criticalCapacity) return false;
        }
        return true;
      }),
    );
  });
});
