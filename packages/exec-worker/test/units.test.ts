import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, kmm, PriceGrid, LINEAR_CENT, resolveConfig } from '@kmm/shared';
import {
  TokenBucket, RateLimiter, Breakers, PostOnlyAdaptor, preflight, OrderDiffer, newDecision, Action, OrderStatus,
  execParamsOf, OrderBookkeeping, applyTrade, type WorkingOrder,
} from '../src/index.js';

const grid = new PriceGrid(LINEAR_CENT);
const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;

describe('params', () => {
  it('reads seed keys in seed units; the registry (resolveConfig) rejects bad values by name', () => {
    const p = execParamsOf(resolveConfig({ MM_MIN_REPRICE_INTERVAL_S: 1.5, MM_MAX_ORDER_NOTIONAL_USD: 100, MM_MAX_POS: 7, kmm_rate_tier: 'Premier' }));
    expect(p.minRepriceIntervalMs).toBe(1500);
    expect(p.maxOrderNotionalMoney).toBe(1_000_000);
    expect([p.longCapCenti, p.shortCapCenti]).toEqual([700, 700]); // MM_MAX_POS alone is the cap both ways (issue 15)
    expect(p.tier).toBe('premier');
    // limit 0 (default): sized to risk, kmm_markets 10 x 2 swings x (long cap 7 + short cap 7)
    expect(p.orderGroupContractsLimit).toBe(280);
    expect(execParamsOf(resolveConfig({ kmm_order_group_contracts_limit: 120 })).orderGroupContractsLimit).toBe(120);
    expect(execParamsOf(resolveConfig({ kmm_order_group_enabled: false })).orderGroupContractsLimit).toBe(0);
    expect(() => resolveConfig({ MM_FAILURE_RATE_TRIP: 'lots' })).toThrow(ConfigError);
    expect(() => resolveConfig({ MM_FAILURE_RATE_TRIP: 'lots' })).toThrow(/MM_FAILURE_RATE_TRIP/);
  });
});

describe('TokenBucket / RateLimiter', () => {
  it('never grants more than capacity + rate x elapsed (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 40 })), { maxLength: 300 }), (steps) => {
        const b = new TokenBucket(80, 80, 0);
        let now = 0;
        let granted = 0;
        for (const [dt, cost] of steps) {
          now += dt;
          if (b.tryTake(cost, now)) granted += cost;
        }
        expect(granted).toBeLessThanOrEqual(80 + (80 * now) / 1000);
      }),
    );
  });
  it('on 429 pauses creates but not cancels, for the pause time', () => {
    const r = new RateLimiter('basic', 1000, 2000, 0);
    r.on429(100);
    expect(r.tryCreate(10, 200)).toBe(false);
    expect(r.tryCancel(2, 200)).toBe(true); // 100 ms of refill at 100/s = 10 tokens
    expect(r.isPaused(2099)).toBe(true);
    expect(r.isPaused(2100)).toBe(false);
  });
  it('a 429 on a cancel holds cancels too, for the pause time (no retry every tick)', () => {
    const r = new RateLimiter('basic', 1000, 2000, 0);
    r.on429(100, true);
    expect(r.tryCancel(2, 200)).toBe(false);
    expect(r.tryCancel(2, 2099)).toBe(false);
    expect(r.cancelWaitMs(2, 200)).toBe(1900);
    expect(r.tryCancel(2, 2100)).toBe(true);
  });
  it('keeps a reserve for cancels', () => {
    const r = new RateLimiter('basic', 1000, 2000, 0);
    let creates = 0;
    while (r.tryCreate(10, 0)) creates++;
    expect(creates * 10).toBeLessThanOrEqual(100 - r.cancelReserve);
    expect(r.tryCancel(2, 0)).toBe(true);
  });
  it('keeps one create for a risk-reducing taker when makers have used the rest', () => {
    const r = new RateLimiter('basic', 1000, 2000, 0);
    expect(r.takerReserve).toBe(10);
    let creates = 0;
    while (r.tryCreate(10, 0)) creates++;
    // basic: 100 tokens, cancel reserve 20, taker reserve 10 -> 7 maker creates, then one taker
    expect(creates).toBe(7);
    expect(r.tryCreate(10, 0, true)).toBe(true);
    expect(r.tryCreate(10, 0, true)).toBe(false); // the cancel reserve is still kept
    expect(r.tryCancel(2, 0)).toBe(true);
  });
});

