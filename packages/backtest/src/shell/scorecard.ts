/**
 * The scorecard of a run (@kmm/exec-worker/core scorecardOf) from what the run recorded: its
 * journal and the capture of its market (our orders taken out by OthersBook, marketEventsOf).
 * `scorecardOfCapture` is the one way both paths compute it: the backtest with its in-memory
 * journal and the capture it replayed; a live, paper or backtest run folder with journal.jsonl and
 * the capture (capture.jsonl, or for a backtest folder the capture named in backtest.json).
 * Frame times are the backtest's timeline (receive times, never backwards), in both paths.
 *
 * Errors name the folder and the missing or bad file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CaptureLine } from '@kmm/ingest-worker/core';
import { decodeJournalText, scorecardOf, scorecardOptionsOf, type JournalRecord, type RunFigures, type Scorecard } from '@kmm/exec-worker/core';
import { marketEventsOf } from '../core/market-events.js';
import { readCaptureLines, timeline } from './backtest.js';

/** The scorecard of a journal against a capture's market (others' book and trades). */
export function scorecardOfCapture(
  journal: readonly JournalRecord[],
  lines: readonly CaptureLine[],
  figures: Pick<RunFigures, 'netPnl' | 'feesPaid'>,
  config: Readonly<Record<string, unknown>>,
  markets: readonly string[],
  endMs?: number,
  queueAheadActual?: ReadonlyMap<string, number>,
  timeScale = 1,
): Scorecard {
  const tl = timeline(lines);
  const wall = new Float64Array(lines.length);
  for (let i = 0; i < lines.length; i++) wall[i] = tl.startWallMs + tl.tNs[i] / 1e6;
  const events = marketEventsOf(lines, wall);
  const end = endMs ?? tl.startWallMs + tl.endNs / 1e6;
  return scorecardOf(journal, events, figures, scorecardOptionsOf(config, markets, tl.startWallMs, end, queueAheadActual, timeScale));
}

/** The run folder's market.json (written by `kmm demo`): the simulated market's profile and time scale. */
export const MARKET_FILE = 'market.json';

/**
 * Seconds of market per second of the run recorded in a run folder (market.json's timeScale: a
 * time-compressed demo); 1 without the file (a live or paper run is real time). A file with a
 * bad value is an error naming it. The one reader of it (market-stats and calibrate too).
 */
export function runTimeScale(dir: string): number {
  const p = join(dir, MARKET_FILE);
  if (!existsSync(p)) return 1;
  let m: { timeScale?: unknown } | null;
  try {
    m = JSON.parse(readFileSync(p, 'utf8')) as { timeScale?: unknown } | null;
  } catch (err) {
    throw new Error(`${p} is not the run's market description (${(err as Error).message})`);
  }
  if (m === null || typeof m !== 'object' || m.timeScale === undefined) return 1;
  const x = Number(m.timeScale);
  if (!(Number.isFinite(x) && x > 0)) throw new Error(`${p}: timeScale must be a number > 0, got ${JSON.stringify(m.timeScale)}`);
  return x;
}

/** The run folder's file of the simulator's queue truth at our maker fills (a demo on the simulator writes it). */
export const SIM_QUEUE_FILE = 'sim-queue.jsonl';

/**
 * sim-queue.jsonl of a run folder (one SimQueueAtFill per line: trade_id, ahead_centi) as
 * trade id -> centi; undefined without the file (a live run: the venue does not tell).
 */
export function readSimQueue(dir: string): Map<string, number> | undefined {
  const p = join(dir, SIM_QUEUE_FILE);
  if (!existsSync(p)) return undefined;
  const out = new Map<string, number>();
  const lines = readFileSync(p, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    let v: { trade_id?: unknown; ahead_centi?: unknown };
    try {
      v = JSON.parse(lines[i]) as typeof v;
    } catch (e) {
      throw new Error(`scorecard: ${p} line ${i + 1} is not valid JSON: ${(e as Error).message}`);
    }
    const ahead = Number(v.ahead_centi);
    if (typeof v.trade_id !== 'string' || !Number.isFinite(ahead) || ahead < 0) throw new Error(`scorecard: ${p} line ${i + 1} needs trade_id (string) and ahead_centi (>= 0)`);
    out.set(v.trade_id, ahead);
  }
  return out;
}

function readJson(p: string, dir: string): Record<string, unknown> | null {
  if (!existsSync(p)) return null;
  try {
    const v: unknown = JSON.parse(readFileSync(p, 'utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch (e) {
    throw new Error(`scorecard: ${p} in ${dir} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * The scorecard of a run folder: journal.jsonl, the capture, summary.json's netPnl / feesPaid
 * (or `figuresNow`: a running system's figures so far, before summary.json exists),
 * config.json's scorecard keys (else summary.json's scorecard obligation, else the defaults),
 * markets.json (else the journal's markets), sim-queue.jsonl when the run traded on the
 * simulator (the queue ahead at fill, actual), market.json's time scale (markouts in market time).
 */
export function scorecardOfRunFolder(dirIn: string, figuresNow?: Pick<RunFigures, 'netPnl' | 'feesPaid'>): Scorecard {
  const dir = resolve(dirIn);
  const jp = join(dir, 'journal.jsonl');
  if (!existsSync(jp)) throw new Error(`scorecard: run folder ${dir} has no journal.jsonl`);
  const journal = decodeJournalText(readFileSync(jp, 'utf8')).records;
  const bt = readJson(join(dir, 'backtest.json'), dir);
  const capture = existsSync(join(dir, 'capture.jsonl')) ? join(dir, 'capture.jsonl') : typeof bt?.capture === 'string' ? bt.capture : '';
  if (!capture || !existsSync(capture)) throw new Error(`scorecard: run folder ${dir} has no capture (capture.jsonl, or a backtest.json naming the replayed capture)`);
  const summary = readJson(join(dir, 'summary.json'), dir) ?? {};
  const cfg = readJson(join(dir, 'config.json'), dir);
  const sc = (summary.scorecard ?? {}) as Record<string, unknown>;
  const config: Record<string, unknown> = (cfg?.values as Record<string, unknown> | undefined) ?? {
    kmm_scorecard_max_spread_cents: sc.twoSidedMaxSpreadCents,
    kmm_scorecard_min_size: sc.twoSidedMinSize,
  };
  let markets: string[] = [];
  const mp = join(dir, 'markets.json');
  if (existsSync(mp)) {
    const v: unknown = JSON.parse(readFileSync(mp, 'utf8'));
    if (Array.isArray(v)) markets = v.map((m) => String((m as { market?: unknown }).market ?? '')).filter((m) => m !== '');
  }
  if (markets.length === 0) markets = [...new Set(journal.map((r) => ('market' in r ? String(r.market ?? '') : '')).filter((m) => m !== ''))];
  const figures = figuresNow ?? { netPnl: Number(summary.netPnl ?? 0), feesPaid: Number(summary.feesPaid ?? 0) };
  // a backtest folder's time scale is the recorded run's (backtest.json), else its own market.json
  const timeScale = typeof bt?.timeScale === 'number' && bt.timeScale > 0 ? bt.timeScale : runTimeScale(dir);
  return scorecardOfCapture(journal, readCaptureLines(capture), figures, config, markets, undefined, readSimQueue(dir), timeScale);
}
