/**
 * The config registry (`@kmm/shared` CONFIG_SPECS) is the one place a key's type, default, range
 * and live-safety are written; the actors only derive unit-named params from a validated
 * KmmConfig. This test ties what `kmm config explain --json` reports (explainConfigJson) to what
 * the actors actually use:
 *  - every key an actor derivation reads is a registry key (reads recorded through a Proxy);
 *  - the derivation from explain's defaults equals the derivation from resolveConfig({});
 *  - the keys strategy and exec accept in a live CONFIG_UPDATE are exactly the registry's
 *    liveSafe keys;
 *  - resolveConfig rejects an out-of-range value with a ConfigError naming key and range;
 *  - no worker core keeps its own bounds or defaults (the old parser helpers are gone).
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CONFIG_SPECS, ConfigError, explainConfigJson, kmm, loadConfig, resolveConfig, type ConfigValue, type KmmConfig,
} from '@kmm/shared';
import { StrategyCore, strategyParamsOf } from '@kmm/strategy-worker';
import { ExecCore, execParamsOf } from '@kmm/exec-worker';
import { ingestParamsOf } from '@kmm/ingest-worker';
import { bookParamsOf } from '@kmm/book-worker';

const DERIVATIONS: Record<string, (cfg: KmmConfig) => unknown> = {
  strategy: strategyParamsOf,
  exec: execParamsOf,
  ingest: ingestParamsOf,
  book: bookParamsOf,
};

const explained = explainConfigJson(loadConfig({ env: {} }));
const EXPLAINED_BY_KEY = new Map(explained.entries.map((e) => [e.key, e]));

/** The registry keys a derivation reads: a Proxy over the config records every property read. */
function readsOf(derive: (cfg: KmmConfig) => unknown): Set<string> {
  const reads = new Set<string>();
  const cfg = new Proxy(resolveConfig({}), {
    get(target, key, receiver) {
      if (typeof key === 'string') reads.add(key);
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  derive(cfg);
  return reads;
}

describe('config registry vs the actors', () => {
  it('explain lists every registry key, and its values are the defaults with no input', () => {
    expect(explained.entries.map((e) => e.key)).toEqual(CONFIG_SPECS.map((s) => s.key));
    for (const e of explained.entries) expect(e.value, e.key).toEqual(e.default);
  });

  for (const [actor, derive] of Object.entries(DERIVATIONS)) {
    it(`${actor}: every key its params derivation reads is a registry key shown by explain`, () => {
      const reads = readsOf(derive);
      expect(reads.size).toBeGreaterThan(0);
      const unknown = [...reads].filter((k) => !EXPLAINED_BY_KEY.has(k));
      expect(unknown).toEqual([]);
    });

    it(`${actor}: params from explain's defaults equal params from resolveConfig({})`, () => {
      const fromExplain: Record<string, ConfigValue> = {};
      for (const e of explained.entries) fromExplain[e.key] = e.default;
      expect(derive(fromExplain as KmmConfig)).toEqual(derive(resolveConfig({})));
    });

    it(`${actor}: the derivation gives finite numbers at each read key's explained min and max`, () => {
      for (const key of readsOf(derive)) {
        const e = EXPLAINED_BY_KEY.get(key)!;
        if (e.min === undefined || e.max === undefined) continue;
        for (const v of [e.min, e.max]) {
          const params = derive({ ...resolveConfig({}), [key]: v } as KmmConfig);
          const bad = Object.entries(flatten(params)).filter(([, x]) => typeof x === 'number' && !Number.isFinite(x));
          expect(bad, `${key}=${v}`).toEqual([]);
        }
      }
    });
  }

  it('strategy: a live CONFIG_UPDATE is accepted exactly for the registry liveSafe keys', () => {
    const cfg = resolveConfig({});
    const core = new StrategyCore(strategyParamsOf(cfg), [], { startMs: 0 });
    const accepted: string[] = [];
    for (const s of CONFIG_SPECS) {
      const fx = core.onControl({ kind: kmm.v1.ControlKind.CONFIG_UPDATE, json: JSON.stringify({ [s.key]: cfg[s.key] }) }, 1);
      const events = fx.opsEvents.map((o) => o.event);
      expect(events.some((e) => e === 'config_updated' || e === 'config_update_rejected'), s.key).toBe(true);
      if (events.includes('config_updated')) accepted.push(s.key);
    }
    expect(accepted).toEqual(CONFIG_SPECS.filter((s) => s.liveSafe).map((s) => s.key));
  });

  it('exec: a live CONFIG_UPDATE is accepted exactly for the registry liveSafe keys', () => {
    const cfg = resolveConfig({ kmm_shards: 1 });
    const core = new ExecCore(execParamsOf(cfg), { runId: 'r', markets: [], nowMs: 0 });
    const accepted: string[] = [];
    for (const s of CONFIG_SPECS) {
      const fx = core.onControl({ kind: kmm.v1.ControlKind.CONFIG_UPDATE, json: JSON.stringify({ [s.key]: cfg[s.key] }) }, 1);
      const events = fx.ops.map((o) => o.event);
      expect(events.some((e) => e === 'exec_config_updated' || e === 'exec_config_rejected'), s.key).toBe(true);
      if (events.includes('exec_config_updated')) accepted.push(s.key);
    }
    expect(accepted).toEqual(CONFIG_SPECS.filter((s) => s.liveSafe).map((s) => s.key));
  });

  it('kmm_read_share_fraction (a cluster gateway\'s share of the read bucket): explained with its range, read by exec only, at restart', () => {
    const e = EXPLAINED_BY_KEY.get('kmm_read_share_fraction')!;
    expect(e).toMatchObject({ env: 'KMM_READ_SHARE_FRACTION', value: 1, default: 1, source: 'default', type: 'number', unit: 'fraction', group: 'connection', min: 0.001, max: 1, liveSafe: false });
    expect(e.meaning).toMatch(/never below one reconcile \(30 tokens\)/);
    const set = explainConfigJson(loadConfig({ env: { KMM_READ_SHARE_FRACTION: '0.25' } })).entries.find((x) => x.key === 'kmm_read_share_fraction')!;
    expect([set.value, set.source]).toEqual([0.25, 'env']);
    const users = Object.entries(DERIVATIONS).filter(([, derive]) => readsOf(derive).has('kmm_read_share_fraction')).map(([actor]) => actor);
    expect(users).toEqual(['exec']);
  });

  it('a live update goes through the registry bounds and re-derives the params', () => {
    const core = new StrategyCore(strategyParamsOf(resolveConfig({})), [], { startMs: 0 });
    let fx = core.onControl({ kind: kmm.v1.ControlKind.CONFIG_UPDATE, json: JSON.stringify({ base_spread: 0.06 }) }, 1);
    expect(fx.opsEvents.map((o) => o.event)).toContain('config_updated');
    expect(core.params.baseSpreadPrice).toBe(600);
    fx = core.onControl({ kind: kmm.v1.ControlKind.CONFIG_UPDATE, json: JSON.stringify({ MM_INVENTORY_HARD_PCT: 5 }) }, 2);
    const rejected = fx.opsEvents.find((o) => o.event === 'config_update_rejected');
    expect(String(rejected?.fields.error)).toContain('MM_INVENTORY_HARD_PCT=5');
    expect(String(rejected?.fields.error)).toContain('between 0 and 1');
  });
});

describe('resolveConfig', () => {
  it('fills defaults, applies the named 002 preset under the record, and rejects out-of-range values naming key and range', () => {
    expect(resolveConfig({}).kmm_reconnect_max_ms).toBe(30_000);
    expect(resolveConfig({ kmm_preset: 'conservative' }).base_spread).toBe(0.06);
    expect(resolveConfig({ kmm_preset: 'conservative', base_spread: 0.07 }).base_spread).toBe(0.07);
    let err: unknown;
    try {
      resolveConfig({ MM_MAX_POS: 0 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe('MM_MAX_POS');
    expect((err as Error).message).toBe('MM_MAX_POS=0 (from record): expected an integer between 1 and 100000');
    expect(() => resolveConfig({ MM_MAX_POSS: 3 })).toThrow(/MM_MAX_POSS.*did you mean MM_MAX_POS/);
    expect(() => resolveConfig({ min_spread: 0.2 })).toThrow(/min_spread=0.2 \(from record\): expected at most base_spread/);
  });
});

describe('no worker core keeps its own config bounds', () => {
  it('the old per-actor parsers and their default/bound tables are gone', () => {
    const root = fileURLToPath(new URL('../packages', import.meta.url));
    const banned = /\b(parseParams|paramsFromConfig|execParamsFrom|ingestParamsFrom|bookParamsFrom|featureParamsFrom|STRATEGY_KEYS|EXEC_DEFAULTS|INGEST_DEFAULTS|FEATURE_DEFAULTS|LIVE_SAFE_KEYS|class ConfigError)\b/;
    const hits: string[] = [];
    for (const pkg of readdirSync(root).filter((d) => d.endsWith('-worker'))) {
      for (const file of walk(join(root, pkg, 'src', 'core'))) {
        readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
          if (banned.test(line)) hits.push(`${file}:${i + 1}: ${line.trim()}`);
        });
      }
    }
    expect(hits).toEqual([]);
  });
});

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Nested params -> flat `a.b` -> value, skipping the embedded config record. */
function flatten(v: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === 'source' || k === 'config') continue;
      flatten(x, prefix ? `${prefix}.${k}` : k, out);
    }
  } else out[prefix] = v;
  return out;
}
