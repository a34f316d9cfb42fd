/**
 * Pure analysis of a run folder's records into the report model: equity curve, inventory,
 * price path with our quotes and fills, markouts, P&L attribution, churn and rejects, and
 * per-actor latency. Deterministic (no clock reads): the same RunData gives the same model.
 *
 * Exact parts use integers: micro-dollars x centi-contracts products are summed as bigint
 * (units of 1e-8 $), then turned into display dollars once at the end. Chart series are
 * display floats and are bounded to REPORT_MAX_CHART_POINTS per chart (bucketed or strided,
 * fills always kept up to REPORT_MAX_FILL_MARKERS).
 *
 * Definitions (per fill: s = +1 for a bid fill (we bought YES), -1 for an ask fill; q = count;
 * p = fill price; m(t) = mid at or before t on the price path):
 *   spread captured  = sum s * (m(t_fill) - p) * q          (edge vs mid when the fill happened)
 *   gross P&L        = cash + q_end * m_end - q_start * m_start, cash = sum -s * p * q
 *   inventory drift  = gross - spread captured               (= P&L from mid moves while holding)
 *   fees             = sum fee
 *   net              = gross - fees
 *   markout(h)       = sum s * (m(t + h) - p) * q / sum q    per contract, fills with m(t + h) on the path
 *   markout vs mid   = sum s * (m(t + h) - m(t)) * q / sum q (adverse selection alone)
 */
import type { Scorecard } from '@kmm/exec-worker/core';
import type { FillRecord, HealthRecord, RunData, RunFile, TapeRow } from './runfolder.js';

/** summary.json's scorecard when it has the scorecard's shape (the file is input: checked, not trusted). */
function scorecardOfSummary(summary: Record<string, unknown> | null): Scorecard | null {
  const c = summary?.scorecard as Partial<Scorecard> | undefined;
  if (!c || typeof c !== 'object' || !Array.isArray(c.adverseSelection) || typeof c.queueAheadAtFill !== 'object' || c.queueAheadAtFill === null) return null;
  return c as Scorecard;
}

export const REPORT_MAX_CHART_POINTS = 2000;
export const REPORT_MAX_FILL_MARKERS = 5000;
export const DEFAULT_MARKOUT_HORIZONS_S = [1, 10, 60];

/** Upper bounds (µs) of the latency buckets used when health lines carry no histogram. */
const LATENCY_BUCKETS_US = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 50_000];
/** Upper bounds (ms) for the tape's latency_ms histogram. */
const TAPE_LATENCY_BUCKETS_MS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000];

export interface Attribution {
  spreadCaptured: number;
  inventoryDrift: number;
  fees: number;
  gross: number;
  net: number;
  /** Fills with no mid on the path at or before them: their edge is left inside drift. */
  fillsWithoutMid: number;
}

export interface MarketView {
  ticker: string;
  fills: number;
  buys: number;
  sells: number;
  contractsTraded: number;
  attribution: Attribution;
  /** Final realized + unrealized as the tape reported it, dollars. */
  tapePnl: number | null;
  finalInventory: number | null;
  /** Price chart: x in unix seconds; values in dollars (null = no value at that x). */
  price: {
    x: number[];
    mid: (number | null)[];
    bid: (number | null)[];
    ask: (number | null)[];
    buys: (number | null)[];
    sells: (number | null)[];
  };
  pricePathSource: 'prices.jsonl' | 'tape.csv' | 'none';
}

export interface MarkoutRow {
  horizonS: number;
  fills: number;
  contracts: number;
  vsPriceCents: number | null;
  vsMidCents: number | null;
  bidVsPriceCents: number | null;
  askVsPriceCents: number | null;
  /** Fills too close to the end of the path for this horizon. */
  beyondPath: number;
}

export interface ChurnStats {
  commands: number;
  commandsByKind: Record<string, number>;
  ordersSent: number;
  fills: number;
  cancels: number;
  amends: number;
  rejects: number;
  rejectsByCode: Record<string, number>;
  commandsPerFill: number | null;
  ordersPerFill: number | null;
  cancelsPerFill: number | null;
  amendsPerFill: number | null;
  /** rejects / commands */
  rejectRate: number | null;
}

export interface Histo {
  labels: string[];
  counts: number[];
}

