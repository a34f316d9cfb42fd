/**
 * Actor descriptors: what an actor IS, written once, run by two drivers.
 *
 *   descriptor = { kind, start(init) -> state, handlers per message body, endOfDrain, timers, stop }
 *
 *   runActor(descriptor, env)   a worker thread (live and paper): real clock, MessagePorts, sockets
 *   LocalKernel.add(descriptor) one thread (backtest, replay, sweeps, deterministic simulation):
 *                               a simulated clock, a deterministic message order
 *
 * Both drivers use the same Mailbox (bounds, conflation), decode the same protobuf envelopes,
 * call `handlers[env.body]` one message at a time, call `endOfDrain` once after each mailbox
 * drain (where batching rules live: exec pumps a burst of targets as one round of requests, a
 * book shard sends conflated features), and deliver declared timers as Timer messages at their
 * periods. So nothing that routes, batches, times or orders messages is written twice.
 *
 * What differs between drivers is only the clock and the environment (`Env`): the adapters to
 * the outside world an actor needs (a websocket, an order gateway, a journal file, an alpha
 * feed). Each descriptor declares its Env type; each driver supplies one.
 *
 * Time: every handler gets an ActorTime with both clocks named (monotonic ns/ms and wall ms),
 * read once by the driver per message, so no core has to guess which clock `now` is.
 */
import type { kmm } from '../gen/proto.js';
import type { KmmConfig } from '../config/specs.js';
import type { Clock } from '../clock/clock.js';
import type { Mailbox } from '../transport/mailbox.js';
import type { Causation, Envelope, EnvelopeBody } from './api.js';

/** The name of an envelope's body field: 'bookDelta', 'targetQuotes', 'timer', ... */
export type BodyKind = Exclude<Envelope['body'], undefined>;
/** The body type of a given body kind. */
export type BodyOf<K extends BodyKind> = NonNullable<Envelope[K]>;

export interface ActorTime {
  /** monotonic clock, ns (process-wide; virtual in LocalKernel) */
  readonly monoNs: number;
  /** the same instant in ms (monoNs / 1e6) */
  readonly monoMs: number;
  /** wall clock, ms since the Unix epoch */
  readonly wallMs: number;
}

export type OpsLevel = 'info' | 'warn' | 'error';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** What an actor may do to the world, given by the driver. Never blocks. */
export interface ActorIo {
  /** e.g. 'ingest', 'book.2', 'strategy', 'exec' */
  readonly name: string;
  /** connected peers ('sup' is always reachable and not listed) */
  readonly peers: readonly string[];
  hasPeer(peer: string): boolean;
  /** queue a message to a peer; sent at the end of the current drain. `cause` defaults to the current message's header. */
  send(peer: string, body: EnvelopeBody, cause?: Causation): void;
  /** a structured event of the seeds (risk_block_bid_side, ...), shown by the supervisor */
  ops(event: string, market: string, level: OpsLevel, fields: Record<string, unknown>): void;
  /** a log line (never on the hot path's critical section: the driver writes it asynchronously) */
  log(level: LogLevel, event: string, fields: Record<string, unknown>): void;
  /** actor-specific counters, reported in Health.stats_json */
  stat(name: string, delta?: number): void;
  setStat(name: string, value: number | string): void;
  /** arms a declared one-shot timer (period 0 in `timers`) to fire once after delayMs */
  after(timer: string, delayMs: number): void;
  /** delivers a message to this actor's own mailbox (from 'self'): inputs an adapter produced (paper fills) */
  self(body: EnvelopeBody): void;
  /** an asynchronous continuation broke an invariant: crash this actor, as a throwing handler would */
  fail(err: Error): void;
  /** the current time (outside a handler: read now) */
  now(): ActorTime;
  /** header of the message being handled (undefined outside a handler) */
  readonly current: kmm.v1.IHeader | undefined;
}

/** Actor-specific start-up settings carried in Startup.extra_json (typed: every field optional). */
export interface ActorExtra {
  markets?: kmm.v1.IMarketInfo[];
  env?: 'sim' | 'demo' | 'prod' | string;
  restBaseUrl?: string;
  wsUrl?: string;
  keyId?: string;
  privateKeyPath?: string;
  runDir?: string;
  paper?: boolean;
  paperQueueModel?: string;
  paperLatencyMs?: number;
  /** record every input message with its arrival time to runDir/inputs/<actor>.jsonl */
  recordInputs?: boolean;
  /** tests only: the core accepts deliberate corruption (proves its assertions fire) */
  allowFaultInjection?: boolean;
  /** benchmark fault: exec's journal fsync stalls this long (ms) with writes queued behind it */
  journalFsyncStallMs?: number;
}

export interface ActorInit<Env> {
  name: string;
  kind: kmm.v1.ActorKind;
  shard: number;
  shardCount: number;
  restartCount: number;
  /** the one validated configuration (the registry's types, defaults and ranges) */
  config: KmmConfig;
  extra: ActorExtra;
  markets: kmm.v1.IMarketInfo[];
  /** the instant of the start-up (recorded, so a replay starts the actor at the same time) */
  startTime: ActorTime;
  io: ActorIo;
  env: Env;
}

export interface TimerSpec<S> {
  name: string;
  /** period (ms); 0 = a one-shot timer armed with io.after */
  periodMs: number | ((config: KmmConfig) => number);
  fire(state: S, t: ActorTime, io: ActorIo): void;
}

export type Handler<S, K extends BodyKind> = (state: S, body: BodyOf<K>, t: ActorTime, io: ActorIo, from: string) => void;
export type HandlerTable<S> = { [K in BodyKind]?: Handler<S, K> };

