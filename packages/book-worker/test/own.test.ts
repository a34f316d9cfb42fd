import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { kmm, resolveConfig, type EnvelopeBody } from '@kmm/shared';
import { BookShardCore, bookParamsOf, type BookSink } from '../src/core/shard.js';
import { OwnLevels, OWN_ENDED_HOLD_MS, OWN_SLOTS_MAX } from '../src/core/own.js';

const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;
const YES = kmm.v1.LegSide.YES;
const NO = kmm.v1.LegSide.NO;
const OS = kmm.v1.OrderStatus;
const CK = kmm.v1.CommandKind;

function mk() {
  const sent: { peer: string; body: EnvelopeBody }[] = [];
  const sink: BookSink = { send: (peer, body) => sent.push({ peer, body }), log: () => {}, stat: () => {}, setStat: () => {} };
  const core = new BookShardCore(bookParamsOf(resolveConfig({})), sink, [{ market: 'M', priceRanges: [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }] }]);
  const features = (): kmm.v1.IBookFeatures => {
    core.flush();
    return sent.filter((s) => s.body.bookFeatures).pop()!.body.bookFeatures!;
  };
  return { core, features };
}

/** YES bids 40c x10, YES asks 45c x5 (NO bids 55c). */
const snapshot: kmm.v1.IBookSnapshot = { market: 'M', yesBids: [{ price: 4000, countCenti: 1000 }], noBids: [{ price: 5500, countCenti: 500 }] };
/** Our order's book delta as the venue sends it: a YES bid, or a YES ask as a NO bid at $1 - price. */
function ownDelta(side: kmm.v1.BookSide, yesPrice: number, deltaCenti: number, coid: string): kmm.v1.IBookDelta {
  return side === BID
    ? { market: 'M', leg: YES, price: yesPrice, deltaCenti, clientOrderId: coid }
    : { market: 'M', leg: NO, price: 10_000 - yesPrice, deltaCenti, clientOrderId: coid };
}
function ack(coid: string, side: kmm.v1.BookSide, price: number, remainingCenti: number, status = OS.RESTING, kind = CK.PLACE, filledCenti = 0): kmm.v1.IOrderAck {
  return { kind, market: 'M', clientOrderId: coid, orderId: `o-${coid}`, side, price, remainingCenti, filledCenti, status };
}