export interface ActorLatency {
  actor: string;
  /** 'latency_hist': summed histograms from health lines; 'p99_samples': one p99 per heartbeat. */
  source: 'latency_hist' | 'p99_samples' | 'none';
  hist: Histo;
  heartbeats: number;
  p50UsMedian: number | null;
  p99UsMax: number | null;
  maxUs: number | null;
  eluMean: number;
  eluMax: number;
  mailboxMax: number;
  msgsIn: number | null;
}

export interface FileNote {
  file: RunFile;
  present: boolean;
  lines: number;
  malformed: number;
  truncated: boolean;
  examples: { line: number; why: string }[];
}

export interface ReportModel {
  title: string;
  /** per event: worst-case loss of the position (report/event-risk.ts; set by generateReport) */
  eventRisk?: import('./event-risk.js').EventRiskRow[];
  runDir: string;
  generatedAtIso: string;
  startIso: string | null;
  endIso: string | null;
  durationS: number | null;
  files: FileNote[];
  /** Human sentences about missing inputs and what they cost the page. */
  notices: string[];
  summary: Array<[string, string]>;
  /** summary.json's strategy scorecard (issue 17), when the run wrote one */
  scorecard: Scorecard | null;
  markets: string[];
  /** x unix seconds; total and per-market equity in dollars (carried forward). */
  equity: { x: number[]; total: (number | null)[]; perMarket: Record<string, (number | null)[]> };
  inventory: { x: number[]; perMarket: Record<string, (number | null)[]> };
  marketViews: MarketView[];
  markouts: MarkoutRow[];
  attribution: Attribution;
  churn: ChurnStats;
  latency: ActorLatency[];
  tapeLatency: (Histo & { n: number; p50Ms: number | null; p99Ms: number | null }) | null;
  /** ELU per actor over time (bucket means), x unix seconds. */
  elu: { x: number[]; perActor: Record<string, (number | null)[]> };
}

const E8 = 100_000_000; // 1e-8 $ per unit of micro x centi

function toDollars8(v: bigint): number {
  return Number(v) / E8;
}

function microToDollars(v: number): number {
  return v / 1_000_000;
}

/** Index of the last element with t <= at, or -1. */
function lastAtOrBefore(times: number[], at: number): number {
  let lo = 0;
  let hi = times.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] <= at) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

interface Path {
  times: number[];
  mids: number[];
  source: 'prices.jsonl' | 'tape.csv' | 'none';
}

function pricePaths(data: RunData, markets: string[]): Map<string, Path> {
  const out = new Map<string, Path>();
  for (const m of markets) out.set(m, { times: [], mids: [], source: 'none' });
  for (const p of data.prices) {
    const path = out.get(p.market);
    if (path === undefined) continue;
    path.times.push(p.tMs);
    path.mids.push(p.midMicro);
    path.source = 'prices.jsonl';
  }
  for (const r of data.tape) {
    const path = out.get(r.ticker);
    if (path === undefined || path.source === 'prices.jsonl' || r.midMicro === null) continue;
    path.times.push(r.tMs);
    path.mids.push(r.midMicro);
    path.source = 'tape.csv';
  }
  return out;
}

function midAt(path: Path, t: number): number | null {
  const i = lastAtOrBefore(path.times, t);
  return i < 0 ? null : path.mids[i];
}

function attributionFor(fills: FillRecord[], path: Path): Attribution {
  let cash = 0n;
  let spread = 0n;
  let fees = 0n;
  let pos = 0;
  let startPos: number | null = null;
  let noMid = 0;
  for (const f of fills) {
    const s = f.side === 'bid' ? 1 : -1;
    if (startPos === null) startPos = f.postPositionCenti === null ? 0 : f.postPositionCenti - s * f.countCenti;
    const q = BigInt(f.countCenti);
    cash -= BigInt(s) * BigInt(f.priceMicro) * q;
    fees += BigInt(f.feeMicro) * 100n; // micro -> 1e-8 units
    const m = midAt(path, f.tMs);
    if (m === null) noMid++;
    else spread += BigInt(s) * BigInt(m - f.priceMicro) * q;
    pos += s * f.countCenti;
  }
  const start = startPos ?? 0;
  const endPos = start + pos;
  const mEnd = path.mids.length > 0 ? path.mids[path.mids.length - 1] : null;
  const mStart = path.mids.length > 0 ? path.mids[0] : null;
  let gross = cash;
  if (mEnd !== null) gross += BigInt(endPos) * BigInt(mEnd);
  if (mStart !== null) gross -= BigInt(start) * BigInt(mStart);
  return {
    spreadCaptured: toDollars8(spread),
    inventoryDrift: toDollars8(gross - spread),
    fees: toDollars8(fees),
    gross: toDollars8(gross),
    net: toDollars8(gross - fees),
    fillsWithoutMid: noMid,
  };
}

