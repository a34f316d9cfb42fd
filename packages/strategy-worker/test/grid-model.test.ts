/**
 * The grid pricing model (kmm_pricing_model=grid, issue 17): the kappa estimator, the markout
 * floor, the placement rule (join / step inside / behind the touch), the queue_move flag on the
 * target, and the v2 yield that holds instead of churning.
 */
import { describe, expect, it } from 'vitest';
import { kmm, LINEAR_CENT, PriceGrid } from '@kmm/shared';
import { KappaEstimator, PRIOR_WEIGHT_TRADES } from '@kmm/shared';
import { MARKOUT_LOSS_CAP_TICKS, MarkoutEstimator } from '../src/core/intensity.js';
import { asHalfSpreadTicks, computeQuotes, PLACE_BEHIND, PLACE_JOIN, PLACE_STEP_IN, QuoteResult, type PricingParams, type QuoteInputs } from '../src/core/pricing.js';
import { strategyParamsOf } from '../src/index.js';
import { resolveConfig } from '@kmm/shared';
import { features, marketInfo, readyCore, side, snap, T0 } from './helpers.js';

const GRID = { kmm_pricing_model: 'grid', risk_aversion: 0.01, horizon_s: 60, order_arrival_k: 1.5, kmm_ofi_fair_ticks: 0 };

describe('KappaEstimator: lambda(delta) = A exp(-kappa delta) from trades against their distance to the mid', () => {
  it('keeps the prior while every trade is at one distance (no slope to fit)', () => {
    const k = new KappaEstimator(1.5);
    for (let i = 0; i < 50; i++) k.onTrade(0.5, 10, i * 1000, 600, 1.5);
    expect(k.kappaPerTick).toBe(1.5);
  });

  it('recovers kappa from volumes that fall by e^-kappa per tick, shrunk to the prior by the trade count', () => {
    // volume at distance >= delta: 0.5 tick: 1000 + 135 + 18 (all), 1.5: 135 + 18, 2.5: 18 -> ratio e^-2 per tick
    const k = new KappaEstimator(1.5);
    const at = [0.5, 1.5, 2.5];
    const cum = [1, Math.exp(-2), Math.exp(-4)];
    const vol = [cum[0] - cum[1], cum[1] - cum[2], cum[2]].map((v) => v * 10_000);
    let n = 0;
    // same timestamp: no decay, so the fit sees exactly these volumes
    for (let i = 0; i < 3; i++) {
      k.onTrade(at[i], vol[i], 0, 600, 1.5);
      n++;
    }
    const blended = (n * 2 + PRIOR_WEIGHT_TRADES * 1.5) / (n + PRIOR_WEIGHT_TRADES);
    expect(k.kappaPerTick).toBeCloseTo(blended, 2);
    // many more trades with the same shape: the fit dominates the prior
    for (let r = 0; r < 100; r++) for (let i = 0; i < 3; i++) k.onTrade(at[i], vol[i], 0, 600, 1.5);
    expect(k.kappaPerTick).toBeGreaterThan(1.97);
    expect(k.kappaPerTick).toBeLessThan(2.01);
  });

  it('forgets old trades with its window', () => {
    const k = new KappaEstimator(1.5);
    for (let i = 0; i < 30; i++) {
      k.onTrade(0.5, 100, 0, 10, 1.5);
      k.onTrade(1.5, 100, 0, 10, 1.5); // equal volume at both: cumulative 2:1, kappa ln 2 = 0.69
    }
    expect(k.kappaPerTick).toBeCloseTo((60 * Math.LN2 + PRIOR_WEIGHT_TRADES * 1.5) / (60 + PRIOR_WEIGHT_TRADES), 6);
    // an hour later (window 10 s): the old histogram is gone; new steep data wins
    for (let i = 0; i < 30; i++) {
      k.onTrade(0.5, 1000, 3_600_000, 10, 1.5);
      k.onTrade(1.5, 10, 3_600_000, 10, 1.5);
    }
    expect(k.kappaPerTick).toBeGreaterThan(3);
  });
});

