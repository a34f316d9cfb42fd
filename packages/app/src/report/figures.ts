/**
 * Summary figures of a live or paper run, read from its journal.jsonl: the definitions live in
 * @kmm/exec-worker/core (FiguresBuilder, shared with the backtest); this module only feeds the
 * file to them. JournalTail reads the file incrementally (new bytes since the last poll, whole
 * lines only), so the live view and the final summary.json use the very same figures.
 *
 * A line that does not decode is counted in `badLines` and skipped (the file is input).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { decodeJournalLine, FiguresBuilder, type FiguresOptions, type RunFigures } from '@kmm/exec-worker/core';

const CHUNK = 1 << 20;

export class JournalTail {
  private readonly builder: FiguresBuilder;
  private offset = 0;
  /** bytes after the last newline (a line still being written, or cut at a chunk edge) */
  private partial: Buffer = Buffer.alloc(0);
  badLines = 0;

  constructor(
    private readonly path: string,
    opts: FiguresOptions,
  ) {
    this.builder = new FiguresBuilder(opts);
  }

  /** Reads what was appended since the last poll (nothing if the file does not exist yet). */
  poll(): void {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(CHUNK);
      while (this.offset < size) {
        const n = readSync(fd, buf, 0, Math.min(CHUNK, size - this.offset), this.offset);
        if (n <= 0) break;
        this.offset += n;
        // split on '\n' bytes, decode whole lines: a multi-byte character never contains 0x0a
        let start = 0;
        for (let i = 0; i < n; i++) {
          if (buf[i] !== 0x0a) continue;
          this.line(Buffer.concat([this.partial, buf.subarray(start, i)]).toString('utf8'));
          this.partial = Buffer.alloc(0);
          start = i + 1;
        }
        this.partial = Buffer.concat([this.partial, buf.subarray(start, n)]);
      }
    } finally {
      closeSync(fd);
    }
  }

  private line(l: string): void {
    if (l.length === 0) return;
    const d = decodeJournalLine(l);
    if (!d.ok) {
      this.badLines++;
      return;
    }
    this.builder.add(d.record);
  }

  /** Polls, then the figures marked at `marks` up to `endMs` (default: the last record). */
  figures(marks: ReadonlyMap<string, number>, endMs?: number): RunFigures {
    this.poll();
    return this.builder.figures(marks, endMs);
  }
}
