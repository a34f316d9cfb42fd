/**
 * `kmm config explain`: every effective setting with its source and meaning.
 * `kmm config check`: every problem of a configuration with the keys involved (shared config/check.ts);
 * exit 1 when there is an error, 0 with warnings only.
 */
import { Command, Option } from 'commander';
import {
  checkConfig, cliFromAssignments, explainConfig, explainConfigJson, formatConfigProblems, loadConfig,
} from '@kmm/shared';
import { assignment, type CliContext } from './options.js';
import { CONFIG_FOR_COMMANDS, configOptionsFor, startupWarnings } from '../commands/startup-config.js';

/** `--for demo|run`: show the configuration that command would run with (its profile and defaults layer). */
const forOption = (): Option =>
  new Option('--for <command>', 'the configuration this command would run with (its profile and its own defaults)').choices([...CONFIG_FOR_COMMANDS]);

export function configCommand(cli: CliContext): Command {
  const config = new Command('config').description('configuration tools');
  config
    .command('explain')
    .description('print every effective value with its source and meaning')
    .option('--config <file>', 'YAML/JSON config file')
    .option('--set <key=value>', 'config override, repeatable', assignment)
    .option('--json', 'machine-readable output')
    .addOption(forOption())
    .action((o) => {
      const loaded = loadConfig(configOptionsFor(o.for, o.config, cliFromAssignments(o.set ?? []), process.env));
      cli.out(o.json ? JSON.stringify(explainConfigJson(loaded), null, 2) : explainConfig(loaded));
      for (const w of startupWarnings(loaded)) cli.err(w);
    });
  config
    .command('check')
    .description('validate a configuration: contradicting limits, unreachable features, safe ranges, unknown keys (exit 1 on errors)')
    .option('--config <file>', 'YAML/JSON config file')
    .option('--set <key=value>', 'config override, repeatable', assignment)
    .option('--json', 'print the problems as JSON')
    .addOption(forOption())
    .action((o) => {
      const r = checkConfig(configOptionsFor(o.for, o.config, cliFromAssignments(o.set ?? []), process.env));
      if (o.json) cli.out(JSON.stringify({ errors: r.errors, warnings: r.warnings, problems: r.problems }, null, 2));
      else for (const l of formatConfigProblems(r.problems)) cli.out(l);
      cli.exitCode = r.errors > 0 ? 1 : 0;
    });
  return config;
}