describe('MarkoutEstimator: the adverse-selection floor from our own fills', () => {
  it('marks each fill against the mid after the horizon; the EWMA loss floors the half-spread, gains do not', () => {
    const m = new MarkoutEstimator();
    m.onFill(true, 5000, 0, 10_000); // bought at 50c
    expect(m.evaluate(9_999, 4900, 100)).toBe(0);
    expect(m.evaluate(10_000, 4900, 100)).toBe(1); // mid 49c: lost 1c
    expect(m.floorPrice).toBe(100);
    m.onFill(false, 5000, 20_000, 10_000); // sold at 50c, mid then 49c: gained 1c
    m.evaluate(30_000, 4900, 100);
    expect(m.lossPrice).toBeCloseTo(100 + 0.2 * (-100 - 100), 9);
    expect(m.floorPrice).toBe(60);
  });

  it('counts a jump fill at most MARKOUT_LOSS_CAP_TICKS ticks: a 7c news move does not hold the floor at 1.4c', () => {
    const m = new MarkoutEstimator();
    m.onFill(true, 5000, 0, 10_000); // bought at 50c; a jump takes the mid to 43c
    m.evaluate(10_000, 4300, 100);
    expect(m.lossPrice).toBe(MARKOUT_LOSS_CAP_TICKS * 100);
    // on a 0.1c band the cap is 2 of its ticks
    const d = new MarkoutEstimator();
    d.onFill(false, 9800, 0, 10_000);
    d.evaluate(10_000, 9900, 10);
    expect(d.lossPrice).toBe(MARKOUT_LOSS_CAP_TICKS * 10);
  });
});

