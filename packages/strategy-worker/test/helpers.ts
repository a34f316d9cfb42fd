/** Test helpers: market infos, book features and a core that has passed its start-up check. */
import { kmm, resolveConfig } from '@kmm/shared';
import { strategyParamsOf, StrategyCore, type Effects } from '../src/index.js';

export const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
export const HOUR = 3_600_000;

export function marketInfo(market: string, over: Partial<kmm.v1.IMarketInfo> = {}): kmm.v1.IMarketInfo {
  return {
    market,
    eventTicker: 'EV',
    seriesTicker: 'SER',
    status: kmm.v1.MarketStatus.MARKET_ACTIVE,
    priceRanges: [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }],
    openTimeMs: T0 - 24 * HOUR,
    closeTimeMs: T0 + 48 * HOUR,
    feeType: 'quadratic',
    feeMultiplierMilli: 1000,
    volumeDayCenti: 100_000,
    liquidityMoney: 150_000_000, // $15,000
    ...over,
  };
}

export function features(market: string, bestBid: number, bestAsk: number, over: Partial<kmm.v1.IBookFeatures> = {}): kmm.v1.IBookFeatures {
  return {
    market,
    bestBid,
    bestBidCenti: 50_000,
    bestAsk,
    bestAskCenti: 50_000,
    mid: (bestBid + bestAsk) / 2,
    microprice: (bestBid + bestAsk) / 2,
    spread: bestAsk - bestBid,
    spreadEma: bestAsk - bestBid,
    trust: kmm.v1.TrustState.TRUSTED,
    ...over,
  };
}

/** Config that turns every adjustment off except what a test switches on. */
export const NEUTRAL: Record<string, unknown> = {
  MM_MAX_POS: 1000,
  MM_MAX_LONG_POS: 1000,
  MM_MAX_SHORT_POS: 1000,
  MM_MAX_POSITION_SIZE: 1000,
  max_position_size: 1000,
  max_inventory: 1000,
  MM_MAX_POSITION_NOTIONAL_USD: 1_000_000,
  MM_MAX_ORDER_NOTIONAL_USD: 1_000_000,
  MM_SPREAD_MULTIPLIER: 0,
  MM_INVENTORY_SKEW_FACTOR: 0,
  risk_aversion: 0,
  skew_price_adjustment_per_10: 0,
  inventory_spread_multiplier: 1,
  low_liquidity_spread_add: 0,
  time_to_close_urgent_multiplier: 1,
  time_to_close_near_multiplier: 1,
  MM_MIN_OFFSET_BPS: 0,
  MM_MIN_SPREAD_BPS: 0,
  min_liquidity: 0,
  max_time_to_resolution_hours: 0,
  rebalance_threshold: 0,
  fat_finger_max_contracts: 100_000,
  // coherent limits (shared limits.ts): the breach threshold above the caps (fat_finger_max_contracts above is exec's order cap too)
  Q_critical: 1_000_000,
  bailout_max_slippage_cents: 0,
  order_arrival_k: 1000,
  MM_MICRO_VOL_MAX_BPS: 0,
  MM_MICRO_DRIFT_MAX_BPS: 0,
  MM_QUOTE_REFRESH_MS: 0,
  max_quote_age_seconds: 0,
  IMPULSE_CONTROL_ENABLED: false,
  QUEUE_OPTIMIZATION_ENABLED: false,
  kmm_startup_wait_max_ms: 0,
  MM_JOURNAL_REPRICE_DECISIONS: false,
};

/** A core past its start-up check at T0, from NEUTRAL overlaid with `config`; `positions` in contracts are read before the check. */
export function readyCore(config: Record<string, unknown>, markets: kmm.v1.IMarketInfo[], positions: Record<string, number> = {}): StrategyCore {
  return readyCoreAt({ ...NEUTRAL, ...config }, markets, positions);
}

/** As readyCore, but from the registry defaults overlaid with exactly `config` (no NEUTRAL). */
export function readyCoreAt(config: Record<string, unknown>, markets: kmm.v1.IMarketInfo[], positions: Record<string, number> = {}): StrategyCore {
  const core = new StrategyCore(strategyParamsOf(resolveConfig(config)), markets, { startMs: T0 });
  for (const [m, c] of Object.entries(positions)) core.onPosition({ market: m, positionCenti: c * 100, fromExchange: true }, T0);
  // exec has read the exchange (every position sent): the start-up check may run
  core.onControl({ kind: kmm.v1.ControlKind.RECONCILE, reason: 'exec_started' }, T0);
  core.onTimer(T0 + 100_000);
  return core;
}

/** Deep copy of effects (the core reuses its arrays). */
export function snap(fx: Effects): Effects {
  return JSON.parse(JSON.stringify(fx)) as Effects;
}

export function side(t: kmm.v1.ITargetQuotes, s: 'bid' | 'ask'): Array<[number, number]> {
  const want = s === 'bid' ? kmm.v1.BookSide.BID : kmm.v1.BookSide.ASK;
  return (t.levels ?? []).filter((l) => l.side === want).map((l) => [l.price ?? 0, Number(l.countCenti ?? 0)]);
}

/** The step `name` of the journal record (MM_JOURNAL_REPRICE_DECISIONS) of `market` in `fx`. */
export function journalStep(fx: Effects, market: string, name: string): Record<string, unknown> | undefined {
  const rec = fx.journal.find((j) => j.market === market) as { steps?: Array<{ step: string; value: unknown }> } | undefined;
  return rec?.steps?.find((st) => st.step === name)?.value as Record<string, unknown> | undefined;
}
