/**
 * The book actor's causes (actor/index.ts): a market's BookFeatures, flushed at the end of a
 * drain, carry that market's own frame (receive time and stage stamps), not the drain's last
 * frame; features changed by a message without a frame behind it (exec's WorkingOrders) in a
 * later drain carry no frame at all (no tick-to-order sample measured from an old frame).
 */
import { describe, expect, it } from 'vitest';
import { kmm, resolveConfig, type ActorIo, type Causation, type EnvelopeBody } from '@kmm/shared';
import { bookActor } from '../src/actor/index.js';

const T = kmm.v1.TrustState;
const grid = [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }];

function harness() {
  const sent: { peer: string; body: EnvelopeBody; cause?: Causation }[] = [];
  let current: kmm.v1.IHeader | undefined;
  const time = { monoNs: 0, monoMs: 0, wallMs: 0 };
  const io: ActorIo = {
    name: 'book.0', peers: ['strategy', 'ingest', 'sup'], hasPeer: () => true,
    send: (peer, body, cause) => sent.push({ peer, body, cause: cause ? { ...cause } : undefined }),
    ops: () => {}, log: () => {}, stat: () => {}, setStat: () => {}, after: () => {}, self: () => {},
    fail: (e) => { throw e; }, now: () => time,
    get current() { return current; },
  };
  const markets = ['A', 'B'].map((market) => ({ market, priceRanges: grid }));
  const s = bookActor.start({ name: 'book.0', kind: kmm.v1.ActorKind.BOOK, shard: 0, shardCount: 1, restartCount: 0, config: resolveConfig({}), extra: {}, markets, startTime: time, io, env: null }) as ReturnType<typeof bookActor.start> & object;
  const h = bookActor.handlers as Record<string, (s: unknown, b: unknown, t: typeof time, io: ActorIo) => void>;
  const msg = (kind: string, body: unknown, header: kmm.v1.IHeader | undefined, atNs: number) => {
    current = header;
    time.monoNs = atNs;
    h[kind](s, body, time, io);
    current = undefined;
  };
  const drainEnd = (atNs: number) => {
    time.monoNs = atNs;
    bookActor.endOfDrain!(s as never, time, io);
  };
  const features = (market: string) => sent.filter((x) => x.peer === 'strategy' && x.body.bookFeatures?.market === market);
  return { msg, drainEnd, features, sent };
}

describe('book actor causes', () => {
  it('per market in a drain; none for features a later WorkingOrders changed', () => {
    const { msg, drainEnd, features } = harness();
    for (const m of ['A', 'B']) {
      msg('bookSnapshot', { market: m, yesBids: [{ price: 4000, countCenti: 1000 }], noBids: [{ price: 5500, countCenti: 500 }] }, { recvMonoNs: 10, ingestEmitMonoNs: 11 }, 20);
      msg('marketTrust', { market: m, state: T.TRUSTED }, { recvMonoNs: 12 }, 21);
    }
    drainEnd(30);
    // one drain: a delta of A (frame at 100), then one of B (frame at 200)
    msg('bookDelta', { market: 'A', leg: kmm.v1.LegSide.YES, price: 4100, deltaCenti: 300 }, { recvMonoNs: 100, ingestEmitMonoNs: 110, causationId: 1 }, 150);
    msg('bookDelta', { market: 'B', leg: kmm.v1.LegSide.YES, price: 4100, deltaCenti: 300 }, { recvMonoNs: 200, ingestEmitMonoNs: 210, causationId: 2 }, 250);
    drainEnd(300);
    const a = features('A').at(-1)!.cause!;
    const b = features('B').at(-1)!.cause!;
    expect([a.recvMonoNs, a.ingestEmitMonoNs, a.bookRecvMonoNs, a.causationId]).toEqual([100, 110, 150, 1]);
    expect([b.recvMonoNs, b.ingestEmitMonoNs, b.bookRecvMonoNs, b.causationId]).toEqual([200, 210, 250, 2]);
    // a later drain: exec reports a resting order of ours at A's best bid (no frame behind it)
    const before = features('A').length;
    msg('workingOrders', { market: 'A', orders: [{ orderId: 'o1', side: kmm.v1.BookSide.BID, price: 4100, remainingCenti: 200 }], restingBidCenti: 200 }, { recvMonoNs: 0 }, 400);
    drainEnd(450);
    const after = features('A');
    expect(after.length).toBeGreaterThan(before);
    expect(after.at(-1)!.cause!.recvMonoNs).toBe(0);
    // the same drain as a frame of A: that frame stays the cause
    msg('bookDelta', { market: 'A', leg: kmm.v1.LegSide.YES, price: 4100, deltaCenti: 100 }, { recvMonoNs: 500, ingestEmitMonoNs: 505 }, 520);
    msg('workingOrders', { market: 'A', orders: [], restingBidCenti: 0 }, { recvMonoNs: 0 }, 530);
    drainEnd(540);
    expect(features('A').at(-1)!.cause!.recvMonoNs).toBe(500);
  });
});
