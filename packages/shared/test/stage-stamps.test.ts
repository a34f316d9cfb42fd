/**
 * Stage stamps of the market-data path (stampHeader, descriptor.ts): each actor on the path adds
 * its own and copies the earlier ones forward, so exec's command carries the whole breakdown;
 * messages off the path (no frame receive time) carry none.
 */
import { describe, expect, it } from 'vitest';
import { kmm, stampHeader } from '../src/index.js';

const id = (kind: number, shard = 0) => kind * 1000 + shard;
const K = kmm.v1.ActorKind;

describe('stampHeader stage stamps', () => {
  it('ingest -> book (end-of-drain cause) -> strategy: every stage kept, each sender adds its own', () => {
    // ingest emits a delta caused by a frame received at 100
    const delta = stampHeader({ bookDelta: { market: 'M' } }, { causationId: 7, recvMonoNs: 100, exchangeTsMs: 1 }, undefined, 1, 150, id(K.INGEST)).header!;
    expect([delta.recvMonoNs, delta.ingestEmitMonoNs, delta.bookRecvMonoNs, delta.strategyRecvMonoNs]).toEqual([100, 150, 0, 0]);
    // the book handled it at 200 and flushes features at the end of its drain (no current message) with the market's cause
    const cause = { causationId: 7, recvMonoNs: 100, exchangeTsMs: 1, ingestEmitMonoNs: Number(delta.ingestEmitMonoNs), bookRecvMonoNs: 200 };
    const features = stampHeader({ bookFeatures: { market: 'M' } }, cause, undefined, 1, 260, id(K.BOOK)).header!;
    expect([features.ingestEmitMonoNs, features.bookRecvMonoNs, features.bookEmitMonoNs, features.emitMonoNs]).toEqual([150, 200, 260, 260]);
    // strategy started handling the features at 300 and emits targets at 340 (no explicit cause: the current header)
    const targets = stampHeader({ targetQuotes: { market: 'M' } }, undefined, features, 1, 340, id(K.STRATEGY), 300).header!;
    expect([targets.recvMonoNs, targets.causationId, targets.ingestEmitMonoNs, targets.bookRecvMonoNs, targets.bookEmitMonoNs, targets.strategyRecvMonoNs, targets.emitMonoNs]).toEqual([100, 7, 150, 200, 260, 300, 340]);
  });

  it('a book message handled inside the drain stamps its own receive time; off the path nothing is stamped', () => {
    const delta = stampHeader({ bookDelta: { market: 'M' } }, { recvMonoNs: 100 }, undefined, 1, 150, id(K.INGEST)).header!;
    const f = stampHeader({ bookFeatures: { market: 'M' } }, undefined, delta, 2, 230, id(K.BOOK, 1), 210).header!;
    expect([f.ingestEmitMonoNs, f.bookRecvMonoNs, f.bookEmitMonoNs]).toEqual([150, 210, 230]);
    const timerCaused = stampHeader({ targetQuotes: { market: 'M' } }, undefined, { senderSeq: 0, emitMonoNs: 5 }, 3, 400, id(K.STRATEGY), 390).header!;
    expect(timerCaused.recvMonoNs ?? 0).toBe(0);
    expect(timerCaused.ingestEmitMonoNs).toBeUndefined();
    expect(timerCaused.strategyRecvMonoNs).toBeUndefined();
  });
});