function sumAttribution(list: Attribution[]): Attribution {
  const out: Attribution = { spreadCaptured: 0, inventoryDrift: 0, fees: 0, gross: 0, net: 0, fillsWithoutMid: 0 };
  for (const a of list) {
    out.spreadCaptured += a.spreadCaptured;
    out.inventoryDrift += a.inventoryDrift;
    out.fees += a.fees;
    out.gross += a.gross;
    out.net += a.net;
    out.fillsWithoutMid += a.fillsWithoutMid;
  }
  return out;
}

function markouts(fills: FillRecord[], paths: Map<string, Path>, horizonsS: number[]): MarkoutRow[] {
  return horizonsS.map((h) => {
    let vsPrice = 0n;
    let vsMid = 0n;
    let bidSum = 0n;
    let askSum = 0n;
    let q = 0;
    let qBid = 0;
    let qAsk = 0;
    let n = 0;
    let beyond = 0;
    for (const f of fills) {
      const path = paths.get(f.market);
      if (path === undefined || path.times.length === 0) continue;
      const m0 = midAt(path, f.tMs);
      if (m0 === null) continue;
      const at = f.tMs + h * 1000;
      if (at > path.times[path.times.length - 1]) {
        beyond++;
        continue;
      }
      const mh = midAt(path, at)!;
      const s = f.side === 'bid' ? 1n : -1n;
      const cq = BigInt(f.countCenti);
      const mo = s * BigInt(mh - f.priceMicro) * cq;
      vsPrice += mo;
      vsMid += s * BigInt(mh - m0) * cq;
      if (f.side === 'bid') {
        bidSum += mo;
        qBid += f.countCenti;
      } else {
        askSum += mo;
        qAsk += f.countCenti;
      }
      q += f.countCenti;
      n++;
    }
    // (1e-8 $ per contract-centi) / centi -> dollars per contract; x100 -> cents.
    const perContractCents = (sum: bigint, qc: number): number | null => (qc === 0 ? null : (Number(sum) / E8 / (qc / 100)) * 100);
    return {
      horizonS: h,
      fills: n,
      contracts: q / 100,
      vsPriceCents: perContractCents(vsPrice, q),
      vsMidCents: perContractCents(vsMid, q),
      bidVsPriceCents: perContractCents(bidSum, qBid),
      askVsPriceCents: perContractCents(askSum, qAsk),
      beyondPath: beyond,
    };
  });
}

function churn(data: RunData): ChurnStats {
  const j = data.journal;
  const commands = Object.values(j.commandsByKind).reduce((a, b) => a + b, 0);
  const rejects = Object.values(j.rejectsByCode).reduce((a, b) => a + b, 0);
  const ordersSent = j.commandsByKind.PLACE ?? 0;
  const cancels = (j.commandsByKind.CANCEL ?? 0) + (j.commandsByKind.CANCEL_ALL ?? 0);
  const amends = (j.commandsByKind.AMEND ?? 0) + (j.commandsByKind.DECREASE ?? 0);
  const fills = j.fills.length;
  const per = (x: number): number | null => (fills === 0 ? null : x / fills);
  return {
    commands,
    commandsByKind: j.commandsByKind,
    ordersSent,
    fills,
    cancels,
    amends,
    rejects,
    rejectsByCode: j.rejectsByCode,
    commandsPerFill: per(commands),
    ordersPerFill: per(ordersSent),
    cancelsPerFill: per(cancels),
    amendsPerFill: per(amends),
    rejectRate: commands === 0 ? null : rejects / commands,
  };
}

function bucketLabelsUs(bounds: number[]): string[] {
  const fmt = (us: number): string => (us >= 1000 ? `${us / 1000}ms` : `${us}µs`);
  return [...bounds.map((b) => `≤${fmt(b)}`), `>${fmt(bounds[bounds.length - 1])}`];
}

function histogramOf(values: number[], bounds: number[]): number[] {
  const counts = new Array<number>(bounds.length + 1).fill(0);
  for (const v of values) {
    let i = 0;
    while (i < bounds.length && v > bounds[i]) i++;
    counts[i]++;
  }
  return counts;
}

