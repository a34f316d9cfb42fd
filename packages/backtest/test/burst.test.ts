/**
 * Frames of one socket read (the capture's `turn`) play as one burst: live, ingest sends their
 * envelopes as one batch (flushed on a microtask) and the book shard handles them in one drain,
 * one features message per market; the backtest gives them one time (timeline) and plays them
 * before anything due at that time (the engine), so its strategy decides on the same books.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatCaptureLine, parseCaptureLine, type CaptureLine } from '@kmm/ingest-worker/core';
import { runBacktest, timeline } from '../src/index.js';

const T0 = 1_790_000_000_000;
const M = 'KXBURST-26-A';

function lines(withTurns: boolean): string[] {
  const out: string[] = [];
  let seq = 0;
  const add = (ms: number, frame: unknown, turn: number) => out.push(formatCaptureLine(5e9 + ms * 1e6, T0 + ms, JSON.stringify(frame), withTurns ? turn : undefined));
  add(0, { type: 'orderbook_snapshot', sid: 1, seq: ++seq, msg: { market_ticker: M, yes_dollars_fp: [['0.4500', '300.00']], no_dollars_fp: [['0.5000', '250.00']] } }, 1);
  // ten bursts of 6 deltas each, the deltas of a burst 0.2 ms apart, bursts 400 ms apart
  for (let b = 0; b < 10; b++) {
    for (let i = 0; i < 6; i++) {
      const d = i % 2 === 0 ? '7.00' : '-3.00';
      add(3000 + b * 400 + i * 0.2, { type: 'orderbook_delta', sid: 1, seq: ++seq, msg: { market_ticker: M, price_dollars: '0.4500', delta_fp: d, side: 'yes', ts_ms: T0 + 3000 + b * 400 } }, 2 + b);
    }
  }
  return out;
}

describe('backtest: a socket read plays as one burst', () => {
  it('timeline: the lines of one turn take the first one\'s time; lines without turns keep their own', () => {
    const parse = (ls: string[]): CaptureLine[] => ls.map((l) => parseCaptureLine(l)!);
    const turned = timeline(parse(lines(true))).tNs;
    const plain = timeline(parse(lines(false))).tNs;
    expect(new Set(Array.from(turned.slice(1, 7))).size).toBe(1);
    expect(new Set(Array.from(plain.slice(1, 7))).size).toBe(6);
    expect(turned[7]).toBe(plain[7]);
  });

  it('the book shard sends one features message per burst, not one per delta', async () => {
    const messagesOf = async (withTurns: boolean): Promise<number> => {
      const dir = mkdtempSync(join(tmpdir(), 'kmm-bt-burst-'));
      const cap = join(dir, 'capture.jsonl');
      writeFileSync(cap, lines(withTurns).join(''));
      const r = await runBacktest({ capture: cap, set: { max_time_to_resolution_hours: 8760 }, queueModel: 'exchange', latencyMs: 1, seed: 1, out: null });
      return r.counters.busMessages;
    };
    const bursts = await messagesOf(true);
    const deltas = await messagesOf(false);
    // 60 deltas: 5 more messages each (ingest -> book, book -> strategy, ...) without bursts; the
    // bursts save the book's features of 5 deltas in each of the 10 (50 messages at least)
    expect(deltas - bursts).toBeGreaterThanOrEqual(50);
  });
});