describe('features from the other participants only (hand-worked)', () => {
  it('our bid alone at the touch: mid, microprice and imbalance come from the next level; best_bid stays the full book', () => {
    const { core, features } = mk();
    core.onSnapshot(snapshot, 1);
    core.onOrderAck(ack('c1', BID, 4100, 300));
    core.onDelta(ownDelta(BID, 4100, 300, 'c1'), 2);
    const f = features();
    expect(f).toMatchObject({ bestBid: 4100, bestBidCenti: 300, othersBestBid: 4000, othersBestBidCenti: 1000, othersBestAsk: 4500, othersBestAskCenti: 500 });
    expect(f.mid).toBe(4250); // (40c + 45c) / 2, not (41c + 45c) / 2
    expect(f.spread).toBe(500);
    expect(f.microprice).toBeCloseTo((4000 * 500 + 4500 * 1000) / 1500, 9);
    expect(f.imbalance).toBeCloseTo((1000 - 500) / 1500, 12);
    expect(f.queue).toEqual([expect.objectContaining({ clientOrderId: 'c1', aheadCenti: 0, levelTotalCenti: 300 })]); // queue: full book
  });

  it('our order sharing a level: only its size is taken off, whichever of ack and delta comes first', () => {
    for (const ackFirst of [true, false]) {
      const { core, features } = mk();
      core.onSnapshot(snapshot, 1);
      if (ackFirst) core.onOrderAck(ack('c1', ASK, 4500, 200));
      core.onDelta(ownDelta(ASK, 4500, 200, 'c1'), 2);
      if (!ackFirst) core.onOrderAck(ack('c1', ASK, 4500, 200));
      const f = features();
      expect(f).toMatchObject({ bestAsk: 4500, bestAskCenti: 700, othersBestAsk: 4500, othersBestAskCenti: 500 });
      expect(f.imbalance).toBeCloseTo((1000 - 500) / 1500, 12);
      expect(f.queue![0]).toMatchObject({ aheadCenti: 500, levelTotalCenti: 700 });
    }
  });

  it('partial fill, amend to another price, cancel: our size follows; the others\' touch never moves', () => {
    const { core, features } = mk();
    core.onSnapshot(snapshot, 1);
    core.onDelta(ownDelta(BID, 4100, 300, 'c1'), 2);
    core.onOrderAck(ack('c1', BID, 4100, 300));
    // partial fill of 100: the untagged book decrease, then exec's Fill
    core.onDelta({ market: 'M', leg: YES, price: 4100, deltaCenti: -100 }, 3);
    core.onFill({ market: 'M', clientOrderId: 'c1', orderId: 'o-c1', side: BID, yesPrice: 4100, countCenti: 100 });
    expect(core.entry('M')!.own.levelCenti(BID, 4100)).toBe(200);
    expect(features()).toMatchObject({ bestBid: 4100, bestBidCenti: 200, othersBestBid: 4000, othersBestBidCenti: 1000, mid: 4250 });
    // amend to 42c: new level first, then the old one
    core.onDelta(ownDelta(BID, 4200, 200, 'c1'), 4);
    core.onDelta(ownDelta(BID, 4100, -200, 'c1'), 4);
    core.onOrderAck(ack('c1', BID, 4200, 200, OS.RESTING, CK.AMEND, 100));
    expect(core.entry('M')!.own.levelCenti(BID, 4100)).toBe(0);
    expect(core.entry('M')!.own.levelCenti(BID, 4200)).toBe(200);
    expect(features()).toMatchObject({ bestBid: 4200, othersBestBid: 4000, othersBestBidCenti: 1000, mid: 4250 });
    // cancel: the tagged decrease, then the ack
    core.onDelta(ownDelta(BID, 4200, -200, 'c1'), 5);
    core.onOrderAck(ack('c1', BID, 4200, 0, OS.CANCELED, CK.CANCEL, 100));
    expect(core.entry('M')!.own.empty).toBe(true);
    expect(features()).toMatchObject({ bestBid: 4000, othersBestBid: 4000, mid: 4250 });
  });

  it('a Fill before its book decrease overstates the others by that fill only until the decrease arrives', () => {
    const { core, features } = mk();
    core.onSnapshot(snapshot, 1);
    core.onDelta(ownDelta(BID, 4000, 300, 'c1'), 2);
    core.onFill({ market: 'M', clientOrderId: 'c1', side: BID, yesPrice: 4000, countCenti: 100 });
    expect(features().othersBestBidCenti).toBe(1100); // the level still holds the filled 100
    core.onDelta({ market: 'M', leg: YES, price: 4000, deltaCenti: -100 }, 3);
    expect(features()).toMatchObject({ bestBidCenti: 1200, othersBestBidCenti: 1000 });
  });

  it('our taker (a tagged decrease at a level we do not rest at) takes the others\' size', () => {
    const { core, features } = mk();
    core.onSnapshot(snapshot, 1);
    core.onDelta(ownDelta(BID, 4000, 300, 'c1'), 2);
    core.onDelta(ownDelta(ASK, 4500, -200, 'tk1'), 3);
    core.onDelta(ownDelta(BID, 4000, -100, 'tk2'), 3); // a taker of ours selling into the bid level we rest at: not our size
    expect(features()).toMatchObject({ othersBestAskCenti: 300, othersBestBidCenti: 900, bestBidCenti: 1200 });
  });

  it('exec restart: WorkingOrders keeps the listed orders and drops the others; a book snapshot clips our size', () => {
    const { core, features } = mk();
    core.onSnapshot(snapshot, 1);
    core.onDelta(ownDelta(BID, 4100, 300, 'c1'), 2);
    core.onDelta(ownDelta(ASK, 4400, 300, 'c2'), 2);
    core.onWorkingOrders({ market: 'M', orders: [{ clientOrderId: 'c1', orderId: 'o-c1', side: BID, price: 4100, exchangeAheadCenti: -1 }] });
    // c2 is gone at the venue, its decrease not seen yet: the 3 contracts the book still shows at 44c
    // stay ours (they are not another participant's), until the decrease or a snapshot
    expect(features()).toMatchObject({ othersBestBid: 4000, othersBestAsk: 4500 });
    // resync snapshot: c1 had 100 filled meanwhile (level 41c now 2 contracts, all ours), c2's level gone
    core.onSnapshot({ market: 'M', yesBids: [{ price: 4000, countCenti: 1000 }, { price: 4100, countCenti: 200 }], noBids: [{ price: 5500, countCenti: 500 }] }, 3);
    expect(core.entry('M')!.own.levelCenti(BID, 4100)).toBe(200);
    expect(features()).toMatchObject({ bestBid: 4100, othersBestBid: 4000, othersBestAsk: 4500, mid: 4250 });
  });

  it('a book that never shows our orders (backtest over a recorded book) subtracts nothing', () => {
    const { core, features } = mk();
    core.onSnapshot(snapshot, 1);
    core.onOrderAck(ack('c1', BID, 4000, 300));
    core.onWorkingOrders({ market: 'M', orders: [{ clientOrderId: 'c1', orderId: 'o-c1', side: BID, price: 4000, exchangeAheadCenti: -1 }] });
    expect(features()).toMatchObject({ othersBestBid: 4000, othersBestBidCenti: 1000, bestBidCenti: 1000 });
  });

  it(`tracks at most OWN_SLOTS_MAX (${OWN_SLOTS_MAX}) orders per market; further ones count as the others'`, () => {
    const own = new OwnLevels();
    for (let i = 0; i < OWN_SLOTS_MAX; i++) expect(own.onTaggedDelta(`c${i}`, BID, 100 + (i % 50) * 100, 100)).toBe(true);
    expect(own.onTaggedDelta('one-more', BID, 4000, 100)).toBe(false);
    expect(own.refused).toBe(1);
    expect(own.orders).toBe(OWN_SLOTS_MAX);
    // an ended order is forgotten once the book has taken its size off
    own.end('c0', 0);
    expect(own.orders).toBe(OWN_SLOTS_MAX);
    expect(own.onTaggedDelta('c0', BID, 100, -100)).toBe(true);
    expect(own.orders).toBe(OWN_SLOTS_MAX - 1);
    expect(own.onTaggedDelta('one-more', BID, 4000, 100)).toBe(true);
  });

  it('a cancel acknowledged before its book decrease: the level never reads as the others\' (no phantom touch); the decrease ends it', () => {
    const { core, features } = mk();
    core.onSnapshot(snapshot, 1);
    core.onDelta(ownDelta(BID, 4100, 300, 'c1'), 2);
    core.onOrderAck(ack('c1', BID, 4100, 300), 2);
    expect(features()).toMatchObject({ bestBid: 4100, othersBestBid: 4000 });
    // the venue's answer to our cancel arrives first (REST), its tagged decrease after (websocket)
    core.onOrderAck(ack('c1', BID, 4100, 0, OS.CANCELED, CK.CANCEL, 0), 3);
    expect(features()).toMatchObject({ bestBid: 4100, othersBestBid: 4000, othersBestBidCenti: 1000 });
    core.onDelta(ownDelta(BID, 4100, -300, 'c1'), 4);
    expect(core.entry('M')!.own.empty).toBe(true);
    expect(core.entry('M')!.own.orders).toBe(0);
    expect(features()).toMatchObject({ bestBid: 4000, othersBestBid: 4000 });
  });

  it(`an ended order's size the venue never takes off is let go after OWN_ENDED_HOLD_MS (${OWN_ENDED_HOLD_MS} ms), or at the next snapshot`, () => {
    const { core, features } = mk();
    core.onSnapshot(snapshot, 1);
    core.onDelta(ownDelta(BID, 4100, 300, 'c1'), 2);
    core.onOrderAck(ack('c1', BID, 4100, 0, OS.CANCELED, CK.CANCEL, 0), 1e6);
    core.onDelta({ market: 'M', leg: YES, price: 3900, deltaCenti: 100 }, 1e6 + OWN_ENDED_HOLD_MS * 1e6 - 1);
    expect(features().othersBestBid).toBe(4000);
    core.onDelta({ market: 'M', leg: YES, price: 3900, deltaCenti: 100 }, 1e6 + OWN_ENDED_HOLD_MS * 1e6);
    expect(core.entry('M')!.own.orders).toBe(0);
    expect(features()).toMatchObject({ othersBestBid: 4100, othersBestBidCenti: 300 });
    // a snapshot ends it at once
    core.onDelta(ownDelta(BID, 4200, 200, 'c2'), 5e9);
    core.onOrderAck(ack('c2', BID, 4200, 0, OS.CANCELED, CK.CANCEL, 0), 5e9);
    core.onSnapshot({ market: 'M', yesBids: [{ price: 4000, countCenti: 1000 }, { price: 4200, countCenti: 200 }], noBids: [{ price: 5500, countCenti: 500 }] }, 5e9 + 1);
    expect(core.entry('M')!.own.orders).toBe(0);
  });
});

