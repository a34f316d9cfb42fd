/**
 * A record file a worker appends to from its hot path (the websocket capture, the strategy's
 * decision drains): lines are collected in memory and handed to a Node write stream (buffered,
 * asynchronous) once per event-loop turn, one stream write per burst instead of one per line (a
 * per-line write cost ~8 µs in the live profile), so the hot path never waits on disk.
 * Limit: when more than `bufferMaxBytes` wait to be flushed, lines are dropped (counted in
 * `dropped`) rather than letting memory grow without bound; the first drop and any stream error
 * are reported through `onProblem` as `<what>_overflow` / `<what>_error`.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

export class LineAppender {
  private readonly stream: WriteStream;
  private failed = false;
  private pending: string[] = [];
  private pendingBytes = 0;
  private flushQueued = false;
  written = 0;
  dropped = 0;

  constructor(
    readonly path: string,
    /** names the file in problem events: `${what}_error`, `${what}_overflow` */
    private readonly what: string,
    private readonly bufferMaxBytes: number,
    private readonly onProblem: (event: string, fields: Record<string, unknown>) => void,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.stream = createWriteStream(path, { flags: 'a', highWaterMark: 1024 * 1024 });
    this.stream.on('error', (err) => {
      if (!this.failed) this.onProblem(`${what}_error`, { path, error: err.message });
      this.failed = true;
    });
  }

  /** Appends one line (`line` ends with its newline). */
  append(line: string): void {
    if (this.failed || this.stream.writableLength + this.pendingBytes > this.bufferMaxBytes) {
      if (this.dropped === 0 && !this.failed) this.onProblem(`${this.what}_overflow`, { path: this.path, bufferMaxBytes: this.bufferMaxBytes });
      this.dropped++;
      return;
    }
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.written++;
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(this.flush);
    }
  }

  /** Hands the collected lines to the stream. The return value (backpressure) is deliberately
   *  ignored: the byte limit in append() is the bound. */
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
