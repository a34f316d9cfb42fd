/**
 * `kmm chaos` (proof/chaos.ts): the demo under a seeded random fault schedule, then invariant
 * checks against the exchange's own records. Exit 0 only when every invariant holds.
 */
import { Command } from 'commander';
import { cliFromAssignments } from '@kmm/shared';
import { CHAOS_FAULT_KINDS, faultHelp, RECOVERY_BOUND_S, runChaos } from '../proof/chaos.js';
import { assignment, decimal, wholeNumber, type CliContext } from './options.js';

export function chaosCommand(cli: CliContext): Command {
  return new Command('chaos')
    .description('chaos soak: the demo under a seeded random fault schedule, then invariant checks against the exchange')
    .option('--duration <s>', 'seconds of faults', decimal('--duration', 10, 86_400), 60)
    .option('--seed <x>', 'seed of the fault schedule, simulator and strategy', wholeNumber('--seed', 0, 2 ** 31 - 1), 1)
    .option('--markets <n>', 'number of markets', wholeNumber('--markets', 1, 1000), 20)
    .option('--speed <x>', 'simulator flow intensity (higher = more fills to check)', decimal('--speed', 0.1, 100), 3)
    .option('--out <dir>', 'run folder (default: a temp folder)')
    .option('--set <key=value>', 'config override, repeatable', assignment)
    .option('--json', 'print the result as one JSON value')
    .addHelpText(
      'after',
      `\nFaults of one soak (the shutdown's REST fault is one of the three, by seed):\n${faultHelp(CHAOS_FAULT_KINDS)}\n` +
        `\nChecks against the exchange's records: no cap breach, nothing of ours resting after the stop, every fill in the journal exactly once,\n` +
        `no client order id reused, every fault recovered within ${RECOVERY_BOUND_S} s, the stop verified with no forced exit. Exit 0 only if all hold.`,
    )
    .action(async (o) => {
      const r = await runChaos({ durationS: o.duration, seed: o.seed, markets: o.markets, speed: o.speed, out: o.out, set: cliFromAssignments(o.set ?? []), progress: cli.err });
      if (o.json) cli.out(JSON.stringify(r));
      else {
        const p = cli.out;
        p(`chaos seed ${r.seed}: ${r.fault_log.length} faults in ${r.duration_s} s: ${Object.entries(r.faults).map(([k, v]) => `${k} ${v}`).join(', ')}`);
        p(`cap breaches: ${r.cap_breaches} (max |position| ${r.max_abs_position_centi / 100}, cap ${r.cap_centi / 100})`);
        p(`orders resting after shutdown: ${r.orders_resting_after_shutdown}`);
        p(`fills: exchange ${r.fills_exchange}, journal ${r.fills_journal}, missing ${r.fills_missing}, duplicated ${r.fills_duplicated}`);
        p(`duplicate client order ids: ${r.duplicate_client_order_ids}; max recovery ${r.max_recovery_s} s (bound ${RECOVERY_BOUND_S} s); actor restarts ${r.actor_restarts}`);
        for (const x of r.problems) p(`PROBLEM: ${x}`);
        p(`ok: ${r.ok}   run folder: ${r.run_dir}`);
      }
      cli.exitCode = r.ok ? 0 : 1;
    });
}