// ---- property: with our orders in the book == a book that never had them ----

const PRICES = Array.from({ length: 20 }, (_, i) => 3000 + i * 100); // 30c..49c

type Ev =
  | { k: 'others'; side: number; p: number; d: number }
  | { k: 'place'; side: number; p: number; size: number; ackFirst: boolean }
  | { k: 'cancel'; pick: number }
  | { k: 'move'; pick: number; p: number; newFirst: boolean }
  | { k: 'decrease'; pick: number; by: number }
  | { k: 'trade'; p: number; size: number; taker: number }
  | { k: 'snapshot' }
  | { k: 'working' };

const side = fc.constantFrom(BID, ASK);
const price = fc.constantFrom(...PRICES);
const ev: fc.Arbitrary<Ev> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('others' as const), side, p: price, d: fc.integer({ min: -800, max: 800 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('place' as const), side, p: price, size: fc.integer({ min: 1, max: 500 }), ackFirst: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('move' as const), pick: fc.nat(), p: price, newFirst: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('decrease' as const), pick: fc.nat(), by: fc.integer({ min: 1, max: 400 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('trade' as const), p: price, size: fc.integer({ min: 1, max: 300 }), taker: side }) },
  { weight: 1, arbitrary: fc.constant({ k: 'snapshot' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'working' as const }) },
);
const levels = fc.array(fc.tuple(price, fc.integer({ min: 1, max: 2000 })), { maxLength: 8 });

