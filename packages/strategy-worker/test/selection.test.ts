/** selection.ts as a pure function: filters, ranking, held markets, subscription diff, worked by hand. */
import { describe, expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import { isTradable, liquidityMoney, selectMarkets, volume24hCenti, type SelectionMarket, type SelectionParams } from '../src/index.js';
import { features, HOUR, marketInfo, T0 } from './helpers.js';

const ACTIVE = kmm.v1.MarketStatus.MARKET_ACTIVE;

function mk(market: string, over: Partial<Omit<SelectionMarket, 'info'>> & { info?: Partial<kmm.v1.IMarketInfo> } = {}): SelectionMarket {
  const { info: infoOver, ...rest } = over;
  const info = marketInfo(market, infoOver ?? {});
  return {
    market,
    info,
    status: info.status ?? 0,
    closeTimeMs: Number(info.closeTimeMs ?? 0),
    features: null,
    localPosCenti: 0,
    exchPosCenti: 0,
    ...rest,
  };
}

function byTicker(ms: SelectionMarket[]): Map<string, SelectionMarket> {
  return new Map(ms.map((m) => [m.market, m]));
}

// $5,000 minimum liquidity (1/10,000 $ units), 10 contracts of 24h volume, 100 h to resolution, 2 markets
const P: SelectionParams = { maxTimeToResolutionMs: 100 * HOUR, minLiquidityMoney: 50_000_000, minVolumeCenti: 1000, max_markets: 2 };

describe('liquidityMoney / volume24hCenti / isTradable', () => {
  it('liquidity: the larger of the venue figure and the book near the top', () => {
    // book: 10 YES bid @ 0.48 costs $4.80 = 48,000; 10 YES offered @ 0.52 is 10 NO @ 0.48 = 48,000
    // -> 96,000 ($9.60); the venue says 0 -> 96,000; the venue says $15 (150,000) -> 150,000
    const f = features('M', 4800, 5200, { bidsTop: [{ price: 4800, countCenti: 1000 }], asksTop: [{ price: 5200, countCenti: 1000 }] });
    expect(liquidityMoney(marketInfo('M', { liquidityMoney: 0 }), f)).toBe(96_000);
    expect(liquidityMoney(marketInfo('M', { liquidityMoney: 150_000 }), f)).toBe(150_000);
    expect(liquidityMoney(marketInfo('M', { liquidityMoney: 0 }), null)).toBe(0);
  });

  it('volume is the venue 24h volume in centi; tradable = active or never told', () => {
    expect(volume24hCenti(marketInfo('M', { volumeDayCenti: 12_345 }))).toBe(12_345);
    expect(volume24hCenti({ market: 'M' })).toBe(0);
    expect(isTradable(0)).toBe(true);
    expect(isTradable(ACTIVE)).toBe(true);
    expect(isTradable(kmm.v1.MarketStatus.MARKET_CLOSED)).toBe(false);
  });
});

describe('selectMarkets', () => {
  it('worked example: every filter once, ranking with a tie, a held market kept, add/remove diff', () => {
    const markets = byTicker([
      mk('A', { info: { volumeDayCenti: 5000 } }), // eligible, 50 contracts
      mk('B', { info: { volumeDayCenti: 9000 } }), // eligible, ranks first
      mk('C', { info: { volumeDayCenti: 5000 } }), // eligible, ties A, 'A' < 'C' -> third: cut by max_markets 2
      mk('D', { status: kmm.v1.MarketStatus.MARKET_DETERMINED }), // not active
      mk('E', { closeTimeMs: T0 + 200 * HOUR }), // 200 h > 100 h to resolution
      // venue says 0, our book says $4.80 (48,000 < 50,000,000): known thin
      mk('F', { info: { liquidityMoney: 0 }, features: features('F', 4800, 5200, { bidsTop: [{ price: 4800, countCenti: 1000 }], asksTop: [] }) }),
      mk('G', { info: { liquidityMoney: 0, volumeDayCenti: 0 } }), // unknown liquidity passes; volume 0 < 1000: quiet
      mk('H', { closeTimeMs: T0 - 1, localPosCenti: 300 }), // past its close (not active) but held: kept
    ]);
    const sel = selectMarkets(markets, new Set(['A', 'C', 'D']), P, T0);
    expect([...sel.chosen].sort()).toEqual(['A', 'B', 'H']);
    expect(sel.counts).toEqual({ notActive: 2, beyondMaxTimeToResolution: 1, belowMinLiquidity: 1, belowMinVolume: 1, eligible: 3 });
    // map order: B then H are new; C and D are dropped
    expect(sel.added.map((i) => i.market)).toEqual(['B', 'H']);
    expect(sel.removed).toEqual(['C', 'D']);
    expect(sel.limit).toBe(2);
  });

  it('an unknown close time is beyond any max time to resolution; 0 turns the filter off', () => {
    const markets = byTicker([mk('U', { closeTimeMs: 0 })]);
    expect(selectMarkets(markets, new Set(), P, T0).counts.beyondMaxTimeToResolution).toBe(1);
    expect([...selectMarkets(markets, new Set(), { ...P, maxTimeToResolutionMs: 0 }, T0).chosen]).toEqual(['U']);
  });

  it('max_markets is floored; 0 keeps only held markets (exchange position counts too)', () => {
    const markets = byTicker([mk('A'), mk('B'), mk('X', { exchPosCenti: -100 })]);
    expect(selectMarkets(markets, new Set(), { ...P, max_markets: 1.9 }, T0).limit).toBe(1);
    const none = selectMarkets(markets, new Set(['A']), { ...P, max_markets: 0 }, T0);
    expect([...none.chosen]).toEqual(['X']);
    expect(none.added.map((i) => i.market)).toEqual(['X']);
    expect(none.removed).toEqual(['A']);
    expect(none.counts.eligible).toBe(3);
  });

  it('does not touch its inputs; nothing to add or remove when the subscription matches', () => {
    const markets = byTicker([mk('A', { info: { volumeDayCenti: 2000 } }), mk('B', { info: { volumeDayCenti: 3000 } })]);
    const subscribed = new Set(['A', 'B']);
    const sel = selectMarkets(markets, subscribed, P, T0);
    expect(sel.added).toEqual([]);
    expect(sel.removed).toEqual([]);
    expect([...subscribed]).toEqual(['A', 'B']);
    expect([...markets.keys()]).toEqual(['A', 'B']);
  });
});
