/**
 * Reads a run folder (what live, demo and backtest runs write) into typed records.
 * Every file is untrusted input: each line is checked, a bad line is counted and skipped
 * (the first few are kept with their line number and the reason), and a missing file is
 * recorded as missing. Nothing here throws for bad content; only I/O errors other than
 * "not found" propagate.
 *
 * Files (all optional individually):
 *   tape.csv       header ts,ticker,mid,my_bid,my_ask,inventory,unrealized_pnl,realized_pnl,latency_ms
 *                  (ts ISO-8601; prices and P&L decimal dollars; inventory contracts; empty = none)
 *   journal.jsonl  {"t": wall ms, "type": "command"|"ack"|"reject"|"fill"|"cancel"|"amend"|"decision"|"ops"|..., ...}
 *   health.jsonl   {"t", "actor", "elu", "mailbox_depth", "msgs_in", "handler": {"p50_ns","p99_ns","max_ns"},
 *                   "latency_hist"?: {"bounds_us": [ascending upper bounds], "counts": [bounds+1 counts, last = overflow]}}
 *   summary.json   {fills, realized_pnl, unrealized_pnl, fees, max_inventory, orders_sent, orders_per_fill,
 *                   tick_to_order_us: {p50, p99}, markets, duration_s}
 *   prices.jsonl   {"t", "market", "mid": "0.5150"} (the mid path; if absent the tape's mids are used)
 *
 * Units after reading: prices, mids and money in micro-dollars (1e-6 $, exact from the
 * decimal strings; mids may carry half-ticks and sub-penny grids need 4+ dp), counts in
 * 1/100 contract, times in wall ms.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { formatFixed, kmm, parseCount, parseFixed } from '@kmm/shared';
import { decodeJournalLine, type JournalKind } from '@kmm/exec-worker';

/** Lines read per file; past it reading stops and the file is marked truncated. */
export const REPORT_MAX_LINES_PER_FILE = 5_000_000;
/** Malformed-line examples kept per file (all are counted). */
export const REPORT_MAX_ISSUE_EXAMPLES = 5;
/** Longest line considered; longer ones are malformed (protects JSON.parse and memory). */
export const REPORT_MAX_LINE_CHARS = 64 * 1024;

export const RUN_FILES = ['tape.csv', 'journal.jsonl', 'health.jsonl', 'summary.json', 'prices.jsonl'] as const;
export type RunFile = (typeof RUN_FILES)[number];

export interface FileIssue {
  line: number;
  why: string;
}

export interface FileStatus {
  file: RunFile;
  present: boolean;
  /** Non-empty lines read (for summary.json: 1 if parsed). */
  lines: number;
  malformed: number;
  examples: FileIssue[];
  truncated: boolean;
}

export interface TapeRow {
  tMs: number;
  ticker: string;
  midMicro: number | null;
  myBidMicro: number | null;
  myAskMicro: number | null;
  inventoryCenti: number;
  unrealizedMicro: number;
  realizedMicro: number;
  latencyMs: number | null;
}

export interface FillRecord {
  tMs: number;
  market: string;
  side: 'bid' | 'ask';
  priceMicro: number;
  countCenti: number;
  isTaker: boolean;
  feeMicro: number;
  postPositionCenti: number | null;
}

export interface JournalSummary {
  fills: FillRecord[];
  /** type=command lines by `kind` (PLACE, AMEND, DECREASE, CANCEL, CANCEL_ALL, ...). */
  commandsByKind: Record<string, number>;
  /** type=reject lines by `code`. */
  rejectsByCode: Record<string, number>;
  /** Every line by `type`. */
  typeCounts: Record<string, number>;
  firstMs: number | null;
  lastMs: number | null;
}

export interface LatencyHist {
  boundsUs: number[];
  counts: number[];
}

export interface HealthRecord {
  tMs: number;
  actor: string;
  elu: number;
  mailboxDepth: number;
  msgsIn: number | null;
  handlerP50Ns: number | null;
  handlerP99Ns: number | null;
  handlerMaxNs: number | null;
  hist: LatencyHist | null;
}

export interface PricePoint {
  tMs: number;
  market: string;
  midMicro: number;
}

