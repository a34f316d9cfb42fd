/**
 * core/market-stats.ts on hand-made recordings whose figures are worked out here by hand, and
 * the readers (market/read.ts) on small files written to a temp folder.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeMarketStats, computeStatsOfRecordings, quantile, type MarketEvent } from '../src/core/market-stats.js';
import { readRecording } from '../src/market/read.js';
import { statsOfFiles } from '../src/market/report.js';

const C = 100; // one cent in price units
const K = 100; // one contract in centi

/** A book: YES bid 40c x 10, NO bid 58c x 20 (YES ask 42c): spread 2 ticks. */
function snap(tMs: number): MarketEvent {
  return { kind: 'snapshot', market: 'M', tMs, yesBids: [[40 * C, 10 * K], [39 * C, 5 * K]], noBids: [[58 * C, 20 * K]] };
}

describe('market statistics', () => {
  it('quantile interpolates between ranks', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([5], 0.9)).toBe(5);
  });

  it('samples the touch once a second, counts deltas and trades over the span', () => {
    const ev: MarketEvent[] = [
      snap(0),
      // at 2.5 s the YES bid grows to 30 contracts; from then the touch is 30 (bid) and 20 (ask)
      { kind: 'delta', market: 'M', tMs: 2500, leg: 'yes', price: 40 * C, deltaCenti: 20 * K },
      { kind: 'trade', market: 'M', tMs: 3000, yesPrice: 42 * C, countCenti: 4 * K },
      { kind: 'trade', market: 'M', tMs: 3500, yesPrice: 40 * C, countCenti: 8 * K },
      { kind: 'delta', market: 'M', tMs: 4000, leg: 'no', price: 58 * C, deltaCenti: 0 },
    ];
    const s = computeMarketStats(ev, { tradesRecorded: true, bookDeltasRecorded: true }).pooled;
    // samples at 0,1,2 s: bid 10 / ask 20; at 3,4 s: bid 30 / ask 20
    expect(s.touchSizeContracts!.median).toBe(20);
    expect(s.touchSizeContracts!.p10).toBe(10);
    expect(s.spreadTicks).toEqual({ median: 2, mean: 2 });
    expect(s.spanS).toBe(4);
    expect(s.deltasPerS).toBe(0.5);
    expect(s.tradesPerMin).toBe(30);
    expect(s.tradeSizeContracts).toEqual({ median: 6, mean: 6, p99: 7.96 });
    // one trade-to-trade move of 2c: none of the variance from moves >= 5c
    expect(s.varShareGe5c).toBe(0);
    expect(s.varShareSource).toBe('trades');
    // depth within 10 ticks: bid side 10+5 (then 30+5), ask side 20; 8 of 10 bid prices and 9 of 10 ask prices empty
    expect(s.gapShare10).toBeCloseTo((0.8 + 0.9) / 2);
  });

  it('measures the share of variance from moves of 5c or more', () => {
    const t = (tMs: number, cents: number): MarketEvent => ({ kind: 'trade', market: 'X', tMs, yesPrice: cents * C, countCenti: K });
    // moves +1, -1, +6: variance 1 + 1 + 36; 36/38 from the big move
    const s = computeMarketStats([t(0, 50), t(1000, 51), t(2000, 50), t(3000, 56)], { tradesRecorded: true, bookDeltasRecorded: false }).pooled;
    expect(s.varShareGe5c).toBeCloseTo(36 / 38);
    expect(s.deltasPerS).toBeNull();
    expect(s.touchSizeContracts).toBeNull();
  });

  it('marks our passive fills to the mid 1/10/60 s later, signed for our side', () => {
    const ev: MarketEvent[] = [
      snap(0), // mid 41c
      { kind: 'fill', market: 'M', tMs: 100, buy: true, yesPrice: 40 * C, countCenti: 2 * K, isTaker: false },
      { kind: 'fill', market: 'M', tMs: 100, buy: true, yesPrice: 42 * C, countCenti: 1 * K, isTaker: true }, // taker: not counted
      // at 5 s the NO bid rises to 61c (ask 39c) and the YES bid falls to 38c: mid 38.5c
      { kind: 'delta', market: 'M', tMs: 5000, leg: 'no', price: 61 * C, deltaCenti: 10 * K },
      { kind: 'delta', market: 'M', tMs: 5000, leg: 'yes', price: 40 * C, deltaCenti: -10 * K },
      { kind: 'delta', market: 'M', tMs: 5000, leg: 'yes', price: 39 * C, deltaCenti: -5 * K },
      { kind: 'delta', market: 'M', tMs: 5000, leg: 'yes', price: 38 * C, deltaCenti: 5 * K },
      { kind: 'delta', market: 'M', tMs: 20_000, leg: 'yes', price: 38 * C, deltaCenti: 1 * K },
    ];
    const s = computeMarketStats(ev, { tradesRecorded: false, bookDeltasRecorded: true }).pooled;
    expect(s.passiveFills).toBe(1);
    // 1 s: mid 41 - 40 = +1c; 10 s: 38.5 - 40 = -1.5c; 60 s is past the end: no figure
    expect(s.markouts).toEqual([
      { horizonS: 1, cents: 1, fills: 1 },
      { horizonS: 10, cents: -1.5, fills: 1 },
    ]);
    expect(s.tradesPerMin).toBeNull();
  });

  it('pools recordings: each market its own span, counts summed', () => {
    const a = { events: [snap(0), { kind: 'delta', market: 'M', tMs: 10_000, leg: 'yes', price: 39 * C, deltaCenti: K } as MarketEvent], opts: { tradesRecorded: false, bookDeltasRecorded: true } };
    const b = { events: [{ ...snap(0), market: 'N' }, { kind: 'delta', market: 'N', tMs: 30_000, leg: 'yes', price: 39 * C, deltaCenti: K } as MarketEvent], opts: { tradesRecorded: false, bookDeltasRecorded: true } };
    const s = computeStatsOfRecordings([a, b]);
    expect(s.markets.map((m) => m.deltasPerS)).toEqual([0.1, 1 / 30]);
    expect(s.pooled.deltasPerS).toBeCloseTo(2 / 40);
  });
});

