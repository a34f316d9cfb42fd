import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CONFIG_LIMIT_RULES, CONFIG_PRESETS, CONFIG_RELATIONS, CONFIG_SCHEMA, CONFIG_SPECS, ConfigError, cliFromAssignments, defaultConfig, positionCapsOf,
  explainConfig, explainConfigJson, loadConfig, parseValue, validateLiveUpdate,
  type ConfigSpec, type ConfigValue, type LoadedConfig,
} from '../src/config/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const seedsDir = path.resolve(repoRoot, '../shared/seeds');
const seed = (prefix: string): string => {
  const f = fs.readdirSync(seedsDir).find((n) => n.startsWith(prefix + '_'));
  if (!f) throw new Error(`seed ${prefix} not found in ${seedsDir}`);
  return fs.readFileSync(path.join(seedsDir, f), 'utf8');
};

const SPECS = CONFIG_SPECS as readonly ConfigSpec[];
const byKey = new Map(SPECS.map((s) => [s.key, s]));
const vals = (l: LoadedConfig): Record<string, ConfigValue> => l.values as unknown as Record<string, ConfigValue>;

let tmp: string;
beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kmm-config-')); });
afterAll(() => { fs.rmSync(tmp, { recursive: true, force: true }); });
function writeTmp(name: string, text: string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
}
function catchConfigError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('config registry', () => {
  it('has unique keys, env names and case/dash-insensitive names', () => {
    const loose = new Map<string, string>();
    for (const s of SPECS) {
      for (const n of [s.key, s.env]) {
        const l = n.toLowerCase();
        const prev = loose.get(l);
        if (prev !== undefined) expect(prev, `${n} collides`).toBe(s.key);
        loose.set(l, s.key);
      }
    }
    expect(new Set(SPECS.map((s) => s.key)).size).toBe(SPECS.length);
    expect(new Set(SPECS.map((s) => s.env)).size).toBe(SPECS.length);
  });

  it('derives env names as documented', () => {
    for (const s of SPECS) {
      if (s.key.startsWith('MM_')) expect(s.env).toBe(s.key);
      else if (s.key.startsWith('kmm_')) expect(s.env).toBe('KMM_' + s.key.slice(4).toUpperCase());
      else expect(s.env).toBe('KMM_' + s.key.toUpperCase());
    }
  });

  it('every default is within its own bounds and safe range within hard bounds', () => {
    for (const s of SPECS) {
      const r = parseValue(s, s.default);
      expect(r.ok, `${s.key} default ${String(s.default)}`).toBe(true);
      if (s.type === 'number' || s.type === 'int') {
        expect(s.min).toBeLessThanOrEqual(s.max);
        if (s.safeMin !== undefined) expect(s.safeMin).toBeGreaterThanOrEqual(s.min);
        if (s.safeMax !== undefined) expect(s.safeMax).toBeLessThanOrEqual(s.max);
      }
      if (s.type === 'enum') expect(s.values).toContain(s.default);
      expect(s.meaning.length, s.key).toBeGreaterThan(10);
      expect(s.meaning).not.toContain('\n');
      expect(s.unit.length).toBeGreaterThan(0);
    }
    expect(CONFIG_SCHEMA.safeParse(defaultConfig()).success).toBe(true);
  });

  it('defaults satisfy the cross-field relations', () => {
    const d = defaultConfig() as unknown as Record<string, number>;
    for (const [lo, hi, strict] of CONFIG_RELATIONS) {
      expect(byKey.has(lo) && byKey.has(hi), `${lo} ${hi}`).toBe(true);
      expect(strict ? d[lo] < d[hi] : d[lo] <= d[hi], `${lo} vs ${hi}`).toBe(true);
    }
  });

  it('aliases mirror their canonical key', () => {
    const aliases = SPECS.filter((s) => s.aliasOf);
    expect(aliases.map((s) => s.key).sort()).toEqual(['kmm_heartbeat_timeout_s', 'kmm_market_profile', 'kmm_max_order_contracts', 'kmm_stale_window_s']);
    for (const a of aliases) {
      const c = byKey.get(a.aliasOf!)!;
      expect(a.type).toBe(c.type);
      expect(a.default).toBe(c.default);
      expect(a.liveSafe).toBe(c.liveSafe);
    }
  });

  it('contains every MM_* variable named in seeds 004 and 000', () => {
    const names = new Set([...(seed('004') + seed('000')).matchAll(/\bMM_[A-Z0-9_]+/g)].map((m) => m[0]));
    expect(names.size).toBeGreaterThan(60);
    for (const n of names) expect(byKey.has(n), n).toBe(true);
    // MM_* keys are the seeds' own, except the ones an issue named in the seeds' style (system keys, seed 'sys')
    const ISSUE_NAMED_MM_KEYS = new Set(['MM_MAX_TOTAL_NOTIONAL_USD', 'MM_MAX_EVENT_LOSS_USD', 'MM_MAX_TOTAL_LOSS_USD']);
    const mmKeys = SPECS.filter((s) => s.key.startsWith('MM_') && !ISSUE_NAMED_MM_KEYS.has(s.key)).map((s) => s.key);
    for (const k of mmKeys) expect(names.has(k), `${k} is not in the seeds`).toBe(true);
    for (const k of ISSUE_NAMED_MM_KEYS) expect([k, byKey.get(k)?.seed, names.has(k)]).toEqual([k, 'sys', false]);
  });

  it('matches the 004 tables: default and safe range of every row', () => {
    const rows = [...seed('004').matchAll(/^\| `(MM_[A-Z0-9_]+)` \| ([^|]+) \|(.*)\|\s*$/gm)];
    expect(rows.length).toBe(30);
    for (const [, name, defText, rest] of rows) {
      const s = byKey.get(name)!;
      const d = defText.trim();
      if (d === 'true' || d === 'false') expect(s.default, name).toBe(d === 'true');
      else expect(s.default, name).toBe(Number(d));
      const cells = rest.split('|').map((c) => c.trim());
      const safe = cells.length >= 4 ? cells[2] : cells[1];
      const m = /^([\d.]+)–([\d.]+)$/.exec(safe);
      if (m && (s.type === 'number' || s.type === 'int')) {
        expect([s.safeMin, s.safeMax], name).toEqual([Number(m[1]), Number(m[2])]);
      } else if (safe === 'true (always)') {
        expect(s.type === 'bool' && s.safeValue, name).toBe(true);
      }
    }
  });

  it('defaults match the 004 crypto baseline and the 000 environment block', () => {
    const lines = [...(seed('004') + seed('000')).matchAll(/^(?:- `|)(MM_[A-Z0-9_]+)=([\w.]+)/gm)];
    expect(lines.length).toBeGreaterThan(25);
    for (const [, name, v] of lines) {
      if (name === 'MM_MARKET_PROFILE') continue; // the baseline switches it to crypto; default stays legacy
      if (name === 'MM_MAX_LONG_POS' || name === 'MM_MAX_SHORT_POS') {
        // default -1 = unset: the side follows MM_MAX_POS (issue 15), which gives the seed's 5
        const c = positionCapsOf(defaultConfig());
        expect(name === 'MM_MAX_LONG_POS' ? c.long.contracts : c.short.contracts, name).toBe(Number(v));
        continue;
      }
      const s = byKey.get(name)!;
      expect(s.default, name).toBe(v === 'true' ? true : v === 'false' ? false : Number(v));
    }
    expect(defaultConfig().MM_MARKET_PROFILE).toBe('legacy');
  });

  it('presets are the 002 MarketMakingConfig examples, plus the caps their quote sizes need', () => {
    const text = seed('002');
    const block = (name: string): Record<string, number> => {
      const m = new RegExp(`${name} = MarketMakingConfig\\(([\\s\\S]*?)\\n\\)`).exec(text);
      if (!m) throw new Error(name);
      const out: Record<string, number> = {};
      for (const f of m[1].matchAll(/(\w+)=(?:Decimal\("([\d.]+)"\)|(\d+))/g)) out[f[1]] = Number(f[2] ?? f[3]);
      return out;
    };
    // Deliberate differences (README, Configuration): each preset adds the 000 cap (MM_MAX_POS, both
    // sides follow it) at twice its quote size (the seed's presets predate MM_MAX_POS 5, which contradicts their quote sizes),
    // and aggressive quotes 15, not 20, because its rebalance_threshold 30 bounds its cap at 30.
    const caps = (c: number) => ({ MM_MAX_POS: c });
    expect(CONFIG_PRESETS.conservative).toEqual({ ...block('conservative_config'), ...caps(10) });
    expect(CONFIG_PRESETS.aggressive).toEqual({ ...block('aggressive_config'), quote_size: 15, ...caps(30) });
    expect(block('aggressive_config').quote_size).toBe(20);
    expect(CONFIG_PRESETS.high_frequency).toEqual({ ...block('hft_config'), ...caps(6) });
    for (const name of Object.keys(CONFIG_PRESETS)) expect(() => loadConfig({ env: { KMM_PRESET: name } }), name).not.toThrow();
    for (const p of Object.values(CONFIG_PRESETS)) {
      for (const [k, v] of Object.entries(p)) expect(parseValue(byKey.get(k)!, v).ok, k).toBe(true);
    }
  });

  it('has the named model parameters and system keys', () => {
    for (const k of ['risk_aversion', 'horizon_s', 'Q_critical', 'Q_target', 'MAX_QUEUE_DEPTH', 'DESIRED_INVENTORY',
      'IMPULSE_CONTROL_ENABLED', 'QUEUE_OPTIMIZATION_ENABLED', 'toxicity_threshold', 'stale_data_s', 'rate_limit_pause_s',
      'heartbeat_threshold_s', 'base_spread', 'paper_mode', 'kmm_env', 'kmm_shards', 'kmm_rate_tier', 'kmm_preset',
      'kmm_private_key_path', 'kmm_pricing_model', 'kmm_log_level', 'kmm_adopt_orders_on_start', 'kmm_external_fair_values',
      'kmm_order_group_contracts_limit', 'kmm_mailbox_capacity', 'kmm_journal_fsync_ms', 'kmm_dashboard_port']) {
      expect(byKey.has(k), k).toBe(true);
    }
    const d = defaultConfig();
    expect(d.Q_critical).toBe(600);
    expect(d.toxicity_threshold).toBe(0.05);
    expect(d.stale_data_s).toBe(5);
    expect(d.rate_limit_pause_s).toBe(2);
    expect(d.kmm_shards).toBeGreaterThanOrEqual(1);
    expect(byKey.get('kmm_shards')!.liveSafe).toBe(false);
    expect(byKey.get('kmm_api_key_id')!.liveSafe).toBe(false);
    expect(byKey.get('base_spread')!.liveSafe).toBe(true);
  });
});

describe('loadConfig', () => {
  it('with nothing set gives the defaults, all from default', () => {
    const l = loadConfig({ env: {} });
    expect(l.values).toEqual(defaultConfig());
    expect(new Set(Object.values(l.sources))).toEqual(new Set(['default']));
    expect(l.preset).toBe('none');
    expect(l.warnings).toEqual([]);
    expect(Object.keys(l.values)).toEqual(SPECS.map((s) => s.key));
  });

  it('applies precedence defaults < preset < file < env < cli', () => {
    const file = writeTmp('prec.yaml', 'kmm_preset: conservative\nquote_size: 3\nmax_markets: 6\nMM_MAX_POS: 9\n');
    const l0 = loadConfig({ env: {} });
    expect([l0.values.quote_size, l0.sources.quote_size]).toEqual([2, 'default']);
    const l1 = loadConfig({ file, env: {} });
    expect(l1.preset).toBe('conservative');
    expect([l1.values.base_spread, l1.sources.base_spread]).toEqual([0.06, 'preset']);
    expect([l1.values.quote_size, l1.sources.quote_size]).toEqual([3, 'file']);
    expect([l1.values.max_markets, l1.sources.max_markets]).toEqual([6, 'file']);
    expect([l1.values.risk_aversion, l1.sources.risk_aversion]).toEqual([0.1, 'default']);
    const l2 = loadConfig({ file, env: { KMM_QUOTE_SIZE: '4', MM_MAX_POS: '11', PATH: '/bin' } });
    expect([l2.values.quote_size, l2.sources.quote_size]).toEqual([4, 'env']);
    expect([l2.values.MM_MAX_POS, l2.sources.MM_MAX_POS]).toEqual([11, 'env']);
    expect([l2.values.max_markets, l2.sources.max_markets]).toEqual([6, 'file']);
    const l3 = loadConfig({ file, env: { KMM_QUOTE_SIZE: '4' }, cli: { quote_size: 5, 'mm-max-pos': '12' } });
    expect([l3.values.quote_size, l3.sources.quote_size]).toEqual([5, 'cli']);
    expect([l3.values.MM_MAX_POS, l3.sources.MM_MAX_POS]).toEqual([12, 'cli']);
    expect(l3.file).toBe(file);
  });

  it('chooses the preset from the highest layer and lets file values override it', () => {
    const file = writeTmp('preset.json', JSON.stringify({ KMM_PRESET: 'conservative', base_spread: 0.05 }));
    const l = loadConfig({ file, env: { KMM_PRESET: 'aggressive' }, cli: { kmm_preset: 'high_frequency' } });
    expect(l.preset).toBe('high_frequency');
    expect(l.values.kmm_preset).toBe('high_frequency');
    expect([l.values.quote_size, l.sources.quote_size]).toEqual([3, 'preset']);
    expect([l.values.max_quote_age_seconds, l.sources.max_quote_age_seconds]).toEqual([5, 'preset']);
    expect([l.values.base_spread, l.sources.base_spread]).toEqual([0.05, 'file']);
    const a = loadConfig({ env: { KMM_PRESET: 'aggressive' } });
    expect([a.values.max_position_size, a.values.max_spread, a.values.min_liquidity]).toEqual([150, 0.08, 3000]);
  });

  it('parses env strings by type (bool words, enum case, numbers)', () => {
    const l = loadConfig({ env: {
      MM_TREND_ENABLED: 'off', KMM_PAPER_MODE: 'YES', KMM_ENV: 'Demo', MM_POF_COOLDOWN_S: ' 2.5 ', KMM_RISK_AVERSION: '1e-2',
    } });
    expect(l.values.MM_TREND_ENABLED).toBe(false);
    expect(l.values.paper_mode).toBe(true);
    expect(l.values.kmm_env).toBe('demo');
    expect(l.values.MM_POF_COOLDOWN_S).toBe(2.5);
    expect(l.values.risk_aversion).toBe(0.01);
  });

  it('MM_MAX_POS=abc is an error naming variable, value and the allowed range', () => {
    const e = catchConfigError(() => loadConfig({ env: { MM_MAX_POS: 'abc' } }));
    expect(e.message).toBe('MM_MAX_POS=abc (from env): expected an integer between 1 and 100000');
    expect([e.variable, e.value, e.source]).toEqual(['MM_MAX_POS', 'abc', 'env']);
    expect(e.allowed).toBe('an integer between 1 and 100000');
  });

  it('rejects out-of-range, non-integer and prefix-numeric values', () => {
    for (const [name, v, allowed] of [
      ['MM_MAX_POS', '0', 'an integer between 1 and 100000'],
      ['MM_MAX_POS', '2.5', 'an integer between 1 and 100000'],
      ['MM_MAX_POS', '12abc', 'an integer between 1 and 100000'],
      ['MM_FAILURE_RATE_TRIP', '1.5', 'a number between 0.01 and 1'],
      ['MM_IMBALANCE_PAUSE_THRESHOLD', 'NaN', 'a number between 0 and 1'],
      ['MM_POF_COOLDOWN_S', '', 'a number between 0 and 300'],
      ['MM_CANCEL_ON_STALE_BOOK', 'maybe', 'true or false'],
      ['MM_MARKET_PROFILE', 'stocks', 'one of legacy, crypto, kalshi'],
      ['KMM_ENV', 'live', 'one of sim, demo, prod'],
      ['KMM_REST_BASE_URL', 'ftp://x', 'empty or an http(s):// URL'],
    ] as const) {
      const e = catchConfigError(() => loadConfig({ env: { [name]: v } }));
      expect(e.message).toBe(`${name}=${v} (from env): expected ${allowed}`);
    }
  });

  it('rejects unknown MM_ variables with a suggestion; warns on unknown KMM_; ignores the rest', () => {
    const e = catchConfigError(() => loadConfig({ env: { MM_MAX_POSS: '3' } }));
    expect(e.message).toBe('MM_MAX_POSS=3 (from env): expected a known MM_ variable; did you mean MM_MAX_POS?');
    const far = catchConfigError(() => loadConfig({ env: { MM_TOTALLY_DIFFERENT_THING: '1' } }));
    expect(far.message).toContain('MM_TOTALLY_DIFFERENT_THING=1 (from env): expected a known MM_ variable');
    const l = loadConfig({ env: { KMM_BASE_SPRED: '0.05', HOME: '/root', MMX: '1' } });
    expect(l.warnings).toEqual(['KMM_BASE_SPRED=0.05 (from env): unknown KMM_ variable, ignored; did you mean KMM_BASE_SPREAD?']);
  });

  it('rejects unknown file keys with the file name and a suggestion', () => {
    const file = writeTmp('unknown.yaml', 'base_spreed: 0.05\n');
    const e = catchConfigError(() => loadConfig({ file, env: {} }));
    expect(e.message).toBe(`base_spreed=0.05 (from file ${file}): expected a known configuration key; did you mean base_spread?`);
    const cli = catchConfigError(() => loadConfig({ env: {}, cli: { 'quote-sise': 3 } }));
    expect(cli.message).toContain('quote-sise=3 (from cli): expected a known configuration key; did you mean');
  });

  it('reports a malformed YAML file with its name and line', () => {
    const file = writeTmp('bad.yaml', 'quote_size: 5\nbase_spread: [0.04\nmax_markets: 3\n');
    const e = catchConfigError(() => loadConfig({ file, env: {} }));
    expect(e.variable).toBe(file);
    expect(e.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: invalid YAML: `));
    expect(e.message).toMatch(/:(2|3|4):/);
    const dup = writeTmp('dup.yaml', 'quote_size: 5\nquote_size: 6\n');
    expect(catchConfigError(() => loadConfig({ file: dup, env: {} })).message).toContain(`${dup}:2:`);
  });

  it('reports a malformed JSON file with its name and line', () => {
    const file = writeTmp('bad.json', '{\n  "quote_size": 5,\n  "base_spread": 0.04,\n}\n');
    const e = catchConfigError(() => loadConfig({ file, env: {} }));
    expect(e.message).toMatch(new RegExp(`bad\\.json:4:\\d+: invalid JSON: `));
  });

  it('rejects wrong file shapes, types and extensions', () => {
    expect(catchConfigError(() => loadConfig({ file: writeTmp('list.yaml', '- a\n- b\n'), env: {} })).message)
      .toContain('expected a mapping of KEY: value');
    expect(catchConfigError(() => loadConfig({ file: writeTmp('obj.yaml', 'quote_size:\n  a: 1\n'), env: {} })).message)
      .toContain('quote_size={"a":1} (from file');
    expect(catchConfigError(() => loadConfig({ file: writeTmp('c.toml', 'a=1'), env: {} })).message)
      .toContain('expected .yaml, .yml or .json');
    expect(catchConfigError(() => loadConfig({ file: path.join(tmp, 'missing.yaml'), env: {} })).message)
      .toContain('cannot read config file (ENOENT)');
  });

  it('accepts env names as file keys and an empty file', () => {
    const file = writeTmp('envnames.yml', 'KMM_QUOTE_SIZE: 2\nMM_MAX_POS: "7"\nkmm_env: demo\n');
    const l = loadConfig({ file, env: {} });
    expect([l.values.quote_size, l.values.MM_MAX_POS, l.values.kmm_env]).toEqual([2, 7, 'demo']);
    expect(loadConfig({ file: writeTmp('empty.yaml', ''), env: {} }).values).toEqual(defaultConfig());
  });

  it('collects every error into one ConfigError', () => {
    const e = catchConfigError(() => loadConfig({ env: { MM_MAX_POS: 'abc', MM_SKEW_SHAPE_K: '-1' } }));
    expect(e.errors.length).toBe(2);
    expect(e.message).toContain('MM_MAX_POS=abc (from env)');
    expect(e.message).toContain('MM_SKEW_SHAPE_K=-1 (from env): expected a number between 0 and 20');
  });

  it('checks cross-field relations and blames the higher-precedence value', () => {
    const e = catchConfigError(() => loadConfig({ env: {}, cli: { min_spread: 0.05 } }));
    expect(e.message).toBe('min_spread=0.05 (from cli): expected at most base_spread (0.04, from default)');
    const f = catchConfigError(() => loadConfig({ env: { KMM_Q_CRITICAL: '400' } }));
    expect(f.message).toBe('Q_critical=400 (from env): expected greater than Q_target (500, from default)');
  });

  it('keeps aliases in step and rejects conflicting alias values', () => {
    const l = loadConfig({ env: { KMM_MARKET_PROFILE: 'crypto', KMM_STALE_WINDOW_S: '7' } });
    expect([l.values.MM_MARKET_PROFILE, l.values.kmm_market_profile]).toEqual(['crypto', 'crypto']);
    expect([l.sources.MM_MARKET_PROFILE, l.sources.kmm_market_profile]).toEqual(['env', 'env']);
    expect([l.values.stale_data_s, l.values.kmm_stale_window_s]).toEqual([7, 7]);
    const e = catchConfigError(() => loadConfig({ env: { KMM_MARKET_PROFILE: 'crypto', MM_MARKET_PROFILE: 'legacy' } }));
    expect(e.message).toContain('expected one value');
  });

  it('accepts values outside the 004 safe range with a warning', () => {
    const l = loadConfig({ env: { MM_MIN_REPRICE_MOVE_TICKS: '7', MM_CANCEL_ON_STALE_BOOK: 'false' } });
    expect(l.values.MM_MIN_REPRICE_MOVE_TICKS).toBe(7);
    expect(l.warnings).toEqual([
      'MM_MIN_REPRICE_MOVE_TICKS=7 (from env) is outside the 004 safe range 1–5 (hard limits 0–100)',
      'MM_CANCEL_ON_STALE_BOOK=false (from env) is not the 004 safe value true (the guide says always true)',
    ]);
  });

  it('gives a JSON-serialisable config that reloads to the same values', () => {
    const l = loadConfig({ env: { KMM_PRESET: 'aggressive', MM_MAX_POS: '3', KMM_QUOTE_SIZE: '1', KMM_EXTERNAL_FAIR_VALUES: 'http://127.0.0.1:1/fv' } });
    const json = JSON.stringify(l.values);
    expect(JSON.parse(json)).toEqual(l.values);
    const file = writeTmp('roundtrip.json', json);
    const again = loadConfig({ file, env: {} });
    expect(again.values).toEqual(l.values);
  });

  it('parses --set KEY=VALUE assignments', () => {
    expect(cliFromAssignments(['MM_MAX_POS=3', 'kmm_external_fair_values=http://h/x?a=b'])).toEqual({
      MM_MAX_POS: '3', kmm_external_fair_values: 'http://h/x?a=b',
    });
    expect(catchConfigError(() => cliFromAssignments(['oops'])).message).toContain('expected KEY=VALUE');
  });

  it('round-trips any in-range value through its env string (property)', () => {
    const relationKeys = new Set([...CONFIG_RELATIONS.flatMap(([a, b]) => [a, b]), ...CONFIG_LIMIT_RULES.flatMap((r) => r.keys)]);
    const valueArb = (s: ConfigSpec): fc.Arbitrary<ConfigValue> => {
      switch (s.type) {
        case 'int': return fc.integer({ min: s.min, max: s.max });
        case 'number': return fc.double({ min: s.min, max: s.max, noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x));
        case 'bool': return fc.boolean();
        case 'enum': return fc.constantFrom(...s.values);
        case 'string': return fc.string({ maxLength: 40 }).filter((x) => s.pattern.test(x));
      }
    };
    const canonical = SPECS.filter((s) => !s.aliasOf);
    fc.assert(fc.property(
      fc.constantFrom(...canonical).chain((s) => fc.tuple(fc.constant(s), valueArb(s))),
      ([s, v]) => {
        const text = String(v);
        const r = parseValue(s, text);
        expect(r).toEqual({ ok: true, value: v });
        if (!relationKeys.has(s.key)) {
          const l = loadConfig({ env: { [s.env]: text } });
          expect(vals(l)[s.key]).toEqual(v);
          expect(l.sources[s.key]).toBe('env');
        }
      },
    ), { numRuns: 1000 });
  });
});

describe('explainConfig', () => {
  it('lists every key with value, source, unit and meaning, grouped and aligned', () => {
    const l = loadConfig({ env: { MM_MAX_POS: '4', MM_MIN_REPRICE_MOVE_TICKS: '9' }, cli: { base_spread: 0.05 } });
    const text = explainConfig(l);
    const lines = text.split('\n');
    for (const s of SPECS) {
      const row = lines.find((x) => x.startsWith(s.key + ' '));
      expect(row, s.key).toBeDefined();
    }
    const row = (k: string): string[] => lines.find((x) => x.startsWith(k + ' '))!.split(/\s{2,}/);
    expect(row('MM_MAX_POS').slice(0, 4)).toEqual(['MM_MAX_POS', '4', 'env', 'contracts']);
    expect(row('base_spread').slice(0, 4)).toEqual(['base_spread', '0.05', 'cli', 'USD']);
    expect(row('quote_size').slice(0, 4)).toEqual(['quote_size', '2', 'default', 'contracts']);
    expect(row('kmm_private_key_path')[1]).toBe('""');
    expect(row('kmm_shards')[4]).toContain('[restart]');
    // aligned: in every table row the VALUE column starts at the same offset
    const header = lines.find((x) => x.startsWith('KEY '))!;
    const valueCol = header.indexOf('VALUE');
    for (const s of SPECS) {
      const r = lines.find((x) => x.startsWith(s.key + ' '))!;
      expect(r[valueCol - 1]).toBe(' ');
      expect(r[valueCol]).not.toBe(' ');
    }
    expect(lines.filter((x) => x.startsWith('## ')).length).toBeGreaterThan(10);
    expect(text).toContain('## warnings');
    expect(text).toContain('MM_MIN_REPRICE_MOVE_TICKS=9 (from env) is outside the 004 safe range 1–5');
  });

  it('has a JSON form with every key', () => {
    const l = loadConfig({ env: {} });
    const j = explainConfigJson(l);
    expect(j.entries.map((e) => e.key)).toEqual(SPECS.map((s) => s.key));
    const e = j.entries.find((x) => x.key === 'MM_MIN_REPRICE_MOVE_TICKS')!;
    expect(e).toMatchObject({ value: 2, source: 'default', safeMin: 1, safeMax: 5, min: 0, max: 100, seed: '004', liveSafe: true });
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });
});

describe('validateLiveUpdate', () => {
  const current = (): LoadedConfig => loadConfig({ env: {} });

  it('accepts live-safe changes and lists what changed', () => {
    const r = validateLiveUpdate(current(), { base_spread: '0.05', MM_SKEW_MAX_BPS: 30, quote_size: 2 }, 'control');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.values.base_spread).toBe(0.05);
    expect(r.changes).toEqual([
      { key: 'MM_SKEW_MAX_BPS', from: 20, to: 30 },
      { key: 'base_spread', from: 0.04, to: 0.05 },
    ]);
    expect(r.warnings).toEqual([]);
  });

  it('rejects keys that need a restart, bad values and broken relations', () => {
    const r = validateLiveUpdate(current(), { kmm_shards: 3, KMM_API_KEY_ID: 'x', MM_MAX_POS: 'abc' }, 'control');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.message)).toEqual([
      'kmm_shards=3 (from control): expected a key that can change while running; kmm_shards takes effect only at restart (current '
        + String(defaultConfig().kmm_shards) + ')',
      'KMM_API_KEY_ID=x (from control): expected a key that can change while running; kmm_api_key_id takes effect only at restart (current )',
      'MM_MAX_POS=abc (from control): expected an integer between 1 and 100000',
    ]);
    const rel = validateLiveUpdate(current(), { max_spread: 0.03 }, 'dashboard');
    expect(rel.ok).toBe(false);
    if (rel.ok) return;
    expect(rel.errors[0].message).toBe('max_spread=0.03 (from dashboard): expected at least base_spread (0.04, from current config)');
    const unknown = validateLiveUpdate(current(), { nope: 1 }, 'control');
    expect(unknown.ok).toBe(false);
  });
});
