/**
 * `--like`: a command the run also sent reaches the backtest's venue at the capture line where
 * the run's venue reported the run's order, after the lines before it even inside one socket read
 * (whose lines all share one time on the capture's timeline). Public changes the venue made before
 * our order are ahead of it in the queue; applying it at the read's time put it ahead of them.
 */
import { describe, expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import { parseCaptureLine } from '@kmm/ingest-worker/core';
import { orderKey, timeline, type RecordedCommand } from '../src/index.js';
import { oneMarketEngine } from './one-market-engine.js';

const T0 = 1_790_000_000_000;
const BASE_NS = 7_000_000_000;
const M = 'KXVLINE-26-A';
const ours: kmm.v1.IOrderCommand = { kind: kmm.v1.CommandKind.PLACE, market: M, clientOrderId: 'ours-1', side: kmm.v1.BookSide.BID, price: 4600, countCenti: 200, tif: kmm.v1.TimeInForce.GOOD_TILL_CANCELED, postOnly: true };

/** a snapshot; then one socket read at 10 ms: someone bids 5 at 0.46, then the venue reports the run's order */
function capture(): string[] {
  const line = (ms: number, turn: number, frame: unknown) => JSON.stringify({ recv_ns: BASE_NS + ms * 1e6, recv_ms: T0 + Math.floor(ms), turn, frame: JSON.stringify(frame) });
  return [
    line(0, 1, { type: 'orderbook_snapshot', sid: 1, seq: 1, msg: { market_ticker: M, yes_dollars_fp: [['0.4500', '3000.00']], no_dollars_fp: [['0.5000', '2500.00']] } }),
    line(10, 2, { type: 'orderbook_delta', sid: 1, seq: 2, msg: { market_ticker: M, price_dollars: '0.4600', delta_fp: '5.00', side: 'yes', ts_ms: T0 + 10 } }),
    line(10.2, 2, { type: 'user_order', sid: 4, msg: { order_id: 'run-1', ticker: M, status: 'resting', side: 'yes', book_side: 'bid', yes_price_dollars: '0.4600', remaining_count_fp: '2.00', fill_count_fp: '0.00', initial_count_fp: '2.00' } }),
  ];
}

/** Contracts ahead of our order at the venue once the capture has played, the run's command recorded with (or without) its report line. */
async function aheadOfOurs(withLine: boolean): Promise<number> {
  const lines = capture().map((l) => parseCaptureLine(l)!);
  const tl = timeline(lines);
  expect(tl.tNs[1]).toBe(tl.tNs[2]); // one socket read: one time
  const recorded: RecordedCommand = { keys: [orderKey(ours)], wireNs: 8e6, venueNs: tl.tNs[2], answeredNs: 12e6, venueLine: withLine ? 2 : -1 };
  const engine = oneMarketEngine(M, T0, { latencySamplesMs: [1], recordedCommands: [recorded] });
  await engine.start();
  await engine.frame(lines[0].frame, tl.tNs[0]);
  // sent when the run's was written, give or take: it takes the run's command's timing
  expect(engine.clock.monoNs()).toBeGreaterThan(recorded.wireNs - 5e6);
  const placed = engine.gateway.place(ours);
  for (let i = 1; i < lines.length; i++) await engine.frame(lines[i].frame, tl.tNs[i]);
  await engine.kernel.runUntil(11e6);
  expect(engine.latencyMatcher?.matched).toBe(1);
  const o = [...engine.venue.orders.values()].find((x) => x.clientOrderId === 'ours-1');
  expect(o).toBeDefined();
  void placed;
  return o!.aheadCenti / 100;
}

describe('backtest: our command at the run venue’s report line', () => {
  it('behind the bid the venue took before the run’s order in the same socket read', async () => {
    expect(await aheadOfOurs(true)).toBe(5);
  });
  it('(without the line: at the read’s time, ahead of it)', async () => {
    expect(await aheadOfOurs(false)).toBe(0);
  });
});
