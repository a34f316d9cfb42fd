/**
 * `kmm calibrate` and `kmm market-stats` on the real recordings in ../shared/data (read in
 * place, never copied): calibrating with the commands written in sim/src/profiles/builtin.ts
 * gives exactly the built-in `active` and `quiet` profiles (so the shipped profiles are what the
 * data says), --compare prints a ratio per statistic, and bad input is named.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES } from '@kmm/sim';
import { computeMarketStats, type MarketEvent } from '../src/core/market-stats.js';
import { runCli } from '../src/cli/program.js';
import type { CliContext } from '../src/cli/options.js';

const DATA = resolve(__dirname, '../../../../shared/data');
const WS = join(DATA, 'kalshi-ws-capture-2026-07-01/session.jsonl');
const NCAA = join(DATA, 'kalshi-trades-kxncaafplayoff-2025/NCAA_trade25.csv');
const INX = join(DATA, 'kalshi-trades-kxncaafplayoff-2025/orderbook_snapshots_KXINXY-25DEC31.csv');
const haveData = existsSync(WS) && existsSync(NCAA) && existsSync(INX);

function ctx(): CliContext & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), exitCode: 0 };
}

/** the profile without its sources (they name the paths as given on the command line) */
function figures(p: unknown): unknown {
  const { sources: _s, description: _d, ...rest } = p as Record<string, unknown>;
  return rest;
}

describe.runIf(haveData)('kmm calibrate on the real recordings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kmm-cal-'));

  it('reproduces the built-in active profile', async () => {
    const c = ctx();
    const out = join(dir, 'active.json');
    expect(await runCli(['calibrate', WS, '--top', '2', '--trades', NCAA, '--trades-top', '1', '--name', 'active', '--out', out], c)).toBe(0);
    expect(figures(JSON.parse(readFileSync(out, 'utf8')))).toEqual(figures(BUILTIN_PROFILES.active));
    expect(c.lines.join('\n')).toMatch(/touch size median \(contracts\)\s+24600/);
  });

  it('reproduces the built-in quiet profile', async () => {
    const c = ctx();
    const out = join(dir, 'quiet.json');
    expect(await runCli(['calibrate', WS, '--market', 'KXNEXTTEAMNBA-26LJAM-CLE', '--book-from', INX, '--trades', NCAA, '--name', 'quiet', '--out', out], c)).toBe(0);
    expect(figures(JSON.parse(readFileSync(out, 'utf8')))).toEqual(figures(BUILTIN_PROFILES.quiet));
  });

  it('market-stats --compare prints both recordings and the ratio per statistic', async () => {
    const c = ctx();
    expect(await runCli(['market-stats', WS, '--top', '2', '--compare', INX], c)).toBe(0);
    const text = c.lines.join('\n');
    expect(text).toMatch(/KXNEXTTEAMNBA-26LJAM-GSW\s+315\s+13416\s+1\s+5\.02/);
    // touch medians 24604 (two busiest demo books) against 4335 (KXINXY books)
    expect(text).toMatch(/touch size median \(contracts\)\s+24604\s+4335\s+5\.68x/);
    expect(text).toMatch(/book deltas per second\s+4\.36\s+n\/a\s+n\/a/);
  });

  it('names a missing market and an unreadable file', async () => {
    const c = ctx();
    expect(await runCli(['market-stats', WS, '--market', 'NOPE'], c)).toBe(1);
    expect(c.errors.join('\n')).toMatch(/market NOPE is not in/);
    const d = ctx();
    expect(await runCli(['calibrate', '/nonexistent/capture.jsonl'], d)).toBe(1);
    expect(d.errors.join('\n')).toMatch(/cannot read \/nonexistent\/capture\.jsonl/);
    // a device is refused before any read (it was read without end to keep its first 4 KiB)
    const e = ctx();
    expect(await runCli(['market-stats', '/dev/urandom'], e)).toBe(1);
    expect(e.errors.join('\n')).toContain('recording /dev/urandom is a device, expected a regular file');
    const f = ctx();
    expect(await runCli(['calibrate', '/dev/zero'], f)).toBe(1);
    expect(f.errors.join('\n')).toContain('recording /dev/zero is a device, expected a regular file');
  });
});

describe('trade clusters', () => {
  it('counts bursts (trades under 60 s apart) and isolated trades per hour', () => {
    const t = (s: number): MarketEvent => ({ kind: 'trade', market: 'X', tMs: s * 1000, yesPrice: 5000, countCenti: 100 });
    // a burst of 3 (gaps 10 s, 20 s), then two isolated trades; span 3600 s
    const s = computeMarketStats([t(0), t(10), t(30), t(1000), t(3600)], { tradesRecorded: true, bookDeltasRecorded: false }).pooled;
    expect(s.tradeClusters).toEqual({ burstsPerHour: 1, isolatedPerHour: 2, tradesPerBurst: 3, burstGapS: 15 });
  });
});
