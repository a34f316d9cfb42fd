/**
 * `kmm backtest`: reads a capture (our capture.jsonl or a plain Kalshi session.jsonl), runs it
 * through BacktestEngine and writes a run folder like a live run's: journal.jsonl and
 * tape.csv (the live writers, clocked by the simulated clock), decisions.jsonl, ops.log,
 * summary.json, plus backtest.json (metrics) and equity.csv. The app adds report.html.
 *
 * Input checks at the edge: unreadable file, no frames, bad options -> a clear error. Lines that
 * do not parse are counted (the ingest core sees them as invalid frames, as live).
 * Time: a line's receive time (recv_ns) when captured by us, else the frame's venue ts_ms,
 * else the previous line's time; never backwards.
 */
import { closeSync, readSync, writeFileSync, createWriteStream, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { kmm, loadConfig, cliFromAssignments, formatMoney, makeDirsSync, openRegularFile, type CommandDefaults, type DecisionDrain } from '@kmm/shared';
import { parseCaptureLine, type CaptureLine } from '@kmm/ingest-worker/core';
import type { Journal, Tape } from '@kmm/exec-worker';
import { FiguresBuilder, type JournalRecord, type RunFigures, type Scorecard } from '@kmm/exec-worker/core';
import { BacktestEngine, type EquityPoint } from '../core/engine.js';
import type { DecisionFill, DecisionTick } from '../core/run-timing.js';
import type { RecordedCommand } from '../core/command-latency.js';
import { attributeOwnFills, deltaKey } from '../core/others-book.js';
import { queueModel, QUEUE_MODELS, type QueueModelName } from '../core/queue-models.js';
import { scorecardOfCapture } from './scorecard.js';

/** Largest capture read (bytes); larger files are refused with an error rather than exhausting memory. */
export const CAPTURE_BYTES_MAX = 4 * 1024 * 1024 * 1024;
const READ_CHUNK = 1 << 20;
/**
 * A file whose first this many bytes hold lines but not one websocket frame is refused then,
 * without reading on: binary garbage has a newline every ~256 bytes, and keeping each of its
 * lines (an invalid frame with its reason) for a multi-GB file exhausted memory before the
 * whole-file check could refuse it. Every line of a capture we write is a frame, and so is every
 * line of a Kalshi session.jsonl.
 */
export const CAPTURE_PROBE_BYTES = 1 << 20;

export interface BacktestOptions {
  capture: string;
  /**
   * the configuration's values, already loaded (the app: `loadForCommand`, or a recorded run's
   * config.json); or a function of the markets backtested. When set, configFile and set are not read.
   */
  config?: Record<string, unknown> | ((markets: readonly kmm.v1.IMarketInfo[]) => Record<string, unknown>);
  /** config file (YAML/JSON) */
  configFile?: string;
  /** config overrides (key -> value), applied after the file */
  set?: Record<string, string | number | boolean>;
  queueModel: QueueModelName;
  /** prob-power exponent */
  queuePower?: number;
  latencyMs: number;
  feedLatencyMs?: number;
  seed?: number;
  /** market list (JSON array of MarketInfo); inferred from the capture when absent */
  marketsFile?: string;
  markets?: kmm.v1.IMarketInfo[];
  /** run folder; null = write nothing (sweeps, benchmarks) */
  out: string | null;
  /** exec starts this long after the capture's first frame (ms; default 0; --like: the recorded run's) */
  execStartDelayMs?: number;
  /** exec's start-up reads answered this long after it started (ms; engine option of that name) */
  execStartupMs?: number;
  /**
   * --like: the recorded run's decision drains (strategy-drains.csv: per live strategy drain, the
   * receive time of the last frame it decided on and when it ended, and the ticks it handled). The
   * capture lines with those receive times close a drain; the frames since the last one reach the
   * cores together, when the live drain ended (engine decisionDrains); the strategy ticks when the
   * live one did, when the file has its ticks (engine decisionTicks).
   */
  decisionDrains?: readonly DecisionDrain[];
  /** --like: the recorded run's one-way order latencies (ms), one drawn per command (engine latencySamplesMs) */
  latencySamplesMs?: readonly number[];
  /**
   * --like: the capture holds the recorded run's own orders' reports (book deltas): a change to
   * one of ours that the run's feed reported too reaches the book when that report did (engine
   * capturedDeltas). Default false (a capture of another run, or of the public book only).
   */
  ownReports?: boolean;
  /** --like: the recorded run's acknowledged commands, each with its wire time and round trip (engine recordedCommands) */
  recordedCommands?: readonly RecordedCommand[];
  /**
   * seconds of market per second of the capture (a time-compressed demo's speed; --like: the run
   * folder's market.json; default 1): the scorecard's markout horizons are market time
   */
  timeScale?: number;
}

export interface BacktestMetrics {
  queueModel: string;
  latencyMs: number;
  frames: number;
  events: number;
  durationS: number;
  fills: number;
  makerFills: number;
  /** of them, fills from the recorded book crossing our order with no print (the venue's crossFills) */
  crossingFills: number;
  takerFills: number;
  contractsFilled: number;
  ordersPlaced: number;
  amends: number;
  cancels: number;
  /** refused by exec before sending (pre-flight, risk, breaker, no rate-limit token) */
  rejectsLocal: number;
  /** refused by the simulated venue */
  rejectsVenue: number;
  postOnlyRejects: number;
  /** netPnl of the run's figures (after fees, each order's fee rounded up to the cent), $ */
  pnl: number;
  /** feesPaid of the run's figures, $ */
  fees: number;
  /** per-second equity changes: mean / sd * sqrt(samples) (not annualised) */
  sharpe: number;
  maxDrawdown: number;
  /** contracts filled / contracts placed */
  fillRate: number;
  /** order commands (place + amend + cancel) per minute */
  churnPerMin: number;
  /** largest |position| of any one market, contracts */
  maxInventory: number;
  settlements: number;
  wallMs: number;
  eventsPerSec: number;
}

export interface BacktestResult {
  runDir: string | null;
  metrics: BacktestMetrics;
  /** the run's figures (the definitions live and paper runs use; also in summary.json) */
  figures: RunFigures;
  /** the strategy scorecard (scorecardOfCapture: this journal against the replayed capture's market; also in summary.json) */
  scorecard: Scorecard;
  equity: EquityPoint[];
  /** each market's end mark behind the figures (settlement price, else the last mid of others' book) */
  marks: Map<string, number>;
  /** wall time of the end of the capture (ms): the figures' end */
  endWallMs: number;
  /** the engine's counters (frames, own frames of the recorded run, events) */
  counters: BacktestEngine['counters'];
  /** what was taken out of the recorded book as the recorded run's own */
  others: BacktestEngine['others']['stats'];
}

/** Reads all lines of a capture (sync, chunked): the parsed frames (blank lines skipped). */
export function readCaptureLines(path: string): CaptureLine[] {
  return readCapture(path).lines;
}

/**
 * Reads a capture: its parsed frames and how many text lines it had (blank ones included).
 * Throws when the path is not a regular file (a device such as /dev/urandom, a FIFO, a folder),
 * cannot be read, is over CAPTURE_BYTES_MAX, or has lines but no valid frame (checked after the
 * first CAPTURE_PROBE_BYTES and again at the end).
 */
export function readCapture(path: string): { lines: CaptureLine[]; lineCount: number } {
  const { fd } = openRegularFile(path, 'capture');
  const out: CaptureLine[] = [];
  let lineCount = 0;
  let frames = 0;
  const add = (l: string): void => {
    lineCount++;
    const c = parseCaptureLine(l);
    if (c) {
      out.push(c);
      if (c.frame.kind !== 'invalid') frames++;
    }
  };
  // A file with lines but not one websocket frame is not a capture (binary garbage, a wrong
  // file): refuse it rather than replay nothing and report success.
  const notACapture = (): Error => {
    const first = out[0].frame;
    return new Error(`${path} is not a capture: none of its ${lineCount} lines is a websocket frame (first: ${first.kind === 'invalid' ? first.reason.slice(0, 120).replace(/[^\x20-\x7e]/g, '?') : ''})`);
  };
  try {
    const buf = Buffer.alloc(READ_CHUNK);
    // a chunk may end inside a multi-byte character: the decoder keeps the partial bytes for the next one
    const utf8 = new StringDecoder('utf8');
    let rest = '';
    let total = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, READ_CHUNK, null);
      if (n <= 0) break;
      total += n;
      if (total > CAPTURE_BYTES_MAX) throw new Error(`capture ${path} is larger than ${CAPTURE_BYTES_MAX} bytes`);
      const text = rest + utf8.write(buf.subarray(0, n));
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) add(l);
      if (total >= CAPTURE_PROBE_BYTES && frames === 0 && out.length > 0) throw notACapture();
      // one "line" of a megabyte without a newline cannot be a frame either: stop carrying it
      if (rest.length > CAPTURE_PROBE_BYTES && frames === 0) throw new Error(`${path} is not a capture: its first line is over ${CAPTURE_PROBE_BYTES} bytes without a websocket frame`);
    }
    rest += utf8.end();
    if (rest) add(rest);
  } finally {
    closeSync(fd);
  }
  if (out.length > 0 && frames === 0) throw notACapture();
  return { lines: out, lineCount };
}

