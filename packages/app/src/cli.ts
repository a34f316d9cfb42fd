#!/usr/bin/env node
/**
 * The `kmm` command-line app (run through ./kmm). Every command validates its arguments and
 * exits non-zero with a message naming the problem.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, cliFromAssignments, explainConfig, explainConfigJson, loadConfig } from '@kmm/shared';
import { runSimCli } from '@kmm/sim';
import { runReplayCli } from '@kmm/book-worker';
import { runBacktestCli, runSweepCli } from '@kmm/backtest';
import { runProbeCli } from '@kmm/exec-worker';
import { runReportCli, generateReport } from './report/index.js';
import { runDemo, printSummary } from './commands/demo.js';
import { runLive, UsageError } from './commands/run.js';
import { ackBreach } from './commands/ack-breach.js';
import { runBenchCli } from './proof/bench.js';
import { runChaosCli } from './proof/chaos.js';

const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version as string;

function int(name: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number, got '${value}'`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}
function num(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got '${value}'`);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}
const collect = (v: string, prev: string[]) => [...prev, v];

export function buildProgram(): Command {
  const program = new Command('kmm')
    .description('KMM: an actor-model market maker for the Kalshi exchange')
    .version(version, '-V, --version')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('demo')
    .description('run the built-in simulator and the full system making markets; writes a run folder and report')
    .option('--markets <n>', 'number of markets', int('--markets', 1, 5000), 20)
    .option('--duration <s>', 'seconds to run (Ctrl-C stops early)', num('--duration', 1, 86400), 30)
    .option('--seed <x>', 'simulator and strategy seed', int('--seed', 0, 2147483647), 1)
    .option('--out <dir>', 'run folder (default runs/demo-<time>)')
    .option('--config <file>', 'YAML/JSON config file (watched: live-safe changes apply without restart)')
    .option('--set <key=value>', 'config override, repeatable', collect, [])
    .option('--speed <x>', 'simulator flow intensity', num('--speed', 0.01, 100), 1)
    .option('--shards <k>', 'book shards', int('--shards', 1, 64))
    .option('--no-dashboard', 'do not serve the dashboard')
    .option('--dashboard-port <p>', 'dashboard port on 127.0.0.1 (0 = any)', int('--dashboard-port', 0, 65535), 0)
    .action(async (o) => {
      const result = await runDemo({
        markets: o.markets,
        durationS: o.duration,
        seed: o.seed,
        out: o.out,
        config: o.config,
        set: cliFromAssignments(o.set),
        dashboard: o.dashboard,
        dashboardPort: o.dashboardPort,
        speed: o.speed,
        shards: o.shards,
      });
      printSummary(result, (l) => process.stdout.write(l + '\n'));
      if (result.restingAfterShutdown > 0) {
        process.stderr.write(`error: ${result.restingAfterShutdown} of our orders still rest on the exchange after shutdown\n`);
        process.exitCode = 1;
      }
    });

  program
    .command('run')
    .description('run against Kalshi (demo or prod) with your API key, or paper-trade live data')
    .addOption(new Option('--env <env>', 'exchange').choices(['demo', 'prod', 'sim']).makeOptionMandatory())
    .option('--config <file>', 'YAML/JSON config file (key id and PEM path: kmm_api_key_id, kmm_private_key_path)')
    .option('--set <key=value>', 'config override, repeatable', collect, [])
    .option('--paper', 'paper trading: live data, simulated fills, no order reaches the exchange', false)
    .option('--confirm-prod', 'required to trade on production', false)
    .option('--duration <s>', 'stop after this many seconds (default: until Ctrl-C)', num('--duration', 1, 31_536_000))
    .option('--out <dir>', 'run folder')
    .option('--no-dashboard', 'do not serve the dashboard')
    .option('--dashboard-port <p>', 'dashboard port on 127.0.0.1 (0 = any)', int('--dashboard-port', 0, 65535), 8787)
    .action(async (o) => {
      process.exitCode = await runLive({ env: o.env, config: o.config, set: cliFromAssignments(o.set), confirmProd: o.confirmProd, paper: o.paper, durationS: o.duration, out: o.out, dashboard: o.dashboard, dashboardPort: o.dashboardPort });
    });

  program
    .command('sim')
    .description('run the local Kalshi simulator standalone on 127.0.0.1')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]', '--port P --seed S --markets N --speed X --tier T')
    .action(async (args: string[]) => {
      await runSimCli(args);
    });

  const config = program.command('config').description('configuration tools');
  config
    .command('explain')
    .description('print every effective value with its source and meaning')
    .option('--config <file>', 'YAML/JSON config file')
    .option('--set <key=value>', 'config override, repeatable', collect, [])
    .option('--json', 'machine-readable output', false)
    .action((o) => {
      const loaded = loadConfig({ file: o.config, env: process.env, cli: cliFromAssignments(o.set) });
      process.stdout.write(o.json ? JSON.stringify(explainConfigJson(loaded), null, 2) + '\n' : explainConfig(loaded) + '\n');
      for (const w of loaded.warnings) process.stderr.write(`warning: ${w}\n`);
    });

  program
    .command('replay')
    .description('replay a websocket capture through the real parser and books')
    .argument('<capture>', 'capture file (our capture.jsonl or a Kalshi session.jsonl)')
    .option('--books', 'print the final books as JSON', false)
    .option('--stats', 'print parse statistics', false)
    .action(async (capture: string, o) => {
      process.exitCode = await runReplayCli([capture, ...(o.books ? ['--books'] : []), ...(o.stats ? ['--stats'] : [])]);
    });

  program
    .command('backtest')
    .description('replay a capture through the live cores with a simulated venue (queue model, latency, fees, settlement); writes a run folder and report')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]', '--capture FILE [--config FILE] [--set K=V] [--queue-model risk-averse|prob-power|exchange] [--latency-ms N] [--feed-latency-ms N] [--seed N] [--markets FILE] [--out DIR]')
    .action(async (args: string[]) => {
      process.exitCode = await runBacktestCli(args, async (dir) => generateReport(dir));
    });

  program
    .command('sweep')
    .description('run many backtests of one capture in parallel (piscina) and rank them: sweep.csv, sweep.html')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]', '--capture FILE --grid FILE [--config FILE] [--markets FILE] [--threads N] [--out DIR]')
    .action(async (args: string[]) => {
      process.exitCode = await runSweepCli(args);
    });

  program
    .command('report')
    .description('write RUN_DIR/report.html: equity, inventory, fills, markouts, attribution, churn, latency')
    .argument('<run_dir>')
    .allowUnknownOption()
    .action(async (runDir: string, _o, cmd: Command) => {
      process.exitCode = await runReportCli([runDir, ...cmd.args.slice(1)]);
    });

  program
    .command('probe')
    .description('connectivity probe of 003: connect, place 1 contract at 1c, confirm, cancel, confirm')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]', '--env sim|demo|prod [--config FILE]')
    .action(async (args: string[]) => {
      process.exitCode = await runProbeCli(args);
    });

  program
    .command('ack-breach')
    .description('acknowledge a start-up position cap breach in a running system (re-enables trading)')
    .option('--run <dir>', 'run folder of the running system (default: the newest under runs/)')
    .option('--market <ticker>', 'only this market')
    .action(async (o) => {
      process.stdout.write((await ackBreach({ run: o.run, market: o.market })) + '\n');
    });

  program
    .command('bench')
    .description('latency and scale benchmarks: `bench latency [--markets N] [--rate R] [--duration S] [--json]`, `bench scale`')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]', 'latency|scale and their options (kmm bench --help)')
    .action(async (args: string[]) => {
      process.exitCode = await runBenchCli(args);
    });

  program
    .command('chaos')
    .description('chaos soak: the demo under a seeded random fault schedule, then invariant checks against the exchange')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]', '[--duration S] [--seed X] [--markets N] [--json]')
    .action(async (args: string[]) => {
      process.exitCode = await runChaosCli(args);
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
