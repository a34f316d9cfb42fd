/** `kmm config explain`: every effective setting with its source and meaning. */
import { Command } from 'commander';
import { cliFromAssignments, explainConfig, explainConfigJson, loadConfig } from '@kmm/shared';
import { assignment, type CliContext } from './options.js';

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
      for (const w of loaded.warnings) cli.err(`warning: ${w}`);
    });
  return config;
}
