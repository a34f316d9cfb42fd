/**
 * Seeds 000 and 004, exec's part, through ExecCore with the seeds' own values (not the profile's):
 *  - 004 "Reprice Controls": the magnitude gates (ticks, tolerance, edge delta) must ALL pass for
 *    a reprice; MM_MIN_REPRICE_INTERVAL_S rate-limits a slot; MM_MAX_ORDER_AGE_S forces a refresh
 *    regardless of the gates;
 *  - 000 Fix 4: `skip_same_quote` with the fields 000 gives (in cents, as their names say);
 *  - 002 scenario 4: a requote strategy marks urgent goes to the venue at once (no 5 s hold).
 */
import { describe, expect, it } from 'vitest';
import { kmm, resolveConfig } from '@kmm/shared';
import { execParamsOf, type ExecCore } from '../src/index.js';
import { MKT, ackAll, cmds, readyCore } from './helpers.js';

const BID = kmm.v1.BookSide.BID;
const CK = kmm.v1.CommandKind;

// 004's defaults written out (MM_REPRICE_TOLERANCE_PERCENT has no seed default: 0.25 here)
const SEED_004 = {
  MM_MIN_REPRICE_MOVE_TICKS: 2,
  MM_MIN_REPRICE_TICKS: 2,
  MM_MIN_REPRICE_EDGE_DELTA_BPS: 0.5,
  MM_MIN_REPRICE_INTERVAL_S: 0.5,
  MM_REPRICE_TOLERANCE_PERCENT: 0.25,
  MM_MAX_ORDER_AGE_S: 60,
  MM_QUOTE_REFRESH_MS: 5000,
};

function seedCore(over: Record<string, unknown> = {}): ExecCore {
  const p = execParamsOf(resolveConfig({ ...SEED_004, ...over }));
  const { core } = readyCore({
    minRepriceTicks: p.minRepriceTicks,
    minRepriceMoveTicks: p.minRepriceMoveTicks,
    minRepriceEdgeDeltaBpsMilli: p.minRepriceEdgeDeltaBpsMilli,
    minRepriceIntervalMs: p.minRepriceIntervalMs,
    repriceTolerancePermille: p.repriceTolerancePermille,
    maxOrderAgeMs: p.maxOrderAgeMs,
  });
  return core;
}

/** A bid-only target: price, expected edge (bps), the reservation it was priced from. */
function bid(price: number, edgeBps: number, fair: number, sizeCenti = 500): kmm.v1.ITargetQuotes {
  return { market: MKT, levels: [{ side: BID, level: 0, price, countCenti: sizeCenti, expectedEdgeBpsMilli: Math.round(edgeBps * 1000) }], fairValue: fair };
}

/** A core with one resting bid at 0.48 (edge 40 bps vs fair 0.50), placed at t = 10 ms. */
function resting(over: Record<string, unknown> = {}): ExecCore {
  const core = seedCore(over);
  const c = cmds(core.onTargets(bid(4800, 40, 5000), 10));
  core.onCommandResult(ackAll(c[0]), 11);
  return core;
}

const skipReason = (fx: ReturnType<ExecCore['onTargets']>): unknown => fx.ops.find((o) => o.event === 'skip_same_quote')?.fields.reason;

describe('004 reprice controls: three gates, all required', () => {
  it('ticks gate alone fails: a 1-tick move is skipped (min_reprice_ticks)', () => {
    const fx = resting().onTargets(bid(4700, 50, 5000), 2000);
    expect(fx.commands).toHaveLength(0);
    expect(skipReason(fx)).toBe('min_reprice_ticks');
  });
  it('ticks pass, tolerance fails: move 2c <= 0.25 x offset 8c (target 0.46, fair 0.54) is skipped', () => {
    const fx = resting().onTargets(bid(4600, 50, 5400), 2000);
    expect(fx.commands).toHaveLength(0);
    expect(skipReason(fx)).toBe('reprice_tolerance');
  });
  it('ticks and tolerance pass, edge fails: the edge moved 0.4 bps < 0.5 bps (edge_delta)', () => {
    const fx = resting().onTargets(bid(4600, 40.4, 5000), 2000);
    expect(fx.commands).toHaveLength(0);
    expect(skipReason(fx)).toBe('edge_delta');
  });
  it('all three pass (2 ticks, 2c > 0.25 x 4c, edge moved 0.5 bps): one amend to the target', () => {
    const c = cmds(resting().onTargets(bid(4600, 40.5, 5000), 2000));
    expect(c.map((x) => x.op)).toEqual(['amend']);
    expect(c[0].orders[0]).toMatchObject({ kind: CK.AMEND, price: 4600 });
  });
  it('each gate is a separate key: with the failing gate opened, the same move reprices', () => {
    expect(cmds(resting({ MM_MIN_REPRICE_TICKS: 1, MM_MIN_REPRICE_MOVE_TICKS: 1 }).onTargets(bid(4700, 50, 5000), 2000)).map((x) => x.op)).toEqual(['amend']);
    expect(cmds(resting({ MM_REPRICE_TOLERANCE_PERCENT: 0.2 }).onTargets(bid(4600, 50, 5400), 2000)).map((x) => x.op)).toEqual(['amend']);
    expect(cmds(resting({ MM_MIN_REPRICE_EDGE_DELTA_BPS: 0.3 }).onTargets(bid(4600, 40.4, 5000), 2000)).map((x) => x.op)).toEqual(['amend']);
  });
});

