/**
 * Capture replay behind `kmm replay CAPTURE`: reads a capture file (our `capture.jsonl` or a plain
 * Kalshi session.jsonl) with the backtest's reader and clock (readCapture, timeline), runs every
 * frame through the live ingest and book-shard descriptors in LocalKernel (ReplayEngine), and
 * returns the final books in Kalshi's own string formats:
 *   {"TICKER": {"yes": [["0.0100","1406474.86"], ...], "no": [...]}}   (bids per leg, ascending)
 * plus ReplayStats (line count, and ingest's and the shards' counters). Seq anomalies and
 * malformed lines are counted, never fatal; what reaches the books is what live ingest would
 * have let through (see ReplayEngine).
 * Markets: every ticker the capture has book or trade frames for, without price bands (a capture
 * holds no market info, so the books take the prices as the venue sent them).
 * Time: a line's receive time when captured by us, else the venue timestamp (timeline()).
 */
import { kmm, resolveConfig } from '@kmm/shared';
import { ReplayEngine, type VenueBooks } from '../core/replay-engine.js';
import { inferMarkets, readCapture, timeline } from './backtest.js';

export type { VenueBook, VenueBooks } from '../core/replay-engine.js';

/** The counters `kmm replay --stats` prints (this key order is its output format). */
export interface ReplayStats {
  lines: number;
  frames: number;
  invalid: number;
  seqAnomalies: number;
  applyErrors: number;
}

export interface ReplayOptions {
  /** book shards (K); default: the config default kmm_shards */
  shards?: number;
}

/** A finished replay: the engine (its kernel and actors, for inspection), stats and books. */
export class CaptureReplay {
  readonly stats: ReplayStats;
  constructor(
    readonly engine: ReplayEngine,
    lineCount: number,
  ) {
    const c = engine.counters();
    this.stats = { lines: lineCount, frames: c.frames, invalid: c.invalid, seqAnomalies: c.seqAnomalies, applyErrors: c.applyErrors };
  }

  /** Final books, tickers sorted, levels ascending by leg price. Invalid books are included as they stand. */
  books(): VenueBooks {
    return this.engine.books();
  }
}

/** Replays a capture file and returns the final books. */
export async function replayCaptureBooks(path: string, o: ReplayOptions = {}): Promise<VenueBooks> {
  return (await replayCapture(path, o)).books();
}

/** Replays a capture file. Throws when the file cannot be read (the error's `code` is the fs one). */
export async function replayCapture(path: string, o: ReplayOptions = {}): Promise<CaptureReplay> {
  const { lines, lineCount } = readCapture(path);
  const tl = timeline(lines);
  const markets: kmm.v1.IMarketInfo[] = inferMarkets(lines, tl.startWallMs + tl.endNs / 1e6).map((m) => ({ market: m.market }));
  const config = resolveConfig(o.shards === undefined ? {} : { kmm_shards: o.shards });
  const engine = new ReplayEngine({ config, markets, startWallMs: tl.startWallMs });
  engine.start();
  for (let i = 0; i < lines.length; i++) await engine.frame(lines[i].frame, tl.tNs[i]);
  await engine.finish(tl.endNs);
  return new CaptureReplay(engine, lineCount);
}
