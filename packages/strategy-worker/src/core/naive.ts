/**
 * NaiveQuoter: the baseline to beat (`kmm_strategy=naive`, issue 17). It wraps the default
 * StrategyCore and keeps all of its decisions except the price: every gate, pause, size, cap,
 * taker and control of the default core goes out unchanged; each target's quotes are replaced
 * by one quote per side at a fixed distance from the book's mid:
 *   bid = the grid price at or below mid - 1c,  ask = the grid price at or above mid + 1c,
 * with the size of the default core's level 0 on that side (a side the default core leaves
 * empty or paused stays empty). So a naive run and a default run differ only in where the quotes
 * sit; exec, risk and the figures are the same code (the comparison is fair).
 *
 * In:  the StrategyCore inputs (the actor calls the same methods). Out: the same Effects, the
 *      targets re-priced. Between the default core's decisions, a change of the mid re-prices
 *      the market's last target at once (a fixed-offset quoter follows the mid).
 * Invariants: pure and deterministic like the core it wraps (no clock, no randomness, no I/O).
 *   A naive quote never crosses the book: mid - 1c < best ask and mid + 1c > best bid whenever
 *   the book has both sides (a one-sided book has no mid: the market's quotes are withdrawn).
 *   Effects returned by a call are reused by the next call (as the core's).
 */
import { kmm, LINEAR_CENT, ONE_CENT, PriceGrid, type PriceBand } from '@kmm/shared';
import type { StrategyParams } from './params.js';
import { StrategyCore, type Effects, type ExternalValue, type StrategyCoreOptions } from './strategy.js';

const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;

/** Distance of each naive quote from the mid (price units: 1c). */
export const NAIVE_OFFSET = ONE_CENT;

/** The methods the strategy actor calls: StrategyCore's, and NaiveQuoter's. */
export type QuotingCore = Pick<
  StrategyCore,
  | 'onBookFeatures'
  | 'onFill'
  | 'onPosition'
  | 'onWorkingOrders'
  | 'onReject'
  | 'onAck'
  | 'onMarketInfo'
  | 'onMarketTrust'
  | 'onConnection'
  | 'onLifecycle'
  | 'onExternalFairValues'
  | 'onControl'
  | 'onTimer'
>;

/** The naive price of one side (0 = none: no two-sided mid, or off the grid). */
export function naivePrice(grid: PriceGrid, side: number, bestBid: number, bestAsk: number): number {
  if (!(bestBid > 0 && bestAsk > 0 && bestAsk > bestBid)) return 0;
  const mid2 = bestBid + bestAsk; // twice the mid: exact in integers
  if (side === BID) {
    const want = (mid2 - 2 * NAIVE_OFFSET) / 2;
    if (want < grid.minPrice) return 0;
    return grid.floor(Math.floor(want));
  }
  const want = (mid2 + 2 * NAIVE_OFFSET) / 2;
  const last = grid.prices[grid.prices.length - 1];
  if (want > last) return 0;
  return grid.ceil(Math.ceil(want));
}

interface NaiveMarket {
  grid: PriceGrid;
  bestBid: number;
  bestAsk: number;
  /** the default core's last target for this market (null: none yet) */
  inner: kmm.v1.ITargetQuotes | null;
  /** key of the last naive target sent ('' = none) */
  sentKey: string;
}

export class NaiveQuoter implements QuotingCore {
  private readonly core: StrategyCore;
  private readonly markets = new Map<string, NaiveMarket>();
  private readonly out: Effects = { targets: [], takers: [], opsEvents: [], journal: [], controls: [] };

  constructor(params: StrategyParams, markets: readonly kmm.v1.IMarketInfo[], opts: StrategyCoreOptions = {}) {
    this.core = new StrategyCore(params, markets, opts);
    for (const m of markets) this.info(m);
  }

  private info(info: kmm.v1.IMarketInfo): void {
    const t = info.market ?? '';
    if (!t) return;
    const m = this.markets.get(t);
    let grid = m?.grid;
    const ranges = info.priceRanges ?? [];
    if (ranges.length > 0 || !grid) {
      const bands: PriceBand[] = ranges.map((r) => ({ startPrice: r.startPrice ?? 0, endPrice: r.endPrice ?? 0, stepPrice: r.stepPrice ?? 0 }));
      try {
        grid = new PriceGrid(bands.length > 0 ? bands : LINEAR_CENT);
      } catch {
        grid = new PriceGrid(LINEAR_CENT); // the core reports the bad price_ranges (market_info_invalid)
      }
    }
    if (m) m.grid = grid;
    else this.markets.set(t, { grid, bestBid: 0, bestAsk: 0, inner: null, sentKey: '' });
  }

