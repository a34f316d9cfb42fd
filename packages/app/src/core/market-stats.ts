/**
 * Market statistics of a recording (pure): the figures `kmm market-stats` prints and
 * `kmm calibrate` fits a simulator profile to.
 *
 * In:  market events in time order (book snapshots and deltas, public trades, our fills), from
 *      any source: our capture.jsonl, Kalshi's raw websocket session, trade-print CSVs, REST
 *      book snapshots (the reader in market/read.ts turns each into these events).
 * Out: per market and pooled over markets:
 *   - touch size (contracts at the best bid and at the best ask, both sides pooled), sampled
 *     once a second of the market's recorded span (time-weighted): median, p10, p90;
 *   - spread in ticks of 1¢ (best ask - best bid), sampled the same way: median, mean;
 *   - depth within 10 ticks of the touch: contracts per side (median) and the share of those
 *     10 prices that are empty (gaps);
 *   - book deltas per second and public trades per minute over the recorded span;
 *   - trade size (contracts): median, mean;
 *   - realised volatility in cents per sqrt(hour): from the mid sampled each second when the
 *     market has a book, else from trade-to-trade price changes;
 *   - share of price-move variance from moves of 5¢ or more: from trade-to-trade changes when
 *     the market has 2+ trades, else from the mid's changes;
 *   - markouts of our passive fills at 1, 10 and 60 s: (mid then - fill price) in cents, signed
 *     for our side (positive = the market moved our way), weighted by contracts.
 * A figure the recording cannot give is null (no trades recorded, no book, a span of 0).
 *
 * Prices are in 1/10,000 $ (ONE_CENT = 100), sizes in 1/100 contract (centi), times in ms.
 * Deterministic: no clock, no randomness.
 */
import { ONE_CENT, ONE_DOLLAR } from '@kmm/shared';

export type MarketEvent =
  | { kind: 'snapshot'; market: string; tMs: number; yesBids: Array<[number, number]>; noBids: Array<[number, number]> }
  | { kind: 'delta'; market: string; tMs: number; leg: 'yes' | 'no'; price: number; deltaCenti: number }
  | { kind: 'trade'; market: string; tMs: number; yesPrice: number; countCenti: number }
  | { kind: 'fill'; market: string; tMs: number; buy: boolean; yesPrice: number; countCenti: number; isTaker: boolean };

export interface Quantiles {
  median: number;
  p10: number;
  p90: number;
}

export interface Markout {
  horizonS: number;
  /** contract-weighted mean markout in cents (positive: the mid moved our way) */
  cents: number;
  /** fills that had a mid at this horizon */
  fills: number;
}

export interface MarketStats {
  market: string;
  /** seconds from the market's first event to the recording's last */
  spanS: number;
  touchSizeContracts: Quantiles | null;
  spreadTicks: { median: number; mean: number } | null;
  /** share of samples at each spread (ticks, ascending) */
  spreadShares: Array<{ ticks: number; share: number }>;
  depth10Contracts: number | null;
  gapShare10: number | null;
  deltasPerS: number | null;
  tradesPerMin: number | null;
  trades: number;
  tradeSizeContracts: { median: number; mean: number; p99: number } | null;
  /** trades by New York hour (UTC-5, no daylight saving), 24 counts */
  tradesByNyHour: number[];
  /**
   * trades in the last 24 h of each market's span over its average per 24 h (markets recorded
   * for at least 2 days): the activity ramp before close when a recording runs to the close
   */
  lastDayRateRatio: number | null;
  volCentsPerSqrtHour: number | null;
  volSource: 'mid' | 'trades' | null;
  varShareGe5c: number | null;
  varShareSource: 'trades' | 'mid' | null;
  markouts: Markout[];
  passiveFills: number;
  /**
   * Clustering of trades: a burst is a run of trades less than BURST_GAP_S apart. Per hour of
   * the trade-recorded span: bursts and isolated trades; per burst: trades and the mean gap.
   */
  tradeClusters: { burstsPerHour: number; isolatedPerHour: number; tradesPerBurst: number; burstGapS: number } | null;
  /** price moves of 5c or more (trade to trade, else mid changes) per hour, and their median size in cents */
  bigMoves: { perHour: number; medianCents: number } | null;
}

/** trades closer than this belong to one burst */
export const BURST_GAP_S = 60;

export interface StatsOptions {
  /** whether the recording could contain public trades at all (else trade figures are null) */
  tradesRecorded: boolean;
  /** whether it could contain book updates (else book figures are null) */
  bookDeltasRecorded: boolean;
  sampleMs?: number;
  markoutHorizonsS?: number[];
  /** end of the recording (default: the last event's time) */
  endMs?: number;
  /** each market's span ends at its own last event (trade prints, one-off snapshots) */
  perMarketEnd?: boolean;
}

