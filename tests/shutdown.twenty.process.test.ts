/**
 * Issue 14, "Done when": `kmm run` exits 0 only when shutdown was verified, in every one of 20
 * consecutive graceful stops, as real processes (`node packages/app/dist/cli.js run --env sim`).
 *
 * One simulator thread of this test process serves all 20 runs (one market, the smallest setup)
 * so the exchange's own records can be read after each stop. The ways of stopping rotate:
 *   - `--duration 1` (the run ends by itself),
 *   - SIGINT and SIGTERM, each sent once the run has started: the exchange shows an order of ours
 *     resting (so the stop has something to cancel), a condition wait with a deadline, never a sleep.
 * Each run must exit 0, print "shutdown verified", journal exactly one shutdown record with
 * verified = true, and leave nothing of ours resting on the exchange; each run folder's journal
 * holds every exchange fill of that run exactly once (runs are sequential, so a run's fills are
 * the exchange's fills made between its start and its exit).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readJournal } from '@kmm/exec-worker';
import { startSimThread, type SimThreadHandle } from '@kmm/sim';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const CLI = join(REPO, 'packages/app/dist/cli.js');
const STOPS = 20;
const WAIT_MS = 60_000;
const POLL_MS = 50;
const WAYS = ['duration', 'SIGINT', 'SIGTERM'] as const;

let sim: SimThreadHandle | null = null;
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await sim?.close();
});

function runArgs(s: SimThreadHandle, dir: string, extra: string[]): string[] {
  const set = { kmm_rest_base_url: s.restBaseUrl, kmm_ws_url: s.wsUrl, kmm_api_key_id: s.keyId, kmm_private_key_path: s.privateKeyPath, kmm_markets: 1, max_markets: 1, min_liquidity: 0, max_time_to_resolution_hours: 8760, kmm_log_level: 'warn' };
  const args = ['run', '--env', 'sim', '--out', dir, '--no-dashboard'];
  for (const [k, v] of Object.entries(set)) args.push('--set', `${k}=${v}`);
  return [...args, ...extra];
}

describe(`${STOPS} consecutive graceful stops of kmm run (real processes)`, () => {
  it('every one exits 0 with a verified shutdown and nothing of ours resting', async () => {
    const t0 = Date.now();
    const dir = mkdtempSync(join(tmpdir(), 'kmm-stops20-'));
    const s = await startSimThread({ port: 0, seed: 140, markets: 1, speed: 2, tier: 'basic', keyDir: dir });
    sim = s;
    const outcomes: string[] = [];
    let seenFills = 0;
    for (let i = 0; i < STOPS; i++) {
      const way = WAYS[i % WAYS.length];
      const runDir = join(dir, `run${i}`);
      const child = spawn(process.execPath, [CLI, ...runArgs(s, runDir, way === 'duration' ? ['--duration', '1'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const exit = new Promise<number | null>((r) => child.once('exit', (code, sig) => r(code ?? (sig ? -1 : null))));
      if (way !== 'duration') {
        // started = an order of ours rests on the exchange (the previous run left none)
        const deadline = Date.now() + WAIT_MS;
        for (;;) {
          if ((await s.records()).orders.some((o) => o.status === 'resting')) break;
          if (child.exitCode !== null) throw new Error(`run ${i} exited (${child.exitCode}) before quoting:\n${out.slice(-2000)}`);
          if (Date.now() > deadline) throw new Error(`run ${i}: no order resting within ${WAIT_MS} ms:\n${out.slice(-2000)}`);
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
        child.kill(way);
      }
      const code = await exit;
      expect(code, `run ${i} (${way}):\n${out}`).toBe(0);
      expect(out, `run ${i} (${way})`).toContain('shutdown verified');
      const recs = await s.records();
      expect(recs.orders.filter((o) => o.status === 'resting').map((o) => o.order_id), `run ${i} (${way}) left orders resting`).toEqual([]);
      for (const f of ['summary.json', 'report.html']) expect(existsSync(join(runDir, f)), `run ${i}: ${f}`).toBe(true);
      const journal = readJournal(join(runDir, 'journal.jsonl')).records;
      expect(journal.filter((r) => r.k === 'shutdown').map((r) => (r as { verified?: boolean }).verified), `run ${i} shutdown record`).toEqual([true]);
      // this run's exchange fills (those after the previous runs') are in its journal exactly once
      // (a fresh run folder's start-up reconcile also back-fills the account's earlier fills, i.e.
      // fills of the previous runs: those may appear too, each once)
      const earlier = new Set(recs.fills.slice(0, seenFills).map((f) => String(f.trade_id ?? f.fill_id ?? '')));
      const runFills = recs.fills.slice(seenFills).map((f) => String(f.trade_id ?? f.fill_id ?? ''));
      seenFills = recs.fills.length;
      const journaled = journal.filter((r) => r.k === 'fill' && r.tradeId).map((r) => (r as { tradeId: string }).tradeId);
      expect(new Set(journaled).size, `run ${i}: a fill journaled twice`).toBe(journaled.length);
      expect(journaled.filter((id) => !earlier.has(id)).sort(), `run ${i} fills`).toEqual([...runFills].sort());
      outcomes.push(`${way}:${code}`);
    }
    const wallS = (Date.now() - t0) / 1000;
    console.log(`[shutdown.twenty] ${STOPS} stops (${outcomes.join(' ')}), ${seenFills} exchange fills, wall ${wallS.toFixed(1)} s`);
  }, 600_000);
});
