/**
 * The run folder as a record of a run that `kmm backtest --like RUN_DIR` can reproduce.
 *
 * Written by every trading run (`kmm demo`, `kmm run`, through the app's startSystem):
 *   config.json    the effective configuration at the start: every value (credential keys left
 *                  out), its source, the market profile and the preset
 *   markets.json   the markets' details as the system got them (MarketInfo: close time, fee type
 *                  and multiplier, price grid)
 * and, by the actors: capture.jsonl (every websocket frame with its receive time, our own orders
 * in the public book and our user_order / fill frames included), journal.jsonl (exec's record),
 * summary.json (the run's figures), and by the strategy strategy-drains.csv (its decision drains:
 * which frames it decided on together; shared/io/decision-drains.ts).
 *
 * Read here with clear errors: a folder that does not exist, or lacks one of the files needed
 * (named, with what writes it), or whose file does not parse. The journal and summary are
 * optional (the comparison with the recorded run uses them when present).
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DECISION_DRAINS_FILE, parseDecisionDrains, type DecisionDrain, SPEC_BY_ENV, SPEC_BY_KEY, type kmm, type LoadedConfig } from '@kmm/shared';
import { decodeJournalText, figuresOf, type JournalRecord, type RunFigures } from '@kmm/exec-worker/core';
import { captureBaseNs, readCaptureLines, runBacktest, timeline, type BacktestOptions, type BacktestResult } from './backtest.js';
import type { CaptureLine } from '@kmm/ingest-worker/core';
import { orderKey, type RecordedCommand } from '../core/command-latency.js';
import { runTimeScale } from './scorecard.js';
import type { QueueModelName } from '../core/queue-models.js';

export const RUN_FOLDER = {
  config: 'config.json',
  markets: 'markets.json',
  capture: 'capture.jsonl',
  journal: 'journal.jsonl',
  summary: 'summary.json',
  decisionDrains: DECISION_DRAINS_FILE,
} as const;

/** Keys left out of config.json: where the run's credentials are (replaying a run needs neither). */
const OMITTED = new Set(['kmm_api_key_id', 'kmm_private_key_path']);

export interface RunConfigRecord {
  profile: string;
  preset: string;
  values: Record<string, unknown>;
  sources: Record<string, string>;
}

export function runConfigRecord(loaded: LoadedConfig): RunConfigRecord {
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(loaded.values as unknown as Record<string, unknown>)) if (!OMITTED.has(k)) values[k] = v;
  const sources: Record<string, string> = {};
  for (const [k, v] of Object.entries(loaded.sources)) if (!OMITTED.has(k)) sources[k] = v;
  return { profile: loaded.profile, preset: loaded.preset, values, sources };
}

/** Writes config.json and markets.json into a run folder (private, like the rest of it). */
export function writeRunRecord(runDir: string, loaded: LoadedConfig, markets: readonly kmm.v1.IMarketInfo[]): void {
  writeFileSync(join(runDir, RUN_FOLDER.config), JSON.stringify(runConfigRecord(loaded), null, 2) + '\n', { mode: 0o600 });
  writeFileSync(join(runDir, RUN_FOLDER.markets), JSON.stringify(markets, null, 2) + '\n', { mode: 0o600 });
}

export interface RecordedRun {
  dir: string;
  capture: string;
  config: RunConfigRecord;
  markets: kmm.v1.IMarketInfo[];
  /** the run's journal, when the folder has one */
  journal: JournalRecord[] | null;
  /** summary.json, when the folder has one */
  summary: Record<string, unknown> | null;
  /** the live strategy's decision drains, when the folder has strategy-drains.csv (and they were asked for) */
  decisionDrains: DecisionDrain[] | null;
  /** seconds of market per second of the run (market.json of a time-compressed demo; else 1) */
  timeScale: number;
}

const WRITTEN_BY = 'written at the start of every `kmm demo` / `kmm run` (a run folder from an older KMM lacks it: backtest its capture with --capture, --config and --markets instead)';

