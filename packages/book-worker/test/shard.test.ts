import { describe, expect, it } from 'vitest';
import { kmm, resolveConfig, type EnvelopeBody } from '@kmm/shared';
import { BookShardCore, bookParamsOf, type BookSink } from '../src/core/shard.js';
import { bookRouter } from '../src/actor/index.js';

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

describe('BookShardCore live config (CONFIG_UPDATE through the actor)', () => {
  function live() {
    const logs: { event: string; fields: Record<string, unknown> }[] = [];
    const sent: EnvelopeBody[] = [];
    const sink: BookSink = { send: (_p, body) => sent.push(body), log: (_l, event, fields) => logs.push({ event, fields }), stat: () => {}, setStat: () => {} };
    const core = new BookShardCore(bookParamsOf(resolveConfig({})), sink, [{ market: 'M', priceRanges: [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }] }]);
    const route = bookRouter(core);
    const S = 1_000_000_000;
    core.onSnapshot(snapshot, 1 * S); // mid 4250
    core.onDelta({ market: 'M', leg: kmm.v1.LegSide.YES, price: 4100, deltaCenti: 100 }, 2 * S); // mid 4300: r ~ 118 bps
    core.flush();
    const last = () => sent.filter((b) => b.bookFeatures).pop()!.bookFeatures!;
    const config = (json: Record<string, unknown>) =>
      route({ control: { kind: kmm.v1.ControlKind.CONFIG_UPDATE, json: JSON.stringify(json), reason: 'test' } }, 3 * S);
    return { core, logs, last, config };
  }

  it('a live edit of a book key changes the features at once: thresholds re-classify, window sums rescale', () => {
    const { core, logs, last, config } = live();
    const before = last();
    expect(before.volRegime).toBe(kmm.v1.VolRegime.EXTREME); // 118 bps >= 45
    expect(before.volMediumWindowS).toBe(60);
    expect(config({ MM_VOL_REGIME_EXTREME_BPS: 500, MM_VOL_REGIME_ELEVATED_BPS: 200, MM_VOL_REGIME_MEDIUM_WINDOW_S: 240, MM_VOL_REGIME_LONG_WINDOW_S: 480 })).toBe(true);
    expect(logs.find((l) => l.event === 'book_config_rejected')).toBeUndefined();
    expect(core.flush()).toBe(1); // every market re-sent, without waiting for the next book change
    const after = last();
    expect(after.volRegime).toBe(kmm.v1.VolRegime.NORMAL);
    expect(after.volMediumWindowS).toBe(240);
    // sum over a 4x longer window reads 2x in sqrt(sum r^2); per sqrt(s) it is unchanged
    expect(after.volMediumBps!).toBeCloseTo(before.volMediumBps! * 2, 6);
    expect(after.volMediumBps! / Math.sqrt(240)).toBeCloseTo(before.volMediumBps! / Math.sqrt(60), 9);
    expect(core.currentParams.config.MM_VOL_REGIME_EXTREME_BPS).toBe(500);
  });

  it('a restart-only book key is refused with that reason and changes nothing', () => {
    const { core, logs, config } = live();
    const windowBefore = core.currentParams.features.spreadEmaWindowS;
    config({ kmm_spread_ema_window_s: 99 });
    expect(core.currentParams.features.spreadEmaWindowS).toBe(windowBefore);
    const refusal = logs.find((l) => l.event === 'book_config_rejected');
    expect(String(refusal?.fields.error)).toMatch(/kmm_spread_ema_window_s takes effect only at restart/);
  });

  it('every public trade of a burst reaches the fill-intensity kappa (one features message carries the estimate, state the strategy mailbox may conflate)', () => {
    const { core, sent } = mk();
    // a 1c book 49/50 (mid 49.5): trades at the touch (0.5 tick) and 2c out (2.5 ticks) in one flush
    core.onSnapshot({ market: 'M', yesBids: [{ price: 4900, countCenti: 100_000 }], noBids: [{ price: 5000, countCenti: 100_000 }] }, 1);
    core.onTrust({ market: 'M', state: T.TRUSTED });
    for (let i = 0; i < 30; i++) core.onTrade({ market: 'M', yesPrice: 4900, countCenti: 10_000, takerBookSide: kmm.v1.BookSide.BID }, 2 + i);
    for (let i = 0; i < 30; i++) core.onTrade({ market: 'M', yesPrice: 4700, countCenti: 1_000, takerBookSide: kmm.v1.BookSide.BID }, 40 + i);
    expect(core.flush()).toBe(1);
    const f = sent.filter((x) => x.body.bookFeatures).pop()!.body.bookFeatures!;
    // 60 trades behind it (no time passed: no decay); volume falls with distance: a fitted kappa, not the prior 1.5
    expect(f.kappaTrades).toBeCloseTo(60, 6);
    expect(f.kappaPerTick).toBeGreaterThan(0.05);
    expect(Math.abs((f.kappaPerTick as number) - 1.5)).toBeGreaterThan(0.1);
    // before any trade: the prior
    const fresh = mk();
    fresh.core.onSnapshot({ market: 'M', yesBids: [{ price: 4900, countCenti: 100_000 }], noBids: [{ price: 5000, countCenti: 100_000 }] }, 1);
    fresh.core.flush();
    expect(fresh.sent.filter((x) => x.body.bookFeatures).pop()!.body.bookFeatures!.kappaPerTick).toBe(resolveConfig({}).order_arrival_k);
  });
});
