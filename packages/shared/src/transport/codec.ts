/**
 * Batch codec: a transport batch is one ArrayBuffer holding length-delimited kmm.v1.Envelope
 * messages. The sender encodes into a reusable protobufjs Writer and copies the result into a
 * buffer it owns, which is then *transferred* over the MessageChannel. We never post a view
 * of protobufjs/Node's shared 8 KiB pool slab (posting such a view copies the whole slab and
 * can leak neighbouring data).
 */
import protobuf from 'protobufjs/minimal.js';
import { kmm } from '../gen/proto.js';

const Envelope = kmm.v1.Envelope;

export class BatchEncoder {
  private writer = protobuf.Writer.create();
  private messages = 0;

  /** Appends one envelope (length-delimited). */
  add(env: kmm.v1.IEnvelope): void {
    Envelope.encode(env, this.writer.fork()).ldelim();
    this.messages++;
  }
  get count(): number {
    return this.messages;
  }
  get byteLength(): number {
    return this.writer.len;
  }
  /** Returns the batch in a fresh ArrayBuffer the caller owns (transferable) and resets. */
  finish(): ArrayBuffer {
    const view = this.writer.finish();
    const owned = new ArrayBuffer(view.length);
    new Uint8Array(owned).set(view);
    // Writer.finish() does not reset its operation list: without this every batch would
    // repeat all earlier messages.
    this.writer.reset();
    this.messages = 0;
    return owned;
  }
}

/** Decodes every envelope of a batch, in order. Throws on a malformed batch (a bug, not input). */
export function decodeBatch(batch: ArrayBuffer | Uint8Array, onEnvelope: (env: kmm.v1.Envelope) => void): number {
  const bytes = batch instanceof Uint8Array ? batch : new Uint8Array(batch);
  const reader = protobuf.Reader.create(bytes);
  let n = 0;
  while (reader.pos < reader.len) {
    const len = reader.uint32();
    onEnvelope(Envelope.decode(reader, len));
    n++;
  }
  return n;
}

/** Encodes a single envelope into an owned buffer (control path, tests). */
export function encodeOne(env: kmm.v1.IEnvelope): ArrayBuffer {
  const enc = new BatchEncoder();
  enc.add(env);
  return enc.finish();
}

/** The name of the body field set on an envelope ('bookDelta', 'timer', ...). */
export function bodyKind(env: kmm.v1.Envelope): string {
  return env.body ?? '';
}
