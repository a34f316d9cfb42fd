/**
 * RISK_LIMIT_KEYS (config/live.ts): the limits whose live raise needs an acknowledgement are
 * registry keys that can change live and are numbers (a raise is "to > from"); raisesRisk tells a
 * raise from a cut and ignores other keys.
 */
import { describe, expect, it } from 'vitest';
import { RISK_LIMIT_KEYS, raisesRisk, SPEC_BY_KEY } from '../src/index.js';

describe('risk limit keys', () => {
  it('are live-safe numeric registry keys', () => {
    for (const k of RISK_LIMIT_KEYS) {
      const spec = SPEC_BY_KEY.get(k);
      expect(spec, k).toBeDefined();
      expect(spec!.liveSafe, k).toBe(true);
      expect(['int', 'number'], k).toContain(spec!.type);
    }
  });
  it('a raise needs the acknowledgement, a cut or another key does not', () => {
    expect(raisesRisk({ key: 'MM_MAX_POS', from: 5, to: 50 })).toBe(true);
    expect(raisesRisk({ key: 'MM_MAX_POS', from: 5, to: 3 })).toBe(false);
    expect(raisesRisk({ key: 'MM_MAX_ORDER_NOTIONAL_USD', from: 250, to: 250.5 })).toBe(true);
    expect(raisesRisk({ key: 'MM_SKEW_MAX_BPS', from: 20, to: 40 })).toBe(false);
  });
});
