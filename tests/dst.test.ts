/**
 * `kmm dst` (deterministic simulation testing, packages/app/src/dst/world.ts and cli/dst.ts):
 *   - 200 seeds of the whole system under seeded faults pass every invariant (the CI run; the
 *     seeds are split over one CLI process per core, the figures are printed);
 *   - the same seed gives the same journal hash twice, another seed another hash;
 *   - a deliberately broken invariant (exec assertion, duplicated journal fill) is caught by the
 *     expected check, and the printed reproduce command fails again identically;
 *   - `--help` and `--json` show the documented fields.
 * Everything runs in virtual time: no sleeps. The simulator runs its `synthetic` market profile
 * (runDst's default, DstOptions.profile): the original uncalibrated flow whose fills within
 * minutes these and the other *.dst.test.ts scenarios rely on (README, Simulator market profiles).
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reproduceCommand, runDst, runDstSeeds, type DstRunOptions } from '@kmm/app';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const CLI = join(REPO, 'packages/app/dist/cli.js');
const SEEDS = 200;
// 3 simulated minutes: ~125 s of CPU for the 200 seeds, ~65 s wall on 2 free cores (KMM_DST_MINUTES overrides)
const MINUTES = Number(process.env.KMM_DST_MINUTES ?? 3);
const JSON_FIELDS = ['seeds', 'failed', 'invariants', 'sim_minutes', 'events', 'wall_s', 'hash'];

function kmm(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => res({ code, out, err }));
  });
}

function lastJson(out: string): any {
  return JSON.parse(out.trim().split('\n').pop() ?? '');
}

/** `./kmm dst ...` as printed by a failing seed, as arguments of the CLI. */
function argsOf(command: string): string[] {
  const parts = command.trim().split(/\s+/);
  expect(parts.slice(0, 2)).toEqual(['./kmm', 'dst']);
  return parts.slice(1);
}

