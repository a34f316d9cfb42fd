/**
 * `kmm config check` logic (config/check.ts): each kind of problem is found with the keys
 * involved, contradictions are exactly the ones loading refuses (one set of rules), unknown names
 * get the nearest known name, and problems of different kinds are reported together.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_LIMIT_RULES, CONFIG_RELATIONS, ConfigError, checkConfig, formatConfigProblems, loadConfig, resolveConfig,
  type ConfigProblem,
} from '../src/index.js';

/** Caps wide enough that the 002 inventory features are reachable (30 each way). */
const WIDE = { MM_MAX_POS: 30, MM_MAX_LONG_POS: 30, MM_MAX_SHORT_POS: 30 };

const check = (cli: Record<string, string | number | boolean>, env: Record<string, string> = {}) => checkConfig({ env, cli });
const ofKind = (ps: readonly ConfigProblem[], kind: ConfigProblem['kind']) => ps.filter((p) => p.kind === kind);

/** One configuration per limits.ts rule that breaks exactly that rule. */
const BREAKS: Record<string, Record<string, number | boolean>> = {
  quote_size_vs_cap: { quote_size: 3 },
  q_critical_vs_cap: { Q_critical: 4, Q_target: 2 },
  rebalance_threshold_vs_cap: { rebalance_threshold: 3 },
  order_group_limit_vs_caps: { kmm_order_group_contracts_limit: 6 },
  time_scale_needs_sim: { kmm_env: 'prod', kmm_time_scale: 30 },
};

describe('config check: contradictions are the rules loading refuses', () => {
  it('every limits.ts rule has a case here (a new rule needs one)', () => {
    expect(Object.keys(BREAKS).sort()).toEqual(CONFIG_LIMIT_RULES.map((r) => r.id).sort());
  });

  for (const rule of CONFIG_LIMIT_RULES) {
    it(`${rule.id}: an error naming the keys involved, and resolveConfig refuses the same configuration`, () => {
      const r = check(BREAKS[rule.id]);
      const found = ofKind(r.problems, 'contradiction');
      expect(found.length, JSON.stringify(r.problems)).toBeGreaterThanOrEqual(1);
      const expected = rule.check(resolveConfigLoose(BREAKS[rule.id]));
      expect(expected).not.toBeNull();
      const mine = found.find((p) => p.message.startsWith(expected!));
      expect(mine, JSON.stringify(found)).toBeDefined();
      expect(mine!.severity).toBe('error');
      for (const k of Object.keys(BREAKS[rule.id])) if (k !== 'Q_target') expect(mine!.keys).toContain(k);
      expect(mine!.keys.length).toBeGreaterThanOrEqual(2);
      expect(r.errors).toBeGreaterThanOrEqual(1);
      expect(() => resolveConfig(BREAKS[rule.id])).toThrow(ConfigError);
    });
  }

  it('an ordering relation (min_spread above base_spread) names both keys', () => {
    const r = check({ min_spread: 0.05 });
    const [p] = ofKind(r.problems, 'contradiction');
    expect(p.keys).toEqual(['min_spread', 'base_spread']);
    expect(p.message).toContain('min_spread=0.05');
    expect(CONFIG_RELATIONS.some(([lo, hi]) => lo === 'min_spread' && hi === 'base_spread')).toBe(true);
  });

  it('the defaults and every preset have no error', () => {
    for (const preset of ['none', 'conservative', 'aggressive', 'high_frequency']) {
      const r = check({ kmm_preset: preset });
      expect(r.errors, `${preset}: ${JSON.stringify(r.problems)}`).toBe(0);
      expect(r.loaded).not.toBeNull();
    }
  });
});

/** The effective values of a record that may contradict itself (the check's view). */
function resolveConfigLoose(cli: Record<string, number | boolean>): Record<string, number | boolean | string> {
  return checkConfig({ env: {}, cli }).loaded!.values as unknown as Record<string, number | boolean | string>;
}