/** Feature fields that must not see our orders (best_bid/best_ask, tops, totals, queue: the full book). */
const FIELDS = [
  'othersBestBid', 'othersBestBidCenti', 'othersBestAsk', 'othersBestAskCenti', 'mid', 'microprice', 'spread', 'spreadEma', 'ofi', 'imbalance',
  'imbalanceEma', 'microVolBps', 'microDriftBps', 'volRegime', 'volShortBps', 'volMediumBps', 'volLongBps', 'trendFast', 'trendSlow', 'trendStrength',
  'volumeRateCentiPerS', 'volumeSpike', 'lastTradePrice', 'lastTradeCenti',
] as const;

describe('features with our orders present equal features of the book without them (property)', () => {
  it('for random books, own orders (place / amend to another price / decrease / cancel, ack before or after the book), trades, snapshots and WorkingOrders', () => {
    fc.assert(
      fc.property(levels, levels, fc.array(ev, { maxLength: 60 }), (bids0, asks0, evs) => {
        const withUs = mk();
        const without = mk();
        // the others' sizes per (side, price), and our live orders
        const others = new Map<number, number>();
        for (const [p, c] of bids0) others.set(BID * 100_000 + p, c);
        for (const [p, c] of asks0) others.set(ASK * 100_000 + p, c);
        const ours: { coid: string; side: number; p: number; size: number }[] = [];
        let seq = 0;
        let t = 1_000_000;
        const snap = (withOwn: boolean): kmm.v1.IBookSnapshot => {
          const total = new Map(others);
          if (withOwn) for (const o of ours) total.set(o.side * 100_000 + o.p, (total.get(o.side * 100_000 + o.p) ?? 0) + o.size);
          const yesBids: kmm.v1.IPriceLevel[] = [];
          const noBids: kmm.v1.IPriceLevel[] = [];
          for (const [k, c] of total) {
            if (c <= 0) continue;
            const p = k % 100_000;
            if (Math.floor(k / 100_000) === BID) yesBids.push({ price: p, countCenti: c });
            else noBids.push({ price: 10_000 - p, countCenti: c });
          }
          return { market: 'M', yesBids, noBids };
        };
        const both = (f: (c: BookShardCore) => void) => {
          f(withUs.core);
          f(without.core);
        };
        both((c) => c.onSnapshot(snap(c === withUs.core), t));
        const us = withUs.core;
        for (const e of evs) {
          t += 250_000_000;
          switch (e.k) {
            case 'others': {
              const key = e.side * 100_000 + e.p;
              const cur = others.get(key) ?? 0;
              const d = Math.max(e.d, -cur);
              if (d === 0) break;
              others.set(key, cur + d);
              const body: kmm.v1.IBookDelta = e.side === BID ? { market: 'M', leg: YES, price: e.p, deltaCenti: d } : { market: 'M', leg: NO, price: 10_000 - e.p, deltaCenti: d };
              both((c) => c.onDelta(body, t));
              break;
            }
            case 'place': {
              const o = { coid: `c${++seq}`, side: e.side, p: e.p, size: e.size };
              ours.push(o);
              if (e.ackFirst) us.onOrderAck(ack(o.coid, o.side, o.p, o.size));
              us.onDelta(ownDelta(o.side, o.p, o.size, o.coid), t);
              if (!e.ackFirst) us.onOrderAck(ack(o.coid, o.side, o.p, o.size));
              break;
            }
            case 'cancel': {
              if (ours.length === 0) break;
              const [o] = ours.splice(e.pick % ours.length, 1);
              us.onDelta(ownDelta(o.side, o.p, -o.size, o.coid), t);
              us.onOrderAck(ack(o.coid, o.side, o.p, 0, OS.CANCELED, CK.CANCEL));
              break;
            }
            case 'move': {
              if (ours.length === 0) break;
              const o = ours[e.pick % ours.length];
              if (o.p === e.p) break;
              const from = o.p;
              o.p = e.p;
              if (e.newFirst) us.onDelta(ownDelta(o.side, e.p, o.size, o.coid), t);
              us.onDelta(ownDelta(o.side, from, -o.size, o.coid), t);
              if (!e.newFirst) us.onDelta(ownDelta(o.side, e.p, o.size, o.coid), t);
              us.onOrderAck(ack(o.coid, o.side, o.p, o.size, OS.RESTING, CK.AMEND));
              break;
            }
            case 'decrease': {
              if (ours.length === 0) break;
              const o = ours[e.pick % ours.length];
              const by = Math.min(e.by, o.size - 1);
              if (by <= 0) break;
              o.size -= by;
              us.onDelta(ownDelta(o.side, o.p, -by, o.coid), t);
              us.onOrderAck(ack(o.coid, o.side, o.p, o.size, OS.RESTING, CK.AMEND));
              break;
            }
            case 'trade':
              both((c) => c.onTrade({ market: 'M', yesPrice: e.p, countCenti: e.size, takerBookSide: e.taker }, t));
              break;
            case 'snapshot':
              both((c) => c.onSnapshot(snap(c === withUs.core), t));
              break;
            case 'working':
              us.onWorkingOrders({ market: 'M', orders: ours.map((o) => ({ clientOrderId: o.coid, orderId: `o-${o.coid}`, side: o.side, price: o.p, exchangeAheadCenti: -1 })) });
              break;
          }
          // The volume rate is decayed to the market's last frame time, and our own deltas are
          // frames the other shard never saw: read both at the same time.
          both((c) => (c.entry('M')!.lastNs = t));
          const a = us.featuresOf(us.entry('M')!);
          const b = without.core.featuresOf(without.core.entry('M')!);
          for (const k of FIELDS) expect(a[k], k).toBe(b[k]);
          // others_best_* of the book without us is that book's own touch
          expect([b.othersBestBid, b.othersBestAsk]).toEqual([b.bestBid, b.bestAsk]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
