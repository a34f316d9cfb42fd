/**
 * Capture replay: reads a capture file (our `capture.jsonl` or a plain Kalshi session.jsonl),
 * runs every frame through the real ingest parser (parseCaptureLine) and the real book code
 * (BookShardCore / MarketBook), and returns the final books in Kalshi's own string formats:
 *   {"TICKER": {"yes": [["0.0100","1406474.86"], ...], "no": [...]}}   (bids per leg, ascending)
 * `./kmm replay CAPTURE` (the app) prints that JSON; seq anomalies and malformed lines are
 * counted (ReplayStats), never fatal. Every frame is applied as received: a replay shows
 * what the books would have been, gaps included.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { kmm, formatCount, formatPrice, resolveConfig } from '@kmm/shared';
import { parseCaptureLine, SeqTracker } from '@kmm/ingest-worker/core';
import { BookShardCore, bookParamsOf, type BookSink } from '@kmm/book-worker/core';

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
