/**
 * Issue 13's demo figures where the cap is actually reached. The default demo (calibrated
 * market, cap 5, quote size 2) rarely reaches its cap: the maker stays under the bailout
 * threshold. This deterministic simulation (runDst: the whole system on one thread against the
 * in-memory exchange, synthetic flow that fills within minutes) lowers the cap to 2 contracts with
 * quote size 1, so markets sit at the cap several % of the time, and checks the targets
 * through the run's own figures (FiguresBuilder, the summary.json definitions):
 *  - the reducing side is quoted at least 95 % of the at-cap time (the vol, drift, volume-spike
 *    and sweep pauses keep it: strategy core, computeQuotes' gates);
 *  - local rejects at most 2 % of commands;
 *  - no position past the cap in either direction; the order-group kill switch never trips;
 *  - every runDst invariant (cap, fills journaled once, positions after quiesce, shutdown).
 */
import { describe, expect, it } from 'vitest';
import { runDst } from '@kmm/app';
import { figuresOf } from '@kmm/exec-worker/core';

const CAP = 2;

describe('at the cap the reducing side stays quoted (issue 13, deterministic simulation)', () => {
  // seeds whose markets reach the cap over 1 % of the time (at 3 minutes: 5 %, 1.7 %, 4.1 %; seed 2
  // reaches it 0.9 % of the time since the venue's tokens follow the market's pace, so it left the set)
  for (const seed of [1, 3, 4]) {
    it(`seed ${seed}: 20 markets, 3 virtual minutes, cap ${CAP}`, async () => {
      const killSwitch: string[] = [];
      const r = await runDst({
        seed,
        // 3 minutes: with the venue's token refill at the market's pace (speed 0.5) seed 3 reaches the cap 0.4 % of the time in 2
        simMinutes: 3,
        markets: 20,
        faults: false,
        keepJournal: true,
        set: { MM_MAX_POS: CAP, quote_size: 1 },
        hooks: { ops: (_actor, event) => { if (event.startsWith('order_group_')) killSwitch.push(event); } },
      });
      expect(r.ok, JSON.stringify(r.checks ?? r)).toBe(true);
      const journal = r.journal ?? [];
      const markets = [...new Set(journal.map((x) => x.market ?? '').filter((m) => m !== ''))];
      const f = figuresOf(journal, { capCenti: CAP * 100, markets }, new Map());
      expect(f.atCapPct ?? 0).toBeGreaterThan(1); // the cap is reached: the figure below means something
      expect(f.atCapReducingQuotedPct ?? 0).toBeGreaterThanOrEqual(95);
      expect(f.rejectsLocal).toBeLessThanOrEqual(0.02 * f.commands);
      expect(f.maxAbsPosition).toBeLessThanOrEqual(CAP);
      expect(killSwitch).toEqual([]);
    });
  }
});
