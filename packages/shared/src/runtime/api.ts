/**
 * Message types of the actor runtime, shared by both drivers and the supervisor. An actor is an
 * ActorDescriptor (descriptor.ts); a worker entry file (packages/<x>-worker/src/shell/main.ts)
 * does only `runActor(xActor, (ctx) => liveEnv(ctx))`.
 *
 * Messages are kmm.v1.Envelope: exactly one body field set (bookDelta, targetQuotes, timer, ...).
 * The runtime fills the header, batches per peer and transfers owned buffers.
 */
import type { kmm } from '../gen/proto.js';

export type Envelope = kmm.v1.Envelope;
/** An envelope without its header: the body to send, e.g. `{ bookFeatures: {...} }`. */
export type EnvelopeBody = Omit<kmm.v1.IEnvelope, 'header'>;

/** Causal context copied into the header of messages a handler emits. */
export interface Causation {
  causationId?: number;
  recvMonoNs?: number;
  exchangeTsMs?: number;
  /** stage stamps of the market-data path (Header fields of the same names; see stampHeader) */
  ingestEmitMonoNs?: number | null;
  bookRecvMonoNs?: number | null;
  bookEmitMonoNs?: number | null;
  strategyRecvMonoNs?: number | null;
}