describe('config check: unknown names, invalid values, safe ranges', () => {
  it('an unknown key gets the nearest known name, and other problems are still reported', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmm-check-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'MM_MAX_PSO: 3\nquote_size: 3\nMM_SKEW_MAX_BPS: 100\n');
    const r = checkConfig({ file, env: {} });
    const [u] = ofKind(r.problems, 'unknown_key');
    expect(u.severity).toBe('error');
    expect(u.suggestion).toBe('MM_MAX_POS');
    expect(u.keys).toEqual(['MM_MAX_PSO', 'MM_MAX_POS']);
    expect(u.message).toContain(`file ${file}`);
    // the valid entries were still read and checked: quote 3 against the cap 5 contradicts
    expect(ofKind(r.problems, 'contradiction').map((p) => p.keys)).toContainEqual(expect.arrayContaining(['quote_size', 'MM_MAX_POS']));
    const [s] = ofKind(r.problems, 'safe_range');
    expect(s).toMatchObject({ severity: 'warning', keys: ['MM_SKEW_MAX_BPS'] });
    expect(s.message).toContain('MM_SKEW_MAX_BPS=100 (from file');
    expect(s.message).toContain('safe range 10–50');
    // loading refuses the same file (unknown key first, as before)
    expect(() => loadConfig({ file, env: {} })).toThrow(/MM_MAX_PSO/);
  });

  it('an unknown KMM_ variable is a warning with the nearest name; an unknown MM_ variable is an error', () => {
    const r = check({}, { KMM_MARKETZ: '3', MM_MAX_POZ: '3' });
    const unknown = ofKind(r.problems, 'unknown_key');
    expect(unknown.find((p) => p.keys[0] === 'KMM_MARKETZ')).toMatchObject({ severity: 'warning', suggestion: 'KMM_MARKETS' });
    expect(unknown.find((p) => p.keys[0] === 'MM_MAX_POZ')).toMatchObject({ severity: 'error', suggestion: 'MM_MAX_POS' });
  });

  it('a value of the wrong type or out of its hard bounds is an invalid-value error', () => {
    const r = check({ MM_MAX_POS: 'many', quote_size: 0 });
    expect(ofKind(r.problems, 'invalid').map((p) => p.keys[0]).sort()).toEqual(['MM_MAX_POS', 'quote_size']);
    expect(r.errors).toBe(2);
  });

  it('an unreadable file is one error and nothing else', () => {
    const r = checkConfig({ file: '/nonexistent/kmm.yaml', env: {} });
    expect(r.loaded).toBeNull();
    expect(r.errors).toBe(1);
    expect(r.problems[0].message).toContain('/nonexistent/kmm.yaml');
  });
});

describe('config check: features the caps make unreachable (warnings)', () => {
  const unreachable = (cli: Record<string, number | boolean>) => {
    const r = check(cli);
    expect(r.errors, JSON.stringify(r.problems)).toBe(0);
    return ofKind(r.problems, 'unreachable');
  };

  it('at the default caps (5) the 002 inventory features cannot fire (the 001 breach is a backstop by rule: not warned)', () => {
    const u = unreachable({});
    const first = u.map((p) => p.keys[0]);
    expect(first).toEqual(['inventory_spread_multiplier', 'skew_price_adjustment_per_10', 'rebalance_threshold', 'force_exit_min_inventory']);
    for (const p of u) expect(p.keys).toContain('MM_MAX_POS');
    expect(u[0].message).toContain('inventory_skew_threshold 10, above MM_MAX_POS 5');
  });

  it('caps of 30 make them reachable; rebalance 0 is off, not dead; Q_critical (>= the cap by rule) is never warned', () => {
    const u = unreachable({ ...WIDE, rebalance_threshold: 0 });
    expect(u.map((p) => p.keys[0])).toEqual([]);
  });

  it('the kalshi profile makes the 002 inventory features act within the default caps, or turns them off: no warning', () => {
    expect(unreachable({ MM_MARKET_PROFILE: 'kalshi' } as unknown as Record<string, number>)).toEqual([]);
  });

  it('the per-10 skew needs a whole 10 contracts: a cap of 9 above the threshold reaches the 1.3x spread but not the skew', () => {
    const u = unreachable({ MM_MAX_POS: 9, MM_MAX_LONG_POS: 9, MM_MAX_SHORT_POS: 9, inventory_skew_threshold: 5, rebalance_threshold: 0, force_exit_min_inventory: 3 });
    expect(u.map((p) => p.keys[0])).toEqual(['skew_price_adjustment_per_10']);
  });

  it('a feature turned off is not reported: multiplier 1, skew 0, force_exit_hours 0, impulse control off', () => {
    const u = unreachable({ inventory_spread_multiplier: 1, skew_price_adjustment_per_10: 0, rebalance_threshold: 0, force_exit_hours: 0, IMPULSE_CONTROL_ENABLED: false });
    expect(u).toEqual([]);
    // the 002 exits are takers: impulse control off turns them off too
    expect(unreachable({ inventory_spread_multiplier: 1, skew_price_adjustment_per_10: 0, IMPULSE_CONTROL_ENABLED: false })).toEqual([]);
  });

  it('the text form: one line per problem with its keys, then the totals', () => {
    const lines = formatConfigProblems(check({ quote_size: 3 }).problems);
    expect(lines.some((l) => l.startsWith('error [contradiction] (quote_size, MM_MAX_POS): quote_size 3 > MM_MAX_POS 5 / 2'))).toBe(true);
    expect(lines.at(-1)).toMatch(/^1 error\(s\), \d+ warning\(s\)$/);
    expect(formatConfigProblems([])).toEqual(['configuration OK: no problems']);
  });
});
