/**
 * The seeds' worked examples: 004 effective skew, 000 cap examples and start-up breach, issue 13's
 * cap and bailout examples. Seeds 002 and 001 are in seeds-002-001.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { kmm, resolveConfig } from '@kmm/shared';
import { inventorySkewBps, strategyParamsOf, StrategyCore } from '../src/index.js';
import { features, marketInfo, NEUTRAL, readyCore, side, snap, T0 } from './helpers.js';

describe('004 effective skew', () => {
  const at = (factor: number, u: number) => {
    const p = strategyParamsOf(resolveConfig({ MM_INVENTORY_SKEW_FACTOR: factor, MM_SKEW_MAX_BPS: 20, MM_SKEW_SHAPE_K: 2, MM_INVENTORY_DEADBAND_PCT: 0.1 }));
    return inventorySkewBps(p, Math.round(u * 10_000), 10_000, 10_000);
  };
  it('XCU: 20 x 0.15 = 3 bps at the limit; ZRO: 20 x 0.6 = 12 bps', () => {
    expect(at(0.15, 1)).toBeCloseTo(3, 12);
    expect(at(0.6, 1)).toBeCloseTo(12, 12);
    expect(at(0.6, -1)).toBeCloseTo(-12, 12);
  });
  it('zero inside the deadband, tanh-shaped beyond it, linear with K = 0', () => {
    expect(at(0.5, 0.1)).toBe(0);
    expect(at(0.5, 0.05)).toBe(0);
    const mid = at(0.5, 0.55); // u' = 0.5
    expect(mid).toBeCloseTo((10 * Math.tanh(1)) / Math.tanh(2), 12);
    const p = strategyParamsOf(resolveConfig({ MM_INVENTORY_SKEW_FACTOR: 1, MM_SKEW_MAX_BPS: 20, MM_SKEW_SHAPE_K: 0, MM_INVENTORY_DEADBAND_PCT: 0 }));
    expect(inventorySkewBps(p, 5000, 10_000, 10_000)).toBeCloseTo(10, 12);
  });
});

describe('004 interaction groups through the core (explicit seed values; bps = bps of the mid)', () => {
  it('spread controls: MIN_SPREAD_BPS is a separate gate: a book tighter than it pauses both sides and empties the target (exec cancels)', () => {
    // book 0.49 / 0.51: spread 2c on mid 0.50 = 400 bps
    const wide = readyCore({ MM_MIN_SPREAD_BPS: 399, base_spread: 0.02, min_spread: 0.02 }, [marketInfo('M')]);
    const t1 = snap(wide.onBookFeatures(features('M', 4900, 5100), T0 + 200_000)).targets[0];
    expect(side(t1, 'bid').length + side(t1, 'ask').length).toBe(2);
    const core = readyCore({ MM_MIN_SPREAD_BPS: 401, base_spread: 0.02, min_spread: 0.02 }, [marketInfo('M')]);
    // quoting on a wider book first, then the book tightens: the resting quotes are pulled at once
    expect(side(snap(core.onBookFeatures(features('M', 4800, 5200), T0 + 200_000)).targets[0], 'bid').length).toBe(1);
    const t = snap(core.onBookFeatures(features('M', 4900, 5100), T0 + 200_100)).targets[0];
    expect(t).toMatchObject({ reason: 'min_spread_gate', bidPaused: true, askPaused: true, levels: [] });
  });

  it('spread controls: SPREAD_MULTIPLIER x spread_ema clamped by [MIN_OFFSET_BPS, MAX_OFFSET_BPS] is the placement distance', () => {
    // spread_ema 2c x 1.5 = 3c half-spread; on mid 0.50: 600 bps. MIN_OFFSET 800 bps = 4c floors it, MAX_OFFSET 400 bps = 2c caps it
    const at = (over: Record<string, unknown>) => side(snap(readyCore({ MM_SPREAD_MULTIPLIER: 1.5, MM_MAX_OFFSET_BPS: 10_000, quote_size: 1, ...over }, [marketInfo('M')]).onBookFeatures(features('M', 4900, 5100), T0 + 200_000)).targets[0], 'bid');
    expect(at({})).toEqual([[4700, 100]]);
    expect(at({ MM_MIN_OFFSET_BPS: 800 })).toEqual([[4600, 100]]);
    expect(at({ MM_MAX_OFFSET_BPS: 400 })).toEqual([[4800, 100]]);
  });

  it('size controls: ORDER_SIZE_MULTIPLIER x size, capped by MAX_ORDER_NOTIONAL_USD / price', () => {
    const sizes = (over: Record<string, unknown>) => {
      const t = snap(readyCore({ quote_size: 10, base_spread: 0.02, min_spread: 0.02, ...over }, [marketInfo('M')]).onBookFeatures(features('M', 4900, 5100), T0 + 200_000)).targets[0];
      return [side(t, 'bid')[0][1] / 100, side(t, 'ask')[0][1] / 100];
    };
    expect(sizes({})).toEqual([10, 10]);
    expect(sizes({ MM_ORDER_SIZE_MULTIPLIER: 2 })).toEqual([20, 20]);
    // $5 per order at 0.49 (YES bid; NO leg of the 0.51 ask is also 0.49): floor(5 / 0.49) = 10
    expect(sizes({ MM_ORDER_SIZE_MULTIPLIER: 2, MM_MAX_ORDER_NOTIONAL_USD: 5 })).toEqual([10, 10]);
  });

  it('size controls: position capped by BOTH contracts and USD, the tighter wins', () => {
    const bidSize = (cap: number, quoteSize: number, posContracts: number) =>
      side(snap(readyCore({ quote_size: quoteSize, base_spread: 0.02, min_spread: 0.02, MM_MAX_POS: cap, MM_MAX_LONG_POS: cap, MM_MAX_SHORT_POS: cap, MM_MAX_POSITION_SIZE: cap, MM_MAX_POSITION_NOTIONAL_USD: 3 }, [marketInfo('M')], { M: posContracts }).onBookFeatures(features('M', 4900, 5100), T0 + 200_000)).targets[0], 'bid')[0][1] / 100;
    // $3 at the 0.49 bid holds floor(3 / 0.49) = 6 contracts.
    // long 3, cap 4 contracts: room 1 by contracts, 3 by dollars -> the contract cap wins: 1
    expect(bidSize(4, 2, 3)).toBe(1);
    // long 4, cap 10 contracts: room 6 by contracts, 2 by dollars -> the dollar cap wins: 2
    expect(bidSize(10, 4, 4)).toBe(2);
  });

  describe('skew controls: the reservation (target fair_value) moves by the tanh skew, in bps of the mid', () => {
    // max position 10, mid 0.50 (5000 price units: 1 bps = 0.5 units)
    const fairAt = (positionContracts: number, factor: number, over: Record<string, unknown> = {}) => {
      const cfg = { MM_MAX_POS: 10, MM_MAX_LONG_POS: 10, MM_MAX_SHORT_POS: 10, MM_MAX_POSITION_SIZE: 10, quote_size: 1, base_spread: 0.04, min_spread: 0.04, MM_INVENTORY_SKEW_FACTOR: factor, MM_SKEW_MAX_BPS: 20, MM_SKEW_SHAPE_K: 2, MM_INVENTORY_DEADBAND_PCT: 0.1, ...over };
      const core = readyCore(cfg, [marketInfo('M')], { M: positionContracts });
      return snap(core.onBookFeatures(features('M', 4900, 5100), T0 + 200_000)).targets[0].fairValue ?? 0;
    };
    it('effective max skew = SKEW_MAX_BPS x INVENTORY_SKEW_FACTOR at the limit: XCU 20 x 0.15 = 3 bps, ZRO 20 x 0.6 = 12 bps', () => {
      expect(fairAt(10, 0.15)).toBeCloseTo(5000 - 3 * 0.5, 9);
      expect(fairAt(10, 0.6)).toBeCloseTo(5000 - 12 * 0.5, 9);
      expect(fairAt(-10, 0.6)).toBeCloseTo(5000 + 12 * 0.5, 9);
    });
    it('zero inside the deadband (1 of 10 = 10%), tanh beyond it; SKEW_SHAPE_K changes the curve, not the cap', () => {
      expect(fairAt(1, 0.6)).toBe(5000);
      // 5.5 of 10: u' = (0.55 - 0.1) / 0.9 = 0.5 -> 20 x tanh(1) / tanh(2) x 0.5
      expect(fairAt(5.5, 0.5)).toBeCloseTo(5000 - 0.5 * ((10 * Math.tanh(1)) / Math.tanh(2)), 9);
      expect(fairAt(5.5, 0.5, { MM_SKEW_SHAPE_K: 4 })).toBeCloseTo(5000 - 0.5 * ((10 * Math.tanh(2)) / Math.tanh(4)), 9);
      expect(fairAt(10, 0.5, { MM_SKEW_SHAPE_K: 4 })).toBeCloseTo(5000 - 10 * 0.5, 9);
    });
  });
});

describe('000 caps and start-up', () => {
  const CAPS = { MM_MAX_POS: 5, MM_MAX_LONG_POS: 5, MM_MAX_SHORT_POS: 5, quote_size: 1, base_spread: 0.02, min_spread: 0.02 };

  it('at the cap (pos=5, max=5) the bid is hard-blocked, the ask still works the position off', () => {
    const core = readyCore(CAPS, [marketInfo('SAMPLE.MKT')]);
    core.onPosition({ market: 'SAMPLE.MKT', positionCenti: 500, fromExchange: true }, T0 + 150_000);
    const fx = snap(core.onBookFeatures(features('SAMPLE.MKT', 4900, 5100), T0 + 200_000));
    const t = fx.targets[0];
    expect(side(t, 'bid')).toEqual([]);
    expect(side(t, 'ask')).toEqual([[5100, 100]]);
    expect(t.bidPaused).toBe(true);
    const ev = fx.opsEvents.find((e) => e.event === 'risk_block_bid_side');
    expect(ev?.fields).toMatchObject({ market: 'SAMPLE.MKT', exchange_position: 5, bid_intended_delta: 1, reason: 'AT_OR_OVER_CAP (pos=5, max=5)' });
    expect(fx.opsEvents.find((e) => e.event === 'risk_hard_block_exchange_pos')?.fields).toMatchObject({ exchange_position: 5, max_pos: 5 });
  });

  it('WOULD_EXCEED_CAP when resting same-direction orders fill the room (pos=4 + 1 resting, delta=1, max=5)', () => {
    const core = readyCore(CAPS, [marketInfo('SAMPLE.MKT')]);
    core.onPosition({ market: 'SAMPLE.MKT', positionCenti: 400, fromExchange: true }, T0 + 150_000);
    core.onWorkingOrders({ market: 'SAMPLE.MKT', restingBidCenti: 100, restingAskCenti: 0 }, T0 + 150_000);
    const fx = snap(core.onBookFeatures(features('SAMPLE.MKT', 4900, 5100), T0 + 200_000));
    const ev = fx.opsEvents.find((e) => e.event === 'risk_block_bid_side');
    expect(ev?.fields).toMatchObject({ exchange_position: 4, bid_intended_delta: 1, reason: 'WOULD_EXCEED_CAP (pos=4, delta=1, max=5)' });
    expect(side(fx.targets[0], 'bid')).toEqual([]);
  });

  it('ask side: intended delta is -size; short at the cap blocks the ask', () => {
    const core = readyCore(CAPS, [marketInfo('SAMPLE.MKT')]);
    core.onPosition({ market: 'SAMPLE.MKT', positionCenti: -500, fromExchange: true }, T0 + 150_000);
    const fx = snap(core.onBookFeatures(features('SAMPLE.MKT', 4900, 5100), T0 + 200_000));
    expect(fx.opsEvents.find((e) => e.event === 'risk_block_ask_side')?.fields).toMatchObject({ exchange_position: -5, ask_intended_delta: -1 });
    expect(side(fx.targets[0], 'bid')).toEqual([[4900, 100]]);
  });

  it('the dollar cap is tighter than the contract cap when it binds', () => {
    // $3 position notional at a 0.49 bid: floor(3 / 0.49) = 6 contracts, below MM_MAX_POS 100
    const core = readyCore({ ...CAPS, MM_MAX_POS: 100, MM_MAX_LONG_POS: 100, MM_MAX_SHORT_POS: 100, quote_size: 10, MM_MAX_POSITION_NOTIONAL_USD: 3 }, [marketInfo('M')]);
    const fx = snap(core.onBookFeatures(features('M', 4900, 5100), T0 + 200_000));
    expect(side(fx.targets[0], 'bid')).toEqual([[4900, 600]]);
    expect(side(fx.targets[0], 'ask')).toEqual([[5100, 600]]); // NO leg 1 - 0.51 = 0.49: also 6
  });

  it('start-up over cap: read-only, startup_position_cap_breach with the breached markets, until ACK_BREACH', () => {
    const core = new StrategyCore(strategyParamsOf(resolveConfig({ ...NEUTRAL, ...CAPS, kmm_startup_settle_ms: 1000, kmm_startup_wait_max_ms: 10_000 })), [marketInfo('SAMPLE.MKT'), marketInfo('OTHER.MKT'), marketInfo('FINE.MKT')], { startMs: T0 });
    core.onPosition({ market: 'SAMPLE.MKT', positionCenti: 700, fromExchange: true }, T0 + 10);
    core.onPosition({ market: 'OTHER.MKT', positionCenti: -600, fromExchange: true }, T0 + 20);
    core.onPosition({ market: 'FINE.MKT', positionCenti: 300, fromExchange: true }, T0 + 30);
    expect(snap(core.onTimer(T0 + 500)).opsEvents.filter((e) => e.event.startsWith('startup'))).toHaveLength(0);
    const fx = snap(core.onTimer(T0 + 1100));
    const ev = fx.opsEvents.find((e) => e.event === 'startup_position_cap_breach');
    expect(ev?.level).toBe('error');
    expect(ev?.fields).toMatchObject({
      status: 'TRADING_DISABLED',
      reason: 'Already holding positions over max_pos cap at startup',
      max_pos: 5,
      breached_markets: [
        { ticker: 'OTHER.MKT', position: -6 },
        { ticker: 'SAMPLE.MKT', position: 7 },
      ],
    });
    expect(fx.controls).toEqual([{ peer: 'exec', control: { kind: kmm.v1.ControlKind.CANCEL_ALL, markets: [], reason: 'startup_position_cap_breach' } }]);
    expect(core.isReadOnly).toBe(true);
    expect(fx.targets.map((t) => [t.market, t.reason, (t.levels ?? []).length]).sort()).toEqual([
      ['FINE.MKT', 'read_only', 0],
      ['OTHER.MKT', 'read_only', 0],
      ['SAMPLE.MKT', 'read_only', 0],
    ]);
    // stays read-only: no quotes, no takers, however long we wait
    let out = snap(core.onBookFeatures(features('FINE.MKT', 4900, 5100), T0 + 3_600_000));
    expect(out.targets).toHaveLength(0);
    expect(out.takers).toHaveLength(0);
    expect(snap(core.onBookFeatures(features('SAMPLE.MKT', 4900, 5100), T0 + 3_600_000)).takers).toHaveLength(0);
    out = snap(core.onTimer(T0 + 7_200_000));
    expect(out.targets.every((t) => (t.levels ?? []).length === 0)).toBe(true);
    // operator acknowledges
    out = snap(core.onControl({ kind: kmm.v1.ControlKind.ACK_BREACH, reason: 'reviewed' }, T0 + 7_200_100));
    expect(out.opsEvents[0].event).toBe('startup_position_cap_breach_ack');
    expect(core.isReadOnly).toBe(false);
    const fine = out.targets.find((t) => t.market === 'FINE.MKT');
    expect(side(fine as kmm.v1.ITargetQuotes, 'bid').length + side(fine as kmm.v1.ITargetQuotes, 'ask').length).toBeGreaterThan(0);
  });

  it('no start-up breach: trading enabled after the settle window', () => {
    const core = new StrategyCore(strategyParamsOf(resolveConfig({ ...NEUTRAL, ...CAPS, kmm_startup_settle_ms: 1000, kmm_startup_wait_max_ms: 10_000 })), [marketInfo('A')], { startMs: T0 });
    expect(snap(core.onBookFeatures(features('A', 4900, 5100), T0 + 1)).targets[0].reason).toBe('startup_check_pending');
    core.onPosition({ market: 'A', positionCenti: 300, fromExchange: true }, T0 + 10);
    const fx = snap(core.onTimer(T0 + 1200));
    expect(fx.opsEvents.map((e) => e.event)).toContain('startup_position_check_ok');
    expect(core.isReadOnly).toBe(false);
    expect(fx.targets.find((t) => t.market === 'A')?.reason).toBe('quote');
  });
});

describe('issue 13: the maker stays under the bailout threshold; targets fit exec\'s gating state', () => {
  // sigma 1 c/sqrt(s) (prior, no vol data), tau = kmm_bailout_horizon_s 60 s, gamma 0.01:
  // k = 0.01 x 1 x 60 = 0.6 c per contract^2. Crossing at the 0.49 bid costs 1c to fair 0.50 plus
  // Kalshi's taker fee ceil(7 x C x 0.49 x 0.51) c / C = 2c for C = 1..3: c = 3c, q* = 3 / 0.6 = 5.
  // Maker cap (1 - 0.25) x 5 = 3.75 -> 3 contracts; the bailout fires above 5 and sells to 5.
  const BAIL = { MM_MAX_POS: 10, MM_MAX_LONG_POS: 10, MM_MAX_SHORT_POS: 10, Q_critical: 10, Q_target: 0, quote_size: 1, base_spread: 0.02, min_spread: 0.02, IMPULSE_CONTROL_ENABLED: true, risk_aversion: 0.01, volatility_prior: 1, horizon_s: 60, kmm_bailout_horizon_s: 60 };

  it('long 3 with q* = 5: the bid stops at the bailout cap 3 (info, not a warning), the ask works the position off, no taker', () => {
    const core = readyCore(BAIL, [marketInfo('M')]);
    core.onPosition({ market: 'M', positionCenti: 300, fromExchange: true }, T0 + 150_000);
    const fx = snap(core.onBookFeatures(features('M', 4900, 5100), T0 + 200_000));
    expect(fx.takers).toEqual([]);
    const t = fx.targets[0];
    expect(side(t, 'bid')).toEqual([]);
    expect(side(t, 'ask').length).toBe(1);
    const ev = fx.opsEvents.find((e) => e.event === 'risk_block_bid_side');
    expect(ev?.level).toBe('info');
    expect(ev?.fields).toMatchObject({ reason: 'AT_BAILOUT_THRESHOLD (pos=3, max=3)' });
    // long 2: one more contract is within the bailout cap
    const core2 = readyCore(BAIL, [marketInfo('M')]);
    core2.onPosition({ market: 'M', positionCenti: 200, fromExchange: true }, T0 + 150_000);
    // (prices carry the Stoikov skew of gamma 0.01: only the sizes matter here)
    expect(side(snap(core2.onBookFeatures(features('M', 4900, 5100), T0 + 200_000)).targets[0], 'bid').map((l) => l[1])).toEqual([100]);
  });

  it('the hysteresis band: at 5 nothing fires and the bid stays off; above q* (6) the bailout sells to 5', () => {
    const at5 = readyCore(BAIL, [marketInfo('M')]);
    at5.onPosition({ market: 'M', positionCenti: 500, fromExchange: true }, T0 + 150_000);
    const fx5 = snap(at5.onBookFeatures(features('M', 4900, 5100), T0 + 200_000));
    expect(fx5.takers).toEqual([]);
    expect(side(fx5.targets[0], 'bid')).toEqual([]);
    const at6 = readyCore(BAIL, [marketInfo('M')]);
    at6.onPosition({ market: 'M', positionCenti: 600, fromExchange: true }, T0 + 150_000);
    const fx6 = snap(at6.onBookFeatures(features('M', 4900, 5100), T0 + 200_000));
    expect(fx6.takers).toHaveLength(1);
    expect(fx6.takers[0]).toMatchObject({ side: kmm.v1.BookSide.ASK, countCenti: 100, reduceOnly: true, reason: kmm.v1.TakerReason.BAILOUT });
  });

  it('without impulse control the configured cap alone limits the maker', () => {
    const core = readyCore({ ...BAIL, IMPULSE_CONTROL_ENABLED: false }, [marketInfo('M')]);
    core.onPosition({ market: 'M', positionCenti: 300, fromExchange: true }, T0 + 150_000);
    expect(side(snap(core.onBookFeatures(features('M', 4900, 5100), T0 + 200_000)).targets[0], 'bid').map((l) => l[1])).toEqual([100]);
  });

  it('exec\'s gating state: a fill exec booked first (position 5 there) blocks the bid; exec\'s room clips the side', () => {
    const CAPS = { MM_MAX_POS: 5, MM_MAX_LONG_POS: 5, MM_MAX_SHORT_POS: 5, quote_size: 2, base_spread: 0.02, min_spread: 0.02 };
    const core = readyCore(CAPS, [marketInfo('M')]);
    core.onPosition({ market: 'M', positionCenti: 400, fromExchange: true }, T0 + 150_000);
    core.onWorkingOrders({ market: 'M', restingBidCenti: 0, restingAskCenti: 0, positionKnown: true, positionCenti: 500, roomBidCenti: 0, roomAskCenti: 1000 }, T0 + 150_000);
    const fx = snap(core.onBookFeatures(features('M', 4900, 5100), T0 + 200_000));
    expect(side(fx.targets[0], 'bid')).toEqual([]);
    expect(fx.opsEvents.find((e) => e.event === 'risk_block_bid_side')?.fields).toMatchObject({ reason: 'AT_OR_OVER_CAP (pos=5, max=5)' });
    // exec at 0 with room 1 on the bid (another order of ours it still counts): the bid asks for 1, not 2
    const c2 = readyCore(CAPS, [marketInfo('M')]);
    c2.onWorkingOrders({ market: 'M', restingBidCenti: 0, restingAskCenti: 0, positionKnown: true, positionCenti: 0, roomBidCenti: 100, roomAskCenti: 500 }, T0 + 150_000);
    const t2 = snap(c2.onBookFeatures(features('M', 4900, 5100), T0 + 200_000)).targets[0];
    expect(side(t2, 'bid')).toEqual([[4900, 100]]);
    expect(side(t2, 'ask')).toEqual([[5100, 200]]);
  });
});

describe('issue 13: a one-sided book at the cap', () => {
  const CAPS = { MM_MAX_POS: 5, MM_MAX_LONG_POS: 5, MM_MAX_SHORT_POS: 5, quote_size: 2, base_spread: 0.02, min_spread: 0.02 };
  it('long at the cap, the bid side of the book empties: the reducing ask keeps its level, the bid stays off', () => {
    const core = readyCore(CAPS, [marketInfo('M')]);
    core.onPosition({ market: 'M', positionCenti: 500, fromExchange: true }, T0 + 150_000);
    const t1 = snap(core.onBookFeatures(features('M', 4900, 5100), T0 + 200_000)).targets[0];
    const ask = side(t1, 'ask');
    expect(ask.length).toBe(1);
    const fx = snap(core.onBookFeatures(features('M', 0, 5100), T0 + 201_000));
    const t2 = fx.targets.length > 0 ? fx.targets[0] : t1; // unchanged levels need no new target
    expect(side(t2, 'ask')).toEqual(ask);
    expect(side(t2, 'bid')).toEqual([]);
    // not at the cap: a one-sided book stops both sides, as before
    const flat = readyCore(CAPS, [marketInfo('M')]);
    flat.onPosition({ market: 'M', positionCenti: 200, fromExchange: true }, T0 + 150_000);
    flat.onBookFeatures(features('M', 4900, 5100), T0 + 200_000);
    const t3 = snap(flat.onBookFeatures(features('M', 0, 5100), T0 + 201_000)).targets[0];
    expect(t3.levels ?? []).toEqual([]);
    expect(t3.reason).toBe('one_sided_book');
  });
});

describe('issue 13: the both-sides pauses at the cap', () => {
  const CAPS = { MM_MAX_POS: 5, MM_MAX_LONG_POS: 5, MM_MAX_SHORT_POS: 5, quote_size: 2, base_spread: 0.02, min_spread: 0.02, MM_MICRO_VOL_MAX_BPS: 100, MM_MICRO_DRIFT_MAX_BPS: 100 };
  const cases: Array<[string, Partial<kmm.v1.IBookFeatures>]> = [
    ['micro_vol_pause', { microVolBps: 200 }],
    ['micro_drift_pause', { microDriftBps: -200 }],
    ['volume_spike_pause', { volumeSpike: true }],
  ];
  for (const [reason, over] of cases) {
    it(`${reason}: short at the cap the reducing bid stays quoted and the ask is paused; flat, both sides stop`, () => {
      const capped = readyCore(CAPS, [marketInfo('M')]);
      capped.onPosition({ market: 'M', positionCenti: -500, fromExchange: true }, T0 + 150_000);
      const t = snap(capped.onBookFeatures(features('M', 4900, 5100, over), T0 + 200_000)).targets[0];
      expect(side(t, 'bid').length).toBeGreaterThan(0);
      expect(side(t, 'ask')).toEqual([]);
      const flat = readyCore(CAPS, [marketInfo('M')]);
      flat.onPosition({ market: 'M', positionCenti: 200, fromExchange: true }, T0 + 150_000);
      const t2 = snap(flat.onBookFeatures(features('M', 4900, 5100, over), T0 + 200_000)).targets[0];
      expect(t2.levels ?? []).toEqual([]);
      expect(t2.reason).toBe(reason);
    });
  }
});