export interface CaptureStats {
  markets: MarketStats[];
  /** pooled over all markets (samples and counts summed) */
  pooled: MarketStats;
}

export const DEFAULT_MARKOUT_HORIZONS_S = [1, 10, 60];
const TICK = ONE_CENT;
const BIG_MOVE = 5 * ONE_CENT;
const DEPTH_TICKS = 10;

/** Quantile q in [0, 1] of sorted values, linear between ranks. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Raw accumulations of one market; pooled stats add several of these up. */
interface Acc {
  market: string;
  firstMs: number;
  spanMs: number;
  touchSamples: number[];
  spreadSamples: number[];
  depthSamples: number[];
  gapSamples: number[];
  deltas: number;
  hasBook: boolean;
  tradeSizes: number[];
  tradeTimes: number[];
  tradeMoves: number[];
  midSampleMoves: number[];
  midEventMoves: number[];
  markoutSum: number[];
  markoutWeight: number[];
  markoutFills: number[];
  passiveFills: number;
  tradesRecorded: boolean;
  deltasRecorded: boolean;
}

class MarketState {
  readonly yes = new Map<number, number>();
  readonly no = new Map<number, number>();
  booked = false;
  lastMs = 0;
  nextSampleMs = 0;
  lastSampleMid: number | null = null;
  lastEventMid: number | null = null;
  lastTradePrice: number | null = null;
  /** mid after each book change: times and mids, for markouts */
  readonly midT: number[] = [];
  readonly midV: number[] = [];
  readonly fills: Array<{ tMs: number; buy: boolean; price: number; countCenti: number }> = [];
  readonly acc: Acc;

  constructor(market: string, firstMs: number, horizons: number, opts: StatsOptions) {
    this.acc = {
      market,
      tradesRecorded: opts.tradesRecorded,
      deltasRecorded: opts.bookDeltasRecorded,
      firstMs,
      spanMs: 0,
      touchSamples: [],
      spreadSamples: [],
      depthSamples: [],
      gapSamples: [],
      deltas: 0,
      hasBook: false,
      tradeSizes: [],
      tradeTimes: [],
      tradeMoves: [],
      midSampleMoves: [],
      midEventMoves: [],
      markoutSum: new Array(horizons).fill(0),
      markoutWeight: new Array(horizons).fill(0),
      markoutFills: new Array(horizons).fill(0),
      passiveFills: 0,
    };
  }

  bestBid(): number {
    let b = -1;
    for (const p of this.yes.keys()) if (p > b) b = p;
    return b;
  }
  /** best YES ask = $1 - best NO bid; -1 when there is none */
  bestAsk(): number {
    let b = -1;
    for (const p of this.no.keys()) if (p > b) b = p;
    return b < 0 ? -1 : ONE_DOLLAR - b;
  }
  mid(): number | null {
    const b = this.bestBid();
    const a = this.bestAsk();
    return b >= 0 && a >= 0 ? (a + b) / 2 : null;
  }

  sample(): void {
    if (!this.booked) return;
    const b = this.bestBid();
    const a = this.bestAsk();
    const acc = this.acc;
    if (b >= 0) {
      acc.touchSamples.push(this.yes.get(b)! / 100);
      this.depthOf(this.yes, b, -1);
    }
    if (a >= 0) {
      acc.touchSamples.push(this.no.get(ONE_DOLLAR - a)! / 100);
      this.depthOf(this.no, ONE_DOLLAR - a, -1);
    }
    if (a >= 0 && b >= 0) {
      acc.spreadSamples.push((a - b) / TICK);
      const m = (a + b) / 2;
      if (this.lastSampleMid !== null) acc.midSampleMoves.push(m - this.lastSampleMid);
      this.lastSampleMid = m;
    }
  }

  /** contracts and empty prices within DEPTH_TICKS of a side's best (leg prices go down from it) */
  private depthOf(side: Map<number, number>, best: number, dir: number): void {
    let contracts = 0;
    let empty = 0;
    for (let k = 0; k < DEPTH_TICKS; k++) {
      const s = side.get(best + dir * k * TICK);
      if (s === undefined) empty++;
      else contracts += s / 100;
    }
    this.acc.depthSamples.push(contracts);
    this.acc.gapSamples.push(empty / DEPTH_TICKS);
  }

  noteMid(tMs: number): void {
    const m = this.mid();
    if (m === null) return;
    if (this.lastEventMid !== null && m !== this.lastEventMid) this.acc.midEventMoves.push(m - this.lastEventMid);
    this.lastEventMid = m;
    this.midT.push(tMs);
    this.midV.push(m);
  }

