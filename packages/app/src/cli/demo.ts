/** `kmm demo`: the built-in simulator and the full system making markets (commands/demo.ts). */
import { Command, Option } from 'commander';
import { QUEUE_MODEL_NAMES, resolveProfile } from '@kmm/sim';
import { cliFromAssignments } from '@kmm/shared';
import { runDemo, printSummary } from '../commands/demo.js';
import { describeShutdown } from '../system/shutdown.js';
import { DEMO_DEFAULTS } from '../commands/startup-config.js';
import { assignment, decimal, usageError, wholeNumber, type CliContext } from './options.js';

export function demoCommand(cli: CliContext): Command {
  return new Command('demo')
    .description('run the built-in simulator and the full system making markets; writes a run folder and report')
    .option('--markets <n>', 'number of markets', wholeNumber('--markets', 1, 5000), DEMO_DEFAULTS.markets)
    .option('--duration <s>', 'seconds to run (Ctrl-C stops early)', decimal('--duration', 1, 86400), 30)
    .option('--seed <x>', 'simulator and strategy seed', wholeNumber('--seed', 0, 2147483647), DEMO_DEFAULTS.seed)
    .option('--out <dir>', 'run folder (default <kmm_run_dir>/demo-<time>, kmm_run_dir = runs)')
    .option('--config <file>', 'YAML/JSON config file (watched: live-safe changes apply without restart)')
    .option('--set <key=value>', 'config override, repeatable', assignment)
    .option('--profile <name|file>', 'market profile of the simulator: active (default), quiet, synthetic or a JSON file (kmm calibrate --out)', 'active')
    .option('--speed <x>', `time scale of the simulated market: every flow rate x this (default ${DEMO_DEFAULTS.timeScale}; the summary states it); with --replay: the recording's time scale (default 1)`, decimal('--speed', 0.01, 100))
    .option('--replay <capture>', 'replay market: the simulator\'s books come from a recorded websocket capture (Kalshi session.jsonl or a run\'s capture.jsonl); --markets is then the capture\'s')
    .addOption(new Option('--queue-model <m>', 'replay market: what a recorded level decrease without a print is (README "Replay market")').choices([...QUEUE_MODEL_NAMES]).default('pessimistic'))
    .addOption(new Option('--strategy <name>', 'quoting strategy (kmm_strategy): default, or naive (the baseline to beat: mid -/+ 1c, same sizes and caps)').choices(['default', 'naive']))
    .option('--shards <k>', 'book shards (default: kmm_shards)', wholeNumber('--shards', 1, 64))
    .option('--record-inputs', "record every actor's inputs and outputs to <run>/inputs/ (replay parity check)", false)
    .option('--dashboard', 'serve the dashboard (default: kmm_dashboard, true)')
    .option('--no-dashboard', 'do not serve the dashboard')
    .option('--dashboard-port <p>', 'dashboard port on 127.0.0.1, 0 = any (default: kmm_dashboard_port when set, else any)', wholeNumber('--dashboard-port', 0, 65535))
    .action(async (o, cmd: Command) => {
      try {
        resolveProfile(o.profile);
      } catch (err) {
        usageError(cmd, (err as Error).message);
      }
      const result = await runDemo({
        markets: o.markets,
        durationS: o.duration,
        seed: o.seed,
        out: o.out,
        config: o.config,
        set: { ...cliFromAssignments(o.set ?? []), ...(o.strategy ? { kmm_strategy: o.strategy } : {}) },
        dashboard: o.dashboard,
        dashboardPort: o.dashboardPort,
        speed: o.speed ?? (o.replay === undefined ? DEMO_DEFAULTS.timeScale : 1),
        replay: o.replay === undefined ? undefined : { capturePath: o.replay, queueModel: o.queueModel },
        profile: o.profile,
        shards: o.shards,
        recordInputs: o.recordInputs,
      });
      printSummary(result, cli.out);
      const outcome = describeShutdown(result.shutdown ?? null);
      for (const l of outcome.lines) (outcome.ok ? cli.out : cli.err)(l);
      if (result.restingAfterShutdown > 0) cli.err(`error: ${result.restingAfterShutdown} of our orders still rest on the exchange after shutdown`);
      // 0 exactly when the shutdown was verified (and the simulator agrees) and nothing failed
      cli.exitCode = outcome.ok && result.restingAfterShutdown === 0 && !result.stoppedByError ? 0 : 1;
    });
}
