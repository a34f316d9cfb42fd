/** chooseTaker (taker.ts) and queueOptimise (pricing.ts) as functions, worked by hand. */
import { describe, expect, it } from 'vitest';
import { kmm, PriceGrid, resolveConfig } from '@kmm/shared';
import { chooseTaker, latchMakerCap, sigmaCentsPerSqrtS, strategyParamsOf, queueOptimise, QuoteResult, type BailoutResult, type QueueAction, type QueueParams, type QuoteInputs, type TakerContext, type TakerMarket } from '../src/index.js';
import { features, HOUR, NEUTRAL, T0 } from './helpers.js';

const CENT_GRID = new PriceGrid();
const TR = kmm.v1.TakerReason;

function market(over: Partial<TakerMarket> = {}): TakerMarket {
  return { exchPosCenti: 0, localPosCenti: 0, restingBidCenti: 0, restingAskCenti: 0, closeTimeMs: T0 + 48 * HOUR, alphaRef: 0, alphaFair: 0, fees: { feeType: 'quadratic', multiplierMilli: 1000 }, grid: CENT_GRID, ...over };
}
const idle: TakerContext = { alphaFresh: false, alphaSkewTicks: 0, makerPaused: false };
const bo = (): BailoutResult => ({ sizeCenti: 0, crossCost: 0, qStarContracts: 0, holdCostMoney: 0 });

