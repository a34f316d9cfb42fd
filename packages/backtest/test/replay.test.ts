/**
 * Replays the recorded Kalshi demo session through the ingest and book-shard actors (LocalKernel)
 * and compares the final books with an independent, deliberately naive reference: BigInt
 * arithmetic on the decimal strings, a Map per side, no use of our parser, units or book code.
 * Then: K shards give the same books; a seq gap written into the capture reaches ingest's seq
 * check and trust (the market's later deltas are dropped as live drops them).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { replayCapture, replayCaptureBooks } from '../src/shell/replay.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const session = path.resolve(repoRoot, '../shared/data/kalshi-ws-capture-2026-07-01/session.jsonl');

/** "1406474.86" -> 140647486n (2 dp); "-1.84" -> -184n */
function scaled(s: string, dp: number): bigint {
  const neg = s.startsWith('-');
  const body = neg ? s.slice(1) : s;
  const [i, f = ''] = body.split('.');
  const v = BigInt(i + f.padEnd(dp, '0').slice(0, dp));
  return neg ? -v : v;
}
function unscaled(v: bigint, dp: number): string {
  const s = v.toString().padStart(dp + 1, '0');
  return `${s.slice(0, -dp)}.${s.slice(-dp)}`;
}

function referenceBooks(text: string) {
  const books = new Map<string, { yes: Map<string, bigint>; no: Map<string, bigint> }>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const f = JSON.parse(line);
    if (f.type === 'orderbook_snapshot') {
      const b = { yes: new Map<string, bigint>(), no: new Map<string, bigint>() };
      for (const [p, q] of f.msg.yes_dollars_fp ?? []) b.yes.set(scaled(p, 4).toString(), scaled(q, 2));
      for (const [p, q] of f.msg.no_dollars_fp ?? []) b.no.set(scaled(p, 4).toString(), scaled(q, 2));
      books.set(f.msg.market_ticker, b);
    } else if (f.type === 'orderbook_delta') {
      const side = books.get(f.msg.market_ticker)![f.msg.side as 'yes' | 'no'];
      const k = scaled(f.msg.price_dollars, 4).toString();
      const v = (side.get(k) ?? 0n) + scaled(f.msg.delta_fp, 2);
      if (v < 0n) throw new Error('reference went negative');
      if (v === 0n) side.delete(k);
      else side.set(k, v);
    }
  }
  const out: Record<string, { yes: [string, string][]; no: [string, string][] }> = {};
  for (const t of [...books.keys()].sort()) {
    const b = books.get(t)!;
    const side = (m: Map<string, bigint>) =>
      [...m.entries()].sort((a, c) => Number(BigInt(a[0]) - BigInt(c[0]))).map(([p, q]) => [unscaled(BigInt(p), 4), unscaled(q, 2)] as [string, string]);
    out[t] = { yes: side(b.yes), no: side(b.no) };
  }
  return out;
}

describe('capture replay', () => {
  it('gives the same final books as the naive reference on the recorded session (fractional deltas included)', async () => {
    const text = readFileSync(session, 'utf8');
    expect(text).toMatch(/"delta_fp":"-?\d+\.(?!00")\d\d"/); // the session has fractional deltas
    const expected = referenceBooks(text);
    const got = await replayCaptureBooks(session);
    expect(Object.keys(got)).toHaveLength(5);
    expect(got).toEqual(expected);
    expect(got['KXNEXTTEAMNBA-26LJAM-MIA'].yes[0][0]).toBe('0.0100');
  });

  it('spreads the markets over K book shards and gives the same books for any K', async () => {
    const expected = referenceBooks(readFileSync(session, 'utf8'));
    const r = await replayCapture(session, { shards: 3 });
    expect(r.engine.shardCount).toBe(3);
    const perShard = [0, 1, 2].map((k) => (r.engine.kernel.get(`book.${k}`)!.state as { core: { entries: Map<string, unknown> } }).core.entries.size);
    expect(perShard.reduce((a, b) => a + b, 0)).toBe(5);
    expect(perShard.filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(r.books()).toEqual(expected);
    expect(r.stats).toEqual({ lines: 5796, frames: 2898, invalid: 0, seqAnomalies: 0, applyErrors: 0 });
    expect(r.engine.counters()).toMatchObject({ droppedUntrusted: 0, droppedDeadSid: 0, unrouted: 0 });
  });

  it('a seq gap goes through ingest: counted, and no delta after it reaches the books (no snapshot follows)', async () => {
    const text = readFileSync(session, 'utf8');
    const lines = text.split('\n');
    // drop one delta in the middle: the frames after it arrive with a seq gap
    const deltas = lines.map((l, i) => [l, i] as const).filter(([l]) => l.includes('"orderbook_delta"'));
    const [, cut] = deltas[Math.floor(deltas.length / 2)];
    const gapped = lines.filter((_, i) => i !== cut).join('\n');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kmm-replay-')), 'gap.jsonl');
    writeFileSync(file, gapped);
    const r = await replayCapture(file, { shards: 1 });
    const c = r.engine.counters();
    expect(r.stats.seqAnomalies).toBe(1);
    expect(r.stats.frames).toBe(2897);
    // no snapshot follows in the capture: every later delta of every market on the sid is dropped,
    // first as untrusted, then (ingest resubscribed when the resync timed out) as from a dead sid
    expect(c.droppedUntrusted).toBeGreaterThan(0);
    expect(c.droppedDeadSid).toBeGreaterThan(0);
    expect(c.droppedUntrusted + c.droppedDeadSid).toBe(deltas.length - Math.floor(deltas.length / 2) - 1);
    // so the books are those of the capture cut just before the gap
    const before = lines.slice(0, cut).join('\n');
    expect(r.books()).toEqual(referenceBooks(before));
  });
});