  /** The naive version of the default core's target with the market's current book. */
  private naive(m: NaiveMarket, inner: kmm.v1.ITargetQuotes): kmm.v1.ITargetQuotes {
    const levels: kmm.v1.IQuoteLevel[] = [];
    for (const side of [BID, ASK]) {
      if (side === BID ? inner.bidPaused : inner.askPaused) continue;
      let first: kmm.v1.IQuoteLevel | null = null;
      for (const l of inner.levels ?? []) if (l.side === side && Number(l.countCenti ?? 0) > 0 && (first === null || (l.level ?? 0) < (first.level ?? 0))) first = l;
      if (first === null) continue;
      const price = naivePrice(m.grid, side, m.bestBid, m.bestAsk);
      if (price > 0) levels.push({ side, level: 0, price, countCenti: first.countCenti, expectedEdgeBpsMilli: 0 });
    }
    const mid = m.bestBid > 0 && m.bestAsk > 0 ? (m.bestBid + m.bestAsk) / 2 : 0;
    return { ...inner, levels, reason: inner.reason ? `naive:${inner.reason}` : 'naive', fairValue: mid, bestBid: m.bestBid || inner.bestBid, bestAsk: m.bestAsk || inner.bestAsk };
  }

  private static key(t: kmm.v1.ITargetQuotes): string {
    let k = `${t.bidPaused ? 1 : 0}${t.askPaused ? 1 : 0}|${String(t.afterFillSeq ?? 0)}`;
    for (const l of t.levels ?? []) k += `|${l.side}:${l.price}:${String(l.countCenti)}`;
    return k;
  }

  /** The core's effects with its targets re-priced; `repriceMarket`: also re-price that market's last target when the mid moved. */
  private wrap(fx: Effects, repriceMarket = ''): Effects {
    const o = this.out;
    o.targets.length = 0;
    o.takers = fx.takers;
    o.opsEvents = fx.opsEvents;
    o.journal = fx.journal;
    o.controls = fx.controls;
    let coreDecided = false;
    for (const t of fx.targets) {
      const m = this.markets.get(t.market ?? '');
      if (!m) {
        o.targets.push(t);
        continue;
      }
      if (t.market === repriceMarket) coreDecided = true;
      m.inner = t;
      const n = this.naive(m, t);
      m.sentKey = NaiveQuoter.key(n);
      o.targets.push(n);
    }
    if (repriceMarket && !coreDecided) {
      const m = this.markets.get(repriceMarket);
      if (m?.inner) {
        const n = this.naive(m, m.inner);
        const k = NaiveQuoter.key(n);
        if (k !== m.sentKey) {
          m.sentKey = k;
          o.targets.push(n);
        }
      }
    }
    return o;
  }

  onBookFeatures(f: kmm.v1.IBookFeatures, nowMs: number): Effects {
    const m = this.markets.get(f.market ?? '');
    if (m) {
      m.bestBid = f.bestBid ?? 0;
      m.bestAsk = f.bestAsk ?? 0;
    }
    return this.wrap(this.core.onBookFeatures(f, nowMs), m ? (f.market ?? '') : '');
  }
  onFill(x: kmm.v1.IFill, nowMs: number): Effects {
    return this.wrap(this.core.onFill(x, nowMs));
  }
  onPosition(x: kmm.v1.IPosition, nowMs: number): Effects {
    return this.wrap(this.core.onPosition(x, nowMs));
  }
  onWorkingOrders(x: kmm.v1.IWorkingOrders, nowMs: number): Effects {
    return this.wrap(this.core.onWorkingOrders(x, nowMs));
  }
  onReject(x: kmm.v1.IOrderReject, nowMs: number): Effects {
    return this.wrap(this.core.onReject(x, nowMs));
  }
  onAck(x: kmm.v1.IOrderAck, nowMs: number): Effects {
    return this.wrap(this.core.onAck(x, nowMs));
  }
  onMarketInfo(x: kmm.v1.IMarketInfo, nowMs: number): Effects {
    this.info(x);
    return this.wrap(this.core.onMarketInfo(x, nowMs));
  }
  onMarketTrust(x: kmm.v1.IMarketTrust, nowMs: number): Effects {
    return this.wrap(this.core.onMarketTrust(x, nowMs));
  }
  onConnection(x: kmm.v1.IConnectionEvent, nowMs: number): Effects {
    return this.wrap(this.core.onConnection(x, nowMs));
  }
  onLifecycle(x: kmm.v1.ILifecycle, nowMs: number): Effects {
    return this.wrap(this.core.onLifecycle(x, nowMs));
  }
  onExternalFairValues(values: readonly ExternalValue[], nowMs: number): Effects {
    return this.wrap(this.core.onExternalFairValues(values, nowMs));
  }
  onControl(x: kmm.v1.IControl, nowMs: number): Effects {
    return this.wrap(this.core.onControl(x, nowMs));
  }
  onTimer(nowMs: number): Effects {
    return this.wrap(this.core.onTimer(nowMs));
  }
}

/** The quoting core a configuration asks for (kmm_strategy: default | naive). */
export function quotingCoreOf(strategy: unknown, params: StrategyParams, markets: readonly kmm.v1.IMarketInfo[], opts: StrategyCoreOptions = {}): QuotingCore {
  if (strategy === undefined || strategy === 'default') return new StrategyCore(params, markets, opts);
  if (strategy === 'naive') return new NaiveQuoter(params, markets, opts);
  throw new Error(`kmm_strategy must be default or naive, got ${JSON.stringify(strategy)}`);
}