describe('Breakers', () => {
  const p = { breakerMaxFailures: 5, breakerCooldownMs: 30_000, failureWindowMs: 60_000, failureRateTrip: 0.35, minAttemptsForBreaker: 10 };
  it('trips on consecutive failures and closes after the cooldown', () => {
    const b = new Breakers(p);
    for (let i = 0; i < 4; i++) expect(b.record(false, i)).toBe(null);
    expect(b.record(false, 4)).toBe('consecutive');
    expect(b.isOpen(1000)).toBe(true);
    expect(b.isOpen(30_004)).toBe(false);
  });
  it('trips on the failure rate only after the minimum attempts', () => {
    const b = new Breakers(p);
    // pattern ok, fail, fail: never 5 in a row, rate 2/3
    let trip = null;
    let n = 0;
    for (; n < 30 && !trip; n++) trip = b.record(n % 3 === 0, n * 10);
    expect(trip).toBe('rate');
    expect(n).toBeGreaterThanOrEqual(10);
  });
  it('a success resets the consecutive count', () => {
    const b = new Breakers({ ...p, minAttemptsForBreaker: 1000 });
    for (let i = 0; i < 100; i++) expect(b.record(i % 4 === 3, i)).toBe(null);
  });
});

describe('PostOnlyAdaptor', () => {
  const base = { adaptivePofEnabled: true, postOnlySafetyTicks: 2, pofMaxSafetyTicks: 4, pofBackoffMultiplier: 2, pofStreakResetMs: 45_000, pofCooldownMs: 1000 };
  it('widens per rejection up to the max, backs off the cooldown, resets after quiet', () => {
    const a = new PostOnlyAdaptor(base);
    expect(a.safetyTicks('M', BID, 0)).toBe(2);
    expect(a.onReject('M', BID, 0)).toBe(3);
    expect(a.cooldownUntil('M', BID)).toBe(1000);
    expect(a.onReject('M', BID, 100)).toBe(4);
    expect(a.cooldownUntil('M', BID)).toBe(100 + 2000);
    expect(a.onReject('M', BID, 200)).toBe(4);
    expect(a.cooldownUntil('M', BID)).toBe(200 + 4000);
    expect(a.safetyTicks('M', ASK, 200)).toBe(2);
    expect(a.safetyTicks('M', BID, 200 + 45_000)).toBe(2);
  });
  it('clamps maker prices away from the opposite best', () => {
    const a = new PostOnlyAdaptor(base);
    expect(a.safePrice(grid, 'M', BID, 5000, 4900, 5000, 0)).toBe(4800);
    expect(a.safePrice(grid, 'M', BID, 4700, 4600, 5000, 0)).toBe(4700);
    expect(a.safePrice(grid, 'M', ASK, 4900, 4900, 5000, 0)).toBe(5100);
    expect(a.safePrice(grid, 'M', BID, 100, 0, 100, 0)).toBe(0);
  });
  it('disabled: no widening, no backoff', () => {
    const a = new PostOnlyAdaptor({ ...base, adaptivePofEnabled: false });
    a.onReject('M', BID, 0);
    a.onReject('M', BID, 10);
    expect(a.safetyTicks('M', BID, 10)).toBe(2);
    expect(a.cooldownUntil('M', BID)).toBe(1010);
  });
});