describe('chooseTaker', () => {
  it('002 forced exit: +15 YES, 2 h to close, force_exit_hours 12 -> sell 15 at the bid, reduce-only (a taker: only with IMPULSE_CONTROL_ENABLED)', () => {
    const p = strategyParamsOf(resolveConfig({ ...NEUTRAL, force_exit_hours: 12, IMPULSE_CONTROL_ENABLED: true }));
    const m = market({ exchPosCenti: 1500, localPosCenti: 1500, closeTimeMs: T0 + 2 * HOUR });
    expect(chooseTaker(p, m, features('M', 5490, 5510), T0, idle, bo())).toEqual({
      side: kmm.v1.BookSide.ASK,
      sizeCenti: 1500,
      reason: TR.FORCED_EXIT,
      reduceOnly: true,
      why: { trigger: 'force_exit_hours', time_to_close_ms: 2 * HOUR, position: 15 },
    });
    // exchange and local positions disagree in sign: nothing is surely ours to reduce
    expect(chooseTaker(p, market({ exchPosCenti: 1500, localPosCenti: -200, closeTimeMs: T0 + 2 * HOUR }), features('M', 5490, 5510), T0, idle, bo())).toBeNull();
    // a crossed or one-sided touch: no taker
    expect(chooseTaker(p, m, features('M', 5510, 5490), T0, idle, bo())).toBeNull();
    expect(chooseTaker(p, m, features('M', 0, 5510), T0, idle, bo())).toBeNull();
    // 001: IMPULSE_CONTROL_ENABLED false disables every taker, the 002 exits included
    expect(chooseTaker(strategyParamsOf(resolveConfig({ ...NEUTRAL, force_exit_hours: 12, rebalance_threshold: 10, IMPULSE_CONTROL_ENABLED: false })), m, features('M', 5490, 5510), T0, idle, bo())).toBeNull();
  });

  it('fractional leftovers are flattened: +0.05 near close sells 0.05; +15.05 sells 15.05; a size capped by fat_finger_max_contracts stays whole', () => {
    const p = strategyParamsOf(resolveConfig({ ...NEUTRAL, force_exit_hours: 12, force_exit_min_inventory: 0, IMPULSE_CONTROL_ENABLED: true }));
    const near = { closeTimeMs: T0 + 2 * HOUR };
    const sell = (q: number, pp = p) => chooseTaker(pp, market({ exchPosCenti: q, localPosCenti: q, ...near }), features('M', 5490, 5510), T0, idle, bo())?.sizeCenti;
    expect(sell(1505)).toBe(1505);
    expect(sell(-5)).toBe(5);
    expect(sell(1505, strategyParamsOf(resolveConfig({ ...NEUTRAL, force_exit_hours: 12, force_exit_min_inventory: 0, fat_finger_max_contracts: 10, IMPULSE_CONTROL_ENABLED: true })))).toBe(1000);
  });

  it('v2 inventory breach: +25 with Q_critical 20, Q_target 10 -> sell 15 (only with IMPULSE_CONTROL_ENABLED)', () => {
    const cfg = { ...NEUTRAL, Q_critical: 20, Q_target: 10, MM_MAX_POS: 20, MM_MAX_LONG_POS: 20, MM_MAX_SHORT_POS: 20 };
    const m = market({ exchPosCenti: 2500, localPosCenti: 2500 });
    const on = chooseTaker(strategyParamsOf(resolveConfig({ ...cfg, IMPULSE_CONTROL_ENABLED: true })), m, features('M', 4900, 5100), T0, idle, bo());
    expect(on).toMatchObject({ side: kmm.v1.BookSide.ASK, sizeCenti: 1500, reason: TR.INVENTORY_BREACH, reduceOnly: true });
    expect(chooseTaker(strategyParamsOf(resolveConfig(cfg)), m, features('M', 4900, 5100), T0, idle, bo())).toBeNull();
  });

  it('arbitrage: oracle 0.60 vs ask 0.51 + spread 0.02 + fee < 0.02/contract beats the 1c minimum -> buy 10, capped by room', () => {
    // Q_critical above the cap so the breach rule (which comes first) stays quiet
    const p = strategyParamsOf(resolveConfig({ ...NEUTRAL, IMPULSE_CONTROL_ENABLED: true, quote_size: 10, Q_critical: 5000, Q_target: 4000 }));
    const fresh: TakerContext = { alphaFresh: true, alphaSkewTicks: 0, makerPaused: false };
    const f = features('M', 4900, 5100);
    expect(chooseTaker(p, market({ alphaFair: 6000 }), f, T0, fresh, bo())).toEqual({
      side: kmm.v1.BookSide.BID,
      sizeCenti: 1000,
      reason: TR.ARBITRAGE,
      reduceOnly: false,
      why: { oracle: 6000, best_bid: 4900, best_ask: 5100 },
    });
    // long cap 1000 contracts, already long 995 with 2 resting bids: room 3 contracts
    expect(chooseTaker(p, market({ alphaFair: 6000, exchPosCenti: 99_500, localPosCenti: 99_500, restingBidCenti: 200 }), f, T0, fresh, bo())?.sizeCenti).toBe(300);
    // risk-increasing: not while makers are paused, not on a stale oracle
    expect(chooseTaker(p, market({ alphaFair: 6000 }), f, T0, { ...fresh, makerPaused: true }, bo())).toBeNull();
    expect(chooseTaker(p, market({ alphaFair: 6000 }), f, T0, { ...fresh, alphaFresh: false }, bo())).toBeNull();
  });
});

