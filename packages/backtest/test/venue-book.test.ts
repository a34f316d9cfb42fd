/**
 * The backtest's venue sees the recorded others' book as it was; only the cores' book hides
 * others' levels our resting orders lock or cross (a live book never shows ours crossed with
 * others'). Before, the venue got the hidden book too: a level hidden while ours locked it
 * vanished from the venue's queues and came back as new size behind ours (found comparing a demo
 * with its backtest: an ask of ours 75,000 contracts back in a queue the venue check, replaying
 * the run's own orders, saw 18,700 long), and a recorded order crossing ours never traded with it.
 */
import { describe, expect, it } from 'vitest';
import { kmm, resolveConfig, type KernelHooks } from '@kmm/shared';
import { parseCaptureLine } from '@kmm/ingest-worker/core';
import { BacktestEngine, queueModel, timeline } from '../src/index.js';

const T0 = 1_790_000_000_000;
const BASE_NS = 7_000_000_000;
const M = 'KXVBOOK-26-A';
const noSinks = { journal: () => {}, tape: () => {}, decision: () => {}, ops: () => {} };

/** bids 0.45, asks 0.50; at 12 ms someone offers 5 contracts at 0.46, through a bid of ours at 0.47 */
function capture(): string[] {
  let seq = 0;
  const line = (ms: number, frame: unknown) => JSON.stringify({ recv_ns: BASE_NS + ms * 1e6, recv_ms: T0 + Math.floor(ms), frame: JSON.stringify(frame) });
  return [
    line(0, { type: 'orderbook_snapshot', sid: 1, seq: ++seq, msg: { market_ticker: M, yes_dollars_fp: [['0.4500', '3000.00']], no_dollars_fp: [['0.5000', '2500.00']] } }),
    line(12, { type: 'orderbook_delta', sid: 1, seq: ++seq, msg: { market_ticker: M, price_dollars: '0.5400', delta_fp: '5.00', side: 'no', ts_ms: T0 + 12 } }),
  ];
}

describe('backtest: the venue’s book is the recorded others’ book', () => {
  it('an offer through our resting bid trades with it at the venue (the cores’ book hid it while ours was there)', async () => {
    const lines = capture().map((l) => parseCaptureLine(l)!);
    const tl = timeline(lines);
    const engine = new BacktestEngine({
      config: resolveConfig({ kmm_shards: 1, max_time_to_resolution_hours: 8760 }),
      markets: [{ market: M, tickSize: 100, closeTimeMs: T0 + 90 * 86_400_000 }],
      model: queueModel('exchange', 2),
      latencyMs: 1,
      feedLatencyMs: 0,
      seed: 1,
      startWallMs: T0,
      sinks: noSinks,
    });
    const fills: kmm.v1.IFill[] = [];
    (engine.kernel.hooks as KernelHooks).deliver = (actor, env) => {
      if (actor === 'exec' && env.fill) fills.push(env.fill);
    };
    await engine.start();
    await engine.frame(lines[0].frame, tl.tNs[0]);
    const placed = engine.gateway.place({ kind: kmm.v1.CommandKind.PLACE, market: M, clientOrderId: 'ours-1', side: kmm.v1.BookSide.BID, price: 4700, countCenti: 200, tif: kmm.v1.TimeInForce.GOOD_TILL_CANCELED, postOnly: true });
    expect(engine.clock.monoNs()).toBeLessThan(10e6);
    await engine.frame(lines[1].frame, tl.tNs[1]);
    await engine.kernel.runUntil(13e6);
    expect((await placed).ok).toBe(true);
    // the venue: the offer crossed our bid with no print; it would have traded with us, at our price
    expect(engine.venue.crossingFills).toBe(1);
    expect(fills.map((f) => [f.clientOrderId, f.yesPrice, Number(f.countCenti), f.isTaker])).toEqual([['ours-1', 4700, 200, false]]);
  });
});
