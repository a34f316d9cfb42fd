/**
 * Issue 15, profiles as visible configuration: the Kalshi values are the `kalshi` market profile
 * (MM_MARKET_PROFILE, shared CONFIG_PROFILES), a layer just above the registry defaults. Demo and
 * run choose it by default; `kmm config explain` names `profile kalshi` as the source of each
 * value it sets; a preset, the command's own defaults and every user value (file, env, --set) win.
 * Before: demo and run re-loaded the config with the values as hidden CLI entries, which
 * overwrote preset values and showed as `cli` (or not at all) in explain.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_PRESETS, CONFIG_PROFILES, CONFIG_SPECS, explainConfig, explainConfigJson, loadConfig, resolveConfig,
} from '@kmm/shared';
import { loadDemoConfig } from '@kmm/app';

const KALSHI = CONFIG_PROFILES.kalshi as Record<string, number>;
const defaultOf = (key: string) => CONFIG_SPECS.find((s) => s.key === key)!.default;
const demo = (set: Record<string, string> = {}, env: Record<string, string> = {}, config?: string) =>
  loadDemoConfig({ seed: 1, markets: 3, set, config }, env);

describe('market profiles', () => {
  it('the kalshi profile sets its values with source `profile kalshi`, shown by explain', () => {
    const loaded = loadConfig({ env: { MM_MARKET_PROFILE: 'kalshi' } });
    expect(loaded.profile).toBe('kalshi');
    const byKey = new Map(explainConfigJson(loaded).entries.map((e) => [e.key, e]));
    for (const [k, v] of Object.entries(KALSHI)) {
      expect(loaded.values[k as keyof typeof loaded.values]).toBe(v);
      expect(byKey.get(k)).toMatchObject({ value: v, source: 'profile', sourceLabel: 'profile kalshi' });
    }
    expect(byKey.get('MM_MARKET_PROFILE')).toMatchObject({ value: 'kalshi', source: 'env' });
    const text = explainConfig(loaded);
    expect(text).toMatch(/^MM_MICRO_VOL_MAX_BPS\s+1000\s+profile kalshi\s+bps of mid\s/m);
    expect(text).toContain('profile: kalshi');
  });

  it('a preset value wins over the profile', () => {
    const loaded = loadConfig({ env: { MM_MARKET_PROFILE: 'kalshi', KMM_PRESET: 'aggressive' } });
    expect([loaded.values.min_spread, loaded.sources.min_spread]).toEqual([CONFIG_PRESETS.aggressive.min_spread, 'preset']);
    expect([loaded.values.MM_MIN_OFFSET_BPS, loaded.sources.MM_MIN_OFFSET_BPS]).toEqual([0, 'profile']);
    // No seed preset sets a key of today's kalshi profile, so give the profile one for this test
    // (the very object loading reads): the preset's value must still win, labelled as the preset.
    const profile = CONFIG_PROFILES.kalshi as Record<string, unknown>;
    profile.min_spread = 0.012;
    try {
      const both = loadConfig({ env: { MM_MARKET_PROFILE: 'kalshi', KMM_PRESET: 'aggressive' } });
      expect([both.values.min_spread, both.sources.min_spread]).toEqual([CONFIG_PRESETS.aggressive.min_spread, 'preset']);
      expect(explainConfig(both)).toMatch(/^min_spread\s+0\.015\s+preset aggressive\s/m);
      // without the preset, the profile's value applies
      const alone = loadConfig({ env: { MM_MARKET_PROFILE: 'kalshi' } });
      expect([alone.values.min_spread, alone.sources.min_spread]).toEqual([0.012, 'profile']);
    } finally {
      delete profile.min_spread;
    }
  });

  it("a user's value (file, env, --set) wins over the profile", () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmm-profile-'));
    const file = join(dir, 'kmm.yaml');
    writeFileSync(file, 'MM_MICRO_VOL_MAX_BPS: 900\n');
    const l = demo({ horizon_s: '120' }, { KMM_RISK_AVERSION: '0.05' }, file).loaded;
    expect([l.values.MM_MICRO_VOL_MAX_BPS, l.sources.MM_MICRO_VOL_MAX_BPS]).toEqual([900, 'file']);
    expect([l.values.risk_aversion, l.sources.risk_aversion]).toEqual([0.05, 'env']);
    expect([l.values.horizon_s, l.sources.horizon_s]).toEqual([120, 'cli']);
    expect([l.values.MM_MIN_OFFSET_BPS, l.sources.MM_MIN_OFFSET_BPS]).toEqual([0, 'profile']);
  });

  it('demo uses the kalshi profile by default, and prints its safe-range warnings at start', () => {
    const { loaded, warnings } = demo();
    expect(loaded.profile).toBe('kalshi');
    expect([loaded.values.MM_MARKET_PROFILE, loaded.sources.MM_MARKET_PROFILE, loaded.command]).toEqual(['kalshi', 'command', 'demo']);
    for (const [k, v] of Object.entries(KALSHI)) expect([k, loaded.values[k as keyof typeof loaded.values]]).toEqual([k, v]);
    // the demo's simulator facts are its own visible layer
    expect([loaded.values.min_liquidity, loaded.sources.min_liquidity]).toEqual([0, 'command']);
    expect(explainConfig(loaded)).toMatch(/^min_liquidity\s+0\s+command demo\s/m);
    // the profile's own values lie inside its own safe ranges: a default demo prints no safe-range warning
    expect(warnings.filter((w) => w.includes('[safe_range'))).toEqual([]);
  });

  it("under the kalshi profile its own safe ranges replace the seed's (bps of a crypto mid), and explain shows them", () => {
    // 8 bps is the seed's value: sensible on a crypto mid, far below a tick on a 1c grid
    const seedValue = demo({ MM_MICRO_VOL_MAX_BPS: '8' });
    expect(seedValue.warnings.some((w) => w.startsWith('warning: MM_MICRO_VOL_MAX_BPS=8 (from cli)') && w.includes('kalshi profile safe range 500–2500'))).toBe(true);
    const inRange = demo({ MM_MICRO_VOL_MAX_BPS: '1500' });
    expect(inRange.warnings.filter((w) => w.includes('[safe_range'))).toEqual([]);
    const byKey = new Map(explainConfigJson(inRange.loaded).entries.map((e) => [e.key, e]));
    expect([byKey.get('MM_MICRO_VOL_MAX_BPS')!.safeMin, byKey.get('MM_MICRO_VOL_MAX_BPS')!.safeMax]).toEqual([500, 2500]);
    // the legacy profile keeps the seed's range: 1500 bps is outside 4-15 there
    const legacy = loadConfig({ env: { MM_MICRO_VOL_MAX_BPS: '1500' } });
    const legacyKey = explainConfigJson(legacy).entries.find((e) => e.key === 'MM_MICRO_VOL_MAX_BPS')!;
    expect([legacyKey.safeMin, legacyKey.safeMax]).toEqual([4, 15]);
    expect(legacy.warnings.some((w) => w.startsWith('MM_MICRO_VOL_MAX_BPS=1500') && w.includes('004 safe range 4–15'))).toBe(true);
  });

  it('every *_BPS key states its unit as bps of the mid', () => {
    const bpsKeys = CONFIG_SPECS.filter((s) => /_BPS$/.test(s.key));
    expect(bpsKeys.length).toBeGreaterThan(10);
    for (const s of bpsKeys) expect([s.key, s.unit]).toEqual([s.key, 'bps of mid']);
  });

  it('--set MM_MARKET_PROFILE=legacy gives the seed values', () => {
    const { loaded } = demo({ MM_MARKET_PROFILE: 'legacy' });
    expect([loaded.profile, loaded.sources.MM_MARKET_PROFILE]).toEqual(['legacy', 'cli']);
    for (const k of Object.keys(KALSHI)) {
      expect([k, loaded.values[k as keyof typeof loaded.values]]).toEqual([k, defaultOf(k)]);
      expect(loaded.sources[k]).toBe('default');
    }
    // other commands keep the registry default, legacy
    expect(loadConfig({ env: {} }).profile).toBe('legacy');
  });

  it('a record naming the profile gets its values too (resolveConfig, the DST and chaos config)', () => {
    expect(resolveConfig({ MM_MARKET_PROFILE: 'kalshi' }).risk_aversion).toBe(KALSHI.risk_aversion);
    expect(resolveConfig({ MM_MARKET_PROFILE: 'kalshi', risk_aversion: 0.2 }).risk_aversion).toBe(0.2);
    expect(resolveConfig({}).risk_aversion).toBe(defaultOf('risk_aversion'));
  });

  it("README's profile table lists exactly the kalshi profile's values (the registry is the one source; this keeps the copy honest)", () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const row = readme.split('\n').find((l) => l.startsWith('| `kalshi` |'));
    expect(row, 'README has no `kalshi` row in its profile table').toBeDefined();
    const listed = Object.fromEntries([...row!.matchAll(/(\w+)=(\S+?)(?=[ `])/g)].map((m) => [m[1], m[2]]));
    expect(listed).toEqual(Object.fromEntries(Object.entries(KALSHI).map(([k, v]) => [k, String(v)])));
  });
});
