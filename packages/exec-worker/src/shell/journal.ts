/**
 * Durable execution journal: one JSON object per line, appended in order. Every command, ack,
 * reject, amend, cancel, fill, position correction and divergence the core reports is recorded
 * with the wall time `t` (ms) and a per-journal sequence `seq`, so that after a crash nothing
 * the exchange confirmed to us is unknown (the restart seeds its trade-id set from here and
 * reconciles the rest from the exchange).
 *
 * Writes are buffered and flushed every `flushEveryMs` or `flushRecords` records (the hot path
 * never waits on disk); fsync runs every `fsyncEveryMs` and on close. A crash can lose at most
 * the unflushed tail, which the exchange still has (fills are backfilled by trade id).
 * Limit: JOURNAL_BACKLOG_MAX unwritten records; past it the journal throws (an assertion: the
 * disk cannot keep up, and the supervisor restarts exec, which reconciles from the exchange).
 * Lines are encoded and decoded by core/journal-record.ts (the typed schema). `readJournal`
 * tolerates a torn last line (crash mid-write) and reports bad lines and sequence errors.
 * Before the first append the writer repairs a torn tail (repairJournalTail): a partial last
 * line is cut back to the last complete line, so the next run's first record (its `start`)
 * begins on a line of its own instead of being glued to the fragment and lost.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { decodeJournalLine, decodeJournalText, encodeJournalLine, type JournalReadResult, type JournalRecord } from '../core/journal-record.js';

export const JOURNAL_BACKLOG_MAX = 1_000_000;

export interface JournalOptions {
  flushEveryMs?: number;
  flushRecords?: number;
  fsyncEveryMs?: number;
  wallMs?: () => number;
  /** told when a torn tail was repaired before appending (the message says what was cut) */
  onRepair?: (message: string) => void;
  /**
   * benchmark fault (a stalled disk): each fsync first waits this long, and the writes after it
   * queue behind it (`kmm bench latency --stall-journal-ms`: proves the hot path never waits on
   * the journal). Default 0.
   */
  fsyncStallMs?: number;
}

export interface TailRepair {
  /** bytes cut from the end (the partial line); 0 when a complete record only lacked its newline */
  truncatedBytes: number;
  /** a newline was added after a complete last record */
  newlineAdded: boolean;
  message: string;
}

/** Longest tail examined for the last newline (a journal line is far shorter). */
const TAIL_SCAN_BYTES = 1 << 20;

/**
 * Makes `path` end at a line boundary before appending: when the file does not end with '\n',
 * the last line is either a complete record that lost only its newline (a newline is added) or
 * a fragment of a record cut by a crash (it is truncated away). Complete lines are never touched.
 * Returns what was done, or null when the file is missing, empty or already ends with a newline.
 */
export function repairJournalTail(path: string): TailRepair | null {
  if (!existsSync(path)) return null;
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return null;
    const scan = Math.min(size, TAIL_SCAN_BYTES);
    const buf = Buffer.alloc(scan);
    readSync(fd, buf, 0, scan, size - scan);
    if (buf[scan - 1] === 0x0a) return null;
    const nl = buf.lastIndexOf(0x0a);
    if (nl < 0 && scan < size) throw new Error(`journal ${path}: no line end in its last ${scan} bytes; not a journal`);
    const keep = nl < 0 ? 0 : size - scan + nl + 1;
    const tail = buf.subarray(nl + 1).toString('utf8');
    if (decodeJournalLine(tail).ok) {
      writeSync(fd, '\n', size);
      fsyncSync(fd);
      return { truncatedBytes: 0, newlineAdded: true, message: `journal ${path}: the last record had no line end; added one` };
    }
    ftruncateSync(fd, keep);
    fsyncSync(fd);
    const shown = tail.length > 80 ? `${tail.slice(0, 80)}...` : tail;
    return { truncatedBytes: size - keep, newlineAdded: false, message: `journal ${path}: cut a torn last line of ${size - keep} bytes (a crash mid-write): ${JSON.stringify(shown)}` };
  } finally {
    closeSync(fd);
  }
}

