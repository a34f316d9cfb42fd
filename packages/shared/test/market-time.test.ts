/**
 * Market time in run time (kmm_time_scale): the registry marks the values that are market time,
 * and the cores read them through inRunTime: durations divided by the scale, sigmas (per square
 * root of a second) multiplied by its square root, everything else as set. Scale 1 is the
 * configuration itself.
 */
import { describe, expect, it } from 'vitest';
import { CONFIG_SPECS, inRunTime, MARKET_TIME_KEYS, resolveConfig } from '../src/index.js';

describe('inRunTime', () => {
  it('is the configuration itself at scale 1', () => {
    const cfg = resolveConfig({});
    expect(inRunTime(cfg)).toBe(cfg);
  });

  it('divides market durations, multiplies sigmas by the square root, leaves the rest', () => {
    const cfg = resolveConfig({ kmm_time_scale: 100 });
    const r = inRunTime(cfg);
    expect(r.kmm_markout_s).toBeCloseTo(cfg.kmm_markout_s / 100, 12);
    expect(r.MM_QUOTE_REFRESH_MS).toBeCloseTo(cfg.MM_QUOTE_REFRESH_MS / 100, 12);
    expect(r.MM_IMBALANCE_WINDOW_S).toBeCloseTo(cfg.MM_IMBALANCE_WINDOW_S / 100, 12);
    expect(r.volatility_prior).toBeCloseTo(cfg.volatility_prior * 10, 12);
    // system durations and calendar time do not follow the market's pace
    expect(r.kmm_inflight_timeout_ms).toBe(cfg.kmm_inflight_timeout_ms);
    expect(r.stale_data_s).toBe(cfg.stale_data_s);
    expect(r.force_exit_hours).toBe(cfg.force_exit_hours);
    expect(r.kmm_order_expiry_s).toBe(cfg.kmm_order_expiry_s);
    // what the user set is unchanged
    expect(cfg.kmm_markout_s).toBe(10);
  });

  it('marks only seconds, milliseconds and per-root-second values', () => {
    expect(MARKET_TIME_KEYS.durations.length).toBeGreaterThan(10);
    for (const s of CONFIG_SPECS) {
      if (s.marketTime === 'duration') expect(['s', 'ms']).toContain(s.unit);
      if (s.marketTime === 'sigma') expect(s.unit).toBe('c/sqrt(s)');
    }
    expect(MARKET_TIME_KEYS.sigmas).toEqual(['volatility_prior', 'volatility_floor']);
  });
});
