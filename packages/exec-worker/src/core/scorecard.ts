/**
 * The strategy scorecard (issue 17), defined once: how well the quotes earned their spread.
 * Computed from the exec journal (our orders and fills) and the market without us (the other
 * participants' book and the public trades, from the run's capture with our own orders taken
 * out). Live and paper runs (from the run folder) and the backtest feed the same function,
 * `scorecardOf`, with the same two inputs, so their scorecards cannot differ in meaning.
 *
 * Inputs: journal records (each with its wall time `t`), market events (others' level sizes,
 * book resets, public trades) with wall times, the run's figures (FiguresBuilder: net P&L and
 * fees with its marks), and the obligation of two-sided uptime (max spread, min size).
 * The two streams are merged by time; at equal times market events come first.
 *
 * Definitions (s = +1 for a bid fill (we bought YES), -1 for an ask; p = fill price; q = count;
 * m(t) = others' mid at or before t, (best bid + best ask) / 2, none while a side is empty; all
 * per-contract figures are q-weighted means in cents):
 *   netPnlPerContractCents    figures.netPnl / contracts filled (every fill)
 *   feesPerContractCents      figures.feesPaid / contracts filled
 *   spreadCapturedCents       maker fills: s * (m(t) - p): the edge against the mid when filled
 *   adverseSelection[h]       maker fills: s * (m(t) - m(t + h)): the markout loss, > 0 = the mid
 *                             moved against the fill; per side (bid, ask) and both, h = 1/10/60 s;
 *                             fills with no m(t) or with t + h past the end are left out (counted)
 *   fillRate                  contracts of maker fills / contracts of maker orders placed
 *   atTouchPct                share of quoting time (time with an order of ours resting on a side,
 *                             summed over sides and markets) at the touch: our best bid >= others'
 *                             best bid (or others have none); our best ask <= others' best ask
 *   atTouchTightPct           the same on 1-2c books only (others' best ask - best bid <= 2c:
 *                             Kalshi's usual book, where issue 17 asks for at least half)
 *   twoSidedUptimePct         share of market-time (markets x run span) with a resting bid and ask,
 *                             best ask - best bid <= maxSpread, at least minSize at each best price
 *                             (Kalshi's Market Maker Program obligation)
 *   queueAheadAtFill          maker fills: our estimate of the contracts ahead of the order when it
 *                             filled: others' size at its price when it started resting there, less
 *                             public trades at that price on its side since, never above others'
 *                             current size there (cancels ahead); 0 = a fill was due. `actual`:
 *                             the simulator's truth (ScorecardOptions.queueAheadActual, from a run
 *                             folder's sim-queue.jsonl): the contracts ahead of the order at its
 *                             price when the order that filled it arrived, mean over the maker
 *                             fills that have it (`actualFills`); null when none has (a live run:
 *                             Kalshi does not say it)
 *   takerEffectiveSpreadCents taker fills: s * (p - m(t)): paid against the mid (001: target 1c,
 *                             failure 5c); `status` says which it meets
 * Exact integers inside (price units 1e-4 $, centi-contracts); rounding only at the end.
 */
import { kmm } from '@kmm/shared';
import type { JournalRecord } from './journal-record.js';
import type { RunFigures } from './figures.js';
import { JournalOrderKeys } from './journal-order-keys.js';

const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;
const CK = kmm.v1.CommandKind;
const RC = kmm.v1.RejectCode;
const RESTING = kmm.v1.OrderStatus.RESTING;


/** a "1-2c book" (atTouchTightPct): others' best ask - best bid at most this (price units: 2c) */
export const TIGHT_BOOK_PRICE = 200;
export const SCORECARD_HORIZONS_S = [1, 10, 60] as const;
/** 001's effective spread on takers: target and failure (cents per contract). */
export const TAKER_SPREAD_TARGET_CENTS = 1;
export const TAKER_SPREAD_FAILURE_CENTS = 5;