/** Reads a run folder for `--like`; throws an error naming the folder and the missing or bad file. */
export function readRunFolder(dirIn: string, opts: { decisionDrains?: boolean } = {}): RecordedRun {
  const dir = resolve(dirIn);
  if (!existsSync(dir)) throw new Error(`--like: run folder ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new Error(`--like: ${dir} is not a run folder (not a directory)`);
  const need = (file: string, what: string): string => {
    const p = join(dir, file);
    if (!existsSync(p)) throw new Error(`--like: run folder ${dir} is incomplete: no ${file} (${what})`);
    return p;
  };
  const json = (file: string, what: string): unknown => {
    const p = need(file, what);
    try {
      return JSON.parse(readFileSync(p, 'utf8'));
    } catch (e) {
      throw new Error(`--like: ${p} is not valid JSON: ${(e as Error).message}`);
    }
  };
  const cfg = json(RUN_FOLDER.config, `the run's effective configuration, ${WRITTEN_BY}`) as Partial<RunConfigRecord> | null;
  if (!cfg || typeof cfg !== 'object' || !cfg.values || typeof cfg.values !== 'object') throw new Error(`--like: ${join(dir, RUN_FOLDER.config)} has no "values" object`);
  const markets = json(RUN_FOLDER.markets, `the run's market details, ${WRITTEN_BY}`);
  if (!Array.isArray(markets) || markets.length === 0 || markets.some((m) => typeof m !== 'object' || m === null || typeof (m as { market?: unknown }).market !== 'string')) {
    throw new Error(`--like: ${join(dir, RUN_FOLDER.markets)} must be a non-empty JSON array of market infos with a "market" ticker`);
  }
  const capture = need(RUN_FOLDER.capture, 'the websocket capture, written by ingest unless kmm_capture_enabled=false');
  if (statSync(capture).size === 0) throw new Error(`--like: run folder ${dir} is incomplete: ${RUN_FOLDER.capture} is empty`);
  let journal: JournalRecord[] | null = null;
  const jp = join(dir, RUN_FOLDER.journal);
  if (existsSync(jp)) {
    const r = decodeJournalText(readFileSync(jp, 'utf8'));
    journal = r.records;
  }
  let summary: Record<string, unknown> | null = null;
  const sp = join(dir, RUN_FOLDER.summary);
  if (existsSync(sp)) {
    try {
      summary = JSON.parse(readFileSync(sp, 'utf8')) as Record<string, unknown>;
    } catch {
      summary = null; // a run stopped hard may leave none or a torn one; the comparison is optional
    }
  }
  let decisionDrains: DecisionDrain[] | null = null;
  const dp = join(dir, RUN_FOLDER.decisionDrains);
  // not read when the caller plays every frame on its own (--no-run-drains): a damaged file then blocks nothing
  if (opts.decisionDrains !== false && existsSync(dp)) decisionDrains = parseDecisionDrains(readFileSync(dp, 'utf8'), dp);
  return { dir, capture, decisionDrains, timeScale: runTimeScale(dir), config: { profile: String(cfg.profile ?? ''), preset: String(cfg.preset ?? ''), values: cfg.values as Record<string, unknown>, sources: (cfg.sources ?? {}) as Record<string, string> }, markets: markets as kmm.v1.IMarketInfo[], journal, summary };
}

/** A recorded run's values with --set overrides on top (an override replaces the key and its aliases). */
export function likeConfig(values: Readonly<Record<string, unknown>>, set: Readonly<Record<string, string | number | boolean>> = {}): Record<string, unknown> {
  const canon = (name: string): string => {
    const spec = SPEC_BY_KEY.get(name) ?? SPEC_BY_ENV.get(name);
    return spec ? (spec.aliasOf ?? spec.key) : name;
  };
  const overridden = new Set(Object.keys(set).map(canon));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) if (!overridden.has(canon(k))) out[k] = v;
  // validated as a whole (types, ranges, relations) by the engine's resolveConfig
  return { ...out, ...set };
}

export interface LikeOptions extends Omit<BacktestOptions, 'capture' | 'config' | 'configFile' | 'markets' | 'marketsFile' | 'seed' | 'latencyMs' | 'queueModel'> {
  /** the run folder to reproduce */
  like: string;
  /** default: the recorded venue's own queue discipline (recordedQueueModel) */
  queueModel?: QueueModelName;
  /** default: the run's kmm_seed */
  seed?: number;
  /** default: the recorded run's own (recordedOrderLatencyMs + recordedDecisionToWireMs), else 0 */
  latencyMs?: number;
  /** play every frame on its own even when the run recorded its decision drains (default false) */
  ignoreDecisionDrains?: boolean;
}

/**
 * The one-way order-entry latency of a recorded run (ms): half the median round trip of its
 * acknowledged commands (the journal's ack latency_us); null when it has none. The capture's
 * receive times already carry the market-data latency, so the feed latency stays 0.
 */
