/**
 * Operations logging (ops.log): pino with its file writer in its own thread.
 *
 * Role: every actor and the supervisor log structured JSON lines through a logger made here.
 * - Default: `pino.transport({ target: 'pino/file' })`, so formatting happens on the caller but
 *   the write (and any fs stall) happens on the transport's worker thread; the hot path never
 *   waits on disk. Without a file the transport writes to stderr (fd 2).
 * - `sync: true` writes synchronously (tests, crash paths); `stream` writes to a given stream.
 * - Secrets never reach the output: pino's `redact` removes known secret fields (keys, PEMs,
 *   signatures, auth headers, tokens) at the top level and one/two levels down, and a scrubber
 *   replaces PEM blocks and secret-named fields anywhere in the logged object or message.
 * - Policy (the seeds' "fire-and-forget", 003): nothing is logged at info per tick or per message;
 *   per-tick detail belongs at debug/trace or in counters (ctx.stat), info is for state changes.
 */
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export interface CreateLoggerOptions {
  /** ops.log path; stderr when absent */
  file?: string;
  /** pino level name (trace|debug|info|warn|error|fatal|silent); default info */
  level?: string;
  /** logger name, e.g. 'sup', 'ingest', 'book.2' */
  name: string;
  /** write synchronously on the calling thread instead of through the transport thread */
  sync?: boolean;
  /** write to this stream instead (tests, or a stream the runtime provides) */
  stream?: DestinationStream;
}

const SECRET_FIELDS = [
  'privateKey', 'private_key', 'privateKeyPem', 'private_key_pem', 'pem', 'signature', 'sig',
  'KALSHI-ACCESS-SIGNATURE', 'kalshi-access-signature', 'authorization', 'Authorization',
  'password', 'passphrase', 'token', 'accessToken', 'access_token', 'secret', 'apiSecret', 'api_secret',
];

function pathFor(field: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(field) ? field : `["${field}"]`;
}

function join(prefix: string, field: string): string {
  const p = pathFor(field);
  return p.startsWith('[') ? prefix + p : `${prefix}.${p}`;
}

/** Redaction paths handed to pino: each secret field at depth 0, 1 and 2, and under headers. */
export const REDACT_PATHS: readonly string[] = (() => {
  const out: string[] = [];
  for (const f of SECRET_FIELDS) {
    out.push(pathFor(f), join('*', f), join('*.*', f), join('headers', f), join('*.headers', f));
  }
  return out;
})();

export const REDACTED = '[Redacted]';
const SECRET_KEY_RE = new RegExp(`^(${SECRET_FIELDS.map((f) => f.replace(/[-]/g, '\\-')).join('|')})$`, 'i');
const PEM_RE = /-----BEGIN [A-Z0-9 ]*-----[\s\S]*?(-----END [A-Z0-9 ]*-----|$)/g;
const SCRUB_DEPTH_MAX = 6;

/** Replace PEM blocks in a string (a PEM cut off before its END line is removed to the end). */
export function scrubString(s: string): string {
  return s.includes('-----BEGIN') ? s.replace(PEM_RE, '[Redacted PEM]') : s;
}

/**
 * Copy-on-write scrub of a logged value: secret-named fields and PEM text at any depth (bounded).
 * Returns the input itself when nothing had to change (the common case: no allocation).
 */
function scrub(value: unknown, depth: number, seen: Set<object>): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (value === null || typeof value !== 'object' || depth >= SCRUB_DEPTH_MAX || seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = scrub(value[i], depth + 1, seen);
      if (v !== value[i]) { copy ??= value.slice(); copy[i] = v; }
    }
    return copy ?? value;
  }
  if (value instanceof Error) {
    const msg = scrubString(value.message);
    const stack = value.stack === undefined ? undefined : scrubString(value.stack);
    if (msg === value.message && stack === value.stack) return value;
    return { type: value.name, message: msg, stack };
  }
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return value;
  let copy: Record<string, unknown> | undefined;
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    const nv = SECRET_KEY_RE.test(k) && v !== undefined && v !== null ? REDACTED : scrub(v, depth + 1, seen);
    if (nv !== v) { copy ??= { ...obj }; copy[k] = nv; }
  }
  return copy ?? value;
}

