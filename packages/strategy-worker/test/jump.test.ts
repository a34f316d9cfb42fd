/**
 * Jump and schedule protection (issue 17, core/jump.ts): a sweep or a jump of the touch pulls
 * both sides for kmm_sweep_pull_ms before any later book update can re-quote, and the close
 * widens, then stops, the maker.
 */
import { describe, expect, it } from 'vitest';
import { kmm, PriceGrid, resolveConfig } from '@kmm/shared';
import { closePhase, detectSweep, strategyParamsOf, widenSide } from '../src/index.js';
import { features, marketInfo, readyCore, side, snap, T0 } from './helpers.js';

const GRID = new PriceGrid();
/** the recommended settings (the registry default is off: README "Jump and schedule protection") */
const ON = { kmm_sweep_levels: 3, kmm_jump_cents: 3 };
const P = strategyParamsOf(resolveConfig(ON));
const lv = (...prices: number[]): kmm.v1.IPriceLevel[] => prices.map((price) => ({ price, countCenti: 10_000 }));

/** A 48 / 52c book with three levels a side and `trades` public trades so far. */
function book(trades: number, over: Partial<kmm.v1.IBookFeatures> = {}): kmm.v1.IBookFeatures {
  return features('M', 4800, 5200, { bidsTop: lv(4800, 4700, 4600), asksTop: lv(5200, 5300, 5400), tradeCount: trades, lastTradePrice: 5000, ...over });
}

describe('detectSweep', () => {
  it('a buy through three ask levels is a sweep; into the second level it is not', () => {
    expect(detectSweep(book(4), book(5, { lastTradePrice: 5400 }), GRID, P)).toMatchObject({ kind: 'trade_through', bookSide: 'ASK', size: 3, price: 5400, fromPrice: 5200 });
    expect(detectSweep(book(4), book(5, { lastTradePrice: 5300 }), GRID, P)).toBeNull();
    // a sell through the bids
    expect(detectSweep(book(4), book(5, { lastTradePrice: 4600 }), GRID, P)).toMatchObject({ kind: 'trade_through', bookSide: 'BID', size: 3 });
    // the same price without a new trade (trade_count unchanged) is no trade at all
    expect(detectSweep(book(5, { lastTradePrice: 5400 }), book(5, { lastTradePrice: 5400 }), GRID, P)).toBeNull();
  });

  it('counts levels that exist: a gap in the book is not a level', () => {
    const gappy = book(4, { asksTop: lv(5200, 5600) });
    expect(detectSweep(gappy, book(5, { lastTradePrice: 5600, bestAsk: 5700 }), GRID, { ...P, kmm_jump_cents: 0 })).toBeNull();
    expect(detectSweep(gappy, book(5, { lastTradePrice: 5600 }), GRID, { ...P, kmm_sweep_levels: 2 })).toMatchObject({ size: 2 });
  });

  it('the touch moving away by kmm_jump_cents in one update is a jump (cents, whatever the grid); a side emptying is not', () => {
    const milli = new PriceGrid([{ startPrice: 10, endPrice: 9990, stepPrice: 10 }]);
    expect(detectSweep(book(1), book(1, { bestBid: 4770 }), milli, P)).toBeNull();
    expect(detectSweep(book(1), book(1, { bestBid: 4500 }), milli, P)).toMatchObject({ kind: 'touch_jump', size: 3 });
    expect(detectSweep(book(1), book(1, { bestBid: 4500 }), GRID, P)).toMatchObject({ kind: 'touch_jump', bookSide: 'BID', size: 3, price: 4500, fromPrice: 4800 });
    expect(detectSweep(book(1), book(1, { bestAsk: 5500 }), GRID, P)).toMatchObject({ kind: 'touch_jump', bookSide: 'ASK', size: 3 });
    expect(detectSweep(book(1), book(1, { bestBid: 4600 }), GRID, P)).toBeNull();
    expect(detectSweep(book(1), book(1, { bestBid: 0 }), GRID, P)).toBeNull();
    // the others' touch, not ours: our own bid leaving is not a jump
    expect(detectSweep(book(1, { othersBestBid: 4400 }), book(1, { bestBid: 4400, othersBestBid: 4400 }), GRID, P)).toBeNull();
  });

  it('0 turns each rule off', () => {
    const off = { ...P, kmm_sweep_levels: 0, kmm_jump_cents: 0 };
    expect(detectSweep(book(4), book(5, { lastTradePrice: 5400, bestAsk: 5600 }), GRID, off)).toBeNull();
  });
});

describe('closePhase and widenSide', () => {
  it('widen inside kmm_close_widen_s, stop inside kmm_close_stop_s (defaults 600 s and 60 s)', () => {
    expect(strategyParamsOf(resolveConfig({})).kmm_sweep_levels).toBe(0); // the sweep rules are off by default, the close ones on
    const close = T0 + 3_600_000;
    expect(closePhase(close, close - 601_000, P)).toBe('');
    expect(closePhase(close, close - 600_000, P)).toBe('widen');
    expect(closePhase(close, close - 60_000, P)).toBe('stop');
    expect(closePhase(0, T0, P)).toBe('');
  });
  it('moves levels away from the touch and drops what the grid edge would stack', () => {
    const bids = Int32Array.from([4800, 4700]);
    expect(widenSide(GRID, bids, 2, 2, true)).toBe(2);
    expect([...bids]).toEqual([4600, 4500]);
    const asks = Int32Array.from([9800, 9900]);
    expect(widenSide(GRID, asks, 2, 1, false)).toBe(1);
    expect(asks[0]).toBe(9900);
  });
});

