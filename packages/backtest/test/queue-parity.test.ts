/**
 * The three queue models on a capture where our order shares a level with public size (and with
 * an order of the recorded run, which the backtest takes out of the book first): each model gives
 * its own fills, as its rules say. The frames go the engine's way: capture line -> parser ->
 * OthersBook -> SimVenue.
 *
 * The level (YES bid 0.40): 10 others; the recorded run's own 3 (tagged delta + user_order);
 * our order of 5 joins behind the 10 others; 10 more join behind us; then 10 leave (a cancel no
 * print explains); then a print of 8 sells into the level.
 *   risk-averse: a cancel is assumed behind us: 10 ahead, the print of 8 leaves 2 ahead -> 0 filled
 *   prob-power (n = 2): 10 ahead and 10 behind: half of the cancel is ahead -> 5 ahead -> 3 filled
 *   exchange (FIFO): the cancel is the order of exactly that size: the 10 ahead -> 5 filled
 */
import { describe, expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import { parseCaptureLine } from '@kmm/ingest-worker/core';
import { OthersBook, SimVenue, queueModel, QUEUE_MODELS, type QueueModelName } from '../src/index.js';

const M = 'KXQUEUE-26-A';
const BID = kmm.v1.BookSide.BID;
const T0 = 1_790_000_000_000;

function capture(): string[] {
  let seq = 0;
  const out: string[] = [];
  const line = (dtMs: number, frame: Record<string, unknown>): void => {
    out.push(JSON.stringify({ recv_ns: 1_000_000_000 + dtMs * 1e6, recv_ms: T0 + dtMs, frame: JSON.stringify(frame) }));
  };
  const delta = (dtMs: number, price: string, d: string, coid?: string): void =>
    line(dtMs, { type: 'orderbook_delta', sid: 1, seq: ++seq, msg: { market_ticker: M, price_dollars: price, delta_fp: d, side: 'yes', ts_ms: T0 + dtMs, ...(coid ? { client_order_id: coid } : {}) } });
  line(0, { type: 'orderbook_snapshot', sid: 1, seq: ++seq, msg: { market_ticker: M, yes_dollars_fp: [['0.4000', '10.00']], no_dollars_fp: [['0.5500', '20.00']] } });
  // the recorded run's own order of 3 at 0.40 (its book delta, then its user_order)
  delta(10, '0.4000', '3.00', 'rec-1');
  line(11, { type: 'user_order', sid: 4, msg: { order_id: 'o-rec-1', ticker: M, status: 'resting', side: 'yes', book_side: 'bid', yes_price_dollars: '0.4000', remaining_count_fp: '3.00', fill_count_fp: '0.00', initial_count_fp: '3.00', client_order_id: 'rec-1' } });
  // (our order joins here, at 100 ms)
  delta(200, '0.4000', '10.00'); // 10 join behind us
  delta(300, '0.4000', '-10.00'); // 10 leave: no print explains it
  line(400, { type: 'trade', sid: 2, msg: { trade_id: 't1', market_ticker: M, yes_price_dollars: '0.4000', count_fp: '8.00', taker_side: 'no', taker_book_side: 'ask', ts_ms: T0 + 400 } });
  delta(401, '0.4000', '-8.00');
  return out;
}

function run(model: QueueModelName): { filledCenti: number; aheadAtJoin: number; seqs: number[] } {
  const others = new OthersBook();
  const venue = new SimVenue(queueModel(model, 2), [{ market: M, priceRanges: [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }], feeType: 'quadratic_with_maker_fees', feeMultiplierMilli: 1000 }]);
  let filledCenti = 0;
  let aheadAtJoin = -1;
  const seqs: number[] = [];
  for (const l of capture()) {
    const c = parseCaptureLine(l)!;
    const now = c.recvMs;
    if (now > T0 + 100 && aheadAtJoin < 0) {
      const r = venue.place({ market: M, clientOrderId: 'bt-1', side: BID, price: 4000, countCenti: 500, postOnly: true }, now);
      expect(r.ok).toBe(true);
      aheadAtJoin = venue.resting()[0].aheadCenti;
    }
    for (const f of others.process(c.frame)) {
      if (f.kind === 'snapshot') {
        seqs.push(f.seq);
        venue.onSnapshot(f.body, now);
      } else if (f.kind === 'delta') {
        seqs.push(f.seq);
        venue.onDelta(f.body, now);
      } else if (f.kind === 'trade') venue.onTrade(f.body, now);
      else continue;
      for (const x of venue.fills) filledCenti += x.countCenti;
    }
  }
  return { filledCenti, aheadAtJoin, seqs };
}

describe('queue models differ where they should', () => {
  it('a shared level with a cancel of unknown place: risk-averse 0, prob-power 3, exchange 5 contracts', () => {
    const got = Object.fromEntries(QUEUE_MODELS.map((m) => [m, run(m)]));
    // the recorded run's 3 are not ahead of us: only the 10 others are
    for (const m of QUEUE_MODELS) expect(got[m].aheadAtJoin).toBe(1000);
    expect(got['risk-averse'].filledCenti).toBe(0);
    expect(got['prob-power'].filledCenti).toBe(300);
    expect(got.exchange.filledCenti).toBe(500);
    // the recorded run's own delta was dropped and the book's sequence stays gapless
    const s = got.exchange.seqs;
    expect(s).toEqual(s.map((_, i) => s[0] + i));
    expect(s.length).toBe(4); // snapshot, +10, -10, -8 (the recorded run's +3 is not the others')
  });
});
