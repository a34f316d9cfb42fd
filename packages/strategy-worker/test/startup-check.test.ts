/**
 * The start-up cap check runs only on positions actually read (issue 14 item 6): never on a
 * timeout with nothing read (it passed with markets_checked 0 while position reads failed, and
 * a breached position was then traded without the operator's acknowledgement).
 */
import { describe, expect, it } from 'vitest';
import { kmm, resolveConfig } from '@kmm/shared';
import { strategyParamsOf, StrategyCore } from '../src/index.js';
import { features, marketInfo, NEUTRAL, snap, T0 } from './helpers.js';

const CAPS = { MM_MAX_POS: 5, MM_MAX_LONG_POS: 5, MM_MAX_SHORT_POS: 5, quote_size: 1 };

function core(): StrategyCore {
  return new StrategyCore(strategyParamsOf(resolveConfig({ ...NEUTRAL, ...CAPS, kmm_startup_settle_ms: 1000, kmm_startup_wait_max_ms: 10_000 })), [marketInfo('A'), marketInfo('B')], { startMs: T0 });
}

describe('start-up cap check waits for every position', () => {
  it('no position read: past the wait it says it is waiting, and neither quotes nor takes', () => {
    const c = core();
    const events: string[] = [];
    for (let t = T0 + 250; t <= T0 + 60_000; t += 250) {
      const fx = snap(c.onTimer(t));
      for (const e of fx.opsEvents) events.push(e.event);
      expect(fx.opsEvents.some((e) => e.event === 'startup_position_check_ok')).toBe(false);
    }
    expect(c.startupCheckDone).toBe(false);
    expect(events.filter((e) => e === 'startup_check_waiting').length).toBeGreaterThanOrEqual(5);
    const fx = snap(c.onBookFeatures(features('A', 4900, 5100), T0 + 60_100));
    expect(fx.takers).toHaveLength(0);
    expect(fx.targets.every((t) => t.reason === 'startup_check_pending' && (t.levels ?? []).length === 0)).toBe(true);
  });

  it('one market of two read: still waiting; exec says it has read the exchange: the check runs on what was read', () => {
    const c = core();
    c.onPosition({ market: 'A', positionCenti: 900, fromExchange: true }, T0 + 20_000);
    const w = snap(c.onTimer(T0 + 30_000));
    expect(c.startupCheckDone).toBe(false);
    expect(String(w.opsEvents.find((e) => e.event === 'startup_check_waiting')?.fields.message)).toContain('1 of 2 markets read');
    c.onPosition({ market: 'B', positionCenti: 0, fromExchange: true }, T0 + 30_100);
    c.onControl({ kind: kmm.v1.ControlKind.RECONCILE, reason: 'exec_started' }, T0 + 30_100);
    expect(c.startupCheckDone).toBe(false); // the settle time
    const fx = snap(c.onTimer(T0 + 31_200));
    expect(c.startupCheckDone).toBe(true);
    expect(fx.opsEvents.find((e) => e.event === 'startup_position_cap_breach')?.fields).toMatchObject({ breached_markets: [{ ticker: 'A', position: 9 }] });
    expect(c.isReadOnly).toBe(true);
    // the breached market is not worked off without the operator
    expect(snap(c.onBookFeatures(features('A', 4900, 5100), T0 + 40_000)).takers).toHaveLength(0);
  });
});