/** The market without us, one change at a time. Prices are YES prices (1e-4 $). */
export type MarketEvent =
  /** others' resting size at one level (absolute, centi-contracts; 0 = empty) */
  | { k: 'level'; tMs: number; market: string; side: number; price: number; sizeCenti: number }
  /** a snapshot begins: every level of the market is empty until set again */
  | { k: 'reset'; tMs: number; market: string }
  /** a public trade; `hitSide`: the book side it executed against (BID when the taker sold YES), 0 unknown */
  | { k: 'trade'; tMs: number; market: string; price: number; countCenti: number; hitSide: number };

export interface ScorecardOptions {
  markets: readonly string[];
  /** two-sided uptime: widest best ask - best bid counted (price units) */
  maxSpreadPrice: number;
  /** two-sided uptime: least size at each best price (centi-contracts) */
  minSizeCenti: number;
  /** start of the run (wall ms); default: the first record's or event's time */
  startMs?: number;
  /** end of the run (wall ms); default: the last record's or event's time */
  endMs?: number;
  /** simulator only: trade id of a maker fill of ours -> contracts (centi) truly ahead of it when its taker arrived */
  queueAheadActual?: ReadonlyMap<string, number>;
  /**
   * seconds of market per second of the run (a time-compressed demo: its speed; default 1): the
   * markout horizons are market time, so h s of market are h / timeScale s of the run's clock
   */
  timeScale?: number;
}

export interface MarkoutRow {
  /** seconds of market time (ScorecardOptions.timeScale) */
  horizonS: number;
  /** cents per contract, > 0 = loss; null with no fill measured */
  bid: number | null;
  ask: number | null;
  all: number | null;
  /** maker fills measured / left out (no mid at the fill or t + h past the end) */
  fills: number;
  leftOut: number;
}

export interface Scorecard {
  fills: number;
  makerFills: number;
  takerFills: number;
  contractsFilled: number;
  netPnlPerContractCents: number | null;
  feesPerContractCents: number | null;
  spreadCapturedCents: number | null;
  adverseSelection: MarkoutRow[];
  /** contracts filled by maker orders / contracts of maker orders placed; null with none placed */
  fillRate: number | null;
  /** percent; null without quoting time */
  atTouchPct: number | null;
  atTouchBidPct: number | null;
  atTouchAskPct: number | null;
  /** percent of quoting time on 1-2c books (others' spread <= TIGHT_BOOK_PRICE); null without such time */
  atTouchTightPct: number | null;
  /** percent of market-time; null without market-time */
  twoSidedUptimePct: number | null;
  twoSidedMaxSpreadCents: number;
  twoSidedMinSize: number;
  queueAheadAtFill: { estimated: number | null; actual: number | null; fills: number; actualFills: number };
  takerEffectiveSpreadCents: number | null;
  takerEffectiveSpreadStatus: 'target' | 'between' | 'failure' | null;
  /** seconds of market per second of the run the markout horizons were measured with (1: real time) */
  timeScale: number;
}

interface OurOrder {
  market: string;
  side: number;
  price: number;
  remainingCenti: number;
  /** estimated others' contracts ahead (centi) */
  aheadCenti: number;
}

interface Mkt {
  /** others' levels: price -> centi, per side */
  bids: Map<number, number>;
  asks: Map<number, number>;
  bestBid: number;
  bestAsk: number;
  dirty: boolean;
  lastMs: number;
  /** mid path: times and 2 x mid (0 = no mid) */
  pathT: number[];
  pathMid2: number[];
  quotingMs: [number, number];
  touchMs: [number, number];
  /** quoting and at-touch time on 1-2c books (both sides summed) */
  tightQuotingMs: number;
  tightTouchMs: number;
  uptimeMs: number;
}

interface FillAt {
  tMs: number;
  market: string;
  s: number;
  price: number;
  q: number;
  taker: boolean;
}

function sideIdx(side: number): 0 | 1 {
  return side === BID ? 0 : 1;
}

