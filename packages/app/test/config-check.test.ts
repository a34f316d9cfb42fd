/**
 * `kmm config check` as a user runs it: exit 1 with each error printed (keys first), exit 0 when
 * there are only warnings, the nearest known name for an unknown key, and `--json`. In-process
 * (runCli) except one run of the built CLI for the real exit code; logic: shared/test/config-check.test.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/program.js';
import type { CliContext } from '../src/cli/options.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');

function capture(): CliContext & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), exitCode: 0 };
}

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kmm-check-cli-')), 'kmm.yaml');
  writeFileSync(file, text);
  return file;
}

describe('kmm config check', () => {
  it('each contradiction is an error line naming its keys; exit 1', async () => {
    const cases: Array<[string[], string]> = [
      [['--set', 'quote_size=3'], 'error [contradiction] (quote_size, MM_MAX_POS): quote_size 3 > MM_MAX_POS 5 / 2'],
      [['--set', 'Q_critical=4', '--set', 'Q_target=2'], 'error [contradiction] (Q_critical, MM_MAX_POS): Q_critical 4 < MM_MAX_POS 5'],
      [['--set', 'rebalance_threshold=3'], 'error [contradiction] (rebalance_threshold, MM_MAX_POS): rebalance_threshold 3 < MM_MAX_POS 5'],
      [['--set', 'kmm_order_group_contracts_limit=6'], 'error [contradiction] (kmm_order_group_contracts_limit, MM_MAX_POS): kmm_order_group_contracts_limit 6 < MM_MAX_POS 5 + MM_MAX_POS 5'],
      [['--set', 'min_spread=0.05'], 'error [contradiction] (min_spread, base_spread): min_spread=0.05'],
    ];
    for (const [args, line] of cases) {
      const c = capture();
      expect(await runCli(['config', 'check', ...args], c), args.join(' ')).toBe(1);
      expect(c.lines.some((l) => l.startsWith(line)), `${args.join(' ')}:\n${c.lines.join('\n')}`).toBe(true);
      expect(c.lines.at(-1)).toMatch(/^1 error\(s\), \d+ warning\(s\)$/);
    }
  });

  it('warnings alone (unreachable features, a safe range) exit 0', async () => {
    const c = capture();
    expect(await runCli(['config', 'check', '--set', 'MM_SKEW_MAX_BPS=100'], c)).toBe(0);
    expect(c.lines.some((l) => l.startsWith('warning [safe_range] (MM_SKEW_MAX_BPS): MM_SKEW_MAX_BPS=100 (from cli)'))).toBe(true);
    expect(c.lines.some((l) => l.startsWith('warning [unreachable] (rebalance_threshold, MM_MAX_POS)'))).toBe(true);
    expect(c.lines.at(-1)).toMatch(/^0 error\(s\), [1-9]\d* warning\(s\)$/);
  });

  it('--for demo|run checks and explains the configuration that command runs with (its profile and defaults layer)', async () => {
    // 8 bps of micro-vol: inside the seed's safe range (plain loading, legacy profile), outside
    // the kalshi profile's own range (demo and run choose the kalshi profile)
    const plain = capture();
    expect(await runCli(['config', 'check', '--set', 'MM_MICRO_VOL_MAX_BPS=8'], plain)).toBe(0);
    expect(plain.lines.some((l) => l.includes('(MM_MICRO_VOL_MAX_BPS)'))).toBe(false);
    for (const cmd of ['demo', 'run']) {
      const c = capture();
      expect(await runCli(['config', 'check', '--for', cmd, '--set', 'MM_MICRO_VOL_MAX_BPS=8'], c)).toBe(0);
      expect(c.lines.some((l) => l.startsWith('warning [safe_range] (MM_MICRO_VOL_MAX_BPS): MM_MICRO_VOL_MAX_BPS=8 (from cli) is outside the kalshi profile safe range')), c.lines.join('\n')).toBe(true);
      const e = capture();
      expect(await runCli(['config', 'explain', '--for', cmd], e)).toBe(0);
      const text = e.lines.join('\n');
      expect(text).toContain(`profile: kalshi, preset: none, command: ${cmd}`);
      expect(text).toMatch(/^MM_SKEW_MAX_BPS\s+400\s+profile kalshi\s+bps of mid\s/m);
    }
    // the demo's own layer: its market facts, and its flag defaults (20 markets)
    const d = capture();
    await runCli(['config', 'explain', '--for', 'demo'], d);
    expect(d.lines.join('\n')).toMatch(/^min_liquidity\s+0\s+command demo\s/m);
    expect(d.lines.join('\n')).toMatch(/^kmm_markets\s+20\s+cli\s/m);
  });

  it('an unknown key in the file gets the nearest known name; --json lists the problems', async () => {
    const file = configFile('MM_MAX_PSO: 3\n');
    const c = capture();
    expect(await runCli(['config', 'check', '--config', file, '--json'], c)).toBe(1);
    const out = JSON.parse(c.lines.join('\n')) as { errors: number; problems: Array<{ kind: string; keys: string[]; suggestion?: string; severity: string }> };
    expect(out.errors).toBe(1);
    const unknown = out.problems.filter((p) => p.kind === 'unknown_key');
    expect(unknown).toEqual([expect.objectContaining({ severity: 'error', keys: ['MM_MAX_PSO', 'MM_MAX_POS'], suggestion: 'MM_MAX_POS' })]);
  });

  it('the built CLI exits 1 on an error and 0 on a clean file (the process exit code)', async () => {
    const run = (args: string[]) => new Promise<{ code: number; stdout: string }>((done) => {
      execFile(process.execPath, [CLI, 'config', 'check', ...args], { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH ?? '' } },
        (err, stdout) => done({ code: err ? Number((err as { code?: number }).code) : 0, stdout }));
    });
    const bad = await run(['--config', configFile('quote_size: 3\n')]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('(quote_size from file');
    const ok = await run(['--config', configFile('inventory_spread_multiplier: 1\nskew_price_adjustment_per_10: 0\nrebalance_threshold: 0\nforce_exit_hours: 0\nIMPULSE_CONTROL_ENABLED: false\n')]);
    expect(ok.stdout.trim()).toBe('configuration OK: no problems');
    expect(ok.code).toBe(0);
  });
});