/**
 * A capture's markets closing this long after its end when nothing says when (a plain Kalshi
 * capture has no market details): inside the registry's max_time_to_resolution_hours (120 h), so
 * market selection keeps them, and far beyond the force-exit window (force_exit_hours).
 */
export const INFERRED_CLOSE_AFTER_MS = 24 * 3_600_000;

/**
 * Markets seen in a capture, with Kalshi defaults (linear cent grid, quadratic fees, closing
 * INFERRED_CLOSE_AFTER_MS after the capture). A run folder's markets.json (--like, --markets) has
 * the real details: fee type (maker fees) and close time.
 */
export function inferMarkets(lines: readonly CaptureLine[], endWallMs: number): kmm.v1.IMarketInfo[] {
  const seen = new Set<string>();
  for (const c of lines) {
    const f = c.frame;
    if ((f.kind === 'snapshot' || f.kind === 'delta' || f.kind === 'trade') && f.market) seen.add(f.market);
  }
  return [...seen].sort().map((m) => ({
    market: m,
    eventTicker: m.split('-').slice(0, 2).join('-'),
    seriesTicker: m.split('-')[0],
    status: kmm.v1.MarketStatus.MARKET_ACTIVE,
    priceRanges: [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }],
    closeTimeMs: endWallMs + INFERRED_CLOSE_AFTER_MS,
    feeType: 'quadratic',
    feeMultiplierMilli: 1000,
  }));
}