function scrubLogObject(obj: Record<string, unknown>): Record<string, unknown> {
  return scrub(obj, 0, new Set()) as Record<string, unknown>;
}

/** pino options shared by every logger (exported so the runtime can build child/worker loggers alike). */
export function kmmLoggerOptions(name: string, level = 'info'): LoggerOptions {
  return {
    name,
    level,
    redact: { paths: REDACT_PATHS.slice(), censor: REDACTED },
    formatters: { log: scrubLogObject },
    hooks: {
      logMethod(args, method) {
        for (let i = 0; i < args.length; i++) {
          const a = args[i];
          if (typeof a === 'string' && a.includes('-----BEGIN')) (args as unknown[])[i] = scrubString(a);
        }
        return method.apply(this, args);
      },
    },
  };
}

type StreamKind = 'transport' | 'sync' | 'external';
interface StreamRecord {
  stream: DestinationStream & Partial<NodeJS.EventEmitter> & { end?: () => void; flushSync?: () => void };
  kind: StreamKind;
  ownsFd: boolean;
  closed: boolean;
}
const STREAMS = new WeakMap<Logger, StreamRecord>();

/** Create a logger. See the module note for the destination choices. */
export function createLogger(opts: CreateLoggerOptions): Logger {
  const options = kmmLoggerOptions(opts.name, opts.level ?? 'info');
  let rec: StreamRecord;
  if (opts.stream) {
    rec = { stream: opts.stream as StreamRecord['stream'], kind: 'external', ownsFd: false, closed: false };
  } else if (opts.sync) {
    const dest = pino.destination({ dest: opts.file ?? 2, sync: true, mkdir: true, append: true });
    rec = { stream: dest as unknown as StreamRecord['stream'], kind: 'sync', ownsFd: opts.file !== undefined, closed: false };
  } else {
    const t = pino.transport({ target: 'pino/file', options: { destination: opts.file ?? 2, mkdir: true, append: true } });
    rec = { stream: t as unknown as StreamRecord['stream'], kind: 'transport', ownsFd: true, closed: false };
  }
  const logger = pino(options, rec.stream);
  STREAMS.set(logger, rec);
  return logger;
}

/** Longest wait for the log thread to write and close at shutdown. */
export const FLUSH_LOGGER_MAX_MS = 10_000;

/**
 * Waits for `p` while a ref'd timer keeps the event loop alive. The transport's thread is unref'd:
 * awaiting its 'close' with nothing else pending let the loop empty, and Node ended a top-level
 * await with exit code 13 before the summary was printed (issue 14 item 10). Bounded, so a stuck
 * log thread cannot hold the shutdown.
 */
async function keepAliveUntil(p: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | null = null;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, FLUSH_LOGGER_MAX_MS);
  });
  try {
    await Promise.race([p, limit]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * Flush everything written so far and close the logger's own destination (shutdown).
 * For the transport this waits until its thread has written and exited. Safe to call twice.
 * Loggers built elsewhere (or child loggers) are only flushed.
 */
export async function flushLogger(logger: Logger): Promise<void> {
  const rec = STREAMS.get(logger);
  if (!rec) {
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    return;
  }
  if (rec.closed) return;
  rec.closed = true;
  const s = rec.stream;
  if (rec.kind === 'transport') {
    await keepAliveUntil(new Promise<void>((resolve) => {
      s.once!('close', () => resolve());
      s.end!();
    }));
  } else if (rec.kind === 'sync') {
    s.flushSync?.();
    if (rec.ownsFd) {
      await keepAliveUntil(new Promise<void>((resolve) => {
        s.once!('close', () => resolve());
        s.end!();
      }));
    }
  } else {
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
  }
}
