/** StrategyCore behaviour: inventory moves quotes, bailout, v2 queue, toxicity, arbitrage, controls, trust, selection, journal, feed. */
import { describe, expect, it } from 'vitest';
import { kmm, resolveConfig } from '@kmm/shared';
import { strategyParamsOf, parseExternalFairValues, StrategyCore } from '../src/index.js';
import { features, HOUR, marketInfo, NEUTRAL, readyCore, side, snap, T0 } from './helpers.js';

const T = T0 + 200_000;

describe('inventory and pricing through the core', () => {
  it('quotes move down as inventory grows (A-S + skew + per-10), and up when short', () => {
    const cfg = { risk_aversion: 0.1, order_arrival_k: 1.5, volatility_prior: 0.05, MM_INVENTORY_SKEW_FACTOR: 0.5, skew_price_adjustment_per_10: 0.01, inventory_skew_threshold: 0, quote_size: 1 };
    const bids: number[] = [];
    for (const q of [-4, -2, 0, 2, 4]) {
      const core = readyCore(cfg, [marketInfo('M')], { M: q });
      const fx = snap(core.onBookFeatures(features('M', 4000, 6000), T));
      bids.push(side(fx.targets[0], 'bid')[0]?.[0] ?? 0);
    }
    for (let i = 1; i < bids.length; i++) expect(bids[i]).toBeLessThan(bids[i - 1]);
  });

  it('every fill sends a target decided on the new position at once (exec holds new orders until one arrives)', () => {
    const core = readyCore({ risk_aversion: 0.1, order_arrival_k: 1.5, MM_QUOTE_REFRESH_MS: 5000, quote_size: 1, MM_MAX_POS: 3, MM_MAX_LONG_POS: 3, MM_MAX_SHORT_POS: 3, max_inventory: 3 }, [marketInfo('M')]);
    const a = snap(core.onBookFeatures(features('M', 4000, 6000), T));
    const bid0 = side(a.targets[0], 'bid')[0][0];
    // a price-only move would be throttled by MM_QUOTE_REFRESH_MS, but a fill's decision always goes out
    const f1 = snap(core.onFill({ market: 'M', side: kmm.v1.BookSide.BID, countCenti: 100, yesPrice: bid0 }, T + 10));
    expect(f1.targets).toHaveLength(1);
    expect(side(f1.targets[0], 'bid')[0][0]).toBeLessThan(bid0); // long 1: the reservation price moved down
    // filling up to the cap cuts the bid: urgent
    const f2 = snap(core.onFill({ market: 'M', side: kmm.v1.BookSide.BID, countCenti: 200, yesPrice: bid0 }, T + 5200));
    expect(side(f2.targets[0], 'bid')).toEqual([]);
  });

  it('untrusted or disconnected: empty target at once; stale: at once at the defaults (003 "No ticks 5s"), after the rest of a longer MM_STALE_CANCEL_GRACE_S', () => {
    // STALE comes stale_data_s (5 s) after the last tick; the 3 s grace counts from that tick
    const slow = readyCore({ MM_STALE_CANCEL_GRACE_S: 8, stale_data_s: 5 }, [marketInfo('M')]);
    slow.onBookFeatures(features('M', 4900, 5100), T);
    expect(snap(slow.onMarketTrust({ market: 'M', state: kmm.v1.TrustState.STALE }, T + 1)).targets).toHaveLength(0);
    expect(snap(slow.onTimer(T + 2000)).targets).toHaveLength(0); // (the timer decides a market at most once a second)
    expect(snap(slow.onTimer(T + 3001)).targets[0]).toMatchObject({ reason: 'stale_book', levels: [] });
    const core = readyCore({ MM_STALE_CANCEL_GRACE_S: 3, stale_data_s: 5 }, [marketInfo('M')]);
    expect(side(snap(core.onBookFeatures(features('M', 4900, 5100), T)).targets[0], 'bid').length).toBe(1);
    let fx = snap(core.onMarketTrust({ market: 'M', state: kmm.v1.TrustState.STALE }, T + 1));
    expect(fx.targets[0]).toMatchObject({ reason: 'stale_book', levels: [] });
    // trusted again: the last book is quoted at once
    expect(side(snap(core.onMarketTrust({ market: 'M', state: kmm.v1.TrustState.TRUSTED }, T + 4000)).targets[0], 'bid').length).toBe(1);
    fx = snap(core.onConnection({ kind: kmm.v1.ConnectionEvent.Kind.DISCONNECTED }, T + 4002));
    expect(fx.targets[0]).toMatchObject({ reason: 'disconnected', levels: [] });
    core.onMarketTrust({ market: 'M', state: kmm.v1.TrustState.UNTRUSTED }, T + 4003);
    // reconnected, but the market is not resynced yet: still no quotes
    fx = snap(core.onConnection({ kind: kmm.v1.ConnectionEvent.Kind.CONNECTED }, T + 4004));
    expect(fx.targets[0]).toMatchObject({ reason: 'untrusted_book', levels: [] });
  });
});