function frameWallMs(c: CaptureLine): number {
  if (c.recvMs > 0) return c.recvMs;
  const f = c.frame as { tsMs?: number };
  return typeof f.tsMs === 'number' && f.tsMs > 0 ? f.tsMs : 0;
}

/**
 * Relative times (ns) for each line: recv_ns when present, else venue ts; monotone. Lines of one
 * socket read (the same `turn`) all take the first one's time: live, their envelopes left ingest
 * as one batch and the book shard handled them in one drain (one features message per market), so
 * the backtest plays them as one burst instead of one decision per intermediate book.
 */
export function timeline(lines: readonly CaptureLine[]): { tNs: Float64Array; startWallMs: number; endNs: number } {
  const tNs = new Float64Array(lines.length);
  let baseNs = -1;
  let baseMs = -1;
  for (const c of lines) {
    if (baseNs < 0 && c.recvNs > 0) baseNs = c.recvNs;
    const w = frameWallMs(c);
    if (baseMs < 0 && w > 0) baseMs = w;
    if (baseNs >= 0 && baseMs >= 0) break;
  }
  let last = 0;
  for (let i = 0; i < lines.length; i++) {
    const c = lines[i];
    let t = last;
    if (c.recvNs > 0 && baseNs >= 0) t = c.recvNs - baseNs;
    else {
      const w = frameWallMs(c);
      if (w > 0 && baseMs >= 0) t = (w - baseMs) * 1e6;
    }
    if (t < last) t = last;
    if (i > 0 && c.turn !== undefined && c.turn === lines[i - 1].turn) t = last;
    tNs[i] = t;
    last = t;
  }
  return { tNs, startWallMs: baseMs > 0 ? baseMs : 1_767_225_600_000, endNs: last };
}

