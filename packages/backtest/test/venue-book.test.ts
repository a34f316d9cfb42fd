/**
 * The backtest's venue sees the recorded others' book as it was; only the cores' book hides
 * others' levels our resting orders lock or cross (a live book never shows ours crossed with
 * others'). Before, the venue got the hidden book too: a level hidden while ours locked it
 * vanished from the venue's queues and came back as new size behind ours (found comparing a demo
 * with its backtest: an ask of ours 75,000 contracts back in a queue the venue check, replaying
 * the run's own orders, saw 18,700 long). The recorded orders rest (post-only makers, as the
 * simulator's liquidity providers are): one through ours does not trade with it; prints do.
 */
import { describe, expect, it } from 'vitest';
import { kmm, type KernelHooks } from '@kmm/shared';
import { parseCaptureLine } from '@kmm/ingest-worker/core';
import { timeline } from '../src/index.js';
import { oneMarketEngine } from './one-market-engine.js';

const T0 = 1_790_000_000_000;
const BASE_NS = 7_000_000_000;
const M = 'KXVBOOK-26-A';

/** bids 0.45, asks 0.50; at 9 ms someone offers 5 contracts at 0.46, through a bid of ours at 0.47 (placed at about 6 ms; exec cancels it, an order it does not know, a few ms later) */
function capture(): string[] {
  let seq = 0;
  const line = (ms: number, frame: unknown) => JSON.stringify({ recv_ns: BASE_NS + ms * 1e6, recv_ms: T0 + Math.floor(ms), frame: JSON.stringify(frame) });
  return [
    line(0, { type: 'orderbook_snapshot', sid: 1, seq: ++seq, msg: { market_ticker: M, yes_dollars_fp: [['0.4500', '3000.00']], no_dollars_fp: [['0.5000', '2500.00']] } }),
    line(9, { type: 'orderbook_delta', sid: 1, seq: ++seq, msg: { market_ticker: M, price_dollars: '0.5400', delta_fp: '5.00', side: 'no', ts_ms: T0 + 9 } }),
  ];
}

describe('backtest: the venue’s book is the recorded others’ book', () => {
  it('an offer through our resting bid is in the venue’s book, hidden from the cores, and does not trade with ours', async () => {
    const lines = capture().map((l) => parseCaptureLine(l)!);
    const tl = timeline(lines);
    const engine = oneMarketEngine(M, T0);
    const fills: kmm.v1.IFill[] = [];
    const coresSawOffer: number[] = [];
    (engine.kernel.hooks as KernelHooks).deliver = (actor, env) => {
      if (actor === 'exec' && env.fill) fills.push(env.fill);
      const d = env.bookDelta;
      if (actor === 'book.0' && d && d.leg === kmm.v1.LegSide.NO && d.price === 5400 && !d.clientOrderId) coresSawOffer.push(Number(d.deltaCenti));
    };
    await engine.start();
    await engine.frame(lines[0].frame, tl.tNs[0]);
    const placed = engine.gateway.place({ kind: kmm.v1.CommandKind.PLACE, market: M, clientOrderId: 'ours-1', side: kmm.v1.BookSide.BID, price: 4700, countCenti: 200, tif: kmm.v1.TimeInForce.GOOD_TILL_CANCELED, postOnly: true });
    expect(engine.clock.monoNs()).toBeLessThan(7e6);
    await engine.frame(lines[1].frame, tl.tNs[1]);
    await engine.kernel.runUntil(10e6);
    expect((await placed).ok).toBe(true);
    // the venue: the offer rests in its book (others' queue at 0.46), and did not trade with our bid
    expect(engine.venue.markets.get(M)!.book.sizeAt(kmm.v1.BookSide.ASK, 4600)).toBe(500);
    expect(engine.venue.crossingFills).toBe(0);
    expect(fills).toEqual([]);
    // the cores: not shown the offer while our bid is through it
    expect(coresSawOffer).toEqual([]);
  });
});
