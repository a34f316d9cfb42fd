/** `kmm ack-config`: apply the risk-limit raises a live config reload holds back (commands/ack-config.ts). */
import { Command } from 'commander';
import { ackConfig } from '../commands/ack-config.js';
import type { CliContext } from './options.js';

export function ackConfigCommand(cli: CliContext): Command {
  return new Command('ack-config')
    .description('apply the risk-limit increases a live config reload is holding back in a running system')
    .option('--run <dir>', 'run folder of the running system (default: the newest under runs/)')
    .action(async (o) => {
      cli.out(await ackConfig({ run: o.run }));
    });
}