describe('grid placement on a 1-2c book', () => {
  const p = strategyParamsOf(resolveConfig({ MM_MARKET_PROFILE: 'kalshi', ...GRID, MM_IMBALANCE_PAUSE_THRESHOLD: 0 })) as unknown as PricingParams;
  const grid = new PriceGrid(LINEAR_CENT);
  const run = (f: kmm.v1.IBookFeatures, over: Partial<QuoteInputs> = {}) => {
    const inp: QuoteInputs = {
      grid, f, positionCenti: 0, longCapCenti: 500, shortCapCenti: 500, timeToCloseMs: Infinity, alphaSkewTicks: 0, fundingBps: 0,
      liquidityMoney: 1e9, kappaPerTick: 1.5, adverseFloorPrice: 0, fees: { feeType: 'quadratic', multiplierMilli: 1000 }, ...over,
    };
    const out = new QuoteResult();
    computeQuotes(p, inp, out, null);
    return { bid: out.bidPrices[0], ask: out.askPrices[0], bidPlace: out.bidPlace, askPlace: out.askPlace, half: out.halfSpread };
  };
  const book = (bid: number, ask: number, bidC: number, askC: number, over: Partial<kmm.v1.IBookFeatures> = {}) => {
    const micro = (bid * askC + ask * bidC) / (bidC + askC);
    return features('M', bid, ask, { othersBestBid: bid, othersBestAsk: ask, othersBestBidCenti: bidC, othersBestAskCenti: askC, bestBidCenti: bidC, bestAskCenti: askC, microprice: micro, ...over });
  };

  it('A-S half-spread: 1/kappa as gamma -> 0; the inventory-risk term gamma sigma^2 tau / 2', () => {
    expect(asHalfSpreadTicks(1e-15, 0, 60, 2)).toBeCloseTo(0.5, 9);
    expect(asHalfSpreadTicks(0.01, 1, 60, 1.5)).toBeCloseTo(0.3 + 100 * Math.log1p(0.01 / 1.5), 9);
  });

  it('joins both touches of a balanced 1c book (the A-S quote rounds to the touch: half-spread 0.67 tick < 1)', () => {
    const r = run(book(4900, 5000, 50_000, 50_000));
    expect(r).toMatchObject({ bid: 4900, ask: 5000, bidPlace: PLACE_JOIN, askPlace: PLACE_JOIN });
    expect(r.half).toBeCloseTo(66.5, 0);
  });

  it('stays a tick behind when the required edge is not there: a low kappa (wide A-S spread), a markout floor, a maker fee', () => {
    expect(run(book(4900, 5000, 50_000, 50_000), { kappaPerTick: 0.5 })).toMatchObject({ bid: 4800, ask: 5100, bidPlace: PLACE_BEHIND, askPlace: PLACE_BEHIND });
    expect(run(book(4900, 5000, 50_000, 50_000), { adverseFloorPrice: 80 })).toMatchObject({ bid: 4800, ask: 5100, bidPlace: PLACE_BEHIND, askPlace: PLACE_BEHIND });
    // maker fees on 2 contracts at 50c: 0.0175 x 2 x 0.25 = 0.875c -> 1c per order = 0.5c a contract: exactly the touch's edge
    expect(run(book(4900, 5000, 50_000, 50_000), { fees: { feeType: 'quadratic_with_maker_fees', multiplierMilli: 1000 } })).toMatchObject({ bidPlace: PLACE_JOIN, askPlace: PLACE_JOIN });
    expect(run(book(4900, 5000, 50_000, 50_000), { fees: { feeType: 'quadratic_with_maker_fees', multiplierMilli: 2000 } })).toMatchObject({ bid: 4800, ask: 5100 });
  });

  it('the microprice moves the fair value: a heavy bid side keeps the bid at the touch and sends the ask behind', () => {
    // micro = (4900 x 10,000 + 5000 x 90,000) / 100,000 = 4990
    expect(run(book(4900, 5000, 90_000, 10_000))).toMatchObject({ bid: 4900, ask: 5100, bidPlace: PLACE_JOIN, askPlace: PLACE_BEHIND });
  });

  it('steps one tick inside a 2c book when the queue ahead is long and the full edge is there; joins otherwise', () => {
    // micro 4980: 4900 leaves 80 >= the A-S half-spread 66.5; ahead at 4800: 2,000 contracts > MAX_QUEUE_DEPTH 1,000
    const deep = run(book(4800, 5000, 200_000, 22_222));
    expect(deep).toMatchObject({ bid: 4900, bidPlace: PLACE_STEP_IN });
    const short = run(book(4800, 5000, 50_000, 5_556));
    expect(short).toMatchObject({ bid: 4800, bidPlace: PLACE_JOIN });
    // long queue but long inventory: stepping in would add to it (DESIRED_INVENTORY 0): join
    expect(run(book(4800, 5000, 200_000, 22_222), { positionCenti: 100 })).toMatchObject({ bidPlace: PLACE_JOIN });
    // our own resting order at 4800 with 10 contracts ahead: it is near the front, no step
    expect(run(book(4800, 5000, 200_000, 22_222, { queue: [{ side: kmm.v1.BookSide.BID, price: 4800, aheadCenti: 1000, exchangeAheadCenti: -1 }] }))).toMatchObject({ bid: 4800, bidPlace: PLACE_JOIN });
  });

  it('a bid resting at the touch stays while the touch lacks the edge by less than kmm_touch_hysteresis_ticks (no join/behind flapping)', () => {
    // micro 4910: the join limit is 4910 - (66.5 - 50) = 4893.5 < 4900: a new bid goes behind
    const thin = book(4900, 5000, 10_000, 90_000);
    expect(run(thin)).toMatchObject({ bid: 4800, bidPlace: PLACE_BEHIND });
    // our bid already rests at 4900: 4900 <= 4893.5 + 0.5 tick: it stays at the touch
    const ours = { queue: [{ side: kmm.v1.BookSide.BID, price: 4900, aheadCenti: 500_000, exchangeAheadCenti: -1 }] };
    expect(run(book(4900, 5000, 10_000, 90_000, ours))).toMatchObject({ bid: 4900, bidPlace: PLACE_JOIN });
    // the ask mirrors it: ours resting at 5000 on a heavy bid side (micro 4990) stays
    expect(run(book(4900, 5000, 90_000, 10_000))).toMatchObject({ ask: 5100, askPlace: PLACE_BEHIND });
    expect(run(book(4900, 5000, 90_000, 10_000, { queue: [{ side: kmm.v1.BookSide.ASK, price: 5000, aheadCenti: 500_000, exchangeAheadCenti: -1 }] }))).toMatchObject({ ask: 5000, askPlace: PLACE_JOIN });
    // hysteresis 0: the resting bid moves behind as a new one would
    const p0 = { ...p, kmm_touch_hysteresis_ticks: 0 };
    const out = new QuoteResult();
    computeQuotes(p0, { grid, f: book(4900, 5000, 10_000, 90_000, ours), positionCenti: 0, longCapCenti: 500, shortCapCenti: 500, timeToCloseMs: Infinity, alphaSkewTicks: 0, fundingBps: 0, liquidityMoney: 1e9, kappaPerTick: 1.5, adverseFloorPrice: 0, fees: { feeType: 'quadratic', multiplierMilli: 1000 } }, out, null);
    expect([out.bidPrices[0], out.bidPlace]).toEqual([4800, PLACE_BEHIND]);
    // past the band (a low kappa widens the A-S spread to > 1.5 ticks): the resting bid leaves the touch
    expect(run(book(4900, 5000, 10_000, 90_000, ours), { kappaPerTick: 0.5 })).toMatchObject({ bidPlace: PLACE_BEHIND });
  });

  it('the hysteresis also holds for a quote our last target put at the touch, before the book shows it resting', () => {
    // not resting yet (no queue estimate) but asked for at 4900 / 5000 by the last target: stays
    expect(run(book(4900, 5000, 10_000, 90_000), { lastBidPrice: 4900 })).toMatchObject({ bid: 4900, bidPlace: PLACE_JOIN });
    expect(run(book(4900, 5000, 90_000, 10_000), { lastAskPrice: 5000 })).toMatchObject({ ask: 5000, askPlace: PLACE_JOIN });
    // the last target elsewhere (behind, or the touch has moved): no hysteresis
    expect(run(book(4900, 5000, 10_000, 90_000), { lastBidPrice: 4800 })).toMatchObject({ bid: 4800, bidPlace: PLACE_BEHIND });
    expect(run(book(4900, 5000, 10_000, 90_000), { lastBidPrice: 5000 })).toMatchObject({ bidPlace: PLACE_BEHIND });
  });

  it('never crosses or locks the book: a 1c book has no inside price to step to', () => {
    const r = run(book(4900, 5000, 900_000, 10_000));
    expect(r.bid).toBe(4900);
    expect(r.ask).toBeGreaterThan(4900);
  });
});

