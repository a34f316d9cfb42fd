/**
 * The report's event risk table (report/event-risk.ts): fills replayed into positions, each
 * event's worst case from exec's payoff table; an exclusive event nets its outcomes (short YES on
 * two ranges: only one can win), a non-exclusive one adds its markets' worst cases; event
 * membership from the run folder's markets.json.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventRiskRows, readMembership } from '../src/report/event-risk.js';
import type { FillRecord } from '../src/report/runfolder.js';

const fill = (tMs: number, market: string, side: 'bid' | 'ask', priceCents: number, contracts: number): FillRecord => ({
  tMs, market, side, priceMicro: priceCents * 10_000, countCenti: contracts * 100, isTaker: false, feeMicro: 0, postPositionCenti: null,
});

describe('report event risk', () => {
  // short 10 A at 0.40 and short 10 B at 0.30: $7 received; if A or B wins we pay $10
  const fills = [fill(1, 'EV-A', 'ask', 40, 10), fill(2, 'EV-B', 'ask', 30, 10), fill(3, 'EV-A', 'bid', 40, 5)];

  it('an exclusive event nets its outcomes; the table tracks the largest and the final worst case', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmm-evrisk-'));
    writeFileSync(join(dir, 'markets.json'), JSON.stringify([
      { market: 'EV-A', eventTicker: 'EV', mutuallyExclusive: true },
      { market: 'EV-B', eventTicker: 'EV', mutuallyExclusive: true },
    ]));
    const rows = eventRiskRows(fills, await readMembership(dir));
    // short A alone: A wins -> 10 - 4 = $6 (the largest); with B short too: A wins -> 10 - 7 = $3
    // (B the same, not 6 + 7: only one can win); after buying back 5 A at 0.40: short 5 A
    // (received 2) + short 10 B (received 3): B wins -> 10 - 5 = $5, A wins -> 5 - 5 = 0
    expect(rows).toEqual([{ event: 'EV', exclusive: true, markets: ['EV-A', 'EV-B'], finalWorstLoss: 5, maxWorstLoss: 6 }]);
  });

  it('without markets.json every market is its own event: the per-market worst cases', () => {
    const rows = eventRiskRows(fills, new Map());
    // short 5 A at 0.40 risks $3, short 10 B at 0.30 risks $7
    expect(rows.map((r) => [r.event, r.finalWorstLoss, r.maxWorstLoss])).toEqual([['EV-A', 3, 6], ['EV-B', 7, 7]]);
  });
});
