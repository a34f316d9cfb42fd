/**
 * `kmm sim`: runs the local Kalshi simulator on 127.0.0.1 until SIGINT/SIGTERM and prints the
 * URLs, key id and private key path to use.
 */
import { Command, Option } from 'commander';
import { PROFILE_NAMES, resolveProfile, startSim, TIERS } from '@kmm/sim';
import { decimal, usageError, wholeNumber, type CliContext } from './options.js';

export function simCommand(cli: CliContext): Command {
  return new Command('sim')
    .description('run the local Kalshi simulator standalone on 127.0.0.1')
    .option('--port <p>', 'port on 127.0.0.1 (0 = any)', wholeNumber('--port', 0, 65535), 0)
    .option('--seed <s>', 'seed of the catalog and the synthetic flow', wholeNumber('--seed', 0, 2 ** 32 - 1), 1)
    .option('--markets <n>', 'number of markets', wholeNumber('--markets', 1, 10_000), 20)
    .option('--profile <name|file>', `market profile driving the flow: ${PROFILE_NAMES.join(', ')} or a JSON file (kmm calibrate --out)`, 'active')
    .option('--speed <x>', 'time scale of the flow: every rate x this (0 = none)', decimal('--speed', 0, 10_000), 1)
    .addOption(new Option('--tier <tier>', 'rate-limit tier').choices(Object.keys(TIERS)).default('basic'))
    .option('--key-dir <dir>', 'folder for the generated API key (default: a temp folder)')
    .option('--no-flow', 'no synthetic order flow (only our orders trade)')
    .action(async (o, cmd: Command) => {
      let profile;
      try {
        profile = resolveProfile(o.profile);
      } catch (err) {
        usageError(cmd, (err as Error).message);
      }
      const sim = await startSim({ port: o.port, seed: o.seed, markets: o.markets, speed: o.speed, tier: o.tier, keyDir: o.keyDir, flow: o.flow, profile });
      cli.out(
        [
          `kmm sim listening on 127.0.0.1:${sim.port} (${sim.markets().length} markets, seed ${o.seed}, profile ${sim.flow?.profileName ?? 'none (no flow)'}, time scale ${o.speed}x)`,
          `  REST:     ${sim.restBaseUrl}`,
          `  WS:       ${sim.wsUrl}`,
          `  key id:   ${sim.keyId}`,
          `  key PEM:  ${sim.privateKeyPath}`,
          `  admin:    http://127.0.0.1:${sim.port}/sim/admin/faults (GET/POST/DELETE), /sim/admin/records, /sim/admin/pause, /sim/admin/resume`,
        ].join('\n'),
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await sim.close();
    });
}
