/**
 * Issue 15: `paper_mode` is one setting, whatever sets it. `paper_mode: true` in a config file and
 * KMM_PAPER_MODE=true make `kmm run` paper-trade exactly as `--paper` does: the built CLI
 * (dist/cli.js) runs against an in-process simulator on 127.0.0.1 with a valid key, and the
 * exchange's own records (every order of the key's user, in any status, and every client order
 * id it saw) stay empty, while the run's journal says exec started on the paper venue.
 * Waits are for process exit only (the run stops itself after --duration).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '@kmm/sim';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');

interface Ran { code: number | null; stdout: string; stderr: string }
function kmm(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 90_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

let dir: string;
let sim: SimHandle;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kmm-paper-mode-'));
  sim = await startSim({ port: 0, seed: 5, markets: 3, keyDir: join(dir, 'simkey') });
});
afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('paper_mode from a config file and from the environment', () => {
  it('both run on the paper venue and the exchange records no order of ours', async () => {
    const cfg = join(dir, 'paper.yaml');
    writeFileSync(cfg, [
      'paper_mode: true',
      `kmm_rest_base_url: ${sim.restBaseUrl}`,
      `kmm_ws_url: ${sim.wsUrl}`,
      `kmm_api_key_id: ${sim.keyId}`,
      `kmm_private_key_path: ${sim.privateKeyPath}`,
      '',
    ].join('\n'));
    const fromFile = join(dir, 'file-run');
    const fromEnv = join(dir, 'env-run');
    const base = ['run', '--env', 'sim', '--no-dashboard', '--duration', '4'];
    const [a, b] = await Promise.all([
      kmm([...base, '--config', cfg, '--out', fromFile]),
      kmm([...base, '--set', `kmm_rest_base_url=${sim.restBaseUrl}`, '--set', `kmm_ws_url=${sim.wsUrl}`,
        '--set', `kmm_api_key_id=${sim.keyId}`, '--set', `kmm_private_key_path=${sim.privateKeyPath}`, '--out', fromEnv],
      { KMM_PAPER_MODE: 'true' }),
    ]);
    for (const [r, runDir] of [[a, fromFile], [b, fromEnv]] as const) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('(paper: no order reaches the exchange)');
      expect(r.stdout).not.toContain('kill switch'); // describeKillSwitch is printed for real-order runs only
      const start = readFileSync(join(runDir, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean)
        .map((l) => JSON.parse(l) as { k: string; paper?: boolean }).find((x) => x.k === 'start');
      expect(start?.paper, `${runDir}: exec started on the paper venue`).toBe(true);
    }
    const rec = sim.records();
    expect(rec.orders).toEqual([]);
    expect(rec.clientOrderIdsSeen).toEqual([]);
  }, 120_000);
});