describe('queueOptimise', () => {
  // 5 contracts = "front", 1000 contracts = "too deep", OFI 50 = toxic, desired inventory 10
  const QP: QueueParams = { queueFrontCenti: 500, toxicOfiContracts: 50, maxQueueDepthCenti: 100_000, desiredInventoryCenti: 1000 };

  function run(f: kmm.v1.IBookFeatures, positionCenti = 0, alphaSkewTicks = 0) {
    const qr = new QuoteResult();
    qr.bidPrices[0] = 4800;
    qr.askPrices[0] = 5200;
    const inp: QuoteInputs = { grid: CENT_GRID, f, positionCenti, longCapCenti: 0, shortCapCenti: 0, timeToCloseMs: Infinity, alphaSkewTicks, fundingBps: 0, liquidityMoney: 0 };
    const actions: QueueAction[] = [];
    const out = { nBid: -1, nAsk: -1 };
    queueOptimise(QP, inp, qr, 1, 1, actions, out);
    return { bid: qr.bidPrices[0], ask: qr.askPrices[0], actions, ...out };
  }
  const BIDQ = (aheadCenti: number) => ({ side: kmm.v1.BookSide.BID, price: 4800, aheadCenti, exchangeAheadCenti: -1 });
  const ASKQ = (aheadCenti: number) => ({ side: kmm.v1.BookSide.ASK, price: 5200, aheadCenti, exchangeAheadCenti: -1 });

  it('5,000 contracts ahead of our 0.48 bid (touch 0.48 / 0.52): step to 0.49, still below the ask', () => {
    expect(run(features('M', 4800, 5200, { queue: [BIDQ(500_000)] }))).toEqual({ bid: 4900, ask: 5200, actions: ['front_bid'], nBid: 1, nAsk: 1 });
    // long 10 = DESIRED_INVENTORY: buying more is not wanted; alpha -1 tick: against a buy
    expect(run(features('M', 4800, 5200, { queue: [BIDQ(500_000)] }), 1000).actions).toEqual([]);
    expect(run(features('M', 4800, 5200, { queue: [BIDQ(500_000)] }), 0, -1).actions).toEqual([]);
    // one tick inside would reach the ask (touch 0.48 / 0.49): stay
    expect(run(features('M', 4800, 4900, { queue: [BIDQ(500_000)] })).bid).toBe(4800);
  });

  it('at the front of the ask (0 ahead) with OFI +60 (buyers) >= 50: yield the ask side', () => {
    expect(run(features('M', 4800, 5200, { ofi: 60, queue: [ASKQ(0)] }))).toEqual({ bid: 4800, ask: 5200, actions: ['yield_ask'], nBid: 1, nAsk: 0 });
    // OFI +40 < 50: keep; a queue entry at another price than our quote: ignored
    expect(run(features('M', 4800, 5200, { ofi: 40, queue: [ASKQ(0)] })).nAsk).toBe(1);
    expect(run(features('M', 4800, 5200, { ofi: 60, queue: [{ ...ASKQ(0), price: 5300 }] })).actions).toEqual([]);
  });
});

describe('latchMakerCap (bailout maker cap hysteresis)', () => {
  it('falls at once to whole contracts, rises only half a contract past the next whole one', () => {
    expect(latchMakerCap(375, Infinity)).toBe(300); // first value: floor
    expect(latchMakerCap(290, 300)).toBe(200); // falls at once
    expect(latchMakerCap(340, 200)).toBe(200); // 3.4 < 2 + 1.5: stays
    expect(latchMakerCap(350, 200)).toBe(300); // 3.5: rises to floor(3.5 - 0.5) = 3
    expect(latchMakerCap(510, 200)).toBe(400); // a big rise: floor(5.1 - 0.5) = 4
    expect(latchMakerCap(Infinity, 300)).toBe(Infinity); // no threshold (no volatility): no cap
    expect(latchMakerCap(-10, 300)).toBe(0);
  });
});

describe('sigmaCentsPerSqrtS (A-S sigma from the book medium-window vol)', () => {
  it("divides by the window the book says it summed over, so a live window change cannot mis-scale sigma", () => {
    const p = strategyParamsOf(resolveConfig({ MM_VOL_REGIME_MEDIUM_WINDOW_S: 60, volatility_floor: 0 }));
    const mid = 5000;
    // 20 bps over 240 s (the book already on a new window) vs the strategy's own 60 s
    const f = { ...features('M', 4990, 5010), volMediumBps: 20, volMediumWindowS: 240 };
    expect(sigmaCentsPerSqrtS(p, f, mid)).toBeCloseTo((20 * mid) / 10_000 / 100 / Math.sqrt(240), 12);
    // a sender that omits the window: the strategy's configured window
    expect(sigmaCentsPerSqrtS(p, { ...f, volMediumWindowS: 0 }, mid)).toBeCloseTo((20 * mid) / 10_000 / 100 / Math.sqrt(60), 12);
  });
});
