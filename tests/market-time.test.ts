/**
 * A time-compressed demo runs KMM on market time (kmm_time_scale, set from --speed): each core's
 * parameters take the registry's market-time values in run time (shared inRunTime), so at 30x
 * the book's windows, the strategy's horizons and markout horizon, and exec's reprice interval
 * and post-only cooldowns are 30 times shorter, sigma priors sqrt(30) larger; the system's own
 * timeouts and the calendar are not. At scale 1 (Kalshi) nothing changes.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '@kmm/shared';
import { strategyParamsOf } from '@kmm/strategy-worker';
import { execParamsOf } from '@kmm/exec-worker';
import { bookParamsOf } from '@kmm/book-worker';

describe('market time in every core', () => {
  const real = resolveConfig({ kmm_shards: 1 });
  const fast = resolveConfig({ kmm_shards: 1, kmm_time_scale: 30 });

  it('strategy: horizons, markout horizon, refresh and sweep pull x1/30; sigma x sqrt(30); calendar and the taker cooldown (it also guards a taker in flight) as set', () => {
    const a = strategyParamsOf(real);
    const b = strategyParamsOf(fast);
    expect(b.kmm_markout_s).toBeCloseTo(a.kmm_markout_s / 30, 12);
    expect(b.horizon_s).toBeCloseTo(a.horizon_s / 30, 9);
    expect(b.kmm_bailout_horizon_s).toBeCloseTo(a.kmm_bailout_horizon_s / 30, 12);
    expect(b.MM_QUOTE_REFRESH_MS).toBeCloseTo(a.MM_QUOTE_REFRESH_MS / 30, 9);
    expect(b.kmm_sweep_pull_ms).toBeCloseTo(a.kmm_sweep_pull_ms / 30, 9);
    expect(b.kmm_taker_cooldown_ms).toBe(a.kmm_taker_cooldown_ms);
    expect(b.volatility_prior).toBeCloseTo(a.volatility_prior * Math.sqrt(30), 12);
    expect(b.forceExitMs).toBe(a.forceExitMs);
    expect(b.staleGraceMs).toBe(a.staleGraceMs);
    // the configuration as set is what a live change is validated against
    expect(b.source.kmm_markout_s).toBe(real.kmm_markout_s);
  });

  it("book: every feature window x1/30", () => {
    const a = bookParamsOf(real).features;
    const b = bookParamsOf(fast).features;
    for (const k of ['imbalanceWindowS', 'microVolWindowS', 'microDriftWindowS', 'volShortWindowS', 'volMediumWindowS', 'volLongWindowS', 'trendFastEmaS', 'trendSlowEmaS', 'spreadEmaWindowS', 'volumeWindowS', 'volumeSpikeWindowS', 'kappaWindowS'] as const) {
      expect(b[k], k).toBeCloseTo(a[k] / 30, 9);
    }
  });

  it("exec: reprice interval, quote age and post-only cooldowns x1/30; the token refill x30; network timeouts and order expiry as set", () => {
    const a = execParamsOf(real);
    const b = execParamsOf(fast);
    expect(b.minRepriceIntervalMs).toBe(Math.round(a.minRepriceIntervalMs / 30));
    expect(b.maxOrderAgeMs).toBe(Math.round(a.maxOrderAgeMs / 30));
    expect(b.pofCooldownMs).toBe(Math.round(a.pofCooldownMs / 30));
    expect(b.venueTimeScale).toBe(30);
    expect(b.inflightTimeoutMs).toBe(a.inflightTimeoutMs);
    expect(b.orderExpiryMs).toBe(a.orderExpiryMs);
    expect(b.config.MM_MIN_REPRICE_INTERVAL_S).toBe(real.MM_MIN_REPRICE_INTERVAL_S);
  });
});
