/**
 * Capture replay: reads a capture file (our `capture.jsonl` or a plain Kalshi session.jsonl),
 * runs every frame through the real ingest parser (parseCaptureLine) and the real book code
 * (BookShardCore / MarketBook), and returns the final books in Kalshi's own string formats:
 *   {"TICKER": {"yes": [["0.0100","1406474.86"], ...], "no": [...]}}   (bids per leg, ascending)
 * The CLI (`./kmm replay CAPTURE --books`) prints that JSON; seq anomalies and malformed lines are
 * counted and reported on stderr, never fatal. Every frame is applied as received: a replay shows
 * what the books would have been, gaps included.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { kmm, formatCount, formatPrice, resolveConfig } from '@kmm/shared';
import { parseCaptureLine, SeqTracker } from '@kmm/ingest-worker';
import { BookShardCore, bookParamsOf, type BookSink } from '../core/shard.js';

export type VenueBook = { yes: [string, string][]; no: [string, string][] };
export type VenueBooks = Record<string, VenueBook>;

export interface ReplayStats {
  lines: number;
  frames: number;
  invalid: number;
  seqAnomalies: number;
  applyErrors: number;
}

const quietSink: BookSink = {
  send() {},
  log() {},
  stat() {},
  setStat() {},
};

/** Incremental replay state, fed line by line. */
export class CaptureReplay {
  readonly core = new BookShardCore(bookParamsOf(resolveConfig({})), quietSink);
  private readonly seq = new SeqTracker();
  readonly stats: ReplayStats = { lines: 0, frames: 0, invalid: 0, seqAnomalies: 0, applyErrors: 0 };
  private lastNs = 0;

  line(text: string): void {
    this.stats.lines++;
    const c = parseCaptureLine(text);
    if (c === null) return;
    this.stats.frames++;
    const f = c.frame;
    // Time for the features: the local receive time when captured, else the venue timestamp.
    let nowNs = c.recvNs > 0 ? c.recvNs : 'tsMs' in f && f.tsMs > 0 ? f.tsMs * 1e6 : this.lastNs;
    if (nowNs < this.lastNs) nowNs = this.lastNs;
    this.lastNs = nowNs;
    switch (f.kind) {
      case 'snapshot':
      case 'delta': {
        if (this.seq.check(f.sid, f.seq) !== 'ok') this.stats.seqAnomalies++;
        const e = this.core.entry(f.market);
        const wasValid = e?.book.valid ?? true;
        if (f.kind === 'snapshot') this.core.onSnapshot(f.body, nowNs);
        else this.core.onDelta(f.body, nowNs);
        const after = this.core.entry(f.market);
        if (after !== undefined && wasValid && !after.book.valid) this.stats.applyErrors++;
        break;
      }
      case 'ok':
        if (f.sid >= 0 && f.seq >= 0 && this.seq.check(f.sid, f.seq) !== 'ok') this.stats.seqAnomalies++;
        break;
      case 'trade':
        this.core.onTrade(f.body, nowNs);
        break;
      case 'invalid':
        this.stats.invalid++;
        break;
      default:
        break;
    }
  }

  /** Final books, tickers sorted, levels ascending by leg price. Invalid books are included as they stand. */
  books(): VenueBooks {
    const out: VenueBooks = {};
    const names = [...this.core.entries.keys()].sort();
    for (const m of names) {
      const b = this.core.entries.get(m)!.book;
      out[m] = {
        yes: b.legLevels(kmm.v1.LegSide.YES).map(([p, c]) => [formatPrice(p), formatCount(c)] as [string, string]),
        no: b.legLevels(kmm.v1.LegSide.NO).map(([p, c]) => [formatPrice(p), formatCount(c)] as [string, string]),
      };
    }
    return out;
  }
}

/** Replays a capture file and returns the final books. */
export async function replayCaptureBooks(path: string): Promise<VenueBooks> {
  return (await replayCapture(path)).books();
}

export async function replayCapture(path: string): Promise<CaptureReplay> {
  const r = new CaptureReplay();
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of rl) r.line(line);
  return r;
}

/**
 * `kmm replay CAPTURE --books`: prints the final books as JSON on stdout, stats on stderr.
 * Returns the process exit code (0 ok, 2 usage error, 1 unreadable file).
 */
export async function runReplayCli(argv: readonly string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { books: { type: 'boolean', default: true }, stats: { type: 'boolean', default: false } } });
  } catch (e) {
    err.write(`kmm replay: ${(e as Error).message}\nusage: kmm replay CAPTURE [--books] [--stats]\n`);
    return 2;
  }
  if (parsed.positionals.length !== 1) {
    err.write('usage: kmm replay CAPTURE [--books] [--stats]\n');
    return 2;
  }
  let r: CaptureReplay;
  try {
    r = await replayCapture(parsed.positionals[0]);
  } catch (e) {
    err.write(`kmm replay: cannot read ${parsed.positionals[0]}: ${(e as Error).message}\n`);
    return 1;
  }
  if (parsed.values.books) out.write(JSON.stringify(r.books()) + '\n');
  if (parsed.values.stats || r.stats.invalid > 0 || r.stats.seqAnomalies > 0 || r.stats.applyErrors > 0) err.write(`replay stats: ${JSON.stringify(r.stats)}\n`);
  return 0;
}
