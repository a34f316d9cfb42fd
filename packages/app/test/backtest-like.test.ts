/**
 * `kmm backtest --like RUN_DIR` at the CLI: a run folder that is missing or lacks a file is
 * refused with the file named (exit 1); --capture with --like, or neither, is a usage error
 * (exit 2); a complete folder (a backtest's own, which has the same files) is reproduced and the
 * recorded run's figures are printed beside the backtest's. Plain `--capture` with the command's
 * defaults (the kalshi profile, every market selected) places orders on the real Kalshi session.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig, type kmm } from '@kmm/shared';
import { backtestCommandDefaults, RUN_FOLDER, writeRunRecord } from '@kmm/backtest';
import { runCli } from '../src/cli/program.js';
import type { CliContext } from '../src/cli/options.js';

const here = dirname(fileURLToPath(import.meta.url));
const session = resolve(here, '../../../../shared/data/kalshi-ws-capture-2026-07-01/session.jsonl');

function ctx(): CliContext & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), exitCode: 0 };
}

describe('kmm backtest --like', () => {
  it('refuses a folder that does not exist, and one without config.json / markets.json / capture.jsonl, naming the file', async () => {
    const c0 = ctx();
    expect(await runCli(['backtest', '--like', '/nonexistent/run'], c0)).toBe(1);
    expect(c0.errors.join('\n')).toContain('run folder /nonexistent/run does not exist');
    const dir = mkdtempSync(join(tmpdir(), 'kmm-like-'));
    const c1 = ctx();
    expect(await runCli(['backtest', '--like', dir], c1)).toBe(1);
    expect(c1.errors.join('\n')).toMatch(/incomplete: no config\.json/);
    const loaded = loadConfig({ env: {} });
    writeRunRecord(dir, loaded, [{ market: 'KXX-26-A', feeType: 'quadratic_with_maker_fees', feeMultiplierMilli: 1000 }]);
    rmSync(join(dir, RUN_FOLDER.markets));
    const c2 = ctx();
    expect(await runCli(['backtest', '--like', dir], c2)).toBe(1);
    expect(c2.errors.join('\n')).toMatch(/incomplete: no markets\.json/);
    writeRunRecord(dir, loaded, [{ market: 'KXX-26-A' }]);
    const c3 = ctx();
    expect(await runCli(['backtest', '--like', dir], c3)).toBe(1);
    expect(c3.errors.join('\n')).toMatch(/incomplete: no capture\.jsonl/);
    writeFileSync(join(dir, RUN_FOLDER.config), '{"values": 3');
    const c4 = ctx();
    expect(await runCli(['backtest', '--like', dir], c4)).toBe(1);
    expect(c4.errors.join('\n')).toMatch(/config\.json is not valid JSON/);
    // a damaged decision-drains record: refused, naming the file and the line (not silently ungrouped)
    writeRunRecord(dir, loaded, [{ market: 'KXX-26-A' }]);
    writeFileSync(join(dir, RUN_FOLDER.capture), '{"recv_ns":1,"recv_ms":1,"frame":"{}"}\n');
    writeFileSync(join(dir, RUN_FOLDER.decisionDrains), 'recv_ns,drain_ns\n12,13\n1x,2\n14,15\n');
    const c5 = ctx();
    expect(await runCli(['backtest', '--like', dir], c5)).toBe(1);
    expect(c5.errors.join('\n')).toMatch(/strategy-drains\.csv: line 3 is not "recv_ns,drain_ns"/);
  });

  it('neither or both of --capture / --like, or --like with --config: a usage error', async () => {
    for (const args of [['backtest'], ['backtest', '--capture', 'c.jsonl', '--like', 'r'], ['backtest', '--like', 'r', '--config', 'x.yaml']]) {
      const c = ctx();
      expect(await runCli(args, c)).toBe(2);
      expect(c.errors[0]).toMatch(/^error: /);
    }
  });

  it.skipIf(!existsSync(session))('plain --capture places orders with its defaults; --like of that folder reproduces it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kmm-bt-'));
    const c = ctx();
    expect(await runCli(['backtest', '--capture', session, '--out', out], c)).toBe(0);
    const created = Number(/orders created (\d+)/.exec(c.lines.join('\n'))?.[1] ?? '0');
    expect(created).toBeGreaterThan(0);
    // a backtest's folder has markets.json; give it the rest of a run's record and replay it
    const run = mkdtempSync(join(tmpdir(), 'kmm-run-'));
    copyFileSync(session, join(run, RUN_FOLDER.capture));
    copyFileSync(join(out, 'markets.json'), join(run, RUN_FOLDER.markets));
    copyFileSync(join(out, 'journal.jsonl'), join(run, RUN_FOLDER.journal));
    const markets = JSON.parse(readFileSync(join(run, RUN_FOLDER.markets), 'utf8')) as kmm.v1.IMarketInfo[];
    writeRunRecord(run, loadConfig({ env: {}, command: backtestCommandDefaults(markets.length) }), markets);
    const l = ctx();
    expect(await runCli(['backtest', '--like', run, '--out', join(run, 'bt')], l)).toBe(0);
    const text = l.lines.join('\n');
    expect(text).toContain(`reproducing ${run}`);
    // same capture, configuration, markets and seed, and latency 0 either way (the journal acks of a
    // backtest carry 0): the same run, figure for figure
    const rec = /recorded run .*: (fills .*)$/m.exec(text)?.[1];
    const bt = /^backtest: +(fills .*)$/m.exec(text)?.[1];
    expect(rec).toBeDefined();
    expect(bt).toBe(rec);
  });
});
