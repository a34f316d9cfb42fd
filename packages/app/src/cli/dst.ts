/**
 * `kmm dst`: deterministic simulation testing (dst/world.ts). Runs N whole-system simulations
 * in this thread, in virtual time, each under its seed's fault schedule, then checks the
 * invariants. Prints one line per seed with the journal's hash (the same seed prints the same
 * hash), and for a failing seed the one command that reproduces it. Exit 0 only if every seed
 * passes.
 */
import { Command, Option } from 'commander';
import { cliFromAssignments } from '@kmm/shared';
import { DST_CHECKS, DST_FAULT_KINDS, runDst, SHUTDOWN_FAULT_KINDS, type DstBug, type DstCheck, type DstResult } from '../dst/world.js';
import { faultHelp } from '../proof/chaos.js';
import { assignment, decimal, wholeNumber, type CliContext } from './options.js';

export interface DstSummary {
  seeds: number;
  failed: number[];
  /** per check: seeds that violated it */
  invariants: Record<DstCheck, { checked: number; violated: number }>;
  sim_minutes: number;
  events: number;
  wall_s: number;
  sim_minutes_per_wall_minute: number;
  hash: Record<string, string>;
  faults: Record<string, number>;
  fills: number;
  orders: number;
  results: DstResult[];
}

export interface DstRunOptions {
  seeds: number[];
  minutes: number;
  markets: number;
  speed: number;
  faults: boolean;
  bug: DstBug;
  set: Record<string, string>;
  trace?: (line: string) => void;
}

/** The command line that reproduces one seed of a run. */
export function reproduceCommand(seed: number, o: DstRunOptions): string {
  const parts = [`./kmm dst --seed ${seed} --minutes ${o.minutes} --markets ${o.markets} --speed ${o.speed}`];
  if (!o.faults) parts.push('--no-faults');
  if (o.bug !== 'none') parts.push(`--inject-bug ${o.bug}`);
  for (const [k, v] of Object.entries(o.set)) parts.push(`--set ${k}=${v}`);
  return parts.join(' ');
}

export async function runDstSeeds(o: DstRunOptions, onSeed: (r: DstResult) => void = () => {}): Promise<DstSummary> {
  const t0 = process.hrtime.bigint();
  const results: DstResult[] = [];
  for (const seed of o.seeds) {
    const r = await runDst({ seed, simMinutes: o.minutes, markets: o.markets, speed: o.speed, faults: o.faults, bug: o.bug, set: o.set, trace: o.trace });
    results.push(r);
    onSeed(r);
  }
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const invariants = Object.fromEntries(DST_CHECKS.map((c) => [c, { checked: results.length, violated: results.filter((r) => r.violations[c] > 0).length }])) as DstSummary['invariants'];
  const faults: Record<string, number> = {};
  for (const r of results) for (const f of [...r.faults, ...r.shutdownFaults]) faults[f.kind] = (faults[f.kind] ?? 0) + 1;
  const simMinutes = results.reduce((a, r) => a + r.simMinutes, 0);
  return {
    seeds: results.length,
    failed: results.filter((r) => !r.ok).map((r) => r.seed),
    invariants,
    sim_minutes: Math.round(simMinutes * 100) / 100,
    events: results.reduce((a, r) => a + r.events, 0),
    wall_s: Math.round(wallS * 100) / 100,
    sim_minutes_per_wall_minute: wallS > 0 ? Math.round((simMinutes / (wallS / 60)) * 10) / 10 : 0,
    hash: Object.fromEntries(results.map((r) => [String(r.seed), r.hash])),
    faults,
    fills: results.reduce((a, r) => a + r.fillsExchange, 0),
    orders: results.reduce((a, r) => a + r.ordersExchange, 0),
    results,
  };
}