/** Each capture line's deltaKey (null: not a book delta) with its time on the capture's timeline: the engine's capturedDeltas. */
export function capturedDeltasOf(lines: readonly CaptureLine[], tNs: Float64Array): { keys: (string | null)[]; tNs: Float64Array } {
  return { keys: lines.map((c) => (c.frame.kind === 'delta' ? deltaKey(c.frame.market, c.frame.body.leg ?? 0, c.frame.body.price ?? 0, Number(c.frame.body.deltaCenti ?? 0)) : null)), tNs };
}

/** The capture's first receive time (monotonic ns; 0 when it has none): 0 of its timeline (timeline()). */
export function captureBaseNs(lines: readonly CaptureLine[]): number {
  return lines.find((c) => c.recvNs > 0)?.recvNs ?? 0;
}

/**
 * Which capture lines closed one of the recorded run's decision drains, and when that drain ended
 * on the capture's timeline (ns since its first receive time, as timeline()): NaN for a line that
 * closed none. null without drains. A receive time the capture lacks (its line dropped on
 * overflow) closes nothing; the engine's hold limit releases those frames.
 */
export function drainClosers(lines: readonly CaptureLine[], drains: readonly DecisionDrain[] | undefined): Float64Array | null {
  if (drains === undefined) return null;
  const baseNs = captureBaseNs(lines);
  const endOf = new Map<number, number>();
  for (const d of drains) if (d.kind === 'book' && !endOf.has(d.atNs)) endOf.set(d.atNs, d.drainNs);
  const out = new Float64Array(lines.length).fill(NaN);
  for (let i = 0; i < lines.length; i++) {
    const end = lines[i].recvNs > 0 ? endOf.get(lines[i].recvNs) : undefined;
    if (end !== undefined) out[i] = end - baseNs;
  }
  return out;
}

/**
 * The recorded run's strategy ticks on the capture's timeline (ns since its first receive time, as
 * timeline()): when each fired, when its drain ended, and whether that drain handled book features
 * before it. null without drains or when the file has no tick (a file of an older KMM: the
 * backtest's ticks then keep their grid).
 */
export function decisionTicks(lines: readonly CaptureLine[], drains: readonly DecisionDrain[] | undefined): DecisionTick[] | null {
  if (drains === undefined || !drains.some((d) => d.kind === 'tick')) return null;
  const baseNs = captureBaseNs(lines);
  const out: DecisionTick[] = [];
  drains.forEach((d, i) => {
    if (d.kind === 'tick') out.push({ firedNs: d.atNs - baseNs, drainNs: d.drainNs - baseNs, afterEarlier: earlierInDrain(drains, i) });
  });
  return out;
}

/**
 * The recorded run's fills as its strategy got them, on the capture's timeline: each fill frame's
 * market, side, price and size, when it was received and when the strategy drain that handled it
 * ended, and whether that drain handled book features before it. Empty without drains or fill
 * events (a file of an older KMM), and for a fill whose frame the capture lacks.
 */
export function decisionFills(lines: readonly CaptureLine[], drains: readonly DecisionDrain[] | undefined): DecisionFill[] {
  if (drains === undefined || !drains.some((d) => d.kind === 'fill')) return [];
  const baseNs = captureBaseNs(lines);
  const fillAt = new Map<number, kmm.v1.IFill>();
  for (const c of lines) if (c.frame.kind === 'fill' && c.recvNs > 0 && !fillAt.has(c.recvNs)) fillAt.set(c.recvNs, c.frame.body);
  const out: DecisionFill[] = [];
  drains.forEach((d, i) => {
    const f = d.kind === 'fill' ? fillAt.get(d.atNs) : undefined;
    if (f) out.push({ market: f.market ?? '', side: f.side ?? 0, yesPrice: f.yesPrice ?? 0, countCenti: Number(f.countCenti ?? 0), recvNs: d.atNs - baseNs, drainNs: d.drainNs - baseNs, afterEarlier: earlierInDrain(drains, i) });
  });
  return out;
}

/**
 * Whether the drain of event i handled something before it (an earlier line of the same drain:
 * book features, a fill): it then waits for what the backtest delivers at the drain's end first.
 */