  /** the mid in force at tMs (last change at or before it), or null */
  midAt(tMs: number): number | null {
    let lo = 0;
    let hi = this.midT.length - 1;
    let found = -1;
    while (lo <= hi) {
      const m = (lo + hi) >> 1;
      if (this.midT[m] <= tMs) ((found = m), (lo = m + 1));
      else hi = m - 1;
    }
    return found < 0 ? null : this.midV[found];
  }
}

function applyLevel(side: Map<number, number>, price: number, deltaCenti: number): void {
  const v = (side.get(price) ?? 0) + deltaCenti;
  if (v > 0) side.set(price, v);
  else side.delete(price);
}

/** Statistics of a recording's events (in time order; out-of-order times are clamped forward). */
export function computeMarketStats(events: readonly MarketEvent[], opts: StatsOptions): CaptureStats {
  return computeStatsOfRecordings([{ events, opts }]);
}

/**
 * Statistics of several recordings: each one's markets on their own (a market's span ends with
 * its recording, or with its own last event when `perMarketEnd`), pooled over all of them.
 */
export function computeStatsOfRecordings(recs: ReadonlyArray<{ events: readonly MarketEvent[]; opts: StatsOptions }>): CaptureStats {
  const horizons = recs[0]?.opts.markoutHorizonsS ?? DEFAULT_MARKOUT_HORIZONS_S;
  const accs = recs.flatMap((r) => accumulate(r.events, r.opts, horizons));
  accs.sort((a, b) => (a.market < b.market ? -1 : a.market > b.market ? 1 : 0));
  return { markets: accs.map((a) => finish([a], a.market, horizons)), pooled: finish(accs, 'all', horizons) };
}

function accumulate(events: readonly MarketEvent[], opts: StatsOptions, horizons: readonly number[]): Acc[] {
  const sampleMs = opts.sampleMs ?? 1000;
  const states = new Map<string, MarketState>();
  let nowMs = events.length > 0 ? events[0].tMs : 0;
  const advance = (st: MarketState, toMs: number) => {
    while (st.booked && st.nextSampleMs <= toMs) {
      st.sample();
      st.nextSampleMs += sampleMs;
    }
  };
  for (const e of events) {
    nowMs = Math.max(nowMs, e.tMs);
    let st = states.get(e.market);
    if (!st) states.set(e.market, (st = new MarketState(e.market, nowMs, horizons.length, opts)));
    st.lastMs = nowMs;
    // the book as it was up to just before this event
    advance(st, nowMs - 1);
    switch (e.kind) {
      case 'snapshot':
        st.yes.clear();
        st.no.clear();
        for (const [p, c] of e.yesBids) if (c > 0) st.yes.set(p, c);
        for (const [p, c] of e.noBids) if (c > 0) st.no.set(p, c);
        if (!st.booked) st.nextSampleMs = nowMs;
        st.booked = true;
        st.acc.hasBook = true;
        st.noteMid(nowMs);
        break;
      case 'delta':
        st.acc.deltas++;
        if (!st.booked) break;
        applyLevel(e.leg === 'yes' ? st.yes : st.no, e.price, e.deltaCenti);
        st.noteMid(nowMs);
        break;
      case 'trade':
        st.acc.tradeSizes.push(e.countCenti / 100);
        st.acc.tradeTimes.push(nowMs);
        if (st.lastTradePrice !== null) st.acc.tradeMoves.push(e.yesPrice - st.lastTradePrice);
        st.lastTradePrice = e.yesPrice;
        break;
      case 'fill':
        if (!e.isTaker) {
          st.acc.passiveFills++;
          st.fills.push({ tMs: nowMs, buy: e.buy, price: e.yesPrice, countCenti: e.countCenti });
        }
        break;
    }
  }
  const recordingEndMs = Math.max(nowMs, opts.endMs ?? nowMs);
  const accs: Acc[] = [];
  for (const st of states.values()) {
    const endMs = opts.perMarketEnd ? st.lastMs : recordingEndMs;
    advance(st, endMs);
    // a book seen at a single instant (a REST snapshot) still gives one sample
    if (st.booked && st.acc.touchSamples.length === 0) st.sample();
    st.acc.spanMs = endMs - st.acc.firstMs;
    for (const f of st.fills) {
      horizons.forEach((h, i) => {
        const t = f.tMs + h * 1000;
        if (t > endMs) return;
        const m = st.midAt(t);
        if (m === null) return;
        const w = f.countCenti / 100;
        st.acc.markoutSum[i] += (((m - f.price) * (f.buy ? 1 : -1)) / ONE_CENT) * w;
        st.acc.markoutWeight[i] += w;
        st.acc.markoutFills[i]++;
      });
    }
    accs.push(st.acc);
  }
  return accs;
}

