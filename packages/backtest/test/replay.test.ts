/**
 * Replays the recorded Kalshi demo session through the real parser and books and compares the
 * final books with an independent, deliberately naive reference: BigInt arithmetic on the
 * decimal strings, a Map per side, no use of our parser, units or book code.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { replayCaptureBooks } from '../src/shell/replay.js';

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
});