export function recordedOrderLatencyMs(journal: readonly JournalRecord[]): number | null {
  const us: number[] = [];
  for (const r of journal) if (r.k === 'ack' && Number(r.latencyUs ?? 0) > 0) us.push(Number(r.latencyUs));
  if (us.length === 0) return null;
  return Math.round(median(us) / 2) / 1000;
}

/**
 * How long the recorded run took from a strategy decision to the order request on the wire (ms):
 * the median, over its commands that answered a target, of the wire time (journal `wire`) less
 * the end of the last strategy drain before exec got the target (strategy-drains.csv). It is the
 * strategy -> exec hop and exec's own work (pre-flight, rate limits, signing, the request write),
 * which the backtest's cores do in no time; null without drains or such commands. A 60 s demo:
 * about 1.0 ms (p90 2 ms), against a REST one way of 0.8 ms.
 */
export function recordedDecisionToWireMs(journal: readonly JournalRecord[], drains: readonly DecisionDrain[] | null): number | null {
  const ms = decisionToWireByCommand(journal, drains).map((c) => c.ms);
  return ms.length === 0 ? null : Math.round(median(ms) * 1000) / 1000;
}

/**
 * Each recorded command's own one-way latency as the backtest models it when it draws one (ms):
 * its decision -> wire time (as recordedDecisionToWireMs) plus half its own acknowledged round
 * trip (the first ack with a latency of one of its orders after it). Empty without drains.
 * `--like` draws one of them for a command the run did not send then, so the backtest meets the
 * run's latency tail (p90 about 2x the median), not only its median: with the median alone its
 * orders reached the queue a little earlier than live ones.
 */
export function recordedCommandLatenciesMs(journal: readonly JournalRecord[], drains: readonly DecisionDrain[] | null): number[] {
  const d2w = new Map<number, number>();
  for (const c of decisionToWireByCommand(journal, drains)) d2w.set(c.seq, c.ms);
  const out: number[] = [];
  for (const c of acknowledgedCommands(journal)) {
    const ms = d2w.get(c.seq);
    if (ms !== undefined && !Number.isNaN(c.roundTripMs)) out.push(Math.round((ms + c.roundTripMs / 2) * 1000) / 1000);
  }
  return out;
}

/**
 * The recorded run's answered commands (acknowledged or refused by the venue) as the backtest
 * meets them (core/command-latency.ts), on the capture's timeline (timeline(): ns since its first
 * receive time): each one's orders' keys, wire time, when the venue took it and when exec had the
 * answer. The venue took it at the
 * capture line of its first report of the order (`user_order` of the order id, received after the
 * wire time and within VENUE_REPORT_MAX_MS): the public book's changes before that line were the
 * venue's before our order. Without one, half-way through the round trip.
 */
export function recordedCommands(journal: readonly JournalRecord[], lines: readonly CaptureLine[]): RecordedCommand[] {
  const tl = timeline(lines);
  const baseNs = captureBaseNs(lines);
  // the capture lines reporting each order of ours, in order
  const reports = new Map<string, number[]>();
  lines.forEach((c, i) => {
    if (c.frame.kind !== 'user_order' || !(c.recvNs > 0)) return;
    const id = c.frame.body.orderId ?? '';
    const at = reports.get(id);
    if (at) at.push(i);
    else reports.set(id, [i]);
  });
  const baseMs = tl.startWallMs;
  return acknowledgedCommands(journal).map((c) => {
    // a refused command: answered when exec journaled the refusal (whole ms of the capture's clock)
    const answered = Number.isNaN(c.roundTripMs) ? Math.max(c.wireNs, baseNs + (c.refusedAtWallMs - baseMs) * 1e6) : c.wireNs + c.roundTripMs * 1e6;
    let venue = (c.wireNs + answered) / 2 - baseNs;
    let venueLine = -1;
    for (const i of reports.get(c.orderId) ?? []) {
      if (lines[i].recvNs < c.wireNs) continue;
      if (lines[i].recvNs <= c.wireNs + VENUE_REPORT_MAX_MS * 1e6) {
        venue = tl.tNs[i];
        venueLine = i;
      }
      break;
    }
    return { keys: c.keys, wireNs: c.wireNs - baseNs, venueNs: venue, answeredNs: answered - baseNs, venueLine };
  });
}

/** The venue's report of an order of ours counts as the command's when received at most this long after the command was written (ms). */
export const VENUE_REPORT_MAX_MS = 50;

/**
 * The journal's commands with a wire time and an acknowledged round trip (the first ack with a
 * latency of one of its orders after it): `seq` the command's index in the journal, `wireNs`
 * monotonic.
 */
