/**
 * Raw frame capture: every websocket frame is appended, with its local receive time, to
 * `${runDir}/capture.jsonl` before it is parsed, as one line
 *   {"recv_ns":<monotonic ns>,"recv_ms":<wall ms>,"turn":<socket read, live only>,"frame":"<the raw frame text, JSON-escaped>"}
 * (parseCaptureLine reads it, and plain session.jsonl too).
 * Buffered and bounded by shared's LineAppender: the hot path never waits on disk; past
 * `bufferMaxBytes` waiting, frames are dropped from the capture (counted in `dropped`) and the
 * first drop is reported (`capture_overflow`), as is a stream error (`capture_error`).
 */
import { LineAppender } from '@kmm/shared';
import { formatCaptureLine } from '../core/parse.js';

export const CAPTURE_BUFFER_MAX_BYTES_DEFAULT = 64 * 1024 * 1024;

export class CaptureWriter {
  private readonly out: LineAppender;

  constructor(
    readonly path: string,
    bufferMaxBytes: number,
    onProblem: (event: string, fields: Record<string, unknown>) => void,
  ) {
    this.out = new LineAppender(path, 'capture', bufferMaxBytes, onProblem);
  }

  get written(): number {
    return this.out.written;
  }
  get dropped(): number {
    return this.out.dropped;
  }

  write(recvNs: number, recvMs: number, rawFrame: string, turn?: number): void {
    this.out.append(formatCaptureLine(recvNs, recvMs, rawFrame, turn));
  }

  close(): Promise<void> {
    return this.out.close();
  }
}