/** Sum of squares of moves, and of those of at least BIG_MOVE. */
function varianceSplit(moves: readonly number[]): { total: number; big: number } {
  let total = 0;
  let big = 0;
  for (const m of moves) {
    const v = m * m;
    total += v;
    if (Math.abs(m) >= BIG_MOVE) big += v;
  }
  return { total, big };
}

function finish(accs: readonly Acc[], market: string, horizons: readonly number[]): MarketStats {
  const cat = (f: (a: Acc) => number[]) => accs.flatMap(f).sort((x, y) => x - y);
  const touch = cat((a) => a.touchSamples);
  const spread = cat((a) => a.spreadSamples);
  const depth = cat((a) => a.depthSamples);
  const gaps = cat((a) => a.gapSamples);
  const sizes = cat((a) => a.tradeSizes);
  const spanOf = (f: (a: Acc) => boolean) => accs.reduce((s, a) => s + (f(a) ? a.spanMs : 0), 0) / 1000;
  const spanS = spanOf(() => true);
  const deltaSpanS = spanOf((a) => a.deltasRecorded && a.hasBook);
  const deltas = accs.reduce((s, a) => s + (a.deltasRecorded && a.hasBook ? a.deltas : 0), 0);
  const tradeSpanS = spanOf((a) => a.tradesRecorded);
  const trades = sizes.length;

  // volatility: mid samples where there is a book, else trade prices
  let vol: number | null = null;
  let volSource: MarketStats['volSource'] = null;
  const midMoves = accs.flatMap((a) => a.midSampleMoves);
  const tradeMoves = accs.flatMap((a) => a.tradeMoves);
  const midSpanS = spanOf((a) => a.midSampleMoves.length > 0);
  const tradeMoveSpanS = spanOf((a) => a.tradeMoves.length > 0);
  if (midSpanS > 0) {
    vol = Math.sqrt(varianceSplit(midMoves).total / (midSpanS / 3600)) / ONE_CENT;
    volSource = 'mid';
  } else if (tradeMoveSpanS > 0) {
    vol = Math.sqrt(varianceSplit(tradeMoves).total / (tradeMoveSpanS / 3600)) / ONE_CENT;
    volSource = 'trades';
  }
  let share: number | null = null;
  let shareSource: MarketStats['varShareSource'] = null;
  const tv = varianceSplit(tradeMoves);
  const mv = varianceSplit(accs.flatMap((a) => a.midEventMoves));
  if (tv.total > 0) ((share = tv.big / tv.total), (shareSource = 'trades'));
  else if (mv.total > 0) ((share = mv.big / mv.total), (shareSource = 'mid'));

  // bursts of trades, per market (a burst never spans two markets)
  let bursts = 0;
  let isolated = 0;
  let burstTrades = 0;
  let burstGapSumMs = 0;
  let burstGaps = 0;
  for (const a of accs) {
    let run = 1;
    const close = () => {
      if (run === 1) isolated++;
      else ((bursts++), (burstTrades += run));
    };
    for (let i = 1; i < a.tradeTimes.length; i++) {
      const gap = a.tradeTimes[i] - a.tradeTimes[i - 1];
      if (gap < BURST_GAP_S * 1000) ((run++), (burstGapSumMs += gap), burstGaps++);
      else (close(), (run = 1));
    }
    if (a.tradeTimes.length > 0) close();
  }
  const tradeClusters =
    tradeSpanS > 0 && trades > 0
      ? { burstsPerHour: bursts / (tradeSpanS / 3600), isolatedPerHour: isolated / (tradeSpanS / 3600), tradesPerBurst: bursts ? burstTrades / bursts : 0, burstGapS: burstGaps ? burstGapSumMs / burstGaps / 1000 : 0 }
      : null;
  const bigOf = (moves: number[]) => moves.filter((m) => Math.abs(m) >= BIG_MOVE).map((m) => Math.abs(m) / ONE_CENT).sort((x, y) => x - y);
  let bigMoves: MarketStats['bigMoves'] = null;
  if (shareSource === 'trades' && tradeMoveSpanS > 0) {
    const b = bigOf(tradeMoves);
    bigMoves = { perHour: b.length / (tradeMoveSpanS / 3600), medianCents: b.length ? quantile(b, 0.5) : 0 };
  } else if (shareSource === 'mid' && deltaSpanS > 0) {
    const b = bigOf(accs.flatMap((a) => a.midEventMoves));
    bigMoves = { perHour: b.length / (deltaSpanS / 3600), medianCents: b.length ? quantile(b, 0.5) : 0 };
  }
  const tradesByNyHour = new Array(24).fill(0);
  let lastDayTrades = 0;
  let lastDayMarkets = 0;
  let lastDayAll = 0;
  let lastDaySpanDays = 0;
  for (const a of accs) {
    for (const t of a.tradeTimes) tradesByNyHour[(((Math.floor(t / 3_600_000) - 5) % 24) + 24) % 24]++;
    const n = a.tradeTimes.length;
    if (n === 0) continue;
    const spanMs = a.tradeTimes[n - 1] - a.tradeTimes[0];
    if (spanMs < 2 * 86_400_000) continue;
    lastDayMarkets++;
    lastDayAll += n;
    lastDaySpanDays += spanMs / 86_400_000;
    for (const t of a.tradeTimes) if (t > a.tradeTimes[n - 1] - 86_400_000) lastDayTrades++;
  }
  const spreadShares: MarketStats['spreadShares'] = [];
  for (const t of spread) {
    const last = spreadShares[spreadShares.length - 1];
    if (last && last.ticks === t) last.share++;
    else spreadShares.push({ ticks: t, share: 1 });
  }
  for (const x of spreadShares) x.share /= spread.length;

  const markouts: Markout[] = [];
  horizons.forEach((h, i) => {
    const w = accs.reduce((s, a) => s + a.markoutWeight[i], 0);
    const n = accs.reduce((s, a) => s + a.markoutFills[i], 0);
    if (w > 0) markouts.push({ horizonS: h, cents: accs.reduce((s, a) => s + a.markoutSum[i], 0) / w, fills: n });
  });

  return {
    market,
    spanS,
    touchSizeContracts: touch.length ? { median: quantile(touch, 0.5), p10: quantile(touch, 0.1), p90: quantile(touch, 0.9) } : null,
    spreadTicks: spread.length ? { median: quantile(spread, 0.5), mean: mean(spread) } : null,
    spreadShares,
    depth10Contracts: depth.length ? quantile(depth, 0.5) : null,
    gapShare10: gaps.length ? mean(gaps) : null,
    deltasPerS: deltaSpanS > 0 ? deltas / deltaSpanS : null,
    tradesPerMin: tradeSpanS > 0 ? trades / (tradeSpanS / 60) : null,
    trades,
    tradeSizeContracts: sizes.length ? { median: quantile(sizes, 0.5), mean: mean(sizes), p99: quantile(sizes, 0.99) } : null,
    tradesByNyHour,
    lastDayRateRatio: lastDaySpanDays > 0 && lastDayTrades > 0 ? lastDayTrades / lastDayMarkets / (lastDayAll / lastDaySpanDays) : null,
    volCentsPerSqrtHour: vol,
    volSource,
    varShareGe5c: share,
    varShareSource: shareSource,
    markouts,
    passiveFills: accs.reduce((s, a) => s + a.passiveFills, 0),
    tradeClusters,
    bigMoves,
  };
}