export class Journal {
  private fh: FileHandle | null = null;
  private opening: Promise<void>;
  private buf: string[] = [];
  private writing: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | null = null;
  private fsyncTimer: NodeJS.Timeout | null = null;
  private dirtySinceSync = false;
  private closed = false;
  private seq = 0;
  private readonly flushRecords: number;
  private readonly wallMs: () => number;
  private readonly fsyncStallMs: number;
  records = 0;
  bytes = 0;
  writeErrors = 0;
  /** what the constructor repaired at the file's end (repairJournalTail), or null */
  readonly repaired: TailRepair | null;

  constructor(
    readonly path: string,
    opts: JournalOptions = {},
  ) {
    this.flushRecords = opts.flushRecords ?? 256;
    this.wallMs = opts.wallMs ?? Date.now;
    this.fsyncStallMs = Math.max(0, opts.fsyncStallMs ?? 0);
    mkdirSync(dirname(path), { recursive: true });
    // sync, before the file is opened for appending: the first record must start a new line
    this.repaired = repairJournalTail(path);
    if (this.repaired) opts.onRepair?.(this.repaired.message);
    this.opening = open(path, 'a').then((fh) => {
      this.fh = fh;
    });
    const fe = opts.flushEveryMs ?? 20;
    const fs = opts.fsyncEveryMs ?? 1000;
    if (fe > 0) {
      this.flushTimer = setInterval(() => void this.flush(), fe);
      this.flushTimer.unref();
    }
    if (fs > 0) {
      this.fsyncTimer = setInterval(() => void this.sync(), fs);
      this.fsyncTimer.unref();
    }
  }

  append(rec: JournalRecord): void {
    if (this.closed) throw new Error(`journal ${this.path} is closed`);
    if (this.buf.length >= JOURNAL_BACKLOG_MAX) throw new Error(`journal ${this.path}: ${JOURNAL_BACKLOG_MAX} records waiting for the disk`);
    const line = encodeJournalLine(rec, this.wallMs(), ++this.seq);
    this.buf.push(line);
    this.records++;
    if (this.buf.length >= this.flushRecords) void this.flush();
  }

  /** Writes the buffered records (ordered: writes are chained). */
  flush(): Promise<void> {
    if (this.buf.length === 0) return this.writing;
    const text = this.buf.join('\n') + '\n';
    this.buf = [];
    this.writing = this.writing
      .then(() => this.opening)
      .then(async () => {
        await this.fh!.write(text);
        this.bytes += text.length;
        this.dirtySinceSync = true;
      })
      .catch(() => {
        this.writeErrors++;
      });
    return this.writing;
  }

  async sync(): Promise<void> {
    await this.flush();
    if (!this.dirtySinceSync || !this.fh) return;
    this.dirtySinceSync = false;
    if (this.fsyncStallMs > 0) {
      // the stalled disk: the fsync holds the write chain, so later flushes wait behind it
      const fh = this.fh;
      const stall = this.fsyncStallMs;
      this.writing = this.writing.then(async () => {
        await new Promise<void>((r) => setTimeout(r, stall));
        await fh.sync().catch(() => {
          this.writeErrors++;
        });
      });
      return this.writing;
    }
    try {
      await this.fh.sync();
    } catch {
      this.writeErrors++;
    }
  }

  /** Flush, fsync and close (shutdown). */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.fsyncTimer) clearInterval(this.fsyncTimer);
    await this.sync();
    this.closed = true;
    await this.opening;
    await this.fh?.close();
    this.fh = null;
  }

  /** Last-resort synchronous flush + fsync (process exit path, where promises will not run). */
  closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.fsyncTimer) clearInterval(this.fsyncTimer);
    if (this.buf.length === 0) return;
    const fd = openSync(this.path, 'a');
    try {
      writeSync(fd, this.buf.join('\n') + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.buf = [];
  }
}

/** Reads a journal for recovery or verification (typed, checked: see decodeJournalText). A missing file is an empty journal. */
export function readJournal(path: string): JournalReadResult {
  if (!existsSync(path)) return { records: [], badLines: 0, tornTail: false, seqErrors: 0, errors: [] };
  return decodeJournalText(readFileSync(path, 'utf8'));
}