describe('kmm dst', () => {
  it(`${SEEDS} seeds, ${MINUTES} simulated minutes each, 4 markets: every invariant holds`, { timeout: 600_000 }, async () => {
    const shards = Math.max(1, Math.min(4, availableParallelism()));
    const per = Math.ceil(SEEDS / shards);
    const t0 = process.hrtime.bigint();
    const runs = await Promise.all(
      Array.from({ length: shards }, (_, i) => {
        const first = 1 + i * per;
        const n = Math.min(per, SEEDS - i * per);
        return kmm(['dst', '--first-seed', String(first), '--seeds', String(n), '--minutes', String(MINUTES), '--json']);
      }),
    );
    const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
    const sums = runs.map((r) => {
      expect(r.err.slice(-2000)).toBe('');
      return lastJson(r.out);
    });
    const seeds = sums.reduce((a, s) => a + s.seeds, 0);
    const failed: number[] = sums.flatMap((s) => s.failed);
    const reproduce = Object.assign({}, ...sums.map((s) => s.reproduce));
    const simMinutes = sums.reduce((a, s) => a + s.sim_minutes, 0);
    const events = sums.reduce((a, s) => a + s.events, 0);
    console.log(
      `[dst] ${seeds} seeds in ${shards} processes: ${simMinutes.toFixed(0)} simulated minutes, ${wallS.toFixed(1)} s wall ` +
        `(${(simMinutes / (wallS / 60)).toFixed(0)} sim-min per wall-min), ${events} events, failed: ${failed.length ? failed.join(', ') : 'none'}`,
    );
    expect(seeds).toBe(SEEDS);
    expect(Object.keys(Object.assign({}, ...sums.map((s) => s.hash))).length).toBe(SEEDS);
    expect(failed, `failing seeds reproduce with:\n${Object.values(reproduce).join('\n')}`).toEqual([]);
    for (const r of runs) expect(r.code).toBe(0);
  });

  it('the same seed gives the same hash twice; another seed another hash', async () => {
    const a = await runDst({ seed: 3, simMinutes: 2 });
    const b = await runDst({ seed: 3, simMinutes: 2 });
    const c = await runDst({ seed: 4, simMinutes: 2 });
    // the runs had faults to replay, and did something worth hashing
    expect(a.faults.length).toBeGreaterThan(0);
    expect(a.fillsExchange).toBeGreaterThan(0);
    expect(b.hash).toBe(a.hash);
    expect(b.events).toBe(a.events);
    expect(b.faults).toEqual(a.faults);
    expect(c.hash).not.toBe(a.hash);
  });

  const bugs = [
    { bug: 'exec_assertion', check: 'assertions', problem: /exec crashed \(not injected\)/ },
    { bug: 'journal_duplicate_fill', check: 'fills', problem: /fill/i },
  ] as const;
  for (const { bug, check, problem } of bugs) {
    it(`a broken invariant (${bug}) is caught by the ${check} check and its reproduce command fails identically`, async () => {
      const o: DstRunOptions = { seeds: [5], minutes: 2, markets: 4, speed: 0.5, faults: true, bug, set: {} };
      const s = await runDstSeeds(o);
      expect(s.failed).toEqual([5]);
      const r = s.results[0];
      expect(r.violations[check]).toBeGreaterThan(0);
      expect(s.invariants[check].violated).toBe(1);
      expect(r.problems.some((p) => problem.test(p)), r.problems.join('; ')).toBe(true);
      // the other checks still hold: the injected bug is what was caught
      for (const [k, v] of Object.entries(r.violations)) if (k !== check) expect([k, v]).toEqual([k, 0]);

      const cmd = reproduceCommand(5, o);
      const text = await kmm(argsOf(cmd));
      expect(text.code).toBe(1);
      expect(text.out).toContain(`seed 5: FAILED hash ${r.hash.slice(0, 16)}`);
      const printed = text.out.split('\n').filter((l) => l.startsWith('  problem: ')).map((l) => l.slice('  problem: '.length));
      expect(printed).toEqual(r.problems);
      expect(text.out).toContain(`  reproduce: ${cmd}`);
      const json = await kmm([...argsOf(cmd), '--json']);
      expect(json.code).toBe(1);
      const j = lastJson(json.out);
      expect(j.failed).toEqual([5]);
      expect(j.hash['5']).toBe(r.hash);
      expect(j.invariants[check].violated).toBe(1);
      expect(j.reproduce['5']).toBe(cmd);
    });
  }

  it('--help and --json print the documented fields', async () => {
    const help = await kmm(['dst', '--help']);
    expect(help.code).toBe(0);
    for (const opt of ['--seeds', '--seed', '--minutes', '--json', '--inject-bug']) expect(help.out).toContain(opt);
    for (const f of JSON_FIELDS) expect(help.out).toContain(f);
    // the faults of issue 14 are listed: signals and faults during shutdown, silence with fills,
    // start-up read failures, a second instance
    for (const k of ['shutdown_signals', 'shutdown_429_storm', 'shutdown_rest_5xx', 'shutdown_rest_timeout', 'ws_silence', 'startup_read_failures', 'second_instance', 'process_crash']) expect(help.out).toMatch(new RegExp(`^  ${k} +\\S`, 'm'));

    const run = await kmm(['dst', '--seeds', '2', '--minutes', '1', '--json']);
    expect(run.code, run.err).toBe(0);
    const j = lastJson(run.out);
    for (const f of JSON_FIELDS) expect(j).toHaveProperty(f);
    expect(j.seeds).toBe(2);
    expect(j.failed).toEqual([]);
    expect(Object.keys(j.invariants).sort()).toEqual(['assertions', 'cap', 'client_ids', 'fills', 'positions', 'recovery', 'resting', 'run_lock', 'shutdown', 'startup']);
    for (const v of Object.values(j.invariants) as Array<{ checked: number; violated: number }>) expect(v).toEqual({ checked: 2, violated: 0 });
    expect(j.sim_minutes).toBeGreaterThanOrEqual(2);
    expect(j.events).toBeGreaterThan(0);
    expect(j.wall_s).toBeGreaterThan(0);
    expect(Object.keys(j.hash)).toEqual(['1', '2']);
    for (const h of Object.values(j.hash)) expect(h).toMatch(/^[0-9a-f]{64}$/);
  });
});