function median(sorted: number[]): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function actorLatency(actor: string, recs: HealthRecord[]): ActorLatency {
  const withHist = recs.filter((r) => r.hist !== null);
  let source: ActorLatency['source'] = 'none';
  let hist: Histo = { labels: [], counts: [] };
  if (withHist.length > 0) {
    // Sum histograms that share the first line's bounds; others are skipped (bounds changed mid-run).
    const bounds = withHist[0].hist!.boundsUs;
    const counts = new Array<number>(bounds.length + 1).fill(0);
    for (const r of withHist) {
      const h = r.hist!;
      if (h.boundsUs.length !== bounds.length || h.boundsUs.some((b, i) => b !== bounds[i])) continue;
      for (let i = 0; i < counts.length; i++) counts[i] += h.counts[i];
    }
    source = 'latency_hist';
    hist = { labels: bucketLabelsUs(bounds), counts };
  } else {
    const p99s = recs.filter((r) => r.handlerP99Ns !== null).map((r) => r.handlerP99Ns! / 1000);
    if (p99s.length > 0) {
      source = 'p99_samples';
      hist = { labels: bucketLabelsUs(LATENCY_BUCKETS_US), counts: histogramOf(p99s, LATENCY_BUCKETS_US) };
    }
  }
  const p50s = recs.filter((r) => r.handlerP50Ns !== null).map((r) => r.handlerP50Ns! / 1000).sort((a, b) => a - b);
  const p99s = recs.filter((r) => r.handlerP99Ns !== null).map((r) => r.handlerP99Ns! / 1000);
  const maxs = recs.filter((r) => r.handlerMaxNs !== null).map((r) => r.handlerMaxNs! / 1000);
  let eluSum = 0;
  let eluMax = 0;
  let mailboxMax = 0;
  let msgsIn: number | null = null;
  for (const r of recs) {
    eluSum += r.elu;
    if (r.elu > eluMax) eluMax = r.elu;
    if (r.mailboxDepth > mailboxMax) mailboxMax = r.mailboxDepth;
    if (r.msgsIn !== null) msgsIn = r.msgsIn;
  }
  return {
    actor,
    source,
    hist,
    heartbeats: recs.length,
    p50UsMedian: median(p50s),
    p99UsMax: p99s.length === 0 ? null : Math.max(...p99s),
    maxUs: maxs.length === 0 ? null : Math.max(...maxs),
    eluMean: recs.length === 0 ? 0 : eluSum / recs.length,
    eluMax,
    mailboxMax,
    msgsIn,
  };
}

/** Time buckets spanning [startMs, endMs] with at most REPORT_MAX_CHART_POINTS points. */
function bucketing(startMs: number, endMs: number): { x: number[]; index: (t: number) => number; size: number } {
  const span = Math.max(1, endMs - startMs);
  const size = Math.max(1000, Math.ceil(span / REPORT_MAX_CHART_POINTS));
  const n = Math.floor(span / size) + 1;
  const x = new Array<number>(n);
  for (let i = 0; i < n; i++) x[i] = (startMs + i * size) / 1000;
  return { x, size, index: (t) => Math.min(n - 1, Math.max(0, Math.floor((t - startMs) / size))) };
}

/** Last value per bucket, carried forward from the first value on (null before it). */
function carried(rows: { tMs: number; v: number }[], b: ReturnType<typeof bucketing>): (number | null)[] {
  const out = new Array<number | null>(b.x.length).fill(null);
  for (const r of rows) out[b.index(r.tMs)] = r.v;
  let last: number | null = null;
  for (let i = 0; i < out.length; i++) {
    if (out[i] === null) out[i] = last;
    else last = out[i];
  }
  return out;
}

