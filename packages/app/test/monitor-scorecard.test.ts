/**
 * The dashboard's strategy scorecard (system/monitor.ts setScorecard, page.ts #scorecard): the
 * report's scorecard rows for the run so far, queue position at fill with "n/a" where the actual
 * is not known; a note instead of rows before the first one or when it cannot be computed.
 */
import { describe, expect, it } from 'vitest';
import type { Scorecard } from '@kmm/exec-worker/core';
import { Monitor } from '../src/system/monitor.js';
import { dashboardPage } from '../src/dashboard/page.js';

const card = (actual: number | null, actualFills = 0): Scorecard => ({
  fills: 3, makerFills: 2, takerFills: 1, contractsFilled: 5, netPnlPerContractCents: 0.4, feesPerContractCents: 0.7, spreadCapturedCents: 1.5,
  adverseSelection: [1, 10, 60].map((horizonS) => ({ horizonS, bid: 0.5, ask: null, all: 0.5, fills: 1, leftOut: 1 })),
  fillRate: 0.25, atTouchPct: 61.5, atTouchBidPct: 70, atTouchAskPct: 53, atTouchTightPct: 58, twoSidedUptimePct: 40, twoSidedMaxSpreadCents: 6, twoSidedMinSize: 1,
  queueAheadAtFill: { estimated: 12.5, actual, fills: 2, actualFills }, takerEffectiveSpreadCents: 2, takerEffectiveSpreadStatus: 'between',
});

describe('dashboard scorecard', () => {
  it('shows the scorecard rows; queue ahead at fill says n/a for an unknown actual', () => {
    const mon = new Monitor('sim');
    expect(mon.snapshot().scorecard).toEqual({ asOfMs: 0, rows: [], note: 'no scorecard yet' });
    mon.setScorecard(card(null), 1000);
    const sc = mon.snapshot().scorecard!;
    expect(sc.asOfMs).toBe(1000);
    expect(sc.note).toBeUndefined();
    const rows = new Map(sc.rows);
    expect(rows.get('quoting time at the touch')).toBe('61.5% (bid 70%, ask 53%)');
    expect(rows.get('queue ahead at fill, est / actual')).toBe('12.5 / n/a (2 fills)');
    expect(rows.get('markout loss 10s bid / ask')).toBe('0.5 / n/a c');
    mon.setScorecard(card(9, 1), 2000);
    expect(new Map(mon.snapshot().scorecard!.rows).get('queue ahead at fill, est / actual')).toBe('12.5 / 9 (2 fills, 1 with actual)');
  });

  it('says why there is none', () => {
    const mon = new Monitor('sim');
    mon.setScorecard(null, 3000, 'scorecard: run folder /x has no capture');
    expect(mon.snapshot().scorecard).toEqual({ asOfMs: 3000, rows: [], note: 'scorecard: run folder /x has no capture' });
  });

  it('the page has the scorecard table', () => {
    expect(dashboardPage('n1')).toContain('data-testid="scorecard"');
    expect(dashboardPage('n1')).toContain('renderScorecard(s.scorecard)');
  });
});