describe('the strategy core pulls on a sweep (issue 17)', () => {
  const CFG = { ...ON, MM_JOURNAL_REPRICE_DECISIONS: true, volume_spike_pause: false };

  it('a sweep trade pulls both sides at once; the next book update does not re-quote before kmm_sweep_pull_ms', () => {
    const core = readyCore(CFG, [marketInfo('M')]);
    let now = T0 + 200_000;
    const t0 = snap(core.onBookFeatures(book(4), now)).targets[0];
    expect(side(t0, 'bid').length).toBeGreaterThan(0);
    expect(side(t0, 'ask').length).toBeGreaterThan(0);
    // a taker buys 52, 53 and 54c: the book after it has 55c as its ask
    now += 50;
    const fx = snap(core.onBookFeatures(book(5, { lastTradePrice: 5400, bestAsk: 5500, asksTop: lv(5500) }), now));
    expect(fx.targets).toHaveLength(1);
    expect(fx.targets[0].levels ?? []).toEqual([]);
    expect(fx.targets[0].reason).toBe('sweep_pull');
    expect(fx.opsEvents.find((e) => e.event === 'sweep_pull')?.fields).toMatchObject({ kind: 'trade_through', book_side: 'ASK', levels: 3, price: 5400, pull_ms: 2000 });
    expect(fx.journal[0]).toMatchObject({ target: { reason: 'sweep_pull', levels: [] }, steps: [{ step: 'stop', value: 'sweep_pull' }] });
    // the next public trade, 1.5 s later, finds no quote of ours: the book re-quotes nothing
    now += 1500;
    const mid = snap(core.onBookFeatures(book(6, { lastTradePrice: 5500, bestBid: 5300, bestAsk: 5600, bidsTop: lv(5300), asksTop: lv(5600) }), now));
    expect(mid.targets.flatMap((t) => t.levels ?? [])).toEqual([]);
    // past the pull the market quotes again
    now += 600;
    const after = snap(core.onBookFeatures(book(6, { bestBid: 5300, bestAsk: 5600, bidsTop: lv(5300), asksTop: lv(5600) }), now)).targets[0];
    expect(after.reason).toMatch(/^quote/);
    expect(side(after, 'bid').length).toBeGreaterThan(0);
  });

  it('a jump of the touch pulls too; kmm_sweep_pull_ms 0 turns the pull off', () => {
    const on = readyCore(CFG, [marketInfo('M')]);
    const off = readyCore({ ...CFG, kmm_sweep_pull_ms: 0 }, [marketInfo('M')]);
    for (const core of [on, off]) core.onBookFeatures(book(1), T0 + 200_000);
    const jumped = book(1, { bestBid: 4400, bidsTop: lv(4400) });
    expect(snap(on.onBookFeatures(jumped, T0 + 200_100)).targets[0]?.reason).toBe('sweep_pull');
    const t = snap(off.onBookFeatures(jumped, T0 + 200_100)).targets[0];
    expect(t === undefined || t.reason !== 'sweep_pull').toBe(true);
  });
});

describe('the close (issue 17)', () => {
  it('quotes one tick further out inside kmm_close_widen_s and none inside kmm_close_stop_s', () => {
    const close = T0 + 3_600_000;
    const far = readyCore({}, [marketInfo('M', { closeTimeMs: close + 3_600_000 })]);
    const near = readyCore({}, [marketInfo('M', { closeTimeMs: close })]);
    const at = close - 300_000;
    const normal = snap(far.onBookFeatures(book(1), at)).targets[0];
    const widened = snap(near.onBookFeatures(book(1), at)).targets[0];
    expect(widened.reason).toContain('close_widen:1');
    expect(side(widened, 'bid')[0][0]).toBe(side(normal, 'bid')[0][0] - 100);
    expect(side(widened, 'ask')[0][0]).toBe(side(normal, 'ask')[0][0] + 100);
    expect((widened.levels ?? []).some((l) => l.queueMove)).toBe(false);
    // 30 s before the close: no quotes, at once (the timer decides it without a book update)
    const stopped = snap(near.onTimer(close - 30_000)).targets[0];
    expect(stopped.reason).toBe('close_stop');
    expect(stopped.levels ?? []).toEqual([]);
  });
});

describe('a sweep pull at the cap keeps the reducing side (issue 13)', () => {
  const CFG = { ...ON, MM_JOURNAL_REPRICE_DECISIONS: true, volume_spike_pause: false, MM_MAX_POS: 5, MM_MAX_LONG_POS: 5, MM_MAX_SHORT_POS: 5, quote_size: 2 };
  it('long at the cap, a sweep of the asks: the bid is pulled, the reducing ask stays quoted; flat, both go', () => {
    const capped = readyCore(CFG, [marketInfo('M')]);
    capped.onPosition({ market: 'M', positionCenti: 500, fromExchange: true }, T0 + 150_000);
    const flat = readyCore(CFG, [marketInfo('M')]);
    const before = snap(capped.onBookFeatures(book(4), T0 + 200_000)).targets[0];
    flat.onBookFeatures(book(4), T0 + 200_000);
    const swept = book(5, { lastTradePrice: 5400, bestAsk: 5500, asksTop: lv(5500) });
    const fx = snap(capped.onBookFeatures(swept, T0 + 200_050));
    const t = fx.targets.length > 0 ? fx.targets[0] : before; // unchanged levels need no new target
    expect(side(t, 'bid')).toEqual([]);
    expect(side(t, 'ask').length).toBeGreaterThan(0);
    expect(snap(flat.onBookFeatures(swept, T0 + 200_050)).targets[0].reason).toBe('sweep_pull');
  });
});