function priceChart(
  ticker: string,
  tape: TapeRow[],
  path: Path,
  fills: FillRecord[],
): MarketView['price'] {
  type Ev = { t: number; kind: 0 | 1 | 2; a: number | null; b: number | null };
  const evs: Ev[] = [];
  for (let i = 0; i < path.times.length; i++) evs.push({ t: path.times[i], kind: 0, a: path.mids[i], b: null });
  for (const r of tape) if (r.ticker === ticker) evs.push({ t: r.tMs, kind: 1, a: r.myBidMicro, b: r.myAskMicro });
  const fillStride = Math.max(1, Math.ceil(fills.length / REPORT_MAX_FILL_MARKERS));
  for (let i = 0; i < fills.length; i += fillStride) {
    const f = fills[i];
    evs.push({ t: f.tMs, kind: 2, a: f.side === 'bid' ? f.priceMicro : null, b: f.side === 'ask' ? f.priceMicro : null });
  }
  evs.sort((x, y) => x.t - y.t || x.kind - y.kind);
  const nonFill = evs.length - Math.ceil(fills.length / fillStride);
  const stride = Math.max(1, Math.ceil(nonFill / REPORT_MAX_CHART_POINTS));
  const out: MarketView['price'] = { x: [], mid: [], bid: [], ask: [], buys: [], sells: [] };
  let mid: number | null = null;
  let bid: number | null = null;
  let ask: number | null = null;
  let k = 0;
  for (const e of evs) {
    if (e.kind === 0) mid = e.a;
    else if (e.kind === 1) {
      bid = e.a;
      ask = e.b;
    }
    const isFill = e.kind === 2;
    if (!isFill && k++ % stride !== 0) continue;
    out.x.push(e.t / 1000);
    out.mid.push(mid === null ? null : microToDollars(mid));
    out.bid.push(bid === null ? null : microToDollars(bid));
    out.ask.push(ask === null ? null : microToDollars(ask));
    out.buys.push(isFill && e.a !== null ? microToDollars(e.a) : null);
    out.sells.push(isFill && e.b !== null ? microToDollars(e.b) : null);
  }
  return out;
}