class ScorecardBuilder {
  private readonly m = new Map<string, Mkt>();
  private readonly orders = new Map<string, OurOrder>();
  private readonly ids = new JournalOrderKeys();
  private readonly makerKeys = new Set<string>();
  private readonly seenFills = new Set<string>();
  readonly fills: FillAt[] = [];
  makerPlacedCenti = 0;
  queueSumCenti = 0;
  queueFills = 0;
  queueActualSumCenti = 0;
  queueActualFills = 0;
  startMs: number | null;
  lastMs = -Infinity;

  constructor(private readonly o: ScorecardOptions) {
    this.startMs = o.startMs ?? null;
    for (const t of o.markets) this.mkt(t);
  }

  mkt(t: string): Mkt {
    let x = this.m.get(t);
    if (!x) {
      x = { bids: new Map(), asks: new Map(), bestBid: 0, bestAsk: 0, dirty: false, lastMs: this.startMs ?? -Infinity, pathT: [], pathMid2: [], quotingMs: [0, 0], touchMs: [0, 0], tightQuotingMs: 0, tightTouchMs: 0, uptimeMs: 0 };
      this.m.set(t, x);
    }
    return x;
  }

  get markets(): Map<string, Mkt> {
    return this.m;
  }

  private best(x: Mkt): void {
    if (!x.dirty) return;
    let b = 0;
    for (const [p, c] of x.bids) if (c > 0 && p > b) b = p;
    let a = 0;
    for (const [p, c] of x.asks) if (c > 0 && (a === 0 || p < a)) a = p;
    x.bestBid = b;
    x.bestAsk = a;
    x.dirty = false;
  }

  /** our best price and the size there on a side of a market (0, 0 when none) */
  private ours(market: string, side: number): [number, number] {
    let best = 0;
    let size = 0;
    for (const o of this.orders.values()) {
      if (o.market !== market || o.side !== side || o.remainingCenti <= 0) continue;
      const better = best === 0 || (side === BID ? o.price > best : o.price < best);
      if (better) {
        best = o.price;
        size = o.remainingCenti;
      } else if (o.price === best) size += o.remainingCenti;
    }
    return [best, size];
  }

  /** Accrues quoting, at-touch and two-sided time of a market up to tMs with its state so far. */
  accrue(t: string, tMs: number): void {
    const x = this.mkt(t);
    if (this.startMs === null) this.startMs = tMs;
    if (x.lastMs === -Infinity) x.lastMs = this.startMs;
    const dt = tMs - x.lastMs;
    if (dt > 0) {
      this.best(x);
      const [bp, bs] = this.ours(t, BID);
      const [ap, as] = this.ours(t, ASK);
      const tight = x.bestBid > 0 && x.bestAsk > 0 && x.bestAsk - x.bestBid <= TIGHT_BOOK_PRICE;
      if (bp > 0) {
        x.quotingMs[0] += dt;
        const at = x.bestBid === 0 || bp >= x.bestBid;
        if (at) x.touchMs[0] += dt;
        if (tight) {
          x.tightQuotingMs += dt;
          if (at) x.tightTouchMs += dt;
        }
      }
      if (ap > 0) {
        x.quotingMs[1] += dt;
        const at = x.bestAsk === 0 || ap <= x.bestAsk;
        if (at) x.touchMs[1] += dt;
        if (tight) {
          x.tightQuotingMs += dt;
          if (at) x.tightTouchMs += dt;
        }
      }
      if (bp > 0 && ap > 0 && ap - bp <= this.o.maxSpreadPrice && bs >= this.o.minSizeCenti && as >= this.o.minSizeCenti) x.uptimeMs += dt;
      x.lastMs = tMs;
    }
  }

  private othersAt(x: Mkt, side: number, price: number): number {
    return (side === BID ? x.bids : x.asks).get(price) ?? 0;
  }

  private pushMid(x: Mkt, tMs: number): void {
    this.best(x);
    const mid2 = x.bestBid > 0 && x.bestAsk > 0 ? x.bestBid + x.bestAsk : 0;
    const n = x.pathT.length;
    if (n > 0 && x.pathMid2[n - 1] === mid2) return;
    if (n > 0 && x.pathT[n - 1] === tMs) x.pathMid2[n - 1] = mid2;
    else {
      x.pathT.push(tMs);
      x.pathMid2.push(mid2);
    }
  }

