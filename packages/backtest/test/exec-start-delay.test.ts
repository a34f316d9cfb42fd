/**
 * `--like` starts exec when the recorded run's did: a live exec worker boots while ingest is
 * already receiving (seed 1 of the 60 s demo: its journal's start record 1.1 s after the first
 * frame, its first quotes 3.3 s after), and the backtest started it at the first frame, so its
 * quotes, exec's timer phase and its queue-position polls all ran earlier than the run's.
 * Checked: the engine's exec begins (journal start record) execStartDelayMs after the first
 * frame, the frames before it still reach ingest, the strategy's start-up RECONCILE reaches
 * exec (the strategy was added before exec, so it had no exec peer and the recorded run's
 * second reconcile and re-sent targets were missing), and recordedExecStartDelayMs reads the
 * delay from a journal.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordedExecStartDelayMs, recordedExecStartupMs, runBacktest } from '../src/index.js';

const T0 = 1_790_000_000_000;

function capture(path: string): void {
  const lines: string[] = [];
  let seq = 0;
  const line = (dtMs: number, frame: unknown) => lines.push(JSON.stringify({ recv_ns: 5_000_000_000 + dtMs * 1e6, recv_ms: T0 + dtMs, frame: JSON.stringify(frame) }));
  line(0, { type: 'orderbook_snapshot', sid: 1, seq: ++seq, msg: { market_ticker: 'KXDELAY-26-A', yes_dollars_fp: [['0.4500', '300.00']], no_dollars_fp: [['0.5000', '250.00']] } });
  for (let s = 1; s <= 8; s++) line(s * 1000, { type: 'orderbook_delta', sid: 1, seq: ++seq, msg: { market_ticker: 'KXDELAY-26-A', price_dollars: '0.4500', delta_fp: s % 2 ? '-5.00' : '5.00', side: 'yes', ts_ms: T0 + s * 1000 } });
  writeFileSync(path, lines.join('\n') + '\n');
}

async function startOffsetMs(delayMs: number, startupMs = 0): Promise<{ startMs: number; reconciledMs: number; frames: number; strategyStartedToExec: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'kmm-bt-delay-'));
  const cap = join(dir, 'capture.jsonl');
  capture(cap);
  const out = join(dir, 'run');
  const r = await runBacktest({ capture: cap, set: { max_time_to_resolution_hours: 8760 }, queueModel: 'exchange', latencyMs: 1, seed: 1, out, execStartDelayMs: delayMs, execStartupMs: startupMs });
  const recs = readFileSync(join(out, 'journal.jsonl'), 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l) as { k: string; t: number; reason?: string });
  const start = recs.find((x) => x.k === 'start');
  const reconciled = recs.find((x) => x.k === 'startup_reconciled');
  return { startMs: (start?.t ?? NaN) - T0, reconciledMs: (reconciled?.t ?? NaN) - T0, frames: r.counters.frames, strategyStartedToExec: recs.some((x) => x.k === 'control' && x.reason === 'strategy_started') };
}

describe('backtest: exec starts when the recorded run’s did', () => {
  it('the journal start record is execStartDelayMs after the first frame; every frame still plays', async () => {
    const now = await startOffsetMs(0);
    const later = await startOffsetMs(1500);
    expect(now.startMs).toBe(0);
    expect(later.startMs).toBe(1500);
    expect(later.frames).toBe(now.frames);
    // the strategy's start-up RECONCILE reaches exec (live: its channel exists before either starts), whenever exec starts
    expect(now.strategyStartedToExec).toBe(true);
    expect(later.strategyStartedToExec).toBe(true);
  });

  it('recordedExecStartDelayMs: the journal start record after the first frame, 0 without one', () => {
    expect(recordedExecStartDelayMs([{ k: 'start', t: T0 + 1101, runId: 'r', paper: false } as never], T0)).toBe(1101);
    expect(recordedExecStartDelayMs([{ k: 'start', t: T0 - 50, runId: 'r', paper: false } as never], T0)).toBe(0);
    expect(recordedExecStartDelayMs(null, T0)).toBe(0);
  });

  it('exec\'s start-up reads are answered when the recorded run\'s were (execStartupMs: journal start -> startup_reconciled)', async () => {
    const quick = await startOffsetMs(1500);
    const slow = await startOffsetMs(1500, 184);
    expect(quick.reconciledMs - quick.startMs).toBeLessThan(20);
    expect(slow.reconciledMs - slow.startMs).toBeGreaterThanOrEqual(184);
    expect(slow.reconciledMs - slow.startMs).toBeLessThan(184 + 20);
    expect(recordedExecStartupMs([{ k: 'start', t: T0 + 1000 } as never, { k: 'startup_reconciled', t: T0 + 1184 } as never])).toBe(184);
    expect(recordedExecStartupMs([{ k: 'start', t: T0 + 1000 } as never])).toBe(0);
    expect(recordedExecStartupMs(null)).toBe(0);
  });
});
