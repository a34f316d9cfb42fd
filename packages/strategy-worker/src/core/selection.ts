/**
 * Market selection (seed 002 scan_markets): which known markets the strategy quotes.
 *
 * In:  the known markets (status, close time, venue info, last book features, positions), the
 *      markets currently subscribed at ingest, the selection params and the wall time.
 * Out: the chosen set, the markets to add to / remove from the ingest subscription, and how
 *      many markets each filter dropped (for the "selection empty" ops event).
 *
 * Rules, in order: a market must be tradable (status active or not yet told) and not past its
 * close; within max_time_to_resolution_hours of its close (when set); not known to be thinner
 * than min_liquidity (unknown liquidity passes: a market must be subscribed to be measured);
 * at least min_volume_24h. The eligible markets are ranked by 24h volume (ties by ticker) and
 * the first max_markets are chosen. Markets we hold (local or exchange position != 0) are
 * always chosen: they must stay watched to be worked off.
 *
 * Pure: no clock, no mutation of the inputs. `added` / `removed` follow the iteration order of
 * `markets` (a map by ticker).
 */
import { kmm } from '@kmm/shared';
import type { StrategyParams } from './params.js';
import { PRICE_ONE } from './pricing.js';

const CENTI = 100;

/** What selection reads of one market (StrategyCore's per-market state satisfies it). */
export interface SelectionMarket {
  readonly market: string;
  readonly info: kmm.v1.IMarketInfo;
  /** MarketStatus; 0 = never told */
  readonly status: number;
  /** 0 = unknown */
  readonly closeTimeMs: number;
  readonly features: kmm.v1.IBookFeatures | null;
  readonly localPosCenti: number;
  readonly exchPosCenti: number;
}

export type SelectionParams = Pick<StrategyParams, 'maxTimeToResolutionMs' | 'minLiquidityMoney' | 'minVolumeCenti' | 'max_markets'>;

/** How many markets each filter dropped (a market counts under the first filter it fails). */
export interface SelectionCounts {
  notActive: number;
  beyondMaxTimeToResolution: number;
  belowMinLiquidity: number;
  belowMinVolume: number;
  eligible: number;
}

export interface Selection {
  /** markets to quote (eligible top max_markets, plus every held market) */
  chosen: Set<string>;
  /** chosen but not subscribed: their infos, for ADD_MARKETS */
  added: kmm.v1.IMarketInfo[];
  /** subscribed but not chosen */
  removed: string[];
  counts: SelectionCounts;
  /** floor(max_markets) */
  limit: number;
}

/** A market may trade when active, or when its status was never reported. */
export function isTradable(status: number): boolean {
  return status === 0 || status === kmm.v1.MarketStatus.MARKET_ACTIVE;
}

/**
 * The market's liquidity figure (1/10,000 $), what 002's min_liquidity and low_liquidity_threshold
 * compare with: the dollar depth of the book near the touch, i.e. what the contracts resting in the
 * top kmm_features_top_levels levels of each side cost (YES bids at their price, YES asks as NO
 * bids at 1 - price), from the book features. Kalshi's own figure (liquidity_dollars, the value of
 * the resting offers) is deprecated and reads 0; when a venue does report one, the larger wins.
 * Near the touch rather than the whole book: it is the depth a position can be worked off into,
 * and a deep 1c lot (common on Kalshi) says nothing about that. The recorded demo books hold
 * $70k-$270k in their top 5 levels (scenario 1's "$15,000" liquid market clears $10k easily); the
 * simulator's synthetic ladders hold a few hundred dollars, so `kmm demo` on them widens by
 * low_liquidity_spread_add, as 002 says a thin book should.
 */
export function liquidityMoney(info: kmm.v1.IMarketInfo, f: kmm.v1.IBookFeatures | null): number {
  let book = 0;
  if (f) {
    const bids = f.bidsTop;
    const asks = f.asksTop;
    if (bids) for (let i = 0; i < bids.length; i++) book += ((bids[i].price ?? 0) * Number(bids[i].countCenti ?? 0)) / CENTI;
    if (asks) for (let i = 0; i < asks.length; i++) book += ((PRICE_ONE - (asks[i].price ?? 0)) * Number(asks[i].countCenti ?? 0)) / CENTI;
  }
  return Math.max(Number(info.liquidityMoney ?? 0), book);
}

/** 24h volume (centi). */
export function volume24hCenti(info: kmm.v1.IMarketInfo): number {
  return Number(info.volumeDayCenti ?? 0);
}

export function selectMarkets(markets: ReadonlyMap<string, SelectionMarket>, subscribed: ReadonlySet<string>, p: SelectionParams, nowWallMs: number): Selection {
  const counts: SelectionCounts = { notActive: 0, beyondMaxTimeToResolution: 0, belowMinLiquidity: 0, belowMinVolume: 0, eligible: 0 };
  const eligible: SelectionMarket[] = [];
  for (const m of markets.values()) {
    if (!isTradable(m.status) || (m.closeTimeMs > 0 && m.closeTimeMs <= nowWallMs)) {
      counts.notActive++;
      continue;
    }
    if (p.maxTimeToResolutionMs > 0 && (m.closeTimeMs <= 0 || m.closeTimeMs - nowWallMs > p.maxTimeToResolutionMs)) {
      counts.beyondMaxTimeToResolution++;
      continue;
    }
    const liq = liquidityMoney(m.info, m.features);
    if (p.minLiquidityMoney > 0 && liq > 0 && liq < p.minLiquidityMoney) {
      counts.belowMinLiquidity++;
      continue;
    }
    if (p.minVolumeCenti > 0 && volume24hCenti(m.info) < p.minVolumeCenti) {
      counts.belowMinVolume++;
      continue;
    }
    eligible.push(m);
  }
  counts.eligible = eligible.length;
  eligible.sort((a, b) => {
    const va = volume24hCenti(a.info);
    const vb = volume24hCenti(b.info);
    if (va !== vb) return vb - va;
    return a.market < b.market ? -1 : a.market > b.market ? 1 : 0;
  });
  const chosen = new Set<string>();
  const limit = Math.floor(p.max_markets);
  for (let i = 0; i < eligible.length && chosen.size < limit; i++) chosen.add(eligible[i].market);
  const added: kmm.v1.IMarketInfo[] = [];
  const removed: string[] = [];
  for (const m of markets.values()) {
    // never abandon a market we hold: it must stay watched to be worked off
    if (m.localPosCenti !== 0 || m.exchPosCenti !== 0) chosen.add(m.market);
    const want = chosen.has(m.market);
    if (want && !subscribed.has(m.market)) added.push(m.info);
    else if (!want && subscribed.has(m.market)) removed.push(m.market);
  }
  return { chosen, added, removed, counts, limit };
}