describe('grid model through the core: queue_move on the target, the yield that holds', () => {
  const cfg = { MM_MARKET_PROFILE: 'kalshi', ...GRID, QUEUE_OPTIMIZATION_ENABLED: true, kmm_toxic_ofi_contracts: 200, MM_IMBALANCE_PAUSE_THRESHOLD: 0, volume_spike_pause: false };
  const f = (over: Partial<kmm.v1.IBookFeatures> = {}) =>
    features('M', 4900, 5000, { othersBestBid: 4900, othersBestAsk: 5000, othersBestBidCenti: 50_000, othersBestAskCenti: 50_000, bestBidCenti: 50_000, bestAskCenti: 50_000, ...over });

  it('a join is flagged queue_move on the touch level', () => {
    const core = readyCore(cfg, [marketInfo('M')]);
    const t = snap(core.onBookFeatures(f(), T0 + 200_000)).targets[0];
    expect(side(t, 'bid')[0][0]).toBe(4900);
    expect(t.levels?.filter((l) => l.queueMove).map((l) => l.side)).toEqual([kmm.v1.BookSide.BID, kmm.v1.BookSide.ASK]);
  });

  it('yields the front of the bid on selling flow and stays out while it lasts, with no cancel/re-place cycle', () => {
    const core = readyCore(cfg, [marketInfo('M')]);
    let now = T0 + 200_000;
    core.onBookFeatures(f(), now);
    // our bid rests at the front of 4900 and OFI says sellers (-300 contracts): yield
    const front = [{ side: kmm.v1.BookSide.BID, price: 4900, aheadCenti: 0, exchangeAheadCenti: -1 }];
    let t = snap(core.onBookFeatures(f({ ofi: -300, queue: front }), (now += 100))).targets[0];
    expect(t.reason).toContain('bid:queue_yield');
    expect(side(t, 'bid')).toEqual([]);
    // the order is gone (no queue estimate): still toxic (-150 = half the threshold) -> the side stays pulled, nothing new is sent
    for (let i = 0; i < 5; i++) {
      const fx = snap(core.onBookFeatures(f({ ofi: -150 }), (now += 1000)));
      for (const x of fx.targets) expect(side(x, 'bid')).toEqual([]);
    }
    // the flow calms below half the threshold: the bid comes back at the touch
    t = snap(core.onBookFeatures(f({ ofi: -50 }), (now += 1000))).targets[0];
    expect(side(t, 'bid')[0][0]).toBe(4900);
  });

  it('an order alone behind the touch is not at the front: no yield there', () => {
    const core = readyCore({ ...cfg, order_arrival_k: 0.5 }, [marketInfo('M')]); // wide: quotes behind
    const now = T0 + 200_000;
    core.onBookFeatures(f(), now);
    const behind = [{ side: kmm.v1.BookSide.ASK, price: 5100, aheadCenti: 0, exchangeAheadCenti: -1 }];
    const fx = snap(core.onBookFeatures(f({ ofi: 5000, queue: behind }), now + 100));
    for (const x of fx.targets) expect(x.reason).not.toContain('queue_yield');
  });
});