export interface ActorDescriptor<S, Env = unknown> {
  kind: kmm.v1.ActorKind;
  /** builds the actor's state from its typed init; may be async (exec reconciles before Ready). Messages that arrive meanwhile wait, in order. */
  start(init: ActorInit<Env>): S | Promise<S>;
  /** one handler per message body; bodies without one are counted as ignored */
  handlers: HandlerTable<S>;
  /** once after every mailbox drain that handled at least one message */
  endOfDrain?(state: S, t: ActorTime, io: ActorIo): void;
  /** timers, delivered as Timer messages at their period on the driver's clock */
  timers: readonly TimerSpec<S>[];
  /** graceful shutdown: flush, cancel, close */
  stop?(state: S, t: ActorTime, io: ActorIo): void | Promise<void>;
}

/** Resolves a timer's period for a configuration. */
export function timerPeriodMs<S>(t: TimerSpec<S>, config: KmmConfig): number {
  return typeof t.periodMs === 'function' ? t.periodMs(config) : t.periodMs;
}

/**
 * Routes one envelope to its handler (the one dispatch both drivers use). Timer envelopes go to
 * the declared timer of that name. Returns false when nothing handles it.
 */
export function dispatch<S>(d: ActorDescriptor<S, any>, state: S, env: Envelope, t: ActorTime, io: ActorIo, from: string): boolean {
  const kind = env.body;
  if (kind === undefined) return false;
  if (kind === 'timer') {
    const name = env.timer!.name;
    for (let i = 0; i < d.timers.length; i++) {
      if (d.timers[i].name === name) {
        d.timers[i].fire(state, t, io);
        return true;
      }
    }
    const h = d.handlers.timer;
    if (h) {
      h(state, env.timer!, t, io, from);
      return true;
    }
    return false;
  }
  const h = d.handlers[kind] as Handler<S, typeof kind> | undefined;
  if (!h) return false;
  h(state, env[kind] as BodyOf<typeof kind>, t, io, from);
  return true;
}

export function timeAt(monoNs: number, wallMs: number): ActorTime {
  return { monoNs, monoMs: monoNs / 1e6, wallMs };
}

/** Messages handled per drain before yielding (live: to the event loop; kernel: to other actors). */
export const DRAIN_BUDGET = 512;

/** The ActorTime a driver reuses for every message (handlers must not keep it). */
export interface MutableTime {
  monoNs: number;
  monoMs: number;
  wallMs: number;
}

/**
 * The time a handler sees for a message (both drivers): the clock now, except for a Timer,
 * which carries the instant it fired (so a replay of recorded inputs reproduces it).
 */
export function setMessageTime(t: MutableTime, env: Envelope, clock: Clock): void {
  if (env.timer && Number(env.timer.nowMonoNs) > 0) {
    t.monoNs = Number(env.timer.nowMonoNs);
    t.wallMs = Number(env.timer.wallMs);
  } else {
    t.monoNs = clock.monoNs();
    t.wallMs = clock.wallMs();
  }
  t.monoMs = t.monoNs / 1e6;
}

/** One mailbox drain (both drivers): up to DRAIN_BUDGET messages, in order. Returns how many were handled. */
export function drainMailbox(mailbox: Mailbox, handle: (env: Envelope, from: string) => void): number {
  let handled = 0;
  let entry = mailbox.shift();
  while (entry !== undefined) {
    handle(entry.env, entry.from);
    if (++handled >= DRAIN_BUDGET) break;
    entry = mailbox.shift();
  }
  return handled;
}

/**
 * Fills the header of an outgoing message (both drivers): the sender's sequence number, emit
 * time, and the causation copied from `cause` or else from the message being handled, so
 * tick-to-order latency and replays follow a market-data frame through every hop.
 *
 * On the market-data path (recv_mono_ns set) the stage stamps travel too, and the sender adds
 * its own: ingest its emit time, a book shard when it started handling the cause and when it
 * emits, strategy when it started handling the cause (`handlerStartMonoNs`: the time of the
 * message being handled). Exec journals them with each command (per-hop breakdown).
 */
export function stampHeader(
  body: EnvelopeBody,
  cause: Causation | undefined,
  current: kmm.v1.IHeader | undefined,
  senderSeq: number,
  emitMonoNs: number,
  senderId: number,
  handlerStartMonoNs = 0,
): kmm.v1.IEnvelope {
  const env = body as kmm.v1.IEnvelope;
  const recvMonoNs = cause?.recvMonoNs ?? (current ? current.recvMonoNs : 0);
  const h: kmm.v1.IHeader = {
    senderSeq,
    emitMonoNs,
    causationId: cause?.causationId ?? (current ? current.causationId : 0),
    recvMonoNs,
    exchangeTsMs: cause?.exchangeTsMs ?? (current ? current.exchangeTsMs : 0),
    senderId,
  };
  if (recvMonoNs) {
    const kind = Math.floor(senderId / 1000);
    const from = cause ?? current;
    h.ingestEmitMonoNs = kind === INGEST ? emitMonoNs : (from?.ingestEmitMonoNs ?? 0);
    h.bookRecvMonoNs = kind === BOOK && !cause?.bookRecvMonoNs ? handlerStartMonoNs : (from?.bookRecvMonoNs ?? 0);
    h.bookEmitMonoNs = kind === BOOK ? emitMonoNs : (from?.bookEmitMonoNs ?? 0);
    h.strategyRecvMonoNs = kind === STRATEGY && !cause?.strategyRecvMonoNs ? handlerStartMonoNs : (from?.strategyRecvMonoNs ?? 0);
  }
  env.header = h;
  return env;
}

const INGEST = 2; // kmm.v1.ActorKind.INGEST (senderId = kind * 1000 + shard)
const BOOK = 3;
const STRATEGY = 4;