describe('preflight', () => {
  const p = { maxOrderCenti: 1000, maxOrderNotionalMoney: 50 * 10_000, longCapCenti: 500, shortCapCenti: 500, maxPositionNotionalMoney: 1e9 };
  const m = { grid, status: kmm.v1.MarketStatus.MARKET_ACTIVE };
  it('accepts a sane order and rejects each bad field with a typed code', () => {
    expect(preflight(p, m, BID, 4700, 300, 300, 0, false).ok).toBe(true);
    expect(preflight(p, undefined, BID, 4700, 300, 300, 0, false).code).toBe(kmm.v1.RejectCode.PREFLIGHT);
    expect(preflight(p, { ...m, status: kmm.v1.MarketStatus.MARKET_INACTIVE }, BID, 4700, 300, 300, 0, false).code).toBe(kmm.v1.RejectCode.MARKET_INACTIVE);
    expect(preflight(p, m, BID, 4750, 300, 300, 0, false).reason).toMatch(/off_grid/);
    expect(preflight(p, m, BID, 4700, 2000, 2000, 0, false).reason).toMatch(/size_over_cap/);
    expect(preflight(p, m, BID, 4700, 0, 0, 0, false).reason).toMatch(/bad_count/);
  });
  it('applies the 000 position cap with the exchange position per side', () => {
    expect(preflight(p, m, BID, 4700, 100, 100, 500, false).reason).toMatch(/AT_OR_OVER_CAP/);
    expect(preflight(p, m, ASK, 4700, 100, 100, 500, false).ok).toBe(true); // reduces
    expect(preflight(p, m, BID, 4700, 200, 200, 400, false).reason).toMatch(/WOULD_EXCEED_CAP/);
    // reduce-only takers skip the hard block when they reduce (a breached -6 buys back 1)...
    expect(preflight(p, m, BID, 4700, 100, 100, -600, true).ok).toBe(true);
    // ...but not the worst case with our resting same-side orders: gating +5 (e.g. +1 and 4 resting bids) plus 1 more
    expect(preflight(p, m, BID, 4700, 100, 100, 500, true).reason).toMatch(/^TAKER_WOULD_EXCEED_CAP/); // reduce-only taker
  });
  it("judges a long exposure by the long cap and a short one by the short cap", () => {
    const sides = { ...p, longCapCenti: 300, shortCapCenti: 800 };
    expect(preflight(sides, m, BID, 4700, 100, 100, 300, false).reason).toMatch(/AT_OR_OVER_CAP .*max=3\)/);
    expect(preflight(sides, m, BID, 4700, 200, 200, 200, false).reason).toMatch(/WOULD_EXCEED_CAP .*max=3\)/);
    expect(preflight(sides, m, ASK, 4700, 500, 500, -300, false).ok).toBe(true); // short 8 is within the short cap
    expect(preflight(sides, m, ASK, 4700, 100, 100, -800, false).reason).toMatch(/AT_OR_OVER_CAP .*max=8\)/);
    // a sell from long 2 to short 6: judged by the short cap it ends in (6 <= 8), not the long one
    expect(preflight(sides, m, ASK, 4700, 800, 800, 200, false).ok).toBe(true);
    expect(preflight(sides, m, ASK, 4700, 1000, 1000, 100, false).reason).toMatch(/WOULD_EXCEED_CAP .*max=8\)/);
    // a zero long cap: the long side only ever reduces
    expect(preflight({ ...sides, longCapCenti: 0 }, m, BID, 4700, 100, 100, 0, false).reason).toMatch(/AT_OR_OVER_CAP/);
  });
  it('caps notional using the leg price (an ask risks 1 - p)', () => {
    // 900 centi x $0.95 = $8.55 ok; ask at 0.05 risks 0.95 too
    const small = { ...p, longCapCenti: 100_000, shortCapCenti: 100_000, maxOrderNotionalMoney: 8 * 10_000 };
    expect(preflight(small, m, BID, 9500, 900, 900, 0, false).reason).toBe('order_notional_over_cap');
    expect(preflight(small, m, ASK, 500, 900, 900, 0, false).reason).toBe('order_notional_over_cap');
    expect(preflight(small, m, ASK, 9500, 900, 900, 0, false).ok).toBe(true);
  });
});

