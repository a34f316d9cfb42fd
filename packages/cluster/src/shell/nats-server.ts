/**
 * Starts and stops a local `nats-server` (Debian's 2.9.x) on loopback: for the tests and for
 * `kmm cluster up` when no --nats URL is given.
 *
 *   startNatsServer() -> nats-server -a 127.0.0.1 -p <port|-1> -js -sd <dir>
 *                     -> resolves once the server printed "Server is ready", with the port it
 *                        printed in "Listening for client connections on 127.0.0.1:<port>"
 *
 * Port -1 lets the server pick a free port itself, so two suites never race for one. Readiness
 * is read from the server's own log, never guessed with a delay. The JetStream store lives in
 * a temporary folder removed on stop (unless the caller gave its own).
 */
import { createInterface } from 'node:readline';
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface NatsServerOptions {
  /** client port; -1 (default) = a free port chosen by the server */
  port?: number;
  /** JetStream store folder; default a fresh temporary folder removed on stop */
  storeDir?: string;
  /** server name (shown in logs) */
  name?: string;
  /** give up if the server has not said it is ready by then (a broken install, not timing) */
  startTimeoutMs?: number;
  /** every log line of the server (debugging) */
  onLog?: (line: string) => void;
}

export interface NatsServerHandle {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly storeDir: string;
  /** stops the server (SIGTERM, then waits for its exit) and removes a temporary store */
  stop(): Promise<void>;
  /** kills the server abruptly (chaos: the NATS server dies) and waits for its exit */
  kill(): Promise<void>;
}

/** How to install the server, for messages that say it is missing. */
export const NATS_INSTALL_HINT = 'install it with `apt-get install -y nats-server` (Debian/Ubuntu, 2.9.x) or from https://github.com/nats-io/nats-server/releases';

/** The nats-server executable on PATH (or Debian's /usr/sbin), or null when not installed. */
export function findNatsServer(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const p = join(dir, 'nats-server');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

const LISTENING = /Listening for client connections on ([0-9.]+):(\d+)/;
const READY = /Server is ready/;

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const bin = findNatsServer();
  if (!bin) throw new Error(`nats-server is not installed: ${NATS_INSTALL_HINT}`);
  const ownStore = options.storeDir === undefined;
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'kmm-nats-'));
  const args = ['-a', '127.0.0.1', '-p', String(options.port ?? -1), '-js', '-sd', storeDir, '-n', options.name ?? 'kmm-local'];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const cleanup = (): void => {
    if (ownStore) rmSync(storeDir, { recursive: true, force: true });
  };
  let port = 0;
  const log: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`nats-server did not report ready within ${options.startTimeoutMs ?? 10_000} ms:\n${log.join('\n')}`)),
        options.startTimeoutMs ?? 10_000,
      );
      const onLine = (line: string): void => {
        if (log.length < 200) log.push(line);
        options.onLog?.(line);
        const m = LISTENING.exec(line);
        if (m) port = Number(m[2]);
        if (READY.test(line)) {
          clearTimeout(timer);
          if (port > 0) resolve();
          else reject(new Error(`nats-server said it is ready without a client port:\n${log.join('\n')}`));
        }
      };
      // nats-server logs to stderr (stdout too, to be safe): one line at a time
      createInterface({ input: child.stderr! }).on('line', onLine);
      createInterface({ input: child.stdout! }).on('line', onLine);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited (code ${code}) before it was ready:\n${log.join('\n')}`));
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    cleanup();
    throw err;
  }
  // (the line readers keep draining its output, so a full pipe never blocks the server)
  return handle(child, exited, port, storeDir, cleanup);
}

function handle(child: ChildProcess, exited: Promise<number | null>, port: number, storeDir: string, cleanup: () => void): NatsServerHandle {
  let done = false;
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (done) return;
    done = true;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
    cleanup();
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? 0,
    storeDir,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
  };
}