  market(e: MarketEvent): void {
    this.time(e.tMs);
    this.accrue(e.market, e.tMs);
    const x = this.mkt(e.market);
    if (e.k === 'reset') {
      x.bids.clear();
      x.asks.clear();
      x.dirty = true;
    } else if (e.k === 'level') {
      const book = e.side === BID ? x.bids : x.asks;
      if (e.sizeCenti > 0) book.set(e.price, e.sizeCenti);
      else book.delete(e.price);
      x.dirty = true;
      // nobody ahead of us beyond what others still have at that price (cancels ahead of us)
      for (const o of this.orders.values()) if (o.market === e.market && o.side === e.side && o.price === e.price && o.aheadCenti > e.sizeCenti) o.aheadCenti = Math.max(0, e.sizeCenti);
    } else {
      for (const o of this.orders.values()) {
        if (o.market !== e.market || o.price !== e.price) continue;
        if (e.hitSide !== 0 && e.hitSide !== o.side) continue;
        o.aheadCenti = Math.max(0, o.aheadCenti - e.countCenti);
      }
    }
    this.pushMid(x, e.tMs);
  }

  private time(tMs: number): void {
    if (this.startMs === null) this.startMs = tMs;
    if (tMs > this.lastMs) this.lastMs = tMs;
  }

  /** Our order `key` rests (or no longer does) with these facts; a new price starts a new queue. */
  private rest(key: string, market: string, side: number, price: number, remainingCenti: number): void {
    const old = this.orders.get(key);
    if (remainingCenti <= 0 || (side !== BID && side !== ASK)) {
      this.orders.delete(key);
      return;
    }
    if (old && old.price === price && old.side === side) {
      old.remainingCenti = remainingCenti;
      return;
    }
    const x = this.mkt(market);
    this.orders.set(key, { market, side, price, remainingCenti, aheadCenti: this.othersAt(x, side, price) });
  }

  journal(rec: JournalRecord, tMs: number): void {
    this.time(tMs);
    switch (rec.k) {
      case 'cmd':
        for (const c of rec.orders ?? []) {
          if ((c.kind ?? 0) === CK.PLACE && !c.taker) {
            this.makerPlacedCenti += Number(c.countCenti ?? 0);
            if (c.clientOrderId) this.makerKeys.add(c.clientOrderId);
          }
        }
        return;
      case 'ack': {
        const market = rec.market ?? '';
        const key = this.ids.keyOf(rec.coid ?? '', rec.oid ?? '');
        if (!key || !market) return;
        this.ids.learn(rec.oid, rec.coid);
        this.accrue(market, tMs);
        const resting = rec.status === RESTING;
        this.rest(key, market, rec.side ?? 0, rec.price ?? 0, resting ? Number(rec.remainingCenti ?? 0) : 0);
        return;
      }
      case 'rej': {
        const key = this.ids.keyOf(rec.coid ?? '', rec.oid ?? '');
        const o = this.orders.get(key);
        if (o && ((rec.kind ?? 0) === CK.PLACE || (rec.code ?? 0) === RC.NOT_FOUND) && !rec.uncertain) {
          this.accrue(o.market, tMs);
          this.orders.delete(key);
        }
        return;
      }
      case 'fill': {
        const id = `${rec.tradeId ?? ''}|${rec.oid ?? ''}|${rec.coid ?? ''}`;
        if (rec.tradeId && this.seenFills.has(id)) return;
        if (rec.tradeId) this.seenFills.add(id);
        const market = rec.market ?? '';
        this.accrue(market, tMs);
        const s = rec.side === BID ? 1 : rec.side === ASK ? -1 : 0;
        if (s === 0) throw new Error(`scorecard: fill ${rec.tradeId} in ${market} has no side`);
        const q = Number(rec.countCenti ?? 0);
        const taker = !!rec.isTaker;
        this.fills.push({ tMs, market, s, price: rec.yesPrice ?? 0, q, taker });
        const key = this.ids.keyOf(rec.coid ?? '', rec.oid ?? '');
        const o = this.orders.get(key);
        if (!taker && o) {
          this.queueSumCenti += o.aheadCenti;
          this.queueFills++;
        }
        const actual = !taker && rec.tradeId ? this.o.queueAheadActual?.get(rec.tradeId) : undefined;
        if (actual !== undefined) {
          this.queueActualSumCenti += actual;
          this.queueActualFills++;
        }
        if (o) {
          o.remainingCenti -= q;
          if (o.remainingCenti <= 0) this.orders.delete(key);
        }
        return;
      }
      default:
        return;
    }
  }
}

