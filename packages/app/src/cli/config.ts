/**
 * `kmm config explain`: every effective setting with its source and meaning.
 * `kmm config check`: every problem of a configuration with the keys involved (shared config/check.ts);
 * exit 1 when there is an error, 0 with warnings only.
 */
import { Command } from 'commander';
import {
  checkConfig, cliFromAssignments, explainConfig, explainConfigJson, formatConfigProblems, loadConfig,
} from '@kmm/shared';
import { assignment, type CliContext } from './options.js';
import { startupWarnings } from '../commands/startup-config.js';

export function configCommand(cli: CliContext): Command {
  const config = new Command('config').description('configuration tools');
  config
    .command('explain')
    .description('print every effective value with its source and meaning')
    .option('--config <file>', 'YAML/JSON config file')
    .option('--set <key=value>', 'config override, repeatable', assignment)
    .option('--json', 'machine-readable output')
    .action((o) => {
      const loaded = loadConfig({ file: o.config, env: process.env, cli: cliFromAssignments(o.set ?? []) });
      cli.out(o.json ? JSON.stringify(explainConfigJson(loaded), null, 2) : explainConfig(loaded));
      for (const w of startupWarnings(loaded)) cli.err(w);
    });
  config
    .command('check')
    .description('validate a configuration: contradicting limits, unreachable features, safe ranges, unknown keys (exit 1 on errors)')
    .option('--config <file>', 'YAML/JSON config file')
    .option('--set <key=value>', 'config override, repeatable', assignment)
    .option('--json', 'print the problems as JSON')
    .action((o) => {
      const r = checkConfig({ file: o.config, env: process.env, cli: cliFromAssignments(o.set ?? []) });
      if (o.json) cli.out(JSON.stringify({ errors: r.errors, warnings: r.warnings, problems: r.problems }, null, 2));
      else for (const l of formatConfigProblems(r.problems)) cli.out(l);
      cli.exitCode = r.errors > 0 ? 1 : 0;
    });
  return config;
}