/** The statistics compared by `--compare` and checked by calibration, as (label, value) rows. */
export function statRows(s: MarketStats): Array<[string, number | null]> {
  const rows: Array<[string, number | null]> = [
    ['touch size median (contracts)', s.touchSizeContracts?.median ?? null],
    ['touch size p10 (contracts)', s.touchSizeContracts?.p10 ?? null],
    ['touch size p90 (contracts)', s.touchSizeContracts?.p90 ?? null],
    ['spread median (ticks)', s.spreadTicks?.median ?? null],
    ['spread mean (ticks)', s.spreadTicks?.mean ?? null],
    ['depth within 10 ticks (contracts/side)', s.depth10Contracts],
    ['empty prices within 10 ticks (share)', s.gapShare10],
    ['book deltas per second', s.deltasPerS],
    ['trades per minute', s.tradesPerMin],
    ['trade size median (contracts)', s.tradeSizeContracts?.median ?? null],
    ['trade size mean (contracts)', s.tradeSizeContracts?.mean ?? null],
    [`realised vol (c/sqrt h${s.volSource ? ', ' + s.volSource : ''})`, s.volCentsPerSqrtHour],
    [`variance share of moves >= 5c${s.varShareSource ? ' (' + s.varShareSource + ')' : ''}`, s.varShareGe5c],
  ];
  for (const h of DEFAULT_MARKOUT_HORIZONS_S) rows.push([`passive fill markout ${h} s (c)`, s.markouts.find((m) => m.horizonS === h)?.cents ?? null]);
  return rows;
}
