/** `kmm ack-breach`: acknowledge a start-up position cap breach in a running system (commands/ack-breach.ts). */
import { Command } from 'commander';
import { ackBreach } from '../commands/ack-breach.js';
import type { CliContext } from './options.js';

export function ackBreachCommand(cli: CliContext): Command {
  return new Command('ack-breach')
    .description('acknowledge a start-up position cap breach in a running system (re-enables trading)')
    .option('--run <dir>', 'run folder of the running system (default: the newest under runs/)')
    .option('--market <ticker>', 'only this market')
    .action(async (o) => {
      cli.out(await ackBreach({ run: o.run, market: o.market }));
    });
}