function fmtNum(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(4);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(fmtNum).join(', ');
  if (typeof v === 'object' && v !== null) {
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}=${fmtNum(x)}`)
      .join(' ');
  }
  return JSON.stringify(v) ?? '';
}

export interface AnalyzeOptions {
  markoutHorizonsS?: number[];
  /** Time stamp printed on the page (passed in so analysis stays deterministic). */
  generatedAtMs: number;
  title?: string;
}

export function analyzeRun(data: RunData, opts: AnalyzeOptions): ReportModel {
  const horizons = opts.markoutHorizonsS ?? DEFAULT_MARKOUT_HORIZONS_S;
  const marketSet = new Set<string>();
  for (const r of data.tape) marketSet.add(r.ticker);
  for (const f of data.journal.fills) marketSet.add(f.market);
  for (const p of data.prices) marketSet.add(p.market);
  const markets = [...marketSet].sort();
  const paths = pricePaths(data, markets);

  // Time span over everything timed.
  let startMs = Infinity;
  let endMs = -Infinity;
  const see = (t: number): void => {
    if (t < startMs) startMs = t;
    if (t > endMs) endMs = t;
  };
  if (data.tape.length > 0) {
    see(data.tape[0].tMs);
    see(data.tape[data.tape.length - 1].tMs);
  }
  if (data.prices.length > 0) {
    see(data.prices[0].tMs);
    see(data.prices[data.prices.length - 1].tMs);
  }
  if (data.journal.firstMs !== null) see(data.journal.firstMs);
  if (data.journal.lastMs !== null) see(data.journal.lastMs);
  if (data.health.length > 0) {
    see(data.health[0].tMs);
    see(data.health[data.health.length - 1].tMs);
  }
  const hasSpan = Number.isFinite(startMs);
  const b = bucketing(hasSpan ? startMs : 0, hasSpan ? endMs : 0);

  const fillsBy = new Map<string, FillRecord[]>();
  for (const m of markets) fillsBy.set(m, []);
  for (const f of data.journal.fills) fillsBy.get(f.market)!.push(f);

  const equityPer: Record<string, (number | null)[]> = {};
  const invPer: Record<string, (number | null)[]> = {};
  const marketViews: MarketView[] = [];
  for (const m of markets) {
    const rows = data.tape.filter((r) => r.ticker === m);
    if (rows.length > 0) {
      equityPer[m] = carried(rows.map((r) => ({ tMs: r.tMs, v: microToDollars(r.realizedMicro + r.unrealizedMicro) })), b);
      invPer[m] = carried(rows.map((r) => ({ tMs: r.tMs, v: r.inventoryCenti / 100 })), b);
    } else {
      const fills = fillsBy.get(m)!.filter((f) => f.postPositionCenti !== null);
      if (fills.length > 0) invPer[m] = carried(fills.map((f) => ({ tMs: f.tMs, v: f.postPositionCenti! / 100 })), b);
    }
    const fills = fillsBy.get(m)!;
    const last = rows.length > 0 ? rows[rows.length - 1] : null;
    const path = paths.get(m)!;
    marketViews.push({
      ticker: m,
      fills: fills.length,
      buys: fills.filter((f) => f.side === 'bid').length,
      sells: fills.filter((f) => f.side === 'ask').length,
      contractsTraded: fills.reduce((a, f) => a + f.countCenti, 0) / 100,
      attribution: attributionFor(fills, path),
      tapePnl: last === null ? null : microToDollars(last.realizedMicro + last.unrealizedMicro),
      finalInventory: last === null ? null : last.inventoryCenti / 100,
      price: priceChart(m, data.tape, path, fills),
      pricePathSource: path.source,
    });
  }
  const total: (number | null)[] = b.x.map((_, i) => {
    let s: number | null = null;
    for (const m of Object.keys(equityPer)) {
      const v = equityPer[m][i];
      if (v !== null) s = (s ?? 0) + v;
    }
    return s;
  });

  // ELU per actor: mean per bucket.
  const actors = [...new Set(data.health.map((h) => h.actor))].sort();
  const eluPer: Record<string, (number | null)[]> = {};
  for (const a of actors) {
    const sum = new Array<number>(b.x.length).fill(0);
    const cnt = new Array<number>(b.x.length).fill(0);
    for (const h of data.health) {
      if (h.actor !== a) continue;
      const i = b.index(h.tMs);
      sum[i] += h.elu;
      cnt[i]++;
    }
    eluPer[a] = sum.map((s, i) => (cnt[i] === 0 ? null : s / cnt[i]));
  }

  const lat = data.tape.filter((r) => r.latencyMs !== null).map((r) => r.latencyMs!);
  const latSorted = [...lat].sort((x, y) => x - y);
  const tapeLatency =
    lat.length === 0
      ? null
      : {
          labels: [...TAPE_LATENCY_BUCKETS_MS.map((x) => `≤${x}ms`), `>${TAPE_LATENCY_BUCKETS_MS[TAPE_LATENCY_BUCKETS_MS.length - 1]}ms`],
          counts: histogramOf(lat, TAPE_LATENCY_BUCKETS_MS),
          n: lat.length,
          p50Ms: quantile(latSorted, 0.5),
          p99Ms: quantile(latSorted, 0.99),
        };

  const notices: string[] = [];
  const f = data.files;
  if (!f['tape.csv'].present) notices.push('tape.csv is missing: no equity curve, no quotes on the price path; inventory comes from fills.');
  if (!f['journal.jsonl'].present) notices.push('journal.jsonl is missing: no fills, markouts, P&L attribution, churn or reject statistics.');
  if (!f['health.jsonl'].present) notices.push('health.jsonl is missing: no per-actor latency or load figures.');
  if (!f['summary.json'].present) notices.push('summary.json is missing: the run summary table is empty.');
  if (!f['prices.jsonl'].present) notices.push('prices.jsonl is absent: markouts and the price path use the tape mids.');
  for (const st of Object.values(f)) {
    if (st.malformed > 0) notices.push(`${st.file}: ${st.malformed} malformed line(s) skipped (first at line ${st.examples[0]?.line}: ${st.examples[0]?.why}).`);
    if (st.truncated) notices.push(`${st.file}: read stopped after the line limit; later lines are not in this report.`);
  }

  const byActor = new Map<string, HealthRecord[]>();
  for (const h of data.health) {
    let l = byActor.get(h.actor);
    if (l === undefined) byActor.set(h.actor, (l = []));
    l.push(h);
  }

  return {
    title: opts.title ?? 'KMM run report',
    runDir: data.dir,
    generatedAtIso: new Date(opts.generatedAtMs).toISOString(),
    startIso: hasSpan ? new Date(startMs).toISOString() : null,
    endIso: hasSpan ? new Date(endMs).toISOString() : null,
    durationS: hasSpan ? (endMs - startMs) / 1000 : null,
    files: Object.values(f).map((st) => ({ ...st, examples: st.examples.slice() })),
    notices,
    summary: data.summary === null ? [] : Object.entries(data.summary).filter(([k]) => k !== 'scorecard').map(([k, v]) => [k, fmtNum(v)]),
    scorecard: scorecardOfSummary(data.summary),
    markets,
    equity: { x: b.x, total, perMarket: equityPer },
    inventory: { x: b.x, perMarket: invPer },
    marketViews,
    markouts: markouts(data.journal.fills, paths, horizons),
    attribution: sumAttribution(marketViews.map((v) => v.attribution)),
    churn: churn(data),
    latency: actors.map((a) => actorLatency(a, byActor.get(a)!)),
    tapeLatency,
    elu: { x: b.x, perActor: eluPer },
  };
}