describe('recording readers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kmm-mstats-'));

  it('reads our capture.jsonl and Kalshi raw frames alike', () => {
    const snapFrame = { type: 'orderbook_snapshot', sid: 1, seq: 1, msg: { market_ticker: 'T', yes_dollars_fp: [['0.4000', '10.00']], no_dollars_fp: [['0.5900', '7.00']] } };
    const delta = (seq: number, tsMs: number, fp: string) => ({ type: 'orderbook_delta', sid: 1, seq, msg: { market_ticker: 'T', price_dollars: '0.4000', delta_fp: fp, side: 'yes', ts_ms: tsMs } });
    const frames = [snapFrame, delta(2, 1_000_002_000, '5.00'), delta(3, 1_000_004_000, '-3.00')];
    const raw = join(dir, 'session.jsonl');
    writeFileSync(raw, frames.map((f) => JSON.stringify(f)).join('\n\n') + '\n');
    const ours = join(dir, 'capture.jsonl');
    const recv = [1_000_000_000, 1_000_002_000, 1_000_004_000];
    writeFileSync(ours, frames.map((f, i) => JSON.stringify({ recv_ns: i + 1, recv_ms: recv[i], frame: JSON.stringify(f) })).join('\n') + '\n');
    // ours: receive times; samples at 0..4 s: bid 10,10,15,15,12 and ask 7 each time
    const o = statsOfFiles([ours]).stats.pooled;
    expect(o.spreadTicks!.median).toBe(1);
    expect(o.deltasPerS).toBe(0.5);
    expect(o.touchSizeContracts!.median).toBe(8.5);
    // raw: the snapshot has no time and takes the first delta's; samples at 2..4 s: bid 15,15,12
    const r = statsOfFiles([raw]).stats.pooled;
    expect(r.deltasPerS).toBe(1);
    expect(r.touchSizeContracts!.median).toBe(9.5);
  });

  it('reads trade-print and book-snapshot CSVs and names a bad field', () => {
    const trades = join(dir, 'trades.csv');
    writeFileSync(trades, '"","ticker_name","report_ticker","date","create_ts","contracts_traded","price"\n"1","A","S","d","2025-09-17T21:33:05-04:00",3,69\n"2","A","S","d","2025-09-17T21:10:16-04:00",1,64\n');
    const r = readRecording(trades);
    expect(r.kind).toBe('trades-csv');
    expect(r.events.map((e) => e.tMs)).toEqual([...r.events.map((e) => e.tMs)].sort((x, y) => x - y));
    const books = join(dir, 'books.csv');
    writeFileSync(books, 'market_ticker,snapshot_time,yes_prices,yes_sizes,no_prices,no_sizes\nB,2025-12-04T20:26:36Z,"[1, 2]","[5, 6]",[97],[9]\n');
    const s = statsOfFiles([books]).stats.pooled;
    expect(s.spreadTicks!.median).toBe(1);
    expect(s.touchSizeContracts!.median).toBe(7.5);
    writeFileSync(trades, '"","ticker_name","create_ts","contracts_traded","price"\n"1","A","2025-09-17T21:33:05Z",3,169\n');
    expect(() => readRecording(trades)).toThrow(/row 2: price '169'/);
  });
});
