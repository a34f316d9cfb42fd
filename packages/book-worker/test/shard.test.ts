import { describe, expect, it } from 'vitest';
import { kmm, resolveConfig, type EnvelopeBody } from '@kmm/shared';
import { BookShardCore, bookParamsOf, type BookSink } from '../src/core/shard.js';

const T = kmm.v1.TrustState;

function mk() {
  const sent: { peer: string; body: EnvelopeBody }[] = [];
  const stats = new Map<string, number>();
  const sink: BookSink = {
    send: (peer, body) => sent.push({ peer, body }),
    log: () => {},
    stat: () => {},
    setStat: (n, v) => stats.set(n, v),
  };
  return { core: new BookShardCore(bookParamsOf(resolveConfig({})), sink, [{ market: 'M', priceRanges: [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }] }]), sent, stats };
}
const snapshot: kmm.v1.IBookSnapshot = { market: 'M', yesBids: [{ price: 4000, countCenti: 1000 }], noBids: [{ price: 5500, countCenti: 500 }] };

describe('BookShardCore', () => {
  it('a shard without a snapshot (e.g. restarted) asks ingest for one on the first delta, then at most every 5 s', () => {
    const { core, sent } = mk();
    const delta = { bookDelta: { market: 'M', leg: kmm.v1.LegSide.YES, price: 4000, deltaCenti: 100 } };
    const asks = () => sent.filter((s) => s.peer === 'ingest' && s.body.marketTrust?.reason === 'book_without_snapshot').length;
    core.onDelta(delta.bookDelta, 1_000);
    core.onDelta(delta.bookDelta, 2_000);
    expect(asks()).toBe(1);
    core.onDelta(delta.bookDelta, 1_000 + 5_000_000_000);
    expect(asks()).toBe(2);
    core.onSnapshot(snapshot, 6_000_000_000);
    core.onDelta(delta.bookDelta, 6_000_000_001);
    expect(asks()).toBe(2); // valid again: deltas apply, nothing asked
    expect(core.entry('M')!.book.valid).toBe(true);
  });

  it('conflates: one BookFeatures per market per flush, with YES asks derived from NO bids', () => {
    const { core, sent } = mk();
    core.onSnapshot(snapshot, 1);
    core.onTrust({ market: 'M', state: T.TRUSTED });
    for (let i = 0; i < 10; i++) core.onDelta({ market: 'M', leg: kmm.v1.LegSide.YES, price: 4000, deltaCenti: 100 }, 2 + i);
    expect(core.flush()).toBe(1);
    const f = sent.find((s) => s.body.bookFeatures)!.body.bookFeatures!;
    expect(f).toMatchObject({ market: 'M', bestBid: 4000, bestBidCenti: 2000, bestAsk: 4500, bestAskCenti: 500, spread: 500, mid: 4250, trust: T.TRUSTED });
    expect(f.microprice).toBeCloseTo((4000 * 500 + 4500 * 2000) / 2500);
    expect(core.flush()).toBe(0);
  });

  it('a failing apply makes the book UNTRUSTED, asks ingest for a resync once, and ignores deltas until a snapshot', () => {
    const { core, sent } = mk();
    core.onSnapshot(snapshot, 0);
    core.onTrust({ market: 'M', state: T.TRUSTED });
    core.onDelta({ market: 'M', leg: kmm.v1.LegSide.NO, price: 5500, deltaCenti: -600 }, 0);
    core.onDelta({ market: 'M', leg: kmm.v1.LegSide.NO, price: 5500, deltaCenti: -100 }, 0);
    const toIngest = sent.filter((s) => s.peer === 'ingest');
    expect(toIngest).toHaveLength(1);
    expect(toIngest[0].body.marketTrust).toMatchObject({ market: 'M', state: T.UNTRUSTED, reason: 'book_invalid:negative_size' });
    core.flush();
    expect(sent.filter((s) => s.body.bookFeatures).pop()!.body.bookFeatures!.trust).toBe(T.UNTRUSTED);
    expect(core.entry('M')!.book.sizeAt(kmm.v1.BookSide.ASK, 4500)).toBe(500); // not corrupted
    core.onSnapshot(snapshot, 0);
    core.flush();
    expect(sent.filter((s) => s.body.bookFeatures).pop()!.body.bookFeatures!.trust).toBe(T.TRUSTED);
  });

  it('tracks our order, reports its queue estimate and exports the error against the exchange position', () => {
    const { core, sent, stats } = mk();
    core.onSnapshot(snapshot, 0);
    core.onOrderAck({ kind: kmm.v1.CommandKind.PLACE, market: 'M', clientOrderId: 'c1', orderId: 'o1', side: kmm.v1.BookSide.BID, price: 4000, remainingCenti: 300, status: kmm.v1.OrderStatus.RESTING });
    core.onDelta({ market: 'M', leg: kmm.v1.LegSide.YES, price: 4000, deltaCenti: 300, clientOrderId: 'c1' }, 0);
    core.onTrade({ market: 'M', yesPrice: 4000, countCenti: 400, takerBookSide: kmm.v1.BookSide.ASK }, 0);
    core.flush();
    const q = sent.filter((s) => s.body.bookFeatures).pop()!.body.bookFeatures!.queue!;
    expect(q).toEqual([expect.objectContaining({ clientOrderId: 'c1', aheadCenti: 600, levelTotalCenti: 1300 })]);
    core.onWorkingOrders({ market: 'M', orders: [{ clientOrderId: 'c1', orderId: 'o1', side: kmm.v1.BookSide.BID, price: 4000, exchangeAheadCenti: 550 }] });
    expect(stats.get('queue_estimate_error_centi')).toBe(50);
    expect(core.entry('M')!.queue.orders.get('c1')!.aheadCenti).toBe(550); // calibrated
    core.onWorkingOrders({ market: 'M', orders: [] });
    expect(core.entry('M')!.queue.orders.size).toBe(0);
  });
});
