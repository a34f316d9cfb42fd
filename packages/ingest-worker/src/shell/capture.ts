/**
 * Raw frame capture: every websocket frame is appended, with its local receive time, to
 * `${runDir}/capture.jsonl` before it is parsed, as one line
 *   {"recv_ns":<monotonic ns>,"recv_ms":<wall ms>,"turn":<socket read, live only>,"frame":"<the raw frame text, JSON-escaped>"}
 * (parseCaptureLine reads it, and plain session.jsonl too).
 *
 * Lines are collected in memory and handed to a Node write stream (buffered, asynchronous)
 * once per event-loop turn: one stream write per burst of frames instead of one per frame
 * (a per-frame write cost ~8 µs in the live profile), and the hot path never waits on disk. Limit: when more than `bufferMaxBytes` are waiting to be flushed, frames are dropped
 * from the capture (counted in `dropped`) rather than letting memory grow without bound; the
 * first drop and any stream error are reported through `onProblem`.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { formatCaptureLine } from '../core/parse.js';

export const CAPTURE_BUFFER_MAX_BYTES_DEFAULT = 64 * 1024 * 1024;

export class CaptureWriter {
  private readonly stream: WriteStream;
  private failed = false;
  private pending: string[] = [];
  private pendingBytes = 0;
  private flushQueued = false;
  written = 0;
  dropped = 0;

  constructor(
    readonly path: string,
    private readonly bufferMaxBytes: number,
    private readonly onProblem: (event: string, fields: Record<string, unknown>) => void,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.stream = createWriteStream(path, { flags: 'a', highWaterMark: 1024 * 1024 });
    this.stream.on('error', (err) => {
      if (!this.failed) this.onProblem('capture_error', { path, error: err.message });
      this.failed = true;
    });
  }

  write(recvNs: number, recvMs: number, rawFrame: string, turn?: number): void {
    if (this.failed || this.stream.writableLength + this.pendingBytes > this.bufferMaxBytes) {
      if (this.dropped === 0 && !this.failed) this.onProblem('capture_overflow', { path: this.path, bufferMaxBytes: this.bufferMaxBytes });
      this.dropped++;
      return;
    }
    const line = formatCaptureLine(recvNs, recvMs, rawFrame, turn);
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.written++;
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(this.flush);
    }
  }

  /** Hands the collected lines to the stream. The return value (backpressure) is deliberately
   *  ignored: the byte limit in write() is the bound. */
  private readonly flush = (): void => {
    this.flushQueued = false;
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0] : this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.failed) this.stream.write(text);
  };

  close(): Promise<void> {
    this.flush();
    return new Promise((resolve) => {
      if (this.stream.closed || this.stream.destroyed) return resolve();
      this.stream.end(() => resolve());
    });
  }
}