export interface RunData {
  dir: string;
  files: Record<RunFile, FileStatus>;
  tape: TapeRow[];
  journal: JournalSummary;
  health: HealthRecord[];
  prices: PricePoint[];
  /** summary.json as written (only checked to be an object); shown as a table. */
  summary: Record<string, unknown> | null;
}

/** A bad value in a line: caught per line, counted as malformed. */
class LineError extends Error {}

function fail(why: string): never {
  throw new LineError(why);
}

/** Decimal string -> integer millionths, exactly (dollars -> micro-dollars). Accepts a JSON number without exponent. */
export function micro(v: unknown, field: string, allowNegative: boolean): number {
  let text: string;
  if (typeof v === 'string') text = v;
  else if (typeof v === 'number' && Number.isFinite(v) && !String(v).includes('e')) text = String(v);
  else fail(`${field}: expected a decimal string`);
  try {
    return parseFixed(text, 6, 6, field, allowNegative);
  } catch (err) {
    fail((err as Error).message);
  }
}

function centi(v: unknown, field: string): number {
  try {
    return parseCount(typeof v === 'number' ? String(v) : v, field);
  } catch (err) {
    fail((err as Error).message);
  }
}

function finite(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${field}: expected a number`);
  return v;
}

function optFinite(v: unknown, field: string): number | null {
  return v === undefined || v === null ? null : finite(v, field);
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0) fail(`${field}: expected a non-empty string`);
  return v;
}

function newStatus(file: RunFile): FileStatus {
  return { file, present: false, lines: 0, malformed: 0, examples: [], truncated: false };
}

function note(st: FileStatus, line: number, why: string): void {
  st.malformed++;
  if (st.examples.length < REPORT_MAX_ISSUE_EXAMPLES) st.examples.push({ line, why });
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Calls `onLine` for each non-empty line; a LineError (or JSON error) marks the line malformed. */
async function eachLine(path: string, st: FileStatus, onLine: (line: string, n: number) => void): Promise<void> {
  if (!(await exists(path))) return;
  st.present = true;
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  for await (const raw of rl) {
    n++;
    const line = raw.trim();
    if (line.length === 0) continue;
    if (st.lines >= REPORT_MAX_LINES_PER_FILE) {
      st.truncated = true;
      rl.close();
      break;
    }
    st.lines++;
    if (line.length > REPORT_MAX_LINE_CHARS) {
      note(st, n, `line longer than ${REPORT_MAX_LINE_CHARS} characters`);
      continue;
    }
    try {
      onLine(line, n);
    } catch (err) {
      if (err instanceof LineError || err instanceof SyntaxError) note(st, n, err.message);
      else throw err;
    }
  }
}

function jsonObject(line: string): Record<string, unknown> {
  const v: unknown = JSON.parse(line);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('not a JSON object');
  return v as Record<string, unknown>;
}

const TAPE_COLUMNS = ['ts', 'ticker', 'mid', 'my_bid', 'my_ask', 'inventory', 'unrealized_pnl', 'realized_pnl', 'latency_ms'] as const;

function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

async function readTape(dir: string, st: FileStatus, out: TapeRow[]): Promise<void> {
  let col: Record<string, number> | null = null;
  await eachLine(join(dir, 'tape.csv'), st, (line) => {
    const cells = line.split(',').map(unquote);
    if (col === null) {
      const c: Record<string, number> = {};
      cells.forEach((name, i) => (c[name] = i));
      const missing = TAPE_COLUMNS.filter((k) => c[k] === undefined && k !== 'latency_ms');
      if (missing.length > 0) {
        // Without a usable header no row can be read; count the header and stop using the file.
        col = {};
        fail(`header lacks ${missing.join(', ')}`);
      }
      col = c;
      st.lines--; // the header is not a data line
      return;
    }
    if (Object.keys(col).length === 0) fail('no usable header');
    const cell = (k: string): string => {
      const i = col![k];
      return i === undefined ? '' : (cells[i] ?? '');
    };
    const tMs = Date.parse(cell('ts'));
    if (!Number.isFinite(tMs)) fail(`ts: not an ISO-8601 time: ${JSON.stringify(cell('ts'))}`);
    const ticker = str(cell('ticker'), 'ticker');
    const optPrice = (k: string): number | null => (cell(k) === '' ? null : micro(cell(k), k, false));
    const lat = cell('latency_ms');
    let latencyMs: number | null = null;
    if (lat !== '') {
      latencyMs = micro(lat, 'latency_ms', false) / 1e6;
    }
    out.push({
      tMs,
      ticker,
      midMicro: optPrice('mid'),
      myBidMicro: optPrice('my_bid'),
      myAskMicro: optPrice('my_ask'),
      inventoryCenti: centi(cell('inventory'), 'inventory'),
      unrealizedMicro: micro(cell('unrealized_pnl'), 'unrealized_pnl', true),
      realizedMicro: micro(cell('realized_pnl'), 'realized_pnl', true),
      latencyMs,
    });
  });
}

const EXEC_RECORD_TYPE: { readonly [K in JournalKind]?: string } = { cmd: 'command', ack: 'ack', rej: 'reject', fill: 'fill', pos: 'position', div: 'divergence' };

/**
 * The exec worker journals typed records (kmm.v1.JournalRecord, decoded by decodeJournalLine:
 * integer units, enums as numbers). Map them onto the report's record shapes. Lines that are not
 * exec records but are already in the report's form (a "type" field) pass through.
 */
function reportRecord(line: string): Record<string, unknown> {
  const d = decodeJournalLine(line);
  if (!d.ok) {
    const o = jsonObject(line);
    if (o.type === undefined) fail(`journal record: ${d.error}`);
    return o;
  }
  const r = d.record;
  const type = EXEC_RECORD_TYPE[r.k] ?? r.k;
  if (r.k === 'fill') {
    return {
      t: r.t,
      type,
      market: r.market,
      side: r.side === kmm.v1.BookSide.ASK ? 'ask' : r.side === kmm.v1.BookSide.BID ? 'bid' : r.side,
      price: formatFixed((r.yesPrice ?? 0) * 100, 6),
      count: formatFixed(r.countCenti ?? 0, 2),
      is_taker: r.isTaker === true,
      fee: formatFixed((r.feeMoney ?? 0) * 100, 6),
      post_position: typeof r.postPositionCenti === 'number' ? formatFixed(r.postPositionCenti, 2) : undefined,
    };
  }
  if (r.k === 'cmd') {
    const kind = r.orders && r.orders.length > 0 ? r.orders[0].kind ?? 0 : 0;
    return { t: r.t, type, kind: kind > 0 ? kmm.v1.CommandKind[kind] ?? String(kind) : r.op || 'UNKNOWN' };
  }
  if (r.k === 'rej') return { t: r.t, type, code: kmm.v1.RejectCode[r.code ?? 0] ?? String(r.code) };
  return { t: r.t, type };
}

function bump(rec: Record<string, number>, key: string): void {
  rec[key] = (rec[key] ?? 0) + 1;
}

async function readJournal(dir: string, st: FileStatus): Promise<JournalSummary> {
  const j: JournalSummary = { fills: [], commandsByKind: {}, rejectsByCode: {}, typeCounts: {}, firstMs: null, lastMs: null };
  await eachLine(join(dir, 'journal.jsonl'), st, (line) => {
    const o = reportRecord(line);
    const t = finite(o.t, 't');
    const type = str(o.type, 'type');
    if (type === 'fill') {
      const side = o.side;
      if (side !== 'bid' && side !== 'ask') fail('fill.side: expected "bid" or "ask"');
      j.fills.push({
        tMs: t,
        market: str(o.market, 'fill.market'),
        side,
        priceMicro: micro(o.price, 'fill.price', false),
        countCenti: centi(o.count, 'fill.count'),
        isTaker: o.is_taker === true,
        feeMicro: o.fee === undefined ? 0 : micro(o.fee, 'fill.fee', true),
        postPositionCenti: o.post_position === undefined ? null : centi(o.post_position, 'fill.post_position'),
      });
    } else if (type === 'command') {
      bump(j.commandsByKind, str(o.kind, 'command.kind'));
    } else if (type === 'reject') {
      bump(j.rejectsByCode, typeof o.code === 'string' && o.code.length > 0 ? o.code : 'UNKNOWN');
    }
    bump(j.typeCounts, type);
    if (j.firstMs === null || t < j.firstMs) j.firstMs = t;
    if (j.lastMs === null || t > j.lastMs) j.lastMs = t;
  });
  return j;
}

function readHist(v: unknown): LatencyHist | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) fail('latency_hist: expected an object');
  const h = v as Record<string, unknown>;
  const b = h.bounds_us;
  const c = h.counts;
  if (!Array.isArray(b) || !Array.isArray(c)) fail('latency_hist: needs bounds_us and counts arrays');
  if (c.length !== b.length + 1) fail('latency_hist: counts must have one more entry than bounds_us');
  const boundsUs = b.map((x, i) => finite(x, `latency_hist.bounds_us[${i}]`));
  for (let i = 1; i < boundsUs.length; i++) if (!(boundsUs[i] > boundsUs[i - 1])) fail('latency_hist: bounds_us not ascending');
  const counts = c.map((x, i) => {
    const n = finite(x, `latency_hist.counts[${i}]`);
    if (n < 0) fail('latency_hist: negative count');
    return n;
  });
  return { boundsUs, counts };
}

async function readHealth(dir: string, st: FileStatus, out: HealthRecord[]): Promise<void> {
  await eachLine(join(dir, 'health.jsonl'), st, (line) => {
    const o = jsonObject(line);
    const h = o.handler;
    const handler = typeof h === 'object' && h !== null && !Array.isArray(h) ? (h as Record<string, unknown>) : {};
    out.push({
      tMs: finite(o.t, 't'),
      actor: str(o.actor, 'actor'),
      elu: finite(o.elu, 'elu'),
      mailboxDepth: finite(o.mailbox_depth ?? 0, 'mailbox_depth'),
      msgsIn: optFinite(o.msgs_in, 'msgs_in'),
      handlerP50Ns: optFinite(handler.p50_ns, 'handler.p50_ns'),
      handlerP99Ns: optFinite(handler.p99_ns, 'handler.p99_ns'),
      handlerMaxNs: optFinite(handler.max_ns, 'handler.max_ns'),
      hist: readHist(o.latency_hist),
    });
  });
}

async function readPrices(dir: string, st: FileStatus, out: PricePoint[]): Promise<void> {
  await eachLine(join(dir, 'prices.jsonl'), st, (line) => {
    const o = jsonObject(line);
    out.push({ tMs: finite(o.t, 't'), market: str(o.market, 'market'), midMicro: micro(o.mid, 'mid', false) });
  });
}

async function readSummary(dir: string, st: FileStatus): Promise<Record<string, unknown> | null> {
  const path = join(dir, 'summary.json');
  if (!(await exists(path))) return null;
  st.present = true;
  st.lines = 1;
  try {
    const v: unknown = JSON.parse(await readFile(path, 'utf8'));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      note(st, 1, 'not a JSON object');
      return null;
    }
    return v as Record<string, unknown>;
  } catch (err) {
    note(st, 1, (err as Error).message);
    return null;
  }
}

export async function readRunFolder(dir: string): Promise<RunData> {
  const files = Object.fromEntries(RUN_FILES.map((f) => [f, newStatus(f)])) as Record<RunFile, FileStatus>;
  const tape: TapeRow[] = [];
  const health: HealthRecord[] = [];
  const prices: PricePoint[] = [];
  await readTape(dir, files['tape.csv'], tape);
  const journal = await readJournal(dir, files['journal.jsonl']);
  await readHealth(dir, files['health.jsonl'], health);
  await readPrices(dir, files['prices.jsonl'], prices);
  const summary = await readSummary(dir, files['summary.json']);
  // Files are appended in time order by their writers, but merge order across writers is
  // not guaranteed: sort once here (stable) so every later step can binary-search.
  tape.sort((a, b) => a.tMs - b.tMs);
  journal.fills.sort((a, b) => a.tMs - b.tMs);
  health.sort((a, b) => a.tMs - b.tMs);
  prices.sort((a, b) => a.tMs - b.tMs);
  return { dir, files, tape, journal, health, prices, summary };
}