function wo(over: Partial<WorkingOrder> = {}): WorkingOrder {
  return {
    clientOrderId: 'c', orderId: 'o', market: 'M', side: BID, level: 0, taker: false, postOnly: true, price: 5000, totalCenti: 500, filledCenti: 0,
    status: OrderStatus.RESTING, pendingKind: 0, pendingCmdId: 0, pendingSinceMs: 0, pendingPrice: 0, pendingTotalCenti: 0, placedAtMs: 0,
    lastChangeMs: 0, doneAtMs: 0, edgeBpsMilli: 0, adopted: false, wantCancel: false, lastSkipPrice: 0, fillsBookedCenti: 0, renewAtMs: 0, ...over,
  };
}

describe('OrderDiffer', () => {
  const dp = { minRepriceTicks: 2, minRepriceMoveTicks: 2, minRepriceEdgeDeltaBpsMilli: 500, minRepriceIntervalMs: 500, repriceTolerancePermille: 0, maxOrderAgeMs: 300_000 };
  const d = newDecision();
  const differ = new OrderDiffer(dp);
  it('places, cancels, skips small moves, decreases size, amends big moves', () => {
    expect(differ.decide(null, { price: 5000, countCenti: 500, edgeBpsMilli: 0 }, BID, grid, 0, 10_000, d).action).toBe(Action.PLACE);
    expect(differ.decide(wo(), { price: 0, countCenti: 0, edgeBpsMilli: 0 }, BID, grid, 0, 10_000, d).action).toBe(Action.CANCEL);
    expect(differ.decide(wo(), { price: 5100, countCenti: 500, edgeBpsMilli: 0 }, BID, grid, 0, 10_000, d)).toMatchObject({ action: Action.SKIP, reason: 'min_reprice_ticks' });
    expect(differ.decide(wo(), { price: 5000, countCenti: 300, edgeBpsMilli: 0 }, BID, grid, 0, 10_000, d)).toMatchObject({ action: Action.DECREASE, countCenti: 300 });
    expect(differ.decide(wo(), { price: 5200, countCenti: 500, edgeBpsMilli: 0 }, BID, grid, 0, 10_000, d)).toMatchObject({ action: Action.AMEND, price: 5200, countCenti: 500 });
  });
  it('size change always reprices (000), amend count is filled + desired', () => {
    expect(differ.decide(wo({ filledCenti: 200 }), { price: 5100, countCenti: 500, edgeBpsMilli: 0 }, BID, grid, 0, 10_000, d)).toMatchObject({ action: Action.AMEND, countCenti: 700, reason: 'size_changed' });
  });
  it('the interval gate defers any move, towards the touch or protective; MM_QUOTE_REFRESH_MS is strategy\'s (an urgent target goes at once)', () => {
    expect(differ.decide(wo({ lastChangeMs: 9800 }), { price: 5300, countCenti: 500, edgeBpsMilli: 0 }, BID, grid, 0, 10_000, d)).toMatchObject({ action: Action.WAIT, retryAtMs: 10_300, reason: 'min_reprice_interval' });
    expect(differ.decide(wo({ lastChangeMs: 9000 }), { price: 5300, countCenti: 500, edgeBpsMilli: 0 }, BID, grid, 0, 10_000, d)).toMatchObject({ action: Action.AMEND, reason: 'reprice' });
    expect(differ.decide(wo({ lastChangeMs: 9800 }), { price: 4700, countCenti: 500, edgeBpsMilli: 0 }, BID, grid, 0, 10_000, d)).toMatchObject({ action: Action.WAIT, retryAtMs: 10_300 });
    expect(differ.decide(wo({ lastChangeMs: 9000 }), { price: 4700, countCenti: 500, edgeBpsMilli: 0 }, BID, grid, 0, 10_000, d).action).toBe(Action.AMEND);
  });
  it('edge and tolerance gates; forced refresh at max age bypasses them', () => {
    expect(differ.decide(wo({ edgeBpsMilli: 1000 }), { price: 5300, countCenti: 500, edgeBpsMilli: 1200 }, BID, grid, 0, 10_000, d).reason).toBe('edge_delta');
    const tol = new OrderDiffer({ ...dp, repriceTolerancePermille: 500 });
    // target 5300 vs fair 6300: offset 1000, move 300 <= 50% x 1000
    expect(tol.decide(wo(), { price: 5300, countCenti: 500, edgeBpsMilli: 0 }, BID, grid, 6300, 10_000, d).reason).toBe('reprice_tolerance');
    expect(differ.decide(wo({ placedAtMs: 0 }), { price: 5100, countCenti: 500, edgeBpsMilli: 0 }, BID, grid, 0, 300_000, d)).toMatchObject({ action: Action.AMEND, forced: true });
  });
  it('max age refreshes an unchanged order (REPLACE); a younger one says when it will be due; 0 = off', () => {
    const same = { price: 5000, countCenti: 500, edgeBpsMilli: 0 };
    expect(differ.decide(wo({ placedAtMs: 1000 }), same, BID, grid, 0, 300_999, d)).toMatchObject({ action: Action.NONE, retryAtMs: 301_000 });
    expect(differ.decide(wo({ placedAtMs: 1000 }), same, BID, grid, 0, 301_000, d)).toMatchObject({ action: Action.REPLACE, forced: true, reason: 'max_order_age' });
    const off = new OrderDiffer({ ...dp, maxOrderAgeMs: 0 });
    expect(off.decide(wo({ placedAtMs: 1000 }), same, BID, grid, 0, 1e9, d)).toMatchObject({ action: Action.NONE, retryAtMs: 0 });
  });
  it('never acts on an order with something in flight (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99 }), fc.integer({ min: 0, max: 5000 }), fc.constantFrom(1, 2, 3, 4), (c, n, k) => {
        const r = differ.decide(wo({ pendingKind: k as 1 | 2 | 3 | 4 }), { price: c * 100, countCenti: n, edgeBpsMilli: 0 }, BID, grid, 0, 1e9, d);
        expect(r.action).toBe(Action.WAIT);
      }),
    );
  });
});

