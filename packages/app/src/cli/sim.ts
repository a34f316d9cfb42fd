/**
 * `kmm sim`: runs the local Kalshi simulator on 127.0.0.1 until SIGINT/SIGTERM and prints the
 * URLs, key id and private key path to use. `--replay CAPTURE` makes it a replay market: the
 * capture's markets and recorded books instead of the catalogue and synthetic flow (--speed is
 * then the recording's time scale).
 */
import { Command, Option } from 'commander';
import { PROFILE_NAMES, QUEUE_MODEL_NAMES, resolveProfile, startSim, TIERS } from '@kmm/sim';
import { decimal, usageError, wholeNumber, type CliContext } from './options.js';

export function simCommand(cli: CliContext): Command {
  return new Command('sim')
    .description('run the local Kalshi simulator standalone on 127.0.0.1')
    .option('--port <p>', 'port on 127.0.0.1 (0 = any)', wholeNumber('--port', 0, 65535), 0)
    .option('--seed <s>', 'seed of the catalog and the synthetic flow', wholeNumber('--seed', 0, 2 ** 32 - 1), 1)
    .option('--markets <n>', 'number of markets', wholeNumber('--markets', 1, 10_000), 20)
    .option('--profile <name|file>', `market profile driving the flow: ${PROFILE_NAMES.join(', ')} or a JSON file (kmm calibrate --out)`, 'active')
    .option('--speed <x>', 'time scale of the flow: every rate x this (0 = none); with --replay: the recording\'s time scale', decimal('--speed', 0, 10_000), 1)
    .option('--replay <capture>', 'replay market: drive the books from a recorded websocket capture (Kalshi session.jsonl or a run\'s capture.jsonl)')
    .addOption(new Option('--queue-model <m>', 'replay market: what a recorded level decrease without a print is (README "Replay market")').choices([...QUEUE_MODEL_NAMES]).default('pessimistic'))
    .addOption(new Option('--tier <tier>', 'rate-limit tier').choices(Object.keys(TIERS)).default('basic'))
    .option('--key-dir <dir>', 'folder for the generated API key (default: a temp folder)')
    .option('--no-flow', 'no synthetic order flow (only our orders trade)')
    .option('--no-weekly-pause', 'no weekly maintenance trading pause (Thursday 03:00-05:00 New York time)')
    .option('--data-dir <dir>', 'state kept across restarts: used client order ids, refused (409) forever as Kalshi does', '.kmm-sim')
    .action(async (o, cmd: Command) => {
      if (o.replay !== undefined && !(o.speed > 0)) usageError(cmd, '--speed must be above 0 with --replay (it is the recording\'s time scale)');
      const replay = o.replay === undefined ? undefined : { capturePath: o.replay as string, speed: o.speed as number, queueModel: o.queueModel };
      let profile;
      try {
        profile = resolveProfile(o.profile);
      } catch (err) {
        usageError(cmd, (err as Error).message);
      }
      const sim = await startSim({ port: o.port, seed: o.seed, markets: o.markets, speed: o.speed, tier: o.tier, keyDir: o.keyDir, flow: o.flow, dataDir: o.dataDir, weeklyMaintenance: o.weeklyPause, replay, profile });
      const r = sim.replay;
      cli.out(
        [
          r
            ? `kmm sim listening on 127.0.0.1:${sim.port} (replay market: ${sim.markets().length} markets from ${o.replay}, ${describeSpan(r.recordingMs, o.speed)}, queue model ${r.queueModel}; when the recording ends the books stay as they are)`
            : `kmm sim listening on 127.0.0.1:${sim.port} (${sim.markets().length} markets, seed ${o.seed}, profile ${sim.flow?.profileName ?? 'none (no flow)'}, time scale ${o.speed}x)`,
          `  REST:     ${sim.restBaseUrl}`,
          `  WS:       ${sim.wsUrl}`,
          `  key id:   ${sim.keyId}`,
          `  key PEM:  ${sim.privateKeyPath}`,
          `  state:    ${o.dataDir} (used client order ids)`,
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

function describeSpan(recordingMs: number, speed: number): string {
  const s = recordingMs / 1000;
  return `${s.toFixed(0)} s of recording at speed ${speed}, playing in ${(s / speed).toFixed(0)} s`;
}