export function dstCommand(cli: CliContext): Command {
  return new Command('dst')
    .description('deterministic simulation testing: the whole system in one thread, virtual time, seeded faults, invariant checks')
    .option('--seeds <n>', 'number of seeds to run (1..n)', wholeNumber('--seeds', 1, 100_000), 20)
    .option('--seed <s>', 'run only this seed (reproduces a failure)', wholeNumber('--seed', 0, 2 ** 32 - 1))
    .option('--first-seed <s>', 'first seed of --seeds', wholeNumber('--first-seed', 0, 2 ** 32 - 1), 1)
    .option('--minutes <m>', 'simulated minutes of trading per seed', decimal('--minutes', 0.5, 24 * 60), 3)
    .option('--markets <n>', 'markets per simulation', wholeNumber('--markets', 1, 50), 4)
    .option('--speed <x>', 'simulator flow intensity', decimal('--speed', 0.05, 20), 0.5)
    .option('--no-faults', 'run without the fault schedule')
    .addOption(new Option('--inject-bug <kind>', 'break an invariant on purpose (proves the checks catch it)').choices(['none', 'journal_duplicate_fill', 'exec_assertion']).default('none'))
    .option('--set <key=value>', 'config override, repeatable', assignment)
    .option('--trace', 'print every warning and error event, each fault and a status line every 5 s, with virtual times, on stderr (KMM_DST_TRACE_INFO=1 adds info events)')
    .option('--json', 'print one JSON object (seeds, failed, invariants, sim_minutes, events, wall_s, hash)')
    .addHelpText(
      'after',
      `\nSeeded faults (each seed draws its schedule, start-up window, second instance and shutdown faults):\n${faultHelp(['startup_read_failures', 'second_instance', ...DST_FAULT_KINDS, ...SHUTDOWN_FAULT_KINDS])}\n` +
        `\nChecks: ${DST_CHECKS.join(', ')} (README, kmm dst). Exit 0 only if every seed passes.`,
    )
    .action(async (opts) => {
      const seeds = opts.seed !== undefined ? [opts.seed as number] : Array.from({ length: opts.seeds as number }, (_, i) => (opts.firstSeed as number) + i);
      const o: DstRunOptions = { seeds, minutes: opts.minutes, markets: opts.markets, speed: opts.speed, faults: opts.faults !== false, bug: opts.injectBug as DstBug, set: cliFromAssignments(opts.set ?? []), trace: opts.trace ? cli.err : undefined };
      const s = await runDstSeeds(o, (r) => {
        if (opts.json) return;
        const faults = [...r.faults, ...r.shutdownFaults].map((f) => f.kind).join(',') || 'none';
        cli.out(`seed ${r.seed}: ${r.ok ? 'ok    ' : 'FAILED'} hash ${r.hash.slice(0, 16)}  ${r.simMinutes.toFixed(1)} sim-min  ${r.events} events  fills ${r.fillsExchange}  orders ${r.ordersExchange}  faults ${faults}`);
        if (!r.ok) {
          for (const p of r.problems) cli.out(`  problem: ${p}`);
          cli.out(`  reproduce: ${reproduceCommand(r.seed, o)}`);
        }
      });
      if (opts.json) {
        const { results: _results, ...rest } = s;
        cli.out(JSON.stringify({ ...rest, reproduce: Object.fromEntries(s.failed.map((x) => [String(x), reproduceCommand(x, o)])) }));
      } else {
        cli.out(`${s.seeds} seeds, ${s.failed.length} failed; ${s.sim_minutes} simulated minutes in ${s.wall_s} s wall (${s.sim_minutes_per_wall_minute} sim-min per wall-min), ${s.events} events, ${s.fills} fills, ${s.orders} orders`);
        cli.out(`invariants: ${DST_CHECKS.map((c) => `${c} ${s.invariants[c].violated ? `VIOLATED in ${s.invariants[c].violated}` : 'held'}`).join(', ')}`);
        cli.out(`faults: ${Object.entries(s.faults).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
      }
      cli.exitCode = s.failed.length === 0 ? 0 : 1;
    });
}
