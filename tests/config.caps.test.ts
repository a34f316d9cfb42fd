/**
 * Issue 15, caps with one meaning: MM_MAX_POS is the cap both ways unless MM_MAX_LONG_POS /
 * MM_MAX_SHORT_POS are set; strategy, exec, the limit rules and `kmm config explain` all read
 * the caps through the one derivation (`positionCapsOf`, @kmm/shared config/caps.ts).
 * Before: the side caps defaulted to 5 and were min'ed in, so MM_MAX_POS=20 still quoted 5/5,
 * the presets had to repeat the cap three times, and exec checked MM_MAX_POS for both sides.
 */
import { describe, expect, it } from 'vitest';
import {
  explainConfig, explainConfigJson, loadConfig, positionCapsOf, raisesRisk, resolveConfig, sideCaps,
} from '@kmm/shared';
import { strategyParamsOf } from '@kmm/strategy-worker';
import { execParamsOf } from '@kmm/exec-worker';

const caps = (env: Record<string, string>) => {
  const v = loadConfig({ env }).values;
  const s = strategyParamsOf(v);
  const x = execParamsOf(v);
  return { strategy: [s.longCapCenti, s.shortCapCenti], exec: [x.longCapCenti, x.shortCapCenti] };
};

describe('position caps', () => {
  it('MM_MAX_POS alone is the cap both ways, in strategy and exec alike', () => {
    expect(caps({ MM_MAX_POS: '8' })).toEqual({ strategy: [800, 800], exec: [800, 800] });
    expect(caps({})).toEqual({ strategy: [500, 500], exec: [500, 500] });
    // the tighter 002/004 contract limits still bind
    expect(caps({ MM_MAX_POS: '20', KMM_MAX_INVENTORY: '12' })).toEqual({ strategy: [1200, 1200], exec: [1200, 1200] });
  });

  it('a user-set side cap wins for its side only (and cannot loosen MM_MAX_POS)', () => {
    expect(caps({ MM_MAX_POS: '8', MM_MAX_LONG_POS: '4' })).toEqual({ strategy: [400, 800], exec: [400, 800] });
    expect(caps({ MM_MAX_POS: '8', MM_MAX_SHORT_POS: '0' })).toEqual({ strategy: [800, 0], exec: [800, 0] });
    expect(caps({ MM_MAX_POS: '4', MM_MAX_LONG_POS: '6' })).toEqual({ strategy: [400, 400], exec: [400, 400] });
  });

  it('a preset sets MM_MAX_POS and both sides follow; a user MM_MAX_POS overrides the preset', () => {
    expect(positionCapsOf(resolveConfig({ kmm_preset: 'aggressive' }))).toMatchObject({ longCenti: 3000, shortCenti: 3000 });
    expect(positionCapsOf(resolveConfig({ kmm_preset: 'conservative', MM_MAX_POS: 12 }))).toMatchObject({ longCenti: 1200, shortCenti: 1200 });
  });

  it('the limit rules and the kill-switch sizing use the same caps', () => {
    const v = resolveConfig({ MM_MAX_POS: 8, MM_MAX_LONG_POS: 4 });
    expect(sideCaps(v).long.text).toBe('MM_MAX_LONG_POS 4');
    expect(sideCaps(v).short.text).toBe('MM_MAX_POS 8');
    // quote_size 3 > long cap 4 / 2: refused, naming the side cap
    expect(() => resolveConfig({ MM_MAX_POS: 8, MM_MAX_LONG_POS: 4, quote_size: 3 })).toThrow(/quote_size 3 > MM_MAX_LONG_POS 4 \/ 2/);
    expect(execParamsOf(resolveConfig({ MM_MAX_POS: 8, kmm_markets: 1 })).orderGroupContractsLimit).toBe(2 * (8 + 8));
  });

  it('config explain shows the cap in force and which source won', () => {
    const loaded = loadConfig({ env: { MM_MAX_POS: '8', MM_MAX_SHORT_POS: '4' } });
    const byKey = new Map(explainConfigJson(loaded).entries.map((e) => [e.key, e]));
    expect(byKey.get('MM_MAX_LONG_POS')?.effective).toEqual({ contracts: 8, boundBy: 'MM_MAX_POS', source: 'env', sourceLabel: 'env' });
    expect(byKey.get('MM_MAX_LONG_POS')?.value).toBe(-1);
    expect(byKey.get('MM_MAX_SHORT_POS')?.effective).toEqual({ contracts: 4, boundBy: 'MM_MAX_SHORT_POS', source: 'env', sourceLabel: 'env' });
    const text = explainConfig(loaded);
    expect(text).toMatch(/^MM_MAX_LONG_POS +8 += MM_MAX_POS \(env\) +contracts/m);
    expect(text).toMatch(/^MM_MAX_SHORT_POS +4 +env +contracts/m);
    expect(explainConfig(loadConfig({ env: {} }))).toMatch(/^MM_MAX_LONG_POS +5 += MM_MAX_POS \(default\)/m);
  });

  it('setting a side cap from unset tightens (no acknowledgement); unsetting it loosens', () => {
    expect(raisesRisk({ key: 'MM_MAX_LONG_POS', from: -1, to: 3 })).toBe(false);
    expect(raisesRisk({ key: 'MM_MAX_LONG_POS', from: 3, to: -1 })).toBe(true);
    expect(raisesRisk({ key: 'MM_MAX_POS', from: 5, to: 8 })).toBe(true);
  });
});
