/**
 * Issue 15, dead keys wired: kmm_run_dir (parent of run folders; --out wins), kmm_capture_enabled
 * (no capture.jsonl when false), kmm_shards (book shards of demo/run; --shards wins),
 * kmm_dashboard / kmm_dashboard_port (defaults of the CLI flags; the flag wins). One real
 * `kmm demo` (built CLI, 2 markets, 1 s) checks the system obeys the keys from the environment;
 * dashboardChoice is checked directly for the precedence.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@kmm/shared';
import { dashboardChoice } from '../src/commands/demo.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'kmm-wiring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dashboard keys are the defaults of the flags', () => {
  it('flag > key > the command default (demo: any free port while the port key is at its default)', () => {
    const dflt = loadConfig({ env: {} });
    expect(dashboardChoice(dflt, undefined, undefined)).toEqual({ dashboard: true, dashboardPort: 8787 });
    expect(dashboardChoice(dflt, undefined, undefined, 0)).toEqual({ dashboard: true, dashboardPort: 0 });
    const set = loadConfig({ env: { KMM_DASHBOARD: 'false', KMM_DASHBOARD_PORT: '9100' } });
    expect(dashboardChoice(set, undefined, undefined, 0)).toEqual({ dashboard: false, dashboardPort: 9100 });
    expect(dashboardChoice(set, true, 0, 0)).toEqual({ dashboard: true, dashboardPort: 0 });
  });
});

describe('kmm demo obeys kmm_run_dir, kmm_capture_enabled, kmm_shards and kmm_dashboard', () => {
  it('run folder under KMM_RUN_DIR, no capture file, 2 book shards, no dashboard', async () => {
    const parent = join(dir, 'runs');
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      execFile(process.execPath, [CLI, 'demo', '--markets', '2', '--duration', '1', '--seed', '3'], {
        encoding: 'utf8', timeout: 90_000,
        env: { ...process.env, KMM_RUN_DIR: parent, KMM_CAPTURE_ENABLED: 'false', KMM_SHARDS: '2', KMM_DASHBOARD: 'false' },
      }, (err, stdout, stderr) => done({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }));
    });
    expect(r.code, r.stderr).toBe(0);
    const runs = readdirSync(parent);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatch(/^demo-/);
    const runDir = join(parent, runs[0]);
    expect(existsSync(join(runDir, 'journal.jsonl'))).toBe(true);
    expect(existsSync(join(runDir, 'capture.jsonl'))).toBe(false);
    expect(existsSync(join(runDir, 'dashboard.json'))).toBe(false);
    expect(r.stdout).not.toContain('dashboard: http');
    const start = readFileSync(join(runDir, 'ops.log'), 'utf8').split('\n').filter(Boolean)
      .map((l) => JSON.parse(l) as { event?: string; shards?: number }).find((x) => x.event === 'system_start');
    expect(start?.shards).toBe(2);
  }, 120_000);
});