function acknowledgedCommands(journal: readonly JournalRecord[]): AcknowledgedCommand[] {
  const wireNs = wireTimes(journal);
  // per client order id, the commands waiting for their ack, oldest first
  const waiting = new Map<string, Array<Omit<AcknowledgedCommand, 'roundTripMs' | 'refusedAtWallMs'>>>();
  const out: AcknowledgedCommand[] = [];
  journal.forEach((r, seq) => {
    if (r.k === 'cmd') {
      const wire = wireNs.get(Number(r.id));
      const orders = (r.orders ?? []) as kmm.v1.IOrderCommand[];
      if (wire === undefined || orders.length === 0) return;
      const coid = String(orders[0].clientOrderId ?? '');
      const q = waiting.get(coid) ?? [];
      q.push({ seq, keys: orders.map(orderKey), wireNs: wire, orderId: String(orders[0].orderId ?? '') });
      waiting.set(coid, q);
    } else if (r.k === 'ack' && Number(r.latencyUs ?? 0) > 0) {
      const w = waiting.get(String(r.coid ?? ''))?.shift();
      // a create learns its order id from the answer
      if (w !== undefined) out.push({ ...w, orderId: w.orderId || String(r.oid ?? ''), roundTripMs: Number(r.latencyUs) / 1000, refusedAtWallMs: 0 });
    } else if (r.k === 'rej') {
      // refused by the venue (an amend of an order a print had just filled: not found); the
      // journal keeps no round trip for it, only the time exec had the answer (wall ms)
      const w = waiting.get(String(r.coid ?? ''))?.shift();
      if (w !== undefined) out.push({ ...w, orderId: w.orderId || String(r.oid ?? ''), roundTripMs: NaN, refusedAtWallMs: Number(r.t ?? 0) });
    }
  });
  return out.sort((a, b) => a.seq - b.seq);
}

/**
 * A journal command with its wire time (monotonic ns), its first order's venue id and its round
 * trip (ms; NaN when the venue refused it: then `refusedAtWallMs`, when exec had the refusal);
 * `seq` its index in the journal.
 */
interface AcknowledgedCommand {
  seq: number;
  keys: string[];
  wireNs: number;
  orderId: string;
  roundTripMs: number;
  refusedAtWallMs: number;
}

/**
 * The recorded commands that answered a target, with their decision -> wire time (ms): the wire
 * time (journal `wire`) less the end of the last strategy drain (of book features, a tick or a
 * fill) before exec got the target; `seq` is the command's index in the journal. Empty without drains.
 */
function decisionToWireByCommand(journal: readonly JournalRecord[], drains: readonly DecisionDrain[] | null): Array<{ seq: number; ms: number }> {
  if (!drains || drains.length === 0) return [];
  const ends = drains.map((d) => d.drainNs).sort((a, b) => a - b);
  const wireNs = wireTimes(journal);
  const out: Array<{ seq: number; ms: number }> = [];
  journal.forEach((r, seq) => {
    if (r.k !== 'cmd') return;
    const arrival = Number(r.arrivalMonoNs ?? 0);
    const wire = wireNs.get(Number(r.id));
    if (!(arrival > 0) || wire === undefined) return;
    const end = lastAtOrBefore(ends, arrival);
    if (end !== null && wire >= end) out.push({ seq, ms: (wire - end) / 1e6 });
  });
  return out;
}

/** When each journaled command went on the wire (monotonic ns), by command id. */
function wireTimes(journal: readonly JournalRecord[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const r of journal) if (r.k === 'wire') out.set(Number(r.id), Number(r.wireMonoNs));
  return out;
}

function median(xs: number[]): number {
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}

/** the largest of the sorted `xs` at or before `t`, null when none is */
function lastAtOrBefore(xs: readonly number[], t: number): number | null {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? null : xs[lo - 1];
}

/**
 * The queue model that is the recorded run's venue: 'exchange' when the run traded against
 * KMM's simulator (kmm_env sim: strict price-time FIFO, its feed one order per delta, so the
 * exchange model rebuilds its queue from the capture), else 'risk-averse' (a real venue's queue
 * is unknown: the conservative model).
 */
export function recordedQueueModel(values: Readonly<Record<string, unknown>>): QueueModelName {
  return values.kmm_env === 'sim' ? 'exchange' : 'risk-averse';
}

/**
 * When the recorded run's exec started, relative to the capture's first frame (ms): its
 * journal's start record (written as exec's start-up begins; a worker boots after ingest is
 * already receiving). 0 without a journal or when exec started first.
 */
