import { describe, expect, it } from 'vitest';
import {
  ConfigError, defaultConfig, effectiveOrderGroupLimit, limitViolations, loadConfig, orderGroupContractsLimitFor,
  resolveConfig, validateLiveUpdate, type KmmConfig,
} from '../src/index.js';

function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}
const messages = (over: Record<string, unknown>): string[] =>
  limitViolations({ ...defaultConfig(), ...over } as Record<string, number | boolean | string>).map((x) => x.message);

describe('coherent limits', () => {
  it('the defaults and every preset agree with themselves', () => {
    expect(limitViolations(defaultConfig())).toEqual([]);
    for (const p of ['conservative', 'aggressive', 'high_frequency']) expect(() => resolveConfig({ kmm_preset: p }), p).not.toThrow();
  });

  it('quote size at most half the cap: the seed 002 quote_size 10 against the seed 000 cap 5 is refused, naming both', () => {
    const e = configError(() => loadConfig({ env: {}, cli: { quote_size: 10 } }));
    expect(e.message).toBe('quote_size 10 > MM_MAX_POS 5 / 2: a full quote filled at the cap would flip the position past zero; '
      + 'lower the quote size or raise the cap (quote_size from cli)');
    expect(e.variable).toBe('quote_size');
    // blame goes to the key set at the higher precedence
    const f = configError(() => loadConfig({ env: { MM_MAX_POS: '3' } }));
    expect(f.message).toContain('quote_size 2 > MM_MAX_POS 3 / 2');
    expect(f.message).toContain('(MM_MAX_POS from env)');
    expect(() => resolveConfig({ quote_size: 5, MM_MAX_POS: 10, MM_MAX_LONG_POS: 10, MM_MAX_SHORT_POS: 10 })).not.toThrow();
  });

  it('uses the binding cap per side and the effective quote size', () => {
    expect(messages({ MM_MAX_LONG_POS: 3 })[0]).toMatch(/^quote_size 2 > MM_MAX_LONG_POS 3 \/ 2/);
    expect(messages({ max_inventory: 3 })[0]).toMatch(/^quote_size 2 > max_inventory 3 \/ 2/);
    expect(messages({ MM_ORDER_SIZE_MULTIPLIER: 1.5 })[0]).toMatch(/^MM_ORDER_SIZE_MULTIPLIER 1.5 x quote_size 2 > MM_MAX_POS 5 \/ 2/);
    // fat_finger_max_contracts clamps the quote (as strategy params do)
    expect(messages({ quote_size: 10, fat_finger_max_contracts: 2 })).toEqual([]);
    // a side with cap 0 only ever reduces: it sets no bound on the quote size
    expect(messages({ MM_MAX_LONG_POS: 0 })).toEqual([]);
  });

  it('the impulse breach threshold sits at or above the maker cap (only with impulse control on)', () => {
    expect(messages({ Q_critical: 4, Q_target: 2 })).toEqual([
      'Q_critical 4 < MM_MAX_POS 5: the taker would sell positions the maker is allowed to build (churn); raise Q_critical or lower the cap',
    ]);
    expect(messages({ Q_critical: 4, Q_target: 2, IMPULSE_CONTROL_ENABLED: false })).toEqual([]);
    expect(messages({ Q_critical: 5, Q_target: 2 })).toEqual([]);
    expect(configError(() => resolveConfig({ Q_critical: 4, Q_target: 2 })).message).toContain('Q_critical 4 < MM_MAX_POS 5');
  });

  it('the rebalance exit sits at or above the maker cap (0 = off)', () => {
    expect(messages({ rebalance_threshold: 3 })[0]).toMatch(/^rebalance_threshold 3 < MM_MAX_POS 5: the taker would exit/);
    expect(messages({ rebalance_threshold: 0 })).toEqual([]);
    expect(messages({ rebalance_threshold: 5 })).toEqual([]);
  });

  it('one fat-finger size: no separate exec order cap to contradict (kmm_max_order_contracts is an alias)', () => {
    // the quote is clipped to the fat-finger size, which is exec's pre-flight cap too: never refused
    expect(messages({ kmm_max_order_contracts: 1 })).toEqual([]);
  });

  it('an explicit order group limit covers one market swinging cap to cap', () => {
    expect(messages({ kmm_order_group_contracts_limit: 9 })[0]).toMatch(/^kmm_order_group_contracts_limit 9 < MM_MAX_POS 5 \+ MM_MAX_POS 5: /);
    expect(messages({ kmm_order_group_contracts_limit: 10 })).toEqual([]);
    expect(messages({ kmm_order_group_contracts_limit: 9, kmm_order_group_enabled: false })).toEqual([]);
  });

  it('live updates are held to the same rules', () => {
    const r = validateLiveUpdate(loadConfig({ env: {} }), { quote_size: 4 }, 'control');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors[0].message).toContain('quote_size 4 > MM_MAX_POS 5 / 2');
  });
});

describe('kill switch sized to risk', () => {
  const cfg = (over: Record<string, unknown>): KmmConfig => resolveConfig(over);
  it('is markets x 2 swings x (long cap + short cap)', () => {
    expect(orderGroupContractsLimitFor(cfg({}))).toBe(10 * 2 * (5 + 5));
    expect(orderGroupContractsLimitFor(cfg({ kmm_markets: 20 }))).toBe(400);
    expect(orderGroupContractsLimitFor(cfg({ MM_MAX_LONG_POS: 4, MM_MAX_SHORT_POS: 2, quote_size: 1 }), 3)).toBe(3 * 2 * 6);
    expect(orderGroupContractsLimitFor(cfg({ MM_MAX_POS: 100000, MM_MAX_LONG_POS: 100000, MM_MAX_SHORT_POS: 100000, MM_MAX_POSITION_SIZE: 1_000_000, max_position_size: 1_000_000, max_inventory: 1_000_000, Q_critical: 200000, Q_target: 1, rebalance_threshold: 0, kmm_max_order_contracts: 100 }), 10000)).toBe(1_000_000);
  });

  it('an explicit limit wins; 0 (the default) means the sizing', () => {
    expect(effectiveOrderGroupLimit(cfg({ kmm_markets: 20 }))).toBe(400);
    expect(effectiveOrderGroupLimit(cfg({ kmm_markets: 20, kmm_order_group_contracts_limit: 250 }))).toBe(250);
  });
});