describe('KMM-v2', () => {
  it('bailout fires when holding costs more than crossing, and not below q*', () => {
    const cfg = { IMPULSE_CONTROL_ENABLED: true, risk_aversion: 0.1, volatility_prior: 0.05, kmm_bailout_horizon_s: 60, Q_critical: 900, Q_target: 800, MM_MAX_POS: 900, MM_MAX_LONG_POS: 900, MM_MAX_SHORT_POS: 900 };
    // k = 0.1 * 0.05^2 * 60 = 0.015 c/contract^2; crossing at 0.49 from mid 0.50 = 1c + fee ~1.75c -> q* ~ 184
    const big = readyCore(cfg, [marketInfo('M')], { M: 400 });
    const fx = snap(big.onBookFeatures(features('M', 4900, 5100), T));
    expect(fx.takers).toHaveLength(1);
    expect(fx.takers[0]).toMatchObject({ side: kmm.v1.BookSide.ASK, reason: kmm.v1.TakerReason.BAILOUT, reduceOnly: true });
    const ev = fx.opsEvents.find((e) => e.event === 'taker_intent')!.fields as { q_star: number; count: number };
    expect(ev.count).toBe(400 - Math.ceil(ev.q_star));
    expect(ev.q_star).toBeGreaterThan(150);
    const small = readyCore(cfg, [marketInfo('M')], { M: 100 });
    expect(snap(small.onBookFeatures(features('M', 4900, 5100), T)).takers).toHaveLength(0);
  });

  it('queue: too deep -> step one tick inside to the front; at the front with toxic flow -> yield', () => {
    const cfg = { QUEUE_OPTIMIZATION_ENABLED: true, quote_size: 1, base_spread: 0.02, min_spread: 0.02, MAX_QUEUE_DEPTH: 100, DESIRED_INVENTORY: 5, kmm_toxic_ofi_contracts: 50 };
    const core = readyCore(cfg, [marketInfo('M')]);
    const deep = snap(core.onBookFeatures(features('M', 4900, 5200, { mid: 5000, queue: [{ side: kmm.v1.BookSide.BID, price: 4900, aheadCenti: 500_000, exchangeAheadCenti: -1 }] }), T));
    // v1 would bid 0.49 (mid 0.50 - 1c); v2 steps to 0.50 to be first there
    expect(side(deep.targets[0], 'bid')[0][0]).toBe(5000);
    expect(deep.targets[0].reason).toContain('front_bid');
    const core2 = readyCore(cfg, [marketInfo('M')]);
    const toxic = snap(core2.onBookFeatures(features('M', 4900, 5100, { ofi: -100, queue: [{ side: kmm.v1.BookSide.BID, price: 4900, aheadCenti: 0, exchangeAheadCenti: 0 }] }), T));
    expect(side(toxic.targets[0], 'bid')).toEqual([]);
    expect(toxic.targets[0].reason).toContain('bid:queue_yield');
  });

  it('toxicity spike closes the position; arbitrage takes when the oracle clears touch + spread + fee', () => {
    const cfg = { IMPULSE_CONTROL_ENABLED: true, MM_MAX_POS: 20, MM_MAX_LONG_POS: 20, MM_MAX_SHORT_POS: 20 };
    const core = readyCore(cfg, [marketInfo('M')]);
    core.onExternalFairValues([{ market: 'M', fairPrice: 5000, fundingBps: 0 }], T);
    core.onPosition({ market: 'M', positionCenti: 1000, fromExchange: true }, T + 1);
    core.onBookFeatures(features('M', 4900, 5100), T + 2);
    const fx = snap(core.onExternalFairValues([{ market: 'M', fairPrice: 4400, fundingBps: 0 }], T + 3));
    expect(fx.takers[0]).toMatchObject({ side: kmm.v1.BookSide.ASK, countCenti: 1000, reason: kmm.v1.TakerReason.TOXICITY });

    const arb = readyCore({ ...cfg, quote_size: 3 }, [marketInfo('A')]);
    arb.onBookFeatures(features('A', 4900, 5000), T);
    // ask 0.50 + spread 0.01 + fee 0.0175/contract (3 @ 0.50 -> 6c/3) + 1c edge < 0.56
    const a = snap(arb.onExternalFairValues([{ market: 'A', fairPrice: 5600, fundingBps: 0 }], T + 1));
    expect(a.takers[0]).toMatchObject({ side: kmm.v1.BookSide.BID, countCenti: 300, reason: kmm.v1.TakerReason.ARBITRAGE, reduceOnly: false, limitPrice: 5000 });
    const none = readyCore({ ...cfg, quote_size: 3 }, [marketInfo('B')]);
    none.onBookFeatures(features('B', 4900, 5000), T);
    expect(snap(none.onExternalFairValues([{ market: 'B', fairPrice: 5300, fundingBps: 0 }], T + 1)).takers).toHaveLength(0);
  });

  it('get_external_skew: ticks toward the external fair value, capped, 0 without a fresh value', () => {
    const core = readyCore({ external_skew_max_cents: 3 }, [marketInfo('M')]);
    core.onBookFeatures(features('M', 4900, 5100), T);
    expect(core.getExternalSkew('M', T)).toBe(0);
    core.onExternalFairValues([{ market: 'M', fairPrice: 5200, fundingBps: 0 }], T);
    expect(core.getExternalSkew('M', T)).toBe(2);
    core.onExternalFairValues([{ market: 'M', fairPrice: 9000, fundingBps: 0 }], T);
    expect(core.getExternalSkew('M', T)).toBe(3);
    expect(core.getExternalSkew('M', T + 61_000)).toBe(0);
  });
});

