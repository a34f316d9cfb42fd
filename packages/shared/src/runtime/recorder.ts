/**
 * Records an actor's inputs and outputs (under `extra.recordInputs`), so a live run can be
 * replayed through LocalKernel and compared message for message (tests/replay-parity).
 *
 * File `<runDir>/inputs/<actor>.jsonl`, one JSON object per line:
 *   {"start": {...}}  first: the actor's start-up (time, config, markets, shard) as it was given
 *   {"i": n, "mono_ns": t, "wall_ms": w, "from": peer, "env": base64(Envelope)}   an input, as handled
 *   {"o": n, "to": peer, "env": base64(Envelope without header)}                  an output, as sent
 *   {"d": n, "mono_ns": t, "wall_ms": w}   the end of a mailbox drain (the inputs since the last
 *                                          marker were one drain; endOfDrain ran at this time)
 *   {"stop": {"mono_ns": t, "wall_ms": w}} the graceful stop (the descriptor's stop hook ran then)
 * Inputs carry the exact times the handler was given (timers: the instant they fired). Drain
 * ends matter because endOfDrain batches (a book shard flushes conflated features there): a
 * replay must cut the same drains to give the same outputs. A restart appends a new start line.
 * Not for the hot path of production runs: one write per message.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { kmm } from '../gen/proto.js';
import type { EnvelopeBody } from './api.js';
import type { ActorTime } from './descriptor.js';

export interface RecordedInput {
  i: number;
  mono_ns: number;
  wall_ms: number;
  from: string;
  env: string;
}
export interface RecordedOutput {
  o: number;
  to: string;
  env: string;
}
export interface RecordedStart {
  start: {
    actor: string;
    kind: number;
    mono_ns: number;
    wall_ms: number;
    shard: number;
    shard_count: number;
    restart_count: number;
    /** the peers the actor had (io.hasPeer answers from these) */
    peers?: string[];
    config: Record<string, unknown>;
    extra: Record<string, unknown>;
  };
}
export interface RecordedDrainEnd {
  d: number;
  mono_ns: number;
  wall_ms: number;
}
export interface RecordedStop {
  stop: { mono_ns: number; wall_ms: number };
}
export type RecordedLine = RecordedStart | RecordedInput | RecordedOutput | RecordedDrainEnd | RecordedStop;

/** Output envelopes compare without their header (sequence numbers and emit times differ by run). */
export function encodeBodyB64(body: EnvelopeBody): string {
  const copy = { ...(body as kmm.v1.IEnvelope), header: undefined };
  return Buffer.from(kmm.v1.Envelope.encode(copy).finish()).toString('base64');
}

export class InputRecorder {
  private readonly out: WriteStream;
  private inputs = 0;
  private outputs = 0;
  private drains = 0;

  constructor(runDir: string, actor: string, private readonly time: ActorTime) {
    const dir = join(runDir, 'inputs');
    mkdirSync(dir, { recursive: true });
    this.out = createWriteStream(join(dir, `${actor}.jsonl`), { flags: 'a' });
  }

  /** The start-up the actor was given (written before anything else; `time` is read at start). */
  start(s: RecordedStart['start']): void {
    this.out.write(JSON.stringify({ start: s } satisfies RecordedStart) + '\n');
  }

  input(env: kmm.v1.Envelope, from: string): void {
    const line: RecordedInput = {
      i: ++this.inputs,
      mono_ns: this.time.monoNs,
      wall_ms: this.time.wallMs,
      from,
      env: Buffer.from(kmm.v1.Envelope.encode(env).finish()).toString('base64'),
    };
    this.out.write(JSON.stringify(line) + '\n');
  }

  output(to: string, body: EnvelopeBody): void {
    const line: RecordedOutput = { o: ++this.outputs, to, env: encodeBodyB64(body) };
    this.out.write(JSON.stringify(line) + '\n');
  }

  /** A mailbox drain that handled recorded inputs ended (after endOfDrain; `time` is its time). */
  drainEnd(): void {
    const line: RecordedDrainEnd = { d: ++this.drains, mono_ns: this.time.monoNs, wall_ms: this.time.wallMs };
    this.out.write(JSON.stringify(line) + '\n');
  }

  /** The graceful stop begins (before the descriptor's stop hook; `time` is its time). */
  stop(): void {
    this.out.write(JSON.stringify({ stop: { mono_ns: this.time.monoNs, wall_ms: this.time.wallMs } } satisfies RecordedStop) + '\n');
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
}

/** Parses a recording; a torn last line (crash) is skipped, any other bad line is an error naming it. */
export function parseRecording(text: string, file = 'recording'): RecordedLine[] {
  const lines = text.split('\n');
  const out: RecordedLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.trim() === '') continue;
    try {
      out.push(JSON.parse(l) as RecordedLine);
    } catch (err) {
      if (i >= lines.length - 2) break;
      throw new Error(`${file}:${i + 1}: not JSON (${(err as Error).message})`);
    }
  }
  return out;
}
