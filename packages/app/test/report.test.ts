/**
 * Report: run-folder reading (tolerant), analysis (exact attribution and markouts), the
 * synthetic run generator, generateReport's output, and the CLI's errors.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeRun, generateReport, readRunFolder, writeSyntheticRun, RUN_FILES } from '../src/report/index.js';
import { runCli } from '../src/cli/program.js';
import type { FillRecord, RunData } from '../src/report/index.js';

const tmp = (tag: string): string => mkdtempSync(join(tmpdir(), `kmm-report-${tag}-`));

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), exitCode: 0 } };
}
const runReportCli = (args: string[], cli: ReturnType<typeof io>['io']) => runCli(['report', ...args], cli);

function emptyRun(): RunData {
  const files = Object.fromEntries(
    RUN_FILES.map((f) => [f, { file: f, present: true, lines: 0, malformed: 0, examples: [], truncated: false }]),
  ) as RunData['files'];
  return {
    dir: '/x',
    files,
    tape: [],
    journal: { fills: [], commandsByKind: {}, rejectsByCode: {}, typeCounts: {}, firstMs: null, lastMs: null },
    health: [],
    prices: [],
    summary: null,
  };
}

describe('analysis', () => {
  it('markouts and attribution on a hand-checked example', () => {
    const d = emptyRun();
    const T = 1_000_000;
    // mid path: 0.50 until T+5s, then 0.52 until T+30s, then 0.49.
    d.prices = [
      { tMs: T, market: 'M', midMicro: 500_000 },
      { tMs: T + 5_000, market: 'M', midMicro: 520_000 },
      { tMs: T + 30_000, market: 'M', midMicro: 490_000 },
      { tMs: T + 120_000, market: 'M', midMicro: 490_000 },
    ];
    const fill = (tMs: number, side: 'bid' | 'ask', priceMicro: number, countCenti: number, feeMicro: number): FillRecord => ({
      tMs, market: 'M', side, priceMicro, countCenti, isTaker: false, feeMicro, postPositionCenti: null,
    });
    // Buy 2 @0.49 at T+1s (mid 0.50: +1c edge each), sell 1 @0.53 at T+10s (mid 0.52: +1c edge).
    d.journal.fills = [fill(T + 1_000, 'bid', 490_000, 200, 100), fill(T + 10_000, 'ask', 530_000, 100, 100)];
    const m = analyzeRun(d, { generatedAtMs: 0 });
    // spread captured = 2 x 0.01 + 1 x 0.01 = 0.03
    expect(m.attribution.spreadCaptured).toBeCloseTo(0.03, 10);
    // gross = cash (-0.98 + 0.53) + 1 x 0.49 (final mid) = 0.04; drift = 0.01; fees 0.0002; net 0.0398
    expect(m.attribution.gross).toBeCloseTo(0.04, 10);
    expect(m.attribution.inventoryDrift).toBeCloseTo(0.01, 10);
    expect(m.attribution.fees).toBeCloseTo(0.0002, 10);
    expect(m.attribution.net).toBeCloseTo(0.0398, 10);
    const [h1, h10, h60] = m.markouts;
    // 1 s: buy sees mid(T+2s)=0.50 -> +1c x2; sell sees mid(T+11s)=0.52 -> +1c x1. Avg +1c.
    expect(h1.vsPriceCents).toBeCloseTo(1, 10);
    expect(h1.vsMidCents).toBeCloseTo(0, 10);
    // 10 s: buy at T+11s mid 0.52 -> +3c x2 = 6; sell at T+20s mid 0.52 -> +1c. (6+1)/3
    expect(h10.vsPriceCents).toBeCloseTo(7 / 3, 10);
    expect(h10.bidVsPriceCents).toBeCloseTo(3, 10);
    // 60 s: buy at T+61s mid 0.49 -> 0c; sell at T+70s mid 0.49 -> +4c. 4/3
    expect(h60.vsPriceCents).toBeCloseTo(4 / 3, 10);
    expect(h60.vsMidCents).toBeCloseTo((2 * -1 + 1 * 3) / 3, 10);
    expect(h60.beyondPath).toBe(0);
  });

  it('property: spread + drift = gross, gross - fees = net, and net equals cash - fees + position x end mid (seed printed on failure)', () => {
    const arb = fc.record({
      mids: fc.array(fc.integer({ min: 10, max: 990 }), { minLength: 1, maxLength: 40 }),
      fills: fc.array(
        fc.record({ at: fc.nat(60_000), bid: fc.boolean(), cents: fc.integer({ min: 1, max: 99 }), count: fc.integer({ min: 1, max: 5000 }), fee: fc.nat(5000) }),
        { maxLength: 40 },
      ),
    });
    fc.assert(
      fc.property(arb, ({ mids, fills }) => {
        const d = emptyRun();
        d.prices = mids.map((c, i) => ({ tMs: i * 1500, market: 'M', midMicro: c * 1000 }));
        d.journal.fills = fills
          .map((f) => ({ tMs: f.at, market: 'M', side: f.bid ? ('bid' as const) : ('ask' as const), priceMicro: f.cents * 10_000, countCenti: f.count, isTaker: false, feeMicro: f.fee, postPositionCenti: null }))
          .sort((a, b) => a.tMs - b.tMs);
        const a = analyzeRun(d, { generatedAtMs: 0 }).attribution;
        let cash = 0;
        let pos = 0;
        let fees = 0;
        for (const f of d.journal.fills) {
          const s = f.side === 'bid' ? 1 : -1;
          cash -= s * f.priceMicro * f.countCenti;
          pos += s * f.countCenti;
          fees += f.feeMicro * 100;
        }
        const expectNet = (cash - fees + pos * mids[mids.length - 1] * 1000) / 1e8;
        expect(a.spreadCaptured + a.inventoryDrift).toBeCloseTo(a.gross, 8);
        expect(a.gross - a.fees).toBeCloseTo(a.net, 8);
        expect(a.net).toBeCloseTo(expectNet, 8);
      }),
      { seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31), verbose: true },
    );
  });
});

describe('synthetic run and generateReport', () => {
  it('the generator is deterministic per seed and differs across seeds', async () => {
    const a = tmp('syn-a');
    const b = tmp('syn-b');
    const c = tmp('syn-c');
    await writeSyntheticRun(a, { seed: 11, durationS: 120 });
    await writeSyntheticRun(b, { seed: 11, durationS: 120 });
    await writeSyntheticRun(c, { seed: 12, durationS: 120 });
    for (const f of ['tape.csv', 'journal.jsonl', 'health.jsonl', 'prices.jsonl', 'summary.json']) {
      expect(readFileSync(join(a, f), 'utf8'), f).toBe(readFileSync(join(b, f), 'utf8'));
    }
    expect(readFileSync(join(a, 'journal.jsonl'), 'utf8')).not.toBe(readFileSync(join(c, 'journal.jsonl'), 'utf8'));
  });

  it('reads everything, and the attribution net equals the exact final equity the generator tracked', async () => {
    const dir = tmp('full');
    const info = await writeSyntheticRun(dir, { seed: 5, durationS: 300 });
    const { path, stats } = await generateReport(dir, { nowMs: Date.UTC(2025, 0, 1) });
    expect(path).toBe(join(dir, 'report.html'));
    expect(stats.fills).toBe(info.fills);
    expect(stats.fills).toBeGreaterThan(20);
    expect(stats.tapeRows).toBe(info.tapeRows);
    expect(stats.missingFiles).toEqual([]);
    expect(stats.malformedLines).toEqual({});
    expect(stats.attribution.net).toBeCloseTo(info.finalEquityMicro / 1e6, 6);
    expect(stats.finalEquity).toBeCloseTo(info.finalEquityMicro / 1e6, 6);
    expect(stats.churn.rejects).toBe(info.rejects);
    expect(stats.churn.commands).toBe(info.commands);
    expect(stats.markouts.map((m) => m.horizonS)).toEqual([1, 10, 60]);
    expect(stats.markouts[0].fills).toBeGreaterThan(0);
    expect(stats.latencyActors).toEqual(['book.0', 'book.1', 'exec', 'ingest', 'strategy']);
    const html = await readFile(path, 'utf8');
    // Self-contained: no external scripts, styles or fetches.
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    // The only URL is uPlot's licence comment (the browser test also checks no request is made).
    expect(html.match(/https?:\/\/[^\s"')]+/g)).toEqual(['https://github.com/leeoniya/uPlot']);
    expect(html).toContain(`Content-Security-Policy" content="default-src 'none'`);
    expect(html).toContain('uPlot');
  });

  it('counts and names malformed lines per file and still reports', async () => {
    const dir = tmp('bad');
    const info = await writeSyntheticRun(dir, { seed: 6, durationS: 60, malformed: true });
    const data = await readRunFolder(dir);
    for (const [file, n] of Object.entries(info.malformedWritten)) {
      expect(data.files[file as keyof RunData['files']].malformed, file).toBe(n);
    }
    expect(data.files['tape.csv'].examples.map((e) => e.why).join(' ')).toMatch(/mid|ts/);
    expect(data.files['journal.jsonl'].examples.some((e) => /JSON|side/.test(e.why))).toBe(true);
    const { stats, path } = await generateReport(dir);
    expect(stats.malformedLines).toEqual(info.malformedWritten);
    const html = await readFile(path, 'utf8');
    expect(html).toContain('malformed line(s) skipped');
    expect(html).toContain('journal.jsonl: 2 malformed');
  });

  it('says what is missing and falls back to tape mids without prices.jsonl', async () => {
    const dir = tmp('partial');
    await writeSyntheticRun(dir, { seed: 8, durationS: 90, withPrices: false, omit: ['health.jsonl', 'summary.json'] });
    const { stats, path } = await generateReport(dir);
    expect(stats.missingFiles).toEqual(['health.jsonl', 'summary.json', 'prices.jsonl']);
    expect(stats.markouts[0].fills).toBeGreaterThan(0);
    const html = await readFile(path, 'utf8');
    expect(html).toContain('health.jsonl is missing');
    expect(html).toContain('price path from tape.csv');
  });

  it('a folder with only a journal still reports (inventory from fills)', async () => {
    const dir = tmp('journal-only');
    await writeSyntheticRun(dir, { seed: 9, durationS: 60, omit: ['tape.csv', 'health.jsonl', 'summary.json'] });
    const { stats } = await generateReport(dir);
    expect(stats.tapeRows).toBe(0);
    expect(stats.finalEquity).toBeNull();
    expect(stats.fills).toBeGreaterThan(0);
  });
});

describe('kmm report CLI', () => {
  it('writes the report and prints its path (exit 0)', async () => {
    const dir = tmp('cli-ok');
    await writeSyntheticRun(dir, { seed: 2, durationS: 60 });
    const o = io();
    expect(await runReportCli([dir], o.io)).toBe(0);
    expect(o.out[0]).toContain(join(dir, 'report.html'));
    const out = join(tmp('cli-out'), 'r.html');
    expect(await runReportCli([dir, '--out', out, '--markouts', '2,30'], o.io)).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('<!doctype html>');
  });

  it('missing folder, a file instead of a folder, an empty folder, no argument, bad option: exit 2 with a clear message', async () => {
    const base = tmp('cli-err');
    let o = io();
    expect(await runReportCli([join(base, 'nope')], o.io)).toBe(2);
    expect(o.err.join('\n')).toContain(`run folder not found: ${join(base, 'nope')}`);

    const file = join(base, 'file.txt');
    writeFileSync(file, 'x');
    o = io();
    expect(await runReportCli([file], o.io)).toBe(2);
    expect(o.err.join('\n')).toContain('not a folder');

    const empty = join(base, 'empty');
    mkdirSync(empty);
    o = io();
    expect(await runReportCli([empty], o.io)).toBe(2);
    expect(o.err.join('\n')).toMatch(/no run files in .*empty \(expected any of tape\.csv, journal\.jsonl/);

    o = io();
    expect(await runReportCli([], o.io)).toBe(2);
    expect(o.err.join('\n')).toContain("missing required argument 'run_dir'");

    await writeSyntheticRun(join(base, 'ok'), { seed: 1, durationS: 30 });
    o = io();
    expect(await runReportCli([join(base, 'ok'), '--markouts', '1,abc'], o.io)).toBe(2);
    expect(o.err.join('\n')).toContain("--markouts must be a number, got 'abc'");
  });
});