describe('controls, selection, journal', () => {
  it('PAUSE / RESUME, FLATTEN (takers to flat, quoting paused), CONFIG_UPDATE live-safe only', () => {
    const core = readyCore({ quote_size: 1, MM_MAX_POS: 10, MM_MAX_LONG_POS: 10, MM_MAX_SHORT_POS: 10 }, [marketInfo('M'), marketInfo('N')], { M: 3 });
    core.onBookFeatures(features('M', 4900, 5100), T);
    core.onBookFeatures(features('N', 4900, 5100), T);
    let fx = snap(core.onControl({ kind: kmm.v1.ControlKind.PAUSE_QUOTING }, T + 1));
    expect(fx.targets.map((t) => t.reason)).toEqual(['paused', 'paused']);
    fx = snap(core.onControl({ kind: kmm.v1.ControlKind.RESUME_QUOTING }, T + 2));
    expect(fx.targets.every((t) => (t.levels ?? []).length > 0)).toBe(true);
    fx = snap(core.onControl({ kind: kmm.v1.ControlKind.FLATTEN, markets: ['M'] }, T + 3));
    expect(fx.takers).toEqual([expect.objectContaining({ market: 'M', side: kmm.v1.BookSide.ASK, countCenti: 300, reason: kmm.v1.TakerReason.FLATTEN, reduceOnly: true })]);
    expect(fx.targets.find((t) => t.market === 'M')?.levels).toEqual([]);
    fx = snap(core.onControl({ kind: kmm.v1.ControlKind.CONFIG_UPDATE, json: JSON.stringify({ base_spread: 0.06 }) }, T + 4));
    expect(fx.opsEvents[0].event).toBe('config_updated');
    expect(core.params.base_spread).toBe(0.06);
    fx = snap(core.onControl({ kind: kmm.v1.ControlKind.CONFIG_UPDATE, json: JSON.stringify({ kmm_preset: 'aggressive' }) }, T + 5));
    expect(fx.opsEvents[0]).toMatchObject({ event: 'config_update_rejected', fields: { keys: ['kmm_preset'] } });
    fx = snap(core.onControl({ kind: kmm.v1.ControlKind.CONFIG_UPDATE, json: JSON.stringify({ base_spread: 'wide' }) }, T + 6));
    expect(fx.opsEvents[0].event).toBe('config_update_rejected');
    expect(core.params.base_spread).toBe(0.06);
    fx = snap(core.onControl({ kind: kmm.v1.ControlKind.CONFIG_UPDATE, json: '{not json' }, T + 7));
    expect(fx.opsEvents[0].event).toBe('config_update_rejected');
  });

  it('market selection: by volume up to max_markets, filters time to resolution, keeps held markets, rotates', () => {
    const ms = [
      marketInfo('A', { volumeDayCenti: 300 }),
      marketInfo('B', { volumeDayCenti: 200 }),
      marketInfo('C', { volumeDayCenti: 100 }),
      marketInfo('FAR', { volumeDayCenti: 999, closeTimeMs: T0 + 1000 * HOUR }),
    ];
    const core = new StrategyCore(strategyParamsOf(resolveConfig({ ...NEUTRAL, max_markets: 2, max_time_to_resolution_hours: 100, scan_interval_seconds: 30 })), ms, { startMs: T0 });
    const fx = snap(core.onTimer(T0));
    expect(core.selectedMarkets()).toEqual(['A', 'B']);
    expect(fx.controls).toEqual([{ peer: 'ingest', control: expect.objectContaining({ kind: kmm.v1.ControlKind.REMOVE_MARKETS, markets: ['C', 'FAR'] }) }]);
    core.onPosition({ market: 'C', positionCenti: 100, fromExchange: true }, T0 + 1);
    core.onMarketInfo(marketInfo('B', { status: kmm.v1.MarketStatus.MARKET_CLOSED }), T0 + 2);
    const fx2 = snap(core.onTimer(T0 + 31_000));
    expect(core.selectedMarkets()).toEqual(['A', 'C']);
    const add = fx2.controls.find((c) => c.control.kind === kmm.v1.ControlKind.ADD_MARKETS);
    expect(add?.control.markets).toEqual(['C']);
    expect(JSON.parse(add?.control.json as string)[0].market).toBe('C');
  });

  it('journal: with MM_JOURNAL_REPRICE_DECISIONS every emitted decision has inputs and each step; none when off', () => {
    const on = readyCore({ MM_JOURNAL_REPRICE_DECISIONS: true, MM_INVENTORY_SKEW_FACTOR: 0.5 }, [marketInfo('M')], { M: 2 });
    const fx = snap(on.onBookFeatures(features('M', 4900, 5100), T));
    expect(fx.journal).toHaveLength(1);
    const steps = (fx.journal[0].steps as Array<{ step: string }>).map((s) => s.step);
    expect(steps).toEqual(['inputs', 'reservation', 'offset_004', 'spread_002', 'grid', 'levels']);
    expect(fx.journal[0]).toMatchObject({ market: 'M', trigger: 'book', exchange_position: 2 });
    const off = readyCore({ MM_JOURNAL_REPRICE_DECISIONS: false }, [marketInfo('M')]);
    expect(snap(off.onBookFeatures(features('M', 4900, 5100), T)).journal).toHaveLength(0);
  });
});

describe('external fair-value feed parser', () => {
  it('accepts the three shapes, exact prices, and names bad entries', () => {
    expect(parseExternalFairValues('{"A":"0.5500","B":0.47}').values).toEqual([
      { market: 'A', fairPrice: 5500, fundingBps: 0 },
      { market: 'B', fairPrice: 4700, fundingBps: 0 },
    ]);
    expect(parseExternalFairValues('{"fair_values":{"A":"0.55"},"funding_bps":{"A":1.5}}').values).toEqual([{ market: 'A', fairPrice: 5500, fundingBps: 1.5 }]);
    expect(parseExternalFairValues('[{"ticker":"A","fair_value":"0.55","funding_bps":-2}]').values).toEqual([{ market: 'A', fairPrice: 5500, fundingBps: -2 }]);
    const bad = parseExternalFairValues('{"A":"1.5","B":"0.12345","C":"abc","D":"0.30"}');
    expect(bad.values).toEqual([{ market: 'D', fairPrice: 3000, fundingBps: 0 }]);
    expect(bad.problems).toHaveLength(3);
    expect(bad.problems.join(' ')).toContain('feed.A');
    expect(parseExternalFairValues('nope').problems[0]).toContain('invalid JSON');
  });
});
