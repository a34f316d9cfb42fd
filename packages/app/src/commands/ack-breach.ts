/**
 * `kmm ack-breach`: the operator's acknowledgement of a start-up position cap breach, sent to
 * a running system through its dashboard control endpoint (token from RUN_DIR/dashboard.json).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from './run.js';

function latestRunDir(base: string): string | null {
  if (!existsSync(base)) return null;
  const dirs = readdirSync(base)
    .map((d) => join(base, d))
    .filter((d) => existsSync(join(d, 'dashboard.json')))
    .sort((a, b) => statSync(b, { bigint: false }).mtimeMs - statSync(a).mtimeMs);
  return dirs[0] ?? null;
}

/**
 * Sends one control to the running system of `run` (default: the newest run folder under runs/
 * with a dashboard) through its dashboard's control endpoint; returns the system's answer.
 */
export async function sendControl(run: string | undefined, body: { kind: string; market?: string }, what: string): Promise<string> {
  const dir = run ? resolve(run) : latestRunDir(resolve('runs'));
  if (!dir) throw new UsageError('no running system found: pass --run RUN_DIR (the run must have its dashboard on)');
  const file = join(dir, 'dashboard.json');
  if (!existsSync(file)) throw new UsageError(`${file} not found: is the run going, with its dashboard on?`);
  const { url, token } = JSON.parse(readFileSync(file, 'utf8')) as { url: string; token: string };
  const res = await fetch(new URL('/api/control', url), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).catch((err: Error) => {
    throw new UsageError(`cannot reach the running system at ${url}: ${err.message}`);
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${what} refused (HTTP ${res.status}): ${text}`);
  return text;
}

export async function ackBreach(opts: { run?: string; market?: string }): Promise<string> {
  return sendControl(opts.run, { kind: 'ack_breach', ...(opts.market ? { market: opts.market } : {}) }, 'acknowledgement');
}
