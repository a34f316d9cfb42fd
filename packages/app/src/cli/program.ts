/**
 * The `kmm` program: mounts every command (one module per command under src/cli, each a
 * function returning a commander Command with its declared options) and gives them the same
 * behaviour: `--help` on every command and sub-command, no stray arguments, errors in one
 * format (`error: ...` then "(kmm <command> --help lists the options)") and exit codes
 *   0 done, 1 the command ran and failed, 2 bad usage (arguments, config, refused request).
 * Operating errors print their message, never a stack trace (`kmm --debug <command>` shows it).
 *
 * Adding a command is one line in COMMANDS.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '@kmm/shared';
import { UsageError } from '../commands/run.js';
import { ackBreachCommand } from './ack-breach.js';
import { ackConfigCommand } from './ack-config.js';
import { backtestCommand } from './backtest.js';
import { benchCommand } from './bench.js';
import { calibrateCommand } from './calibrate.js';
import { chaosCommand } from './chaos.js';
import { clusterCommand, nodeCommand } from './cluster.js';
import { configCommand } from './config.js';
import { demoCommand } from './demo.js';
import { dstCommand } from './dst.js';
import { marketStatsCommand } from './market-stats.js';
import { probeCommand } from './probe.js';
import { replayCommand } from './replay.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';
import { simCommand } from './sim.js';
import { sweepCommand } from './sweep.js';
import { commandPath, stdioContext, type CliContext } from './options.js';

/** Every top-level command, in `kmm --help` order. */
export const COMMANDS: ReadonlyArray<(cli: CliContext) => Command> = [
  demoCommand,
  runCommand,
  simCommand,
  configCommand,
  replayCommand,
  backtestCommand,
  sweepCommand,
  reportCommand,
  probeCommand,
  ackBreachCommand,
  ackConfigCommand,
  benchCommand,
  chaosCommand,
  dstCommand,
  marketStatsCommand,
  calibrateCommand,
  clusterCommand,
  nodeCommand,
];

const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string;

/** The program and every command below it (depth first, the program first). */
export function allCommands(root: Command): Command[] {
  return [root, ...root.commands.flatMap((c) => allCommands(c))];
}

export function buildProgram(cli: CliContext = stdioContext()): Command {
  const program = new Command('kmm')
    .description('KMM: an actor-model market maker for the Kalshi exchange')
    .version(version, '-V, --version')
    .option('--debug', 'print stack traces of operating errors');
  for (const make of COMMANDS) program.addCommand(make(cli));
  // Settings every command gets (addCommand does not copy them from the parent).
  for (const c of allCommands(program)) {
    c.exitOverride()
      .allowExcessArguments(false)
      .showHelpAfterError(`(${commandPath(c)} --help lists the options)`)
      .configureOutput({ writeOut: (s) => cli.out(s.replace(/\n$/, '')), writeErr: (s) => cli.err(s.replace(/\n$/, '')) });
  }
  return program;
}

/** Parses `argv` (the arguments after `kmm`), runs the command and returns its exit code. */
export async function runCli(argv: readonly string[], cli: CliContext = stdioContext()): Promise<number> {
  const program = buildProgram(cli);
  let debug = false;
  program.hook('preAction', (root) => {
    debug = root.opts().debug === true;
  });
  let active: Command = program;
  program.hook('preAction', (_program, actionCommand) => {
    active = actionCommand;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return cli.exitCode;
  } catch (err) {
    // Help and version exit through here with code 0; every parse error was already printed.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof ConfigError || err instanceof UsageError) {
      cli.err(`error: ${err.message}`);
      cli.err(`(${commandPath(active)} --help lists the options)`);
      return 2;
    }
    // An operating error (bad key file, unwritable folder, port taken, exchange refused...):
    // its message only; the stack with --debug.
    const e = err as Error;
    cli.err(`error: ${e instanceof Error ? e.message : String(err)}`);
    if (debug && e instanceof Error && e.stack) cli.err(e.stack);
    else cli.err('(run again with --debug for the stack trace)');
    return 1;
  }
}