/** 2 x mid at or before t (0 = none). */
function mid2At(x: Mkt, t: number): number {
  let lo = 0;
  let hi = x.pathT.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (x.pathT[mid] <= t) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans < 0 ? 0 : x.pathMid2[ans];
}

/** price units x centi per centi -> cents, 2 dp; null when no weight */
function centsPer(sumPriceCenti: number, centi: number): number | null {
  if (centi <= 0) return null;
  return Math.round((sumPriceCenti / centi / 100) * 100) / 100;
}

function pct(a: number, b: number): number | null {
  return b > 0 ? Math.round((a / b) * 1000) / 10 : null;
}

/**
 * The scorecard of a run: its journal and the market without us (both in time order), and its
 * figures (net P&L and fees, from FiguresBuilder with the run's marks).
 */
export function scorecardOf(journal: readonly JournalRecord[], market: readonly MarketEvent[], figures: Pick<RunFigures, 'netPnl' | 'feesPaid'>, o: ScorecardOptions): Scorecard {
  if (!(o.maxSpreadPrice > 0)) throw new Error(`scorecard: maxSpreadPrice must be > 0, got ${o.maxSpreadPrice}`);
  if (!(o.minSizeCenti >= 0)) throw new Error(`scorecard: minSizeCenti must be >= 0, got ${o.minSizeCenti}`);
  const b = new ScorecardBuilder(o);
  let i = 0;
  let j = 0;
  while (i < market.length || j < journal.length) {
    const tm = i < market.length ? market[i].tMs : Infinity;
    const tj = j < journal.length ? (journal[j].t ?? 0) : Infinity;
    if (tm <= tj) b.market(market[i++]);
    else {
      b.journal(journal[j], tj);
      j++;
    }
  }
  const endMs = o.endMs ?? b.lastMs;
  const startMs = b.startMs ?? endMs;
  let quoting = 0;
  let touch = 0;
  const qSide: [number, number] = [0, 0];
  const tSide: [number, number] = [0, 0];
  let uptime = 0;
  let tightQuoting = 0;
  let tightTouch = 0;
  for (const t of b.markets.keys()) {
    b.accrue(t, endMs);
    const x = b.markets.get(t)!;
    tightQuoting += x.tightQuotingMs;
    tightTouch += x.tightTouchMs;
    for (const s of [0, 1] as const) {
      qSide[s] += x.quotingMs[s];
      tSide[s] += x.touchMs[s];
    }
    uptime += x.uptimeMs;
  }
  quoting = qSide[0] + qSide[1];
  touch = tSide[0] + tSide[1];

  let filledCenti = 0;
  let makerCenti = 0;
  let makerFills = 0;
  let takerFills = 0;
  let capturedSum = 0;
  let capturedCenti = 0;
  let takerSum = 0;
  let takerCenti = 0;
  for (const f of b.fills) {
    filledCenti += f.q;
    const x = b.markets.get(f.market)!;
    const m2 = mid2At(x, f.tMs);
    if (f.taker) {
      takerFills++;
      if (m2 > 0) {
        takerSum += f.s * (2 * f.price - m2) * f.q;
        takerCenti += f.q;
      }
    } else {
      makerFills++;
      makerCenti += f.q;
      if (m2 > 0) {
        capturedSum += f.s * (m2 - 2 * f.price) * f.q;
        capturedCenti += f.q;
      }
    }
  }
  const timeScale = o.timeScale ?? 1;
  const adverseSelection: MarkoutRow[] = SCORECARD_HORIZONS_S.map((h) => {
    const sum = [0, 0];
    const w = [0, 0];
    let fills = 0;
    let leftOut = 0;
    for (const f of b.fills) {
      if (f.taker) continue;
      const x = b.markets.get(f.market)!;
      const m0 = mid2At(x, f.tMs);
      const at = f.tMs + (h * 1000) / timeScale;
      const mh = at <= endMs ? mid2At(x, at) : 0;
      if (m0 <= 0 || mh <= 0) {
        leftOut++;
        continue;
      }
      fills++;
      const k = f.s > 0 ? 0 : 1;
      sum[k] += f.s * (m0 - mh) * f.q;
      w[k] += f.q;
    }
    // sums are of 2 x mid: halve them
    return { horizonS: h, bid: centsPer(sum[0] / 2, w[0]), ask: centsPer(sum[1] / 2, w[1]), all: centsPer((sum[0] + sum[1]) / 2, w[0] + w[1]), fills, leftOut };
  });
  const taker = centsPer(takerSum / 2, takerCenti);
  const contracts = filledCenti / 100;
  const perContract = (dollars: number): number | null => (contracts > 0 ? Math.round((dollars * 100 * 100) / contracts) / 100 : null);
  return {
    fills: b.fills.length,
    makerFills,
    takerFills,
    contractsFilled: contracts,
    netPnlPerContractCents: perContract(figures.netPnl),
    feesPerContractCents: perContract(figures.feesPaid),
    spreadCapturedCents: centsPer(capturedSum / 2, capturedCenti),
    adverseSelection,
    fillRate: b.makerPlacedCenti > 0 ? Math.round((makerCenti / b.makerPlacedCenti) * 10_000) / 10_000 : null,
    atTouchPct: pct(touch, quoting),
    atTouchBidPct: pct(tSide[0], qSide[0]),
    atTouchAskPct: pct(tSide[1], qSide[1]),
    atTouchTightPct: pct(tightTouch, tightQuoting),
    twoSidedUptimePct: pct(uptime, Math.max(0, endMs - startMs) * b.markets.size),
    twoSidedMaxSpreadCents: o.maxSpreadPrice / 100,
    twoSidedMinSize: o.minSizeCenti / 100,
    queueAheadAtFill: {
      estimated: b.queueFills > 0 ? Math.round(b.queueSumCenti / b.queueFills) / 100 : null,
      actual: b.queueActualFills > 0 ? Math.round(b.queueActualSumCenti / b.queueActualFills) / 100 : null,
      fills: b.queueFills,
      actualFills: b.queueActualFills,
    },
    takerEffectiveSpreadCents: taker,
    takerEffectiveSpreadStatus: taker === null ? null : taker <= TAKER_SPREAD_TARGET_CENTS ? 'target' : taker >= TAKER_SPREAD_FAILURE_CENTS ? 'failure' : 'between',
    timeScale,
  };
}

/** The scorecard's options from a configuration (kmm_scorecard_max_spread_cents, kmm_scorecard_min_size). */
export function scorecardOptionsOf(config: Readonly<Record<string, unknown>>, markets: readonly string[], startMs?: number, endMs?: number, queueAheadActual?: ReadonlyMap<string, number>, timeScale = 1): ScorecardOptions {
  const spreadCents = Number(config.kmm_scorecard_max_spread_cents ?? 6);
  const minSize = Number(config.kmm_scorecard_min_size ?? 1);
  if (!(timeScale > 0 && Number.isFinite(timeScale))) throw new Error(`scorecard: timeScale must be > 0, got ${timeScale}`);
  return { markets, maxSpreadPrice: Math.round(spreadCents * 100), minSizeCenti: Math.round(minSize * 100), startMs, endMs, timeScale, ...(queueAheadActual ? { queueAheadActual } : {}) };
}
