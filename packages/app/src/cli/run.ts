/** `kmm run`: the system against Kalshi (demo or prod) or a standalone sim (commands/run.ts). */
import { Command, Option } from 'commander';
import { cliFromAssignments } from '@kmm/shared';
import { runLive } from '../commands/run.js';
import { assignment, decimal, wholeNumber, type CliContext } from './options.js';

export function runCommand(cli: CliContext): Command {
  return new Command('run')
    .description('run against Kalshi (demo or prod) with your API key, or paper-trade live data')
    .addOption(new Option('--env <env>', 'exchange').choices(['demo', 'prod', 'sim']).makeOptionMandatory())
    .option('--config <file>', 'YAML/JSON config file (key id and PEM path: kmm_api_key_id, kmm_private_key_path)')
    .option('--set <key=value>', 'config override, repeatable', assignment)
    .option('--paper', 'paper trading: live data, simulated fills, no order reaches the exchange', false)
    .option('--confirm-prod', 'required to trade on production', false)
    .option('--duration <s>', 'stop after this many seconds (default: until Ctrl-C)', decimal('--duration', 1, 31_536_000))
    .option('--out <dir>', 'run folder')
    .option('--record-inputs', "record every actor's inputs and outputs to <run>/inputs/ (replay parity check)", false)
    .option('--dashboard', 'serve the dashboard (default: kmm_dashboard, true)')
    .option('--no-dashboard', 'do not serve the dashboard')
    .option('--dashboard-port <p>', 'dashboard port on 127.0.0.1, 0 = any (default: kmm_dashboard_port, 8787)', wholeNumber('--dashboard-port', 0, 65535))
    .action(async (o) => {
      cli.exitCode = await runLive({ env: o.env, config: o.config, set: cliFromAssignments(o.set ?? []), confirmProd: o.confirmProd, paper: o.paper, durationS: o.duration, out: o.out, dashboard: o.dashboard, dashboardPort: o.dashboardPort, recordInputs: o.recordInputs });
    });
}