function earlierInDrain(drains: readonly DecisionDrain[], i: number): boolean {
  return i > 0 && drains[i - 1].drainNs === drains[i].drainNs;
}

/** The market profile of a backtest: that of demo and run (the app's COMMAND_PROFILE). */
export const BACKTEST_PROFILE = 'kalshi';

/**
 * The backtest's command defaults (a layer of loadConfig, below the file and --set): the Kalshi
 * profile of demo and run, and every market of the capture selected (someone chose to record
 * them; a capture carries no liquidity or resolution-time facts unless --markets gives them).
 */
export function backtestCommandDefaults(marketCount: number): CommandDefaults {
  return {
    name: 'backtest',
    profile: BACKTEST_PROFILE,
    values: { max_markets: Math.max(1, Math.min(10_000, Math.round(marketCount))), max_time_to_resolution_hours: 0, min_liquidity: 0 },
  };
}

/**
 * A backtest's configuration: registry defaults < profile < preset < the backtest's command
 * defaults < file < `set`; never the environment (a backtest depends only on its files and
 * arguments). Used by sweeps; `kmm backtest` loads the same through the app's loadForCommand.
 */
export function loadBacktestConfig(file: string | undefined, set: Record<string, string | number | boolean> | undefined, marketCount = 10_000): Record<string, unknown> {
  return { ...(loadConfig({ file, env: {}, cli: set ?? {}, command: backtestCommandDefaults(marketCount) }).values as unknown as Record<string, unknown>) };
}

interface Writers {
  journal: Journal;
  tape: Tape;
  decisions: WriteStream;
  ops: WriteStream;
}

