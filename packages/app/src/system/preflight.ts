/**
 * Start-up checks against the exchange before anything trades (kmm run):
 * - `checkCredentials`: one signed read (GET /portfolio/balance). A 401/403 means the exchange
 *   rejected the key id or the signature: a StartupError saying so, at once (retrying cannot
 *   help, and the workers would otherwise retry it forever).
 * - `withStartupRetry`: transient failures at start-up (HTTP 5xx, connection errors, timeouts)
 *   are retried with doubling backoff, at most STARTUP_RETRY.attempts tries, then a StartupError
 *   naming the last failure. Everything else fails at once.
 * Errors are StartupError: an operating error the CLI prints as one line (exit 1).
 */
import { RestClient } from '@kmm/exec-worker';
import type { Signer } from '@kmm/shared';

export const STARTUP_RETRY = { attempts: 5, baseMs: 250, maxMs: 4000 } as const;

/** A start-up failure with a message meant for the operator (no stack trace). */
export class StartupError extends Error {}

/** A failure worth retrying at start-up (5xx, network). */
export class TransientStartupError extends Error {}

export interface RetryOptions {
  attempts?: number;
  baseMs?: number;
  maxMs?: number;
  sleep?: (ms: number) => Promise<void>;
  say?: (line: string) => void;
}

const realSleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

/** Runs `f`, retrying TransientStartupError with bounded doubling backoff. */
export async function withStartupRetry<T>(what: string, f: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? STARTUP_RETRY.attempts;
  const sleep = opts.sleep ?? realSleep;
  let delayMs = opts.baseMs ?? STARTUP_RETRY.baseMs;
  for (let i = 1; ; i++) {
    try {
      return await f();
    } catch (e) {
      if (!(e instanceof TransientStartupError)) throw e;
      if (i >= attempts) throw new StartupError(`${what} failed ${attempts} times at start-up, giving up: ${e.message}`);
      opts.say?.(`${what}: ${e.message}; retrying in ${delayMs} ms (attempt ${i + 1} of ${attempts})`);
      await sleep(delayMs);
      delayMs = Math.min(delayMs * 2, opts.maxMs ?? STARTUP_RETRY.maxMs);
    }
  }
}

/** One signed read; throws StartupError on a rejected key, TransientStartupError on 5xx/network. */
export async function checkCredentialsOnce(restBaseUrl: string, signer: Signer, timeoutMs = 10_000): Promise<void> {
  const rest = new RestClient({ baseUrl: restBaseUrl, signer, timeoutMs, readTimeoutMs: timeoutMs });
  try {
    const r = await rest.call('GET', '/portfolio/balance', '', undefined, 'once');
    if (r.ok) return;
    const e = r.error;
    const detail = `HTTP ${e.http || '-'}${e.venueCode ? ` ${e.venueCode}` : ''}${e.message ? `: ${e.message}` : ''}`;
    if (e.http === 401 || e.http === 403) {
      throw new StartupError(
        `the exchange rejected the key id / signature (${detail}) at ${restBaseUrl}: check kmm_api_key_id (${signer.keyId}) and kmm_private_key_path, and that the key belongs to this environment (demo keys work only on demo)`,
      );
    }
    if (!e.http || e.http >= 500 || e.network) throw new TransientStartupError(`GET /portfolio/balance: ${e.network ?? detail}`);
    throw new StartupError(`authenticated read GET /portfolio/balance at ${restBaseUrl} failed: ${detail}`);
  } finally {
    rest.close();
  }
}

/** checkCredentialsOnce with the start-up retry policy. */
export function checkCredentials(restBaseUrl: string, signer: Signer, opts: RetryOptions = {}): Promise<void> {
  return withStartupRetry('authenticated read', () => checkCredentialsOnce(restBaseUrl, signer), opts);
}
