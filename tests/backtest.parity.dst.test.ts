/**
 * Backtest parity (issue 16 item 6): `kmm backtest --like RUN` reproduces a recorded run.
 *
 * The recorded run is a deterministic simulation of the whole system (runDst: every actor against
 * the simulator's in-memory exchange, virtual time, no faults) whose ingest writes a capture as
 * `kmm demo` does; its run folder gets what a demo's has: capture.jsonl, journal.jsonl,
 * config.json (the effective configuration) and markets.json (close times, fee parameters).
 * `backtestLike` then replays it: the run's configuration, markets, seed and order latency, its
 * own orders taken out of the recorded book (and the backtest's put in, as a venue shows them),
 * Kalshi's fees with per-order rounding (the figures module of live).
 * Done when: fill count and fees within 10 % of the recorded run's, net P&L within 10 % or
 * $0.50, whichever is larger, both sets of figures by the same definitions and the same end marks.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LoadedConfig } from '@kmm/shared';
import { encodeJournalLine } from '@kmm/exec-worker';
import { runDst, dstConfig, DST_DEFAULT_SPEED } from '@kmm/app';
import { backtestLike, MARKET_FILE, readCaptureLines, readRunFolder, RUN_FOLDER, venueCheck, writeRunRecord } from '@kmm/backtest';

const SEED = 1;
const MINUTES = 1;

async function recordedRun(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'kmm-parity-'));
  const capture: string[] = [];
  const r = await runDst({
    seed: SEED,
    simMinutes: MINUTES,
    faults: false,
    keepJournal: true,
    capture: {
      write: (recvNs, recvMs, text) => capture.push(JSON.stringify({ recv_ns: recvNs, recv_ms: recvMs, frame: text })),
      dropped: 0,
      close: async () => {},
    },
  });
  expect(r.problems).toEqual([]);
  const values = dstConfig({ seed: SEED, simMinutes: MINUTES }, r.markets.length);
  writeRunRecord(dir, { values, sources: {}, profile: String(values.MM_MARKET_PROFILE), preset: String(values.kmm_preset), warnings: [] } as unknown as LoadedConfig, r.markets);
  writeFileSync(join(dir, RUN_FOLDER.capture), capture.join('\n') + '\n');
  // the market's time scale, as kmm demo records it (config.json's kmm_time_scale has it too)
  writeFileSync(join(dir, MARKET_FILE), JSON.stringify({ profile: 'synthetic', timeScale: DST_DEFAULT_SPEED }));
  writeFileSync(join(dir, RUN_FOLDER.journal), (r.journal ?? []).map((rec) => encodeJournalLine(rec, rec.t ?? 0, rec.seq ?? 0)).join('\n') + '\n');
  return dir;
}

const within = (got: number, want: number, rel: number, abs = 0): boolean => Math.abs(got - want) <= Math.max(rel * Math.abs(want), abs);

describe('backtest --like reproduces a recorded run', () => {
  it('fills and fees within 10 %, net P&L within 10 % or $0.50, the recorded run\'s own orders out of the book', async () => {
    const dir = await recordedRun();
    // the order latency is the recorded run's own (half its median ack round trip)
    const out = join(dir, 'bt');
    const { result, recorded } = await backtestLike({ like: dir, queueModel: 'risk-averse', out });
    // the book the cores saw (others' orders, plus the backtest's own as a venue shows them) was
    // a gapless sequence: ingest never distrusted a book
    expect(readFileSync(join(out, 'ops.log'), 'utf8')).not.toMatch(/seq_gap|seq_out_of_order|seq_duplicate|unknown_sid/);
    expect(result.metrics.latencyMs).toBeGreaterThan(0);
    expect(recorded).not.toBeNull();
    const rec = recorded!;
    const bt = result.figures;
    // eslint-disable-next-line no-console
    console.log(`parity: recorded fills ${rec.fills} fees ${rec.feesPaid} net ${rec.netPnl}; backtest (latency ${result.metrics.latencyMs} ms) fills ${bt.fills} fees ${bt.feesPaid} net ${bt.netPnl}`);
    expect(rec.fills).toBeGreaterThan(10); // the recorded run traded: the comparison means something
    expect(rec.feesPaid).toBeGreaterThan(0);
    // the capture had our own orders in it, and they were taken out
    expect(result.counters.ownFramesSkipped).toBeGreaterThan(0);
    expect(result.others.ownDeltasDropped).toBeGreaterThan(0);
    expect(within(bt.fills, rec.fills, 0.1)).toBe(true);
    expect(within(bt.feesPaid, rec.feesPaid, 0.1)).toBe(true);
    expect(within(bt.netPnl, rec.netPnl, 0.1, 0.5)).toBe(true);
  });

  it('the venue check: the run\'s own orders through the backtest venue (exchange queue model) give exactly its maker fills', async () => {
    const dir = await recordedRun();
    const run = readRunFolder(dir);
    const v = venueCheck(run, readCaptureLines(run.capture), 'exchange');
    expect(v.runMakerFills).toBeGreaterThan(10);
    expect(v.ordersApplied).toBeGreaterThan(v.runMakerFills);
    expect(v.differing).toEqual([]);
    expect(v.venueFills).toBe(v.runMakerFills);
    expect(v.venueCenti).toBe(v.runMakerCenti);
    // the queue positions the exchange reported to the run (journal `queue` records) are the venue's
    expect(v.queueCompared).toBeGreaterThan(10);
    expect(v.queueEqual / v.queueCompared, JSON.stringify(v.queueDiffering)).toBeGreaterThanOrEqual(0.95);
  });
});