/** Runs one backtest. With `out` set, writes the run folder (await the returned promise for the files). */
export async function runBacktest(o: BacktestOptions, preloaded?: { lines: CaptureLine[]; config: Record<string, unknown> }): Promise<BacktestResult> {
  if (!QUEUE_MODELS.includes(o.queueModel)) throw new Error(`--queue-model must be one of ${QUEUE_MODELS.join(', ')}, got '${o.queueModel}'`);
  if (!(o.latencyMs >= 0)) throw new Error(`--latency-ms must be >= 0, got ${o.latencyMs}`);
  const lines = preloaded?.lines ?? readCaptureLines(o.capture);
  if (lines.length === 0) throw new Error(`capture ${o.capture} has no frames`);
  const tl = timeline(lines);
  let markets = o.markets;
  if (!markets && o.marketsFile) {
    const { readFileSync } = await import('node:fs');
    const v: unknown = JSON.parse(readFileSync(o.marketsFile, 'utf8'));
    if (!Array.isArray(v) || v.some((m) => typeof m !== 'object' || m === null || typeof (m as { market?: unknown }).market !== 'string')) throw new Error(`${o.marketsFile}: expected a JSON array of market infos with a "market" ticker`);
    markets = v as kmm.v1.IMarketInfo[];
  }
  markets ??= inferMarkets(lines, tl.startWallMs + tl.endNs / 1e6);
  const given = o.config;
  const config = preloaded?.config ?? (typeof given === 'function' ? given(markets) : given) ?? loadBacktestConfig(o.configFile, o.set, markets.length);
  let w: Writers | null = null;
  let runDir: string | null = null;
  if (o.out !== null) {
    runDir = resolve(o.out);
    // not mkdirSync({ recursive }): it never returns for a path such as /proc/x
    makeDirsSync(runDir);
    // a run folder is written fresh: appending to an old one would break determinism
    for (const f of ['journal.jsonl', 'tape.csv', 'decisions.jsonl', 'ops.log']) writeFileSync(join(runDir, f), '');
  }
  // the simulated clock starts at the first frame; records written while the engine is built (exec's start) carry that time
  const clockRef: { wall: () => number } = { wall: () => tl.startWallMs };
  if (runDir) {
    // Loaded only when writing a run folder: sweep workers (out null) then load no exec shell code.
    const { Journal, Tape } = await import('@kmm/exec-worker');
    w = {
      journal: new Journal(join(runDir, 'journal.jsonl'), { flushEveryMs: 0, fsyncEveryMs: 0, flushRecords: 4096, wallMs: () => clockRef.wall() }),
      tape: new Tape(join(runDir, 'tape.csv'), () => clockRef.wall()),
      decisions: createWriteStream(join(runDir, 'decisions.jsonl'), { flags: 'a' }),
      ops: createWriteStream(join(runDir, 'ops.log'), { flags: 'a' }),
    };
  }
  const ww = w;
  const journalRecs: JournalRecord[] = [];
  const figures = new FiguresBuilder({
    capCenti: Math.round(Number(config.MM_MAX_POS) * 100),
    markets: markets.map((m) => m.market ?? '').filter((m) => m !== ''),
    startMs: tl.startWallMs,
  });
  const ticks = decisionTicks(lines, o.decisionDrains);
  const engine = new BacktestEngine({
    config,
    markets,
    model: queueModel(o.queueModel, o.queuePower ?? 2),
    latencyMs: o.latencyMs,
    ...(o.latencySamplesMs ? { latencySamplesMs: o.latencySamplesMs } : {}),
    ...(o.recordedCommands ? { recordedCommands: o.recordedCommands } : {}),
    feedLatencyMs: o.feedLatencyMs ?? 0,
    seed: o.seed ?? 1,
    ownFills: attributeOwnFills(lines),
    startWallMs: tl.startWallMs,
    execStartDelayMs: o.execStartDelayMs ?? 0,
    execStartupMs: o.execStartupMs ?? 0,
    decisionDrains: o.decisionDrains !== undefined,
    ...(ticks ? { decisionTicks: ticks } : {}),
    decisionFills: decisionFills(lines, o.decisionDrains),
    ...(o.ownReports ? { capturedDeltas: capturedDeltasOf(lines, tl.tNs) } : {}),
    sinks: {
      journal: (rec, wallMs) => {
        figures.add(rec, wallMs);
        journalRecs.push({ ...rec, t: wallMs });
        ww?.journal.append(rec);
      },
      tape: (rows) => ww?.tape.write(rows),
      decision: (rec, t) => ww?.decisions.write(JSON.stringify({ t, event: 'reprice_decision', ...rec }) + '\n'),
      ops: (actor, event, market, level, fields, t) => ww?.ops.write(JSON.stringify({ t, level, actor, event, market: market || undefined, ...fields }) + '\n'),
    },
  });
  clockRef.wall = () => engine.clock.wallMs();
  // wall time of the whole run is measured outside the engine (it never reads a clock)
  const t0 = process.hrtime.bigint();
  await engine.start();
  const closes = drainClosers(lines, o.decisionDrains);
  for (let i = 0; i < lines.length; i++) await engine.frame(lines[i].frame, tl.tNs[i], closes === null || Number.isNaN(closes[i]) ? undefined : closes[i]);
  await engine.finish(tl.endNs);
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const marks = marksOf(engine, markets);
  const endWallMs = tl.startWallMs + tl.endNs / 1e6;
  const figs = figures.figures(marks, endWallMs);
  const metrics = computeMetrics(engine, o, tl.endNs, wallMs, figs);
  const marketNames = markets.map((m) => m.market ?? '').filter((m) => m !== '');
  const scorecard = scorecardOfCapture(journalRecs, lines, figs, config, marketNames, endWallMs, undefined, o.timeScale ?? 1);
  if (runDir && w) {
    w.journal.append({ k: 'backtest_end', ...engineTotals(engine) });
    await w.journal.close();
    await w.tape.close();
    await Promise.all([end(w.decisions), end(w.ops)]);
    writeFileSync(join(runDir, 'summary.json'), JSON.stringify(summaryOf(metrics, figs, markets.length, scorecard, String(config.kmm_strategy ?? 'default')), null, 2) + '\n');
    writeFileSync(join(runDir, 'backtest.json'), JSON.stringify({ capture: resolve(o.capture), timeScale: o.timeScale ?? 1, queue_model: o.queueModel, latency_ms: o.latencyMs, feed_latency_ms: o.feedLatencyMs ?? 0, seed: o.seed ?? 1, metrics: { ...metrics, wallMs: undefined, eventsPerSec: undefined } }, null, 2) + '\n');
    writeFileSync(join(runDir, 'equity.csv'), 'ts,equity\n' + engine.equity.map((p) => `${new Date(p.wallMs).toISOString()},${formatMoney(p.equityMoney)}`).join('\n') + '\n');
    writeFileSync(join(runDir, 'markets.json'), JSON.stringify(markets, null, 2) + '\n');
  }
  return { runDir, metrics, figures: figs, scorecard, equity: engine.equity, marks, endWallMs, counters: engine.counters, others: engine.others.stats };
}

