/**
 * The actor runtime's public contract, shared by every worker shell and the supervisor.
 *
 * A worker entry file (packages/<x>-worker/src/shell/main.ts) does only:
 *
 *   import { runActor, kmm } from '@kmm/shared';
 *   runActor({
 *     kind: kmm.v1.ActorKind.BOOK,
 *     onStart(ctx) { ... build the pure core from ctx.config / ctx.extra; ctx.every('tick', 100) ... },
 *     onMessage(env, from, ctx) { ... feed the core; ctx.send('strategy', { bookFeatures: {...} }) ... },
 *     onStop(ctx) { ... flush, cancel, close sockets ... },
 *   });
 *
 * Messages are kmm.v1.Envelope: exactly one body field set (bookDelta, targetQuotes, timer, ...).
 * The runtime fills the header, batches per peer and transfers owned buffers.
 */
import type { Logger } from 'pino';
import type { kmm } from '../gen/proto.js';
import type { Clock } from '../clock/clock.js';

export type Envelope = kmm.v1.Envelope;
/** An envelope without its header: the body to send, e.g. `{ bookFeatures: {...} }`. */
export type EnvelopeBody = Omit<kmm.v1.IEnvelope, 'header'>;

/** Causal context copied into the header of messages a handler emits. */
export interface Causation {
  causationId?: number;
  recvMonoNs?: number;
  exchangeTsMs?: number;
}

export interface ActorContext {
  /** e.g. 'ingest', 'book.2', 'strategy', 'exec' */
  readonly name: string;
  readonly startup: kmm.v1.IStartup;
  /** the validated effective configuration (parsed Startup.config_json) */
  readonly config: Record<string, any>;
  /** actor-specific settings (parsed Startup.extra_json): urls, key paths, markets, ... */
  readonly extra: Record<string, any>;
  readonly clock: Clock;
  readonly log: Logger;
  /** names of connected peers: 'ingest', 'book.0'.., 'strategy', 'exec' (not the supervisor) */
  readonly peers: readonly string[];
  /**
   * Queue a message to a peer ('sup' = the supervisor's monitor feed: dashboard/summary). Sent in a batch at the end of the current mailbox drain.
   * `cause` defaults to the header of the message being handled (so causation flows).
   */
  send(peer: string, body: EnvelopeBody, cause?: Causation): void;
  /** A structured event of the seeds (risk_block_bid_side, ...): logged and shown by the supervisor. */
  ops(event: string, market: string, level: 'info' | 'warn' | 'error', fields: Record<string, unknown>): void;
  /** Deliver a Timer{name} message into this actor's mailbox every periodMs (0 cancels). */
  every(name: string, periodMs: number): void;
  /** Deliver a Timer{name} message once after delayMs. */
  after(name: string, delayMs: number): void;
  /** Actor-specific counters, reported in Health.stats_json. */
  stat(name: string, delta?: number): void;
  setStat(name: string, value: number | string): void;
  /** The header of the message currently being handled (undefined outside a handler). */
  readonly current: kmm.v1.IHeader | undefined;
}

export interface ActorSpec {
  kind: kmm.v1.ActorKind;
  onStart(ctx: ActorContext): void | Promise<void>;
  /** Synchronous: runs inside the mailbox drain. `from` is the peer name ('sup' for the supervisor, 'self' for timers). */
  onMessage(env: Envelope, from: string, ctx: ActorContext): void;
  /** Graceful shutdown (SHUTDOWN control): flush, cancel, close. */
  onStop?(ctx: ActorContext): void | Promise<void>;
}
