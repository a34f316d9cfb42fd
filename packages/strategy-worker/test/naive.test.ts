/** The naive baseline's price (mid -/+ 1c on the grid, never crossing). */
import { describe, expect, it } from 'vitest';
import { kmm, PriceGrid } from '@kmm/shared';
import { naivePrice, quotingCoreOf, NaiveQuoter, StrategyCore } from '../src/core/index.js';
import { strategyParamsOf } from '../src/core/params.js';

const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;
const g = new PriceGrid();

describe('naive baseline', () => {
  it('quotes mid -/+ 1c on the grid, outside the touch on a 1c book, at it on a 2c book', () => {
    expect([naivePrice(g, BID, 5000, 5100), naivePrice(g, ASK, 5000, 5100)]).toEqual([4900, 5200]);
    expect([naivePrice(g, BID, 5000, 5200), naivePrice(g, ASK, 5000, 5200)]).toEqual([5000, 5200]);
    expect([naivePrice(g, BID, 5000, 5300), naivePrice(g, ASK, 5000, 5300)]).toEqual([5000, 5300]);
  });
  it('no price without a two-sided book or off the grid', () => {
    expect(naivePrice(g, BID, 0, 5100)).toBe(0);
    expect(naivePrice(g, ASK, 5100, 5100)).toBe(0);
    expect(naivePrice(g, BID, 100, 200)).toBe(0); // 0.5c is below the grid
    expect(naivePrice(g, ASK, 9800, 9900)).toBe(0);
  });
  it('kmm_strategy picks the core; a bad value is named', () => {
    const p = strategyParamsOf({} as never);
    expect(quotingCoreOf('default', p, [])).toBeInstanceOf(StrategyCore);
    expect(quotingCoreOf('naive', p, [])).toBeInstanceOf(NaiveQuoter);
    expect(() => quotingCoreOf('smart', p, [])).toThrow(/kmm_strategy/);
  });
});