export function recordedExecStartDelayMs(journal: readonly JournalRecord[] | null, firstFrameWallMs: number): number {
  const start = journal?.find((r) => r.k === 'start');
  const t = Number(start?.t ?? NaN);
  return Number.isFinite(t) && firstFrameWallMs > 0 ? Math.max(0, t - firstFrameWallMs) : 0;
}

/**
 * How long the recorded run's exec took over its start-up reads (ms): its journal's start ->
 * startup_reconciled records (REST round trips to the venue). 0 without either record.
 */
export function recordedExecStartupMs(journal: readonly JournalRecord[] | null): number {
  const start = Number(journal?.find((r) => r.k === 'start')?.t ?? NaN);
  const done = Number(journal?.find((r) => r.k === 'startup_reconciled')?.t ?? NaN);
  return Number.isFinite(start) && Number.isFinite(done) ? Math.max(0, done - start) : 0;
}

export interface LikeResult {
  run: RecordedRun;
  result: BacktestResult;
  /**
   * the recorded run's figures from its journal, marked at the backtest's end marks (the same
   * definitions and marks as the backtest's: the like-for-like comparison); null without a journal
   */
  recorded: RunFigures | null;
  /** where the order-entry latency came from: the run's REST one way and decision -> wire medians (ms) */
  latency: { oneWayMs: number | null; decisionToWireMs: number | null; overridden: boolean; samples: number };
}

/** `kmm backtest --like RUN_DIR`: the run's configuration, markets and capture, its own orders taken out of the book. */
export async function backtestLike(o: LikeOptions): Promise<LikeResult> {
  const run = readRunFolder(o.like, { decisionDrains: !o.ignoreDecisionDrains });
  const config = likeConfig(run.config.values, o.set);
  const seedOfRun = Number(run.config.values.kmm_seed);
  const seed = o.seed ?? (Number.isInteger(seedOfRun) && seedOfRun >= 0 ? seedOfRun : 1);
  // each way of a command takes the run's REST one way plus its decision -> wire time: the strategy
  // -> exec hop and exec's work before the write, and as much again from the answer read until
  // the strategy sees its effect (exec handles it, then tells strategy), which the backtest's
  // cores do in no time. Measured on five 60 s demos: this reproduced four exactly (one 2 fills
  // off); the wire delay on the way out only, three (3 and 4 fills off). Without the drains file:
  // the one way alone (decisions then come at each frame, earlier than live anyway)
  const oneWayMs = run.journal ? recordedOrderLatencyMs(run.journal) : null;
  const decisionToWireMs = run.journal && !o.ignoreDecisionDrains ? recordedDecisionToWireMs(run.journal, run.decisionDrains) : null;
  const latencyMs = o.latencyMs ?? (oneWayMs === null ? 0 : Math.round((oneWayMs + (decisionToWireMs ?? 0)) * 1000) / 1000);
  const queueModel = o.queueModel ?? recordedQueueModel(run.config.values);
  const lines = readCaptureLines(run.capture);
  // a command the run sent then takes its latency, any other draws one of the run's (unless --latency-ms fixes one for all)
  const latencySamplesMs = o.latencyMs === undefined && run.journal && !o.ignoreDecisionDrains ? recordedCommandLatenciesMs(run.journal, run.decisionDrains) : [];
  const commands = latencySamplesMs.length > 0 && run.journal ? recordedCommands(run.journal, lines) : [];
  const execStartDelayMs = o.execStartDelayMs ?? recordedExecStartDelayMs(run.journal, timeline(lines).startWallMs);
  const execStartupMs = o.execStartupMs ?? recordedExecStartupMs(run.journal);
  const decisionDrains = run.decisionDrains ?? undefined;
  const result = await runBacktest({ ...o, queueModel, capture: run.capture, config, markets: run.markets, seed, latencyMs, execStartDelayMs, execStartupMs, decisionDrains, ownReports: !o.ignoreDecisionDrains, timeScale: run.timeScale, ...(latencySamplesMs.length > 0 ? { latencySamplesMs, recordedCommands: commands } : {}) }, { lines, config });
  let recorded: RunFigures | null = null;
  if (run.journal) {
    const capCenti = Math.round(Number(config.MM_MAX_POS) * 100);
    recorded = figuresOf(run.journal, { capCenti, markets: run.markets.map((m) => m.market ?? '') }, result.marks);
  }
  return { run, result, recorded, latency: { oneWayMs, decisionToWireMs, overridden: o.latencyMs !== undefined, samples: latencySamplesMs.length } };
}
