/**
 * Statistics of recording files and their text form, shared by `kmm market-stats` and
 * `kmm calibrate`: read the files (market/read.ts), compute (core/market-stats.ts), keep the
 * chosen markets (one ticker, or the N busiest), and print one table or two side by side.
 */
import { computeStatsOfRecordings, statRows, type CaptureStats, type MarketStats } from '../core/market-stats.js';
import { readRecording, type Recording } from './read.js';

export interface Selection {
  /** only this market */
  market?: string;
  /** only the N busiest markets of each file (book deltas per second, then number of trades) */
  top?: number;
  /** market seconds per recorded second (default: each run folder's market.json, else 1) */
  timeScale?: number;
}

export interface FileStats {
  files: string[];
  kinds: Recording['kind'][];
  timeScales: number[];
  stats: CaptureStats;
  /** markets kept by the selection (all when none) */
  selected: string[];
  /** markets in the files before the selection */
  marketsInFiles: number;
}

/** Busiest first: book deltas per second, then number of trades, then name. */
function busiest(a: MarketStats, b: MarketStats): number {
  return (b.deltasPerS ?? 0) - (a.deltasPerS ?? 0) || b.trades - a.trades || (a.market < b.market ? -1 : 1);
}

/** Reads the files and computes their statistics; the pooled row covers the selected markets. */
export function statsOfFiles(paths: readonly string[], sel: Selection = {}): FileStats {
  const recs = paths.map((p) => readRecording(p, sel.timeScale));
  const timeScales = recs.map((r) => r.timeScale);
  const all = computeStatsOfRecordings(recs);
  let keep = all.markets.map((m) => m.market);
  if (sel.market !== undefined) {
    if (!keep.includes(sel.market)) throw new Error(`market ${sel.market} is not in ${paths.join(', ')} (markets: ${keep.slice(0, 10).join(', ')}${keep.length > 10 ? ', ...' : ''})`);
    keep = [sel.market];
  } else if (sel.top !== undefined) {
    // the N busiest of each file: a capture's books and a CSV's prints are not ranked together
    keep = recs.flatMap((r) => {
      const mine = new Set(r.events.map((e) => e.market));
      return computeStatsOfRecordings([r]).markets.filter((m) => mine.has(m.market)).sort(busiest).slice(0, sel.top).map((m) => m.market);
    });
  }
  if (keep.length === all.markets.length) return { files: [...paths], kinds: recs.map((r) => r.kind), timeScales, stats: all, selected: keep, marketsInFiles: keep.length };
  const kept = new Set(keep);
  const stats = computeStatsOfRecordings(recs.map((r) => ({ events: r.events.filter((e) => kept.has(e.market)), opts: r.opts })));
  return { files: [...paths], kinds: recs.map((r) => r.kind), timeScales, stats, selected: keep, marketsInFiles: all.markets.length };
}

/** 3 significant digits, small numbers in full ("0.00125"), n/a for null. */
export function fmt(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return 'n/a';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000) return String(Math.round(v));
  return String(Number(v.toPrecision(3)));
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}
function padL(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

/** A per-market summary table (the main figures) then every statistic of the pooled row. */
export function formatStats(fs: FileStats): string[] {
  const out: string[] = [];
  out.push(`recording: ${fs.files.map((f, i) => `${f} (${fs.kinds[i]}${fs.timeScales[i] !== 1 ? `, time scale ${fs.timeScales[i]}x: figures per second of market time` : ''})`).join(', ')}`);
  const shown = fs.stats.markets.filter((m) => fs.selected.includes(m.market));
  out.push(`${shown.length} market(s)${shown.length < fs.marketsInFiles ? ` of ${fs.marketsInFiles}` : ''}`);
  out.push(
    [pad('market', 34), padL('span s', 9), padL('touch med', 10), padL('spread', 7), padL('deltas/s', 9), padL('trades/min', 11), padL('size med', 9), padL('var>=5c', 8)].join(' '),
  );
  for (const m of shown) {
    out.push(
      [
        pad(m.market, 34),
        padL(fmt(m.spanS), 9),
        padL(fmt(m.touchSizeContracts?.median ?? null), 10),
        padL(fmt(m.spreadTicks?.median ?? null), 7),
        padL(fmt(m.deltasPerS), 9),
        padL(fmt(m.tradesPerMin), 11),
        padL(fmt(m.tradeSizeContracts?.median ?? null), 9),
        padL(fmt(m.varShareGe5c), 8),
      ].join(' '),
    );
  }
  out.push('');
  out.push(`pooled over ${shown.length} market(s), ${fmt(fs.stats.pooled.spanS)} market-seconds, ${fs.stats.pooled.trades} trades, ${fs.stats.pooled.passiveFills} passive fills of ours:`);
  for (const [label, v] of statRows(fs.stats.pooled)) out.push(`  ${pad(label, 44)} ${fmt(v)}`);
  return out;
}

/** Two pooled rows side by side with the ratio this/other per statistic. */
export function formatCompare(a: FileStats, b: FileStats): string[] {
  const ra = statRows(a.stats.pooled);
  const rb = statRows(b.stats.pooled);
  const out: string[] = [];
  const scale = (fs: FileStats) => (fs.timeScales.some((x) => x !== 1) ? `, time scale ${fs.timeScales.join('/')}x` : '');
  out.push(`A: ${a.files.join(', ')} (${a.selected.length} market(s)${scale(a)})`);
  out.push(`B: ${b.files.join(', ')} (${b.selected.length} market(s)${scale(b)})`);
  out.push([pad('statistic', 46), padL('A', 10), padL('B', 10), padL('A/B', 8)].join(' '));
  ra.forEach(([label, va], i) => {
    const vb = rb[i][1];
    const ratio = va !== null && vb !== null && vb !== 0 ? va / vb : null;
    out.push([pad(label.replace(/ \((mid|trades)\)$/, '').replace(/, (mid|trades)\)$/, ')'), 46), padL(fmt(va), 10), padL(fmt(vb), 10), padL(ratio === null ? 'n/a' : fmt(ratio) + 'x', 8)].join(' '));
  });
  return out;
}

/** Compare rows as data (for --json). */
export function compareRows(a: FileStats, b: FileStats): Array<{ statistic: string; a: number | null; b: number | null; ratio: number | null }> {
  const rb = statRows(b.stats.pooled);
  return statRows(a.stats.pooled).map(([statistic, va], i) => {
    const vb = rb[i][1];
    return { statistic, a: va, b: vb, ratio: va !== null && vb !== null && vb !== 0 ? va / vb : null };
  });
}
