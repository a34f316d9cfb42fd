/**
 * `--like`: a change to one of our orders reaches the book when the recorded run's feed reported
 * the same change (capturedDeltas), not the instant the backtest's venue made it. Live, the venue's
 * websocket delta for our order came some ms after the venue took it, and the book and strategy
 * decided without it until then (found comparing a demo with its backtest: a strategy that saw its
 * own amended bid 2 ms early moved its ask 3 ms early, and the run and the backtest parted ways).
 */
import { describe, expect, it } from 'vitest';
import { kmm, type KernelHooks } from '@kmm/shared';
import { parseCaptureLine } from '@kmm/ingest-worker/core';
import { capturedDeltasOf, OWN_REPORT_LATE_MS, timeline } from '../src/index.js';
import { oneMarketEngine } from './one-market-engine.js';

const T0 = 1_790_000_000_000;
const BASE_NS = 7_000_000_000;
const M = 'KXOWN-26-A';

/** snapshot at 0; a public delta at 12 ms; the run's own +2 at 0.46 reported at `reportMs`; a public delta at 60 ms */
function capture(reportMs: number): string[] {
  let seq = 0;
  const line = (ms: number, frame: unknown) => JSON.stringify({ recv_ns: BASE_NS + ms * 1e6, recv_ms: T0 + Math.floor(ms), frame: JSON.stringify(frame) });
  const delta = (ms: number, price: string, size: string) => line(ms, { type: 'orderbook_delta', sid: 1, seq: ++seq, msg: { market_ticker: M, price_dollars: price, delta_fp: size, side: 'yes', ts_ms: T0 + ms } });
  return [
    line(0, { type: 'orderbook_snapshot', sid: 1, seq: ++seq, msg: { market_ticker: M, yes_dollars_fp: [['0.4500', '3000.00'], ['0.4600', '2000.00']], no_dollars_fp: [['0.5200', '2500.00']] } }),
    delta(12, '0.4500', '10.00'),
    delta(reportMs, '0.4600', '2.00'),
    delta(60, '0.4500', '-10.00'),
  ];
}

/**
 * When the venue took our order (placed after the snapshot) and when the book shard got its delta
 * (ms since the first frame; exec cancels the order it does not know a little later: not counted).
 * `cancelAtMs`: we cancel it ourselves then; `changes` has both of our deltas, in the order the book got them.
 */
async function ourDeltaAtMs(reportMs: number, withCapturedDeltas: boolean, cancelAtMs = 0): Promise<{ venueMs: number; seen: number[]; changes: Array<[number, number]> }> {
  const lines = capture(reportMs).map((l) => parseCaptureLine(l)!);
  const tl = timeline(lines);
  const engine = oneMarketEngine(M, T0, withCapturedDeltas ? { capturedDeltas: capturedDeltasOf(lines, tl.tNs) } : {});
  const seen: number[] = [];
  const changes: Array<[number, number]> = [];
  (engine.kernel.hooks as KernelHooks).deliver = (actor, env, _from, t) => {
    if (actor === 'book.0' && env.bookDelta && env.bookDelta.clientOrderId === 'ours-1') changes.push([t.monoNs / 1e6, Number(env.bookDelta.deltaCenti)]);
    if (actor === 'book.0' && env.bookDelta && env.bookDelta.clientOrderId === 'ours-1' && Number(env.bookDelta.deltaCenti) > 0) seen.push(t.monoNs / 1e6);
  };
  await engine.start();
  await engine.frame(lines[0].frame, tl.tNs[0]);
  // (exec's start-up took the clock a few ms in) the venue takes our order one latency after the call
  const venueMs = engine.clock.monoNs() / 1e6 + 1;
  const placed = engine.gateway.place({ kind: kmm.v1.CommandKind.PLACE, market: M, clientOrderId: 'ours-1', side: kmm.v1.BookSide.BID, price: 4600, countCenti: 200, tif: kmm.v1.TimeInForce.GOOD_TILL_CANCELED, postOnly: true });
  if (cancelAtMs > 0) {
    await engine.kernel.runUntil(cancelAtMs * 1e6);
    const id = (await placed).ok ? [...engine.venue.orders.values()].find((o) => o.clientOrderId === 'ours-1')?.id : undefined;
    expect(id).toBeDefined();
    void engine.gateway.cancel({ kind: kmm.v1.CommandKind.CANCEL, market: M, orderId: id, clientOrderId: 'ours-1', side: kmm.v1.BookSide.BID, price: 4600 });
  }
  for (let i = 1; i < lines.length; i++) await engine.frame(lines[i].frame, tl.tNs[i]);
  await engine.kernel.runUntil(70e6);
  expect((await placed).ok).toBe(true);
  return { venueMs, seen, changes };
}

describe('backtest: our orders reported when the run’s feed reported them', () => {
  it('the book hears of our order at the line that reported the run’s same one, not when the venue took it', async () => {
    const now = await ourDeltaAtMs(18, false);
    expect(now.venueMs).toBeLessThan(18);
    expect(now.seen).toEqual([now.venueMs]);
    expect((await ourDeltaAtMs(18, true)).seen).toEqual([18]);
  });
  it('a report further than OWN_REPORT_LATE_MS after the venue’s change is another change: at once', async () => {
    const late = await ourDeltaAtMs(8 + OWN_REPORT_LATE_MS + 5, true);
    expect(late.venueMs).toBeLessThan(8);
    expect(late.seen).toEqual([late.venueMs]);
  });
  it('our reports keep their order: a cancel the run never reported waits behind the create still waiting for its line', async () => {
    // the create's report is due with the 18 ms line; we cancel at 10 ms, before it (the run did not: no line of its own)
    const r = await ourDeltaAtMs(18, true, 10);
    expect(r.changes).toEqual([
      [18, 200],
      [18, -200],
    ]);
  });
});