describe('OrderBookkeeping', () => {
  it('dedups fills by trade id and nets positions across sides', () => {
    const bk = new OrderBookkeeping(3, 1000);
    expect(bk.applyFill({ tradeId: 't1', market: 'M', side: BID, yesPrice: 4000, countCenti: 300 }, false, 0)).toBe(true);
    expect(bk.applyFill({ tradeId: 't1', market: 'M', side: BID, yesPrice: 4000, countCenti: 300 }, false, 0)).toBe(false);
    expect(bk.applyFill({ tradeId: 't2', market: 'M', side: ASK, yesPrice: 4500, countCenti: 100 }, false, 0)).toBe(true);
    const p = bk.position('M');
    expect(p.positionCenti).toBe(200);
    expect(p.realizedPriceCenti).toBe(500 * 100); // (0.45 - 0.40) x 1 contract
  });
  it('position equals the signed sum of fills (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 1000 })), { maxLength: 60 }), (fills) => {
        const p = { market: 'M', positionCenti: 0, costPriceCenti: 0, realizedPriceCenti: 0, feesMoney: 0, exchangePositionCenti: 0, exchangeKnown: false, lastFillMs: 0 };
        let sum = 0;
        for (const [b, c, n] of fills) {
          applyTrade(p, b ? BID : ASK, c * 100, n, 0);
          sum += b ? n : -n;
          expect(p.costPriceCenti).toBeGreaterThanOrEqual(0);
        }
        expect(p.positionCenti).toBe(sum);
        if (sum === 0) expect(p.costPriceCenti).toBe(0);
      }),
    );
  });
});


describe('one size for a fat finger', () => {
  it("exec's pre-flight cap is fat_finger_max_contracts, the strategy's clip; kmm_max_order_contracts is its alias", () => {
    expect(execParamsOf(resolveConfig({ fat_finger_max_contracts: 7 })).maxOrderCenti).toBe(700);
    expect(execParamsOf(resolveConfig({ kmm_max_order_contracts: 7 })).maxOrderCenti).toBe(700);
    expect(resolveConfig({ kmm_max_order_contracts: 7 }).fat_finger_max_contracts).toBe(7);
  });
});