function end(s: WriteStream): Promise<void> {
  return new Promise((r) => s.end(() => r()));
}

/** Each market's end mark for the figures: its settlement price if settled, else the recorded book's mid. */
function marksOf(e: BacktestEngine, markets: readonly kmm.v1.IMarketInfo[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of markets) {
    const t = m.market ?? '';
    const a = e.venue.account(t);
    const mid = e.venue.mid(t);
    if (a?.settled) out.set(t, a.settlementPrice);
    else if (mid > 0) out.set(t, mid);
  }
  return out;
}

function engineTotals(e: BacktestEngine): kmm.v1.IJournalBacktestEnd {
  const t = e.venue.totals();
  return { fills: e.venue.stats.fills, equityMoney: t.equityMoney, feesMoney: t.feesMoney, cashMoney: t.cashMoney };
}

export function computeMetrics(e: BacktestEngine, o: BacktestOptions, endNs: number, wallMs: number, f: RunFigures): BacktestMetrics {
  const s = e.venue.stats;
  const eq = e.equity;
  let peak = -Infinity;
  let mdd = 0;
  const d: number[] = [];
  for (let i = 0; i < eq.length; i++) {
    const v = eq[i].equityMoney;
    if (v > peak) peak = v;
    if (peak - v > mdd) mdd = peak - v;
    if (i > 0) d.push(v - eq[i - 1].equityMoney);
  }
  let mean = 0;
  for (const x of d) mean += x;
  mean = d.length ? mean / d.length : 0;
  let varr = 0;
  for (const x of d) varr += (x - mean) ** 2;
  const sd = d.length > 1 ? Math.sqrt(varr / (d.length - 1)) : 0;
  const durationS = endNs / 1e9;
  return {
    queueModel: o.queueModel,
    latencyMs: o.latencyMs,
    frames: e.counters.frames,
    events: e.counters.frames + e.counters.events,
    durationS: round(durationS, 3),
    fills: s.fills,
    makerFills: s.makerFills,
    crossingFills: e.venue.crossingFills,
    takerFills: s.takerFills,
    contractsFilled: s.filledCenti / 100,
    ordersPlaced: s.placed,
    amends: s.amended,
    cancels: s.cancelled,
    rejectsLocal: f.rejectsLocal,
    rejectsVenue: f.rejectsVenue,
    postOnlyRejects: s.postOnlyRejects,
    pnl: f.netPnl,
    fees: f.feesPaid,
    sharpe: sd > 0 ? round((mean / sd) * Math.sqrt(d.length), 4) : 0,
    maxDrawdown: mdd / 10_000,
    fillRate: e.venue.placedCenti > 0 ? round(s.filledCenti / e.venue.placedCenti, 4) : 0,
    churnPerMin: durationS > 0 ? round(((s.placed + s.amended + s.cancelled) * 60) / durationS, 2) : 0,
    maxInventory: f.maxAbsPosition,
    settlements: s.settlements,
    wallMs: round(wallMs, 1),
    eventsPerSec: wallMs > 0 ? Math.round(((e.counters.frames + e.counters.events) * 1000) / wallMs) : 0,
  };
}

function round(x: number, dp: number): number {
  const k = 10 ** dp;
  return Math.round(x * k) / k;
}

/** summary.json in the live run's shape (the same figures, RunSummary's keys), plus the backtest's own. */
function summaryOf(m: BacktestMetrics, f: RunFigures, markets: number, scorecard: Scorecard, strategy: string): Record<string, unknown> {
  return {
    mode: 'backtest',
    strategy,
    markets,
    ...f,
    durationS: m.durationS,
    queue_model: m.queueModel,
    latency_ms: m.latencyMs,
    sharpe: m.sharpe,
    max_drawdown: m.maxDrawdown,
    fill_rate: m.fillRate,
    churn_per_min: m.churnPerMin,
    scorecard,
  };
}
