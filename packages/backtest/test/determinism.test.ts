/**
 * Determinism: the same capture, config and seed give byte-identical exec journal and tape.
 * Runs on the real 5-minute Kalshi session (../shared/data) and on a synthetic capture with
 * prints through our quotes (so fills, fees and positions are in the hashed bytes too).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBacktest, type BacktestOptions } from '../src/index.js';

const repoRoot = resolve(__dirname, '../../..');
const SESSION = resolve(repoRoot, '../shared/data/kalshi-ws-capture-2026-07-01/session.jsonl');
const SET = { max_time_to_resolution_hours: 8760 };

function hashRun(dir: string): string {
  const h = createHash('sha256');
  h.update(readFileSync(join(dir, 'journal.jsonl')));
  h.update(readFileSync(join(dir, 'tape.csv')));
  return h.digest('hex');
}

/** A capture in our format: snapshots, then prints through both sides every 2 s for 60 s. */
function syntheticCapture(path: string): void {
  const lines: string[] = [];
  const t0Ns = 5_000_000_000;
  const t0Ms = 1_790_000_000_000;
  let seq = 0;
  const line = (dtMs: number, frame: unknown) => lines.push(JSON.stringify({ recv_ns: t0Ns + dtMs * 1e6, recv_ms: t0Ms + dtMs, frame: JSON.stringify(frame) }));
  for (const m of ['KXTEST-26-A', 'KXTEST-26-B']) {
    line(0, { type: 'orderbook_snapshot', sid: 1, seq: ++seq, msg: { market_ticker: m, yes_dollars_fp: [['0.4500', '300.00'], ['0.4600', '200.00']], no_dollars_fp: [['0.5000', '250.00'], ['0.5100', '150.00']] } });
  }
  for (let s = 1; s <= 60; s++) {
    for (const m of ['KXTEST-26-A', 'KXTEST-26-B']) {
      const dt = s * 1000;
      line(dt, { type: 'orderbook_delta', sid: 1, seq: ++seq, msg: { market_ticker: m, price_dollars: '0.4600', delta_fp: s % 2 ? '-5.00' : '5.00', side: 'yes', ts_ms: t0Ms + dt } });
      if (s % 2 === 0) line(dt + 1, { type: 'trade', sid: 2, msg: { trade_id: `t${s}${m}`, market_ticker: m, yes_price_dollars: s % 4 ? '0.6500' : '0.3500', count_fp: '50.00', taker_side: s % 4 ? 'yes' : 'no', ts_ms: t0Ms + dt + 1 } });
    }
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

async function twice(opts: Omit<BacktestOptions, 'out'>): Promise<[string, string, string]> {
  const a = mkdtempSync(join(tmpdir(), 'kmm-bt-a-'));
  const b = mkdtempSync(join(tmpdir(), 'kmm-bt-b-'));
  await runBacktest({ ...opts, out: a });
  await runBacktest({ ...opts, out: b });
  return [hashRun(a), hashRun(b), a];
}

describe('backtest determinism', () => {
  it('real Kalshi session: identical journal + tape hashes across runs', async () => {
    const [h1, h2, dir] = await twice({ capture: SESSION, set: SET, queueModel: 'prob-power', latencyMs: 25, seed: 3 });
    expect(h1).toBe(h2);
    const journal = readFileSync(join(dir, 'journal.jsonl'), 'utf8');
    expect(journal).toContain('"k":"cmd"'); // the cores really traded something
  });

  it('synthetic capture with fills: identical hashes, and a different latency changes them', async () => {
    const cap = join(mkdtempSync(join(tmpdir(), 'kmm-bt-cap-')), 'capture.jsonl');
    syntheticCapture(cap);
    for (const qm of ['risk-averse', 'prob-power', 'exchange'] as const) {
      const [h1, h2, dir] = await twice({ capture: cap, set: SET, queueModel: qm, latencyMs: 10, seed: 1 });
      expect(h1, qm).toBe(h2);
      expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8'), qm).toContain('"k":"fill"');
    }
    const [h3] = await twice({ capture: cap, set: SET, queueModel: 'risk-averse', latencyMs: 10, seed: 1 });
    const [h4] = await twice({ capture: cap, set: SET, queueModel: 'risk-averse', latencyMs: 400, seed: 1 });
    expect(h3).not.toBe(h4);
  });
});
