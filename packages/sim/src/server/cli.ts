/**
 * `./kmm sim [--port P] [--seed S] [--markets N] [--speed X] [--tier T]`: runs the simulator on
 * 127.0.0.1 until SIGINT/SIGTERM and prints the URLs, key id and private key path to use.
 * Arguments are parsed with node:util parseArgs and checked with clear errors.
 */
import { parseArgs } from 'node:util';
import { startSim, type SimOptions } from './sim.js';

function num(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number in [${min}, ${max}] (got '${v}')`);
  return n;
}

export async function runSimCli(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      seed: { type: 'string' },
      markets: { type: 'string' },
      speed: { type: 'string' },
      tier: { type: 'string' },
      'key-dir': { type: 'string' },
      'no-flow': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write('usage: kmm sim [--port P] [--seed S] [--markets N] [--speed X] [--tier basic|advanced|...|unlimited] [--key-dir D] [--no-flow]\n');
    return;
  }
  const opts: SimOptions = {
    port: num('port', values.port, 0, 65535) ?? 0,
    seed: num('seed', values.seed, 0, 2 ** 32 - 1),
    markets: num('markets', values.markets, 1, 10_000),
    speed: num('speed', values.speed, 0, 10_000),
    tier: values.tier,
    keyDir: values['key-dir'],
    flow: !values['no-flow'],
  };
  const sim = await startSim(opts);
  process.stdout.write(
    [
      `kmm sim listening on 127.0.0.1:${sim.port} (${sim.markets().length} markets, seed ${opts.seed ?? 1}, speed ${opts.speed ?? 1})`,
      `  REST:     ${sim.restBaseUrl}`,
      `  WS:       ${sim.wsUrl}`,
      `  key id:   ${sim.keyId}`,
      `  key PEM:  ${sim.privateKeyPath}`,
      `  admin:    http://127.0.0.1:${sim.port}/sim/admin/faults (GET/POST/DELETE), /sim/admin/records, /sim/admin/pause, /sim/admin/resume`,
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await sim.close();
}