describe('004 reprice controls: the interval and max order age', () => {
  it('MM_MIN_REPRICE_INTERVAL_S 0.5: a second reprice of the slot 0.1 s after the first waits until 0.5 s have passed', () => {
    const core = resting();
    const c = cmds(core.onTargets(bid(4600, 45, 5000), 2000));
    core.onCommandResult(ackAll(c[0]), 2001);
    expect(core.onTargets(bid(4400, 50, 5000), 2101).commands).toHaveLength(0);
    expect(core.onTimer(2400).commands).toHaveLength(0);
    const later = cmds(core.onTimer(2501));
    expect(later.map((x) => x.op)).toEqual(['amend']);
    expect(later[0].orders[0].price).toBe(4400);
  });
  it('MM_MAX_ORDER_AGE_S 60 forces the reprice the gates refused (a 1-tick move), and re-places an unchanged order', () => {
    const core = resting();
    expect(skipReason(core.onTargets(bid(4700, 40, 5000), 30_000))).toBe('min_reprice_ticks');
    const forced = cmds(core.onTimer(60_010));
    expect(forced.map((x) => x.op)).toEqual(['amend']);
    expect(forced[0].orders[0].price).toBe(4700);
    core.onCommandResult(ackAll(forced[0]), 60_011);
    // the amend made it a fresh order: unchanged, it is re-placed 60 s later (cancel, then placed again)
    expect(core.onTimer(120_000).commands).toHaveLength(0);
    const refresh = cmds(core.onTimer(120_011));
    expect(refresh.map((x) => x.op)).toEqual(['batch_cancel']);
    const again = cmds(core.onCommandResult(ackAll(refresh[0]), 120_020));
    expect(again[0].orders.map((o) => [o.price, o.countCenti])).toEqual([[4700, 500]]);
  });
});

describe('004 spread controls, exec\'s half', () => {
  it('the min-spread gate\'s target (no levels, both sides paused) cancels the resting quotes at once', () => {
    const core = resting();
    const c = cmds(core.onTargets({ market: MKT, levels: [], bidPaused: true, askPaused: true, reason: 'min_spread_gate' }, 2000));
    expect(c.map((x) => x.op)).toEqual(['batch_cancel']);
    expect(c[0].orders.map((o) => o.kind)).toEqual([CK.CANCEL]);
  });
});

describe('000 skip_same_quote and 002 scenario 4 requote', () => {
  it('skip_same_quote carries 000\'s fields, in cents: 0.48 -> 0.49 is 1c under the 2c minimum', () => {
    const fx = resting().onTargets(bid(4900, 40, 5000), 2000);
    const ev = fx.ops.find((o) => o.event === 'skip_same_quote');
    expect(ev).toMatchObject({ event: 'skip_same_quote', market: MKT, level: 'info' });
    expect(ev?.fields).toEqual({ market: MKT, side: 'BID', old_price_cents: 48, new_price_cents: 49, price_diff_cents: 1, min_reprice_cents: 2, reason: 'min_reprice_ticks' });
  });
  it('a requote strategy sends is placed at once, even 0.6 s after the last one (MM_QUOTE_REFRESH_MS 5 s is strategy\'s throttle, not exec\'s)', () => {
    const core = resting();
    const c = cmds(core.onTargets(bid(4500, 45, 4700), 600));
    expect(c.map((x) => x.op)).toEqual(['amend']); // towards the touch or not: no 5 s hold
    core.onCommandResult(ackAll(c[0]), 601);
    const c2 = cmds(core.onTargets(bid(4800, 40, 5000), 1200));
    expect(c2.map((x) => x.op)).toEqual(['amend']);
    expect(c2[0].orders[0].price).toBe(4800);
  });
});
