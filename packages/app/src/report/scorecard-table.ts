/**
 * The strategy scorecard as text: one column per run (a backtest alone, or default and naive side
 * by side). Definitions: @kmm/exec-worker/core scorecard.ts and the README's scorecard table.
 */
import type { Scorecard } from '@kmm/exec-worker/core';

const v = (x: number | null | undefined, unit = ''): string => (x === null || x === undefined ? 'n/a' : `${x}${unit}`);

/** Rows of (label, value per scorecard). */
export function scorecardRows(cards: readonly Scorecard[]): [string, string[]][] {
  const rows: [string, string[]][] = [
    ['fills (maker / taker)', cards.map((c) => `${c.fills} (${c.makerFills} / ${c.takerFills})`)],
    ['contracts filled', cards.map((c) => v(c.contractsFilled))],
    ['net P&L per contract', cards.map((c) => v(c.netPnlPerContractCents, ' c'))],
    ['spread captured (maker)', cards.map((c) => v(c.spreadCapturedCents, ' c'))],
  ];
  // horizons are market time: a time-compressed run says so
  const scale = cards[0]?.timeScale ?? 1;
  if (scale !== 1) rows.push(['markout horizons', cards.map((c) => `market time: run time x ${c.timeScale ?? 1}`)]);
  for (let i = 0; i < (cards[0]?.adverseSelection.length ?? 0); i++) {
    const h = cards[0].adverseSelection[i].horizonS;
    rows.push([`markout loss ${h}s bid / ask`, cards.map((c) => `${v(c.adverseSelection[i]?.bid)} / ${v(c.adverseSelection[i]?.ask)} c`)]);
    rows.push([`markout loss ${h}s both`, cards.map((c) => `${v(c.adverseSelection[i]?.all, ' c')} (${c.adverseSelection[i]?.fills ?? 0} fills)`)]);
  }
  rows.push(
    ['fees per contract', cards.map((c) => v(c.feesPerContractCents, ' c'))],
    ['fill rate (maker)', cards.map((c) => v(c.fillRate))],
    ['quoting time at the touch', cards.map((c) => `${v(c.atTouchPct, '%')} (bid ${v(c.atTouchBidPct, '%')}, ask ${v(c.atTouchAskPct, '%')})`)],
    ['  of it on 1-2c books', cards.map((c) => v(c.atTouchTightPct ?? null, '%'))],
    ['two-sided uptime', cards.map((c) => `${v(c.twoSidedUptimePct, '%')} (<= ${c.twoSidedMaxSpreadCents}c, >= ${c.twoSidedMinSize})`)],
    ['queue ahead at fill, est / actual', cards.map((c) => `${v(c.queueAheadAtFill.estimated)} / ${v(c.queueAheadAtFill.actual)} (${c.queueAheadAtFill.fills} fills${c.queueAheadAtFill.actualFills ? `, ${c.queueAheadAtFill.actualFills} with actual` : ''})`)],
    ['taker effective spread', cards.map((c) => `${v(c.takerEffectiveSpreadCents, ' c')}${c.takerEffectiveSpreadStatus ? ` (${c.takerEffectiveSpreadStatus})` : ''}`)],
  );
  return rows;
}

/** The scorecards as aligned text lines, with a header of column names. */
export function scorecardText(names: readonly string[], cards: readonly Scorecard[]): string[] {
  const rows = scorecardRows(cards);
  const w0 = Math.max(9, ...rows.map((r) => r[0].length));
  const ws = names.map((n, i) => Math.max(n.length, ...rows.map((r) => r[1][i].length)));
  const line = (a: string, cols: string[]): string => `  ${a.padEnd(w0)}  ${cols.map((c, i) => c.padEnd(ws[i])).join('  ')}`.trimEnd();
  return [line('scorecard', [...names]), ...rows.map((r) => line(r[0], r[1]))];
}
