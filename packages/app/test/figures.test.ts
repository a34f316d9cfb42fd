/**
 * The summary figures (FiguresBuilder, @kmm/exec-worker/core) against an independent
 * recomputation: a short deterministic simulation's journal, its fills and fees summed here from
 * Kalshi's rules (each fill's P&L against the end mark; each order's fees rounded up to the cent),
 * must give the figures' netPnl to the cent. Plus hand-made journals for the fee rounding, the
 * reject split and the at-cap time.
 */
import { describe, expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import { figuresOf, type JournalRecord } from '@kmm/exec-worker/core';
import { runDst } from '../src/dst/world.js';

const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;
const CK = kmm.v1.CommandKind;

/** Whole cents of an amount in 1e-6 $, half away from zero. */
function cents(micro: number): number {
  return Math.sign(micro) * Math.round(Math.abs(micro) / 10_000);
}

describe('summary figures', () => {
  it('netPnl of a deterministic simulation equals the P&L recomputed from the journal fills and fees, to the cent', async () => {
    const r = await runDst({ seed: 5, simMinutes: 1, markets: 4, faults: false, keepJournal: true });
    const journal = r.journal!;
    const fills = journal.filter((x): x is Extract<JournalRecord, { k: 'fill' }> => x.k === 'fill');
    expect(fills.length).toBeGreaterThan(0);
    const markets = [...new Set(fills.map((f) => f.market ?? ''))];
    // end marks: any price works for the identity; different per market to catch mix-ups
    const marks = new Map(markets.map((m, i) => [m, 3000 + 1000 * i]));

    // independent recomputation (Kalshi: buying YES at p pays p per contract; each order's fee rounds up to the cent)
    let grossMicro = 0;
    const feeByOrder = new Map<string, number>();
    for (const f of fills) {
      const s = f.side === BID ? 1 : -1;
      grossMicro += s * (marks.get(f.market!)! - f.yesPrice!) * Number(f.countCenti);
      const order = f.oid || f.coid!;
      feeByOrder.set(order, (feeByOrder.get(order) ?? 0) + Number(f.feeMoney));
    }
    let feeCents = 0;
    for (const feeMoney of feeByOrder.values()) feeCents += Math.ceil(feeMoney / 100);
    const netCents = cents(grossMicro) - feeCents;

    const capCenti = 500;
    const figs = figuresOf(journal, { capCenti, markets }, marks);
    console.log(`[figures] ${fills.length} fills, ${feeByOrder.size} orders; net ${figs.netPnl} $, gross ${figs.grossPnl} $, fees ${figs.feesPaid} $; commands ${figs.commands}, rejects ${figs.rejectsLocal} local / ${figs.rejectsVenue} venue, at cap ${figs.atCapPct}%`);
    expect(Math.round(figs.netPnl * 100)).toBe(netCents);
    expect(Math.round(figs.feesPaid * 100)).toBe(feeCents);
    expect(figs.fills).toBe(fills.length);
    expect(figs.commands).toBe(journal.filter((x) => x.k === 'cmd').length);
    expect(figs.commands).toBeGreaterThan(0);
  }, 120_000);

  it('rounds each order’s fee up to the cent (not each fill, not the total)', () => {
    const fill = (tradeId: string, oid: string, feeMoney: number, side = BID): JournalRecord => ({ k: 'fill', t: 1, src: 'ws', tradeId, oid, coid: 'c' + oid, market: 'M', side, yesPrice: 5000, countCenti: 100, isTaker: true, feeMoney });
    // order A: 0.0175 + 0.0175 = 0.035 -> 0.04; order B: 0.0001 -> 0.01
    const f = figuresOf([fill('t1', 'A', 175), fill('t2', 'A', 175), fill('t3', 'B', 1, ASK)], { capCenti: 500, markets: ['M'] }, new Map([['M', 5000]]));
    expect(f.feesPaid).toBe(0.05);
    expect(f.grossPnl).toBe(0);
    expect(f.netPnl).toBe(-0.05);
    // a duplicated fill record is counted once
    const g = figuresOf([fill('t1', 'A', 175), fill('t1', 'A', 175)], { capCenti: 500, markets: ['M'] }, new Map([['M', 6000]]));
    expect(g.fills).toBe(1);
    expect(g.grossPnl).toBe(0.1);
  });

  it('splits local and venue rejects, counts orders by kind and the time at the cap with the reducing side quoted', () => {
    const recs: JournalRecord[] = [
      { k: 'cmd', t: 0, id: 1, op: 'batch_create', orders: [{ kind: CK.PLACE, market: 'M', clientOrderId: 'a', side: ASK, price: 5100, countCenti: 100 }, { kind: CK.PLACE, market: 'M', clientOrderId: 'k', side: ASK, price: 4900, countCenti: 100, taker: true }] },
      { k: 'rej', t: 0, kind: CK.PLACE, market: 'M', coid: '', oid: '', code: kmm.v1.RejectCode.RISK, message: 'AT_OR_OVER_CAP', side: BID, price: 4900 },
      { k: 'rej', t: 0, kind: CK.PLACE, market: 'M', coid: 'x', oid: '', code: kmm.v1.RejectCode.POST_ONLY_CROSS, message: 'cross', side: BID, price: 5000 },
      { k: 'pos', t: 0, market: 'M', positionCenti: 500, src: 'ws' },
      // at the cap from t=0; the reducing ask rests from t=400 to t=800
      { k: 'ack', t: 400, kind: CK.PLACE, market: 'M', coid: 'a', oid: 'oa', side: ASK, price: 5100, remainingCenti: 100, status: kmm.v1.OrderStatus.RESTING },
      { k: 'cmd', t: 800, id: 2, op: 'cancel', orders: [{ kind: CK.CANCEL, market: 'M', clientOrderId: 'a', orderId: 'oa' }] },
      { k: 'ack', t: 800, kind: CK.CANCEL, market: 'M', coid: 'a', oid: 'oa', side: ASK, price: 5100, remainingCenti: 0, status: kmm.v1.OrderStatus.CANCELED },
      { k: 'fill', t: 900, src: 'ws', tradeId: 't', oid: 'ok', coid: 'k', market: 'M', side: ASK, yesPrice: 4900, countCenti: 100, isTaker: true, feeMoney: 175, postPositionCenti: 400 },
    ];
    const f = figuresOf(recs, { capCenti: 500, markets: ['M', 'N'] }, new Map([['M', 5000]]), 1000);
    expect(f).toMatchObject({ commands: 2, ordersCreated: 2, cancels: 1, amends: 0, rejectsLocal: 1, rejectsVenue: 1, takerFired: 1, takerExecuted: 1, maxAbsPosition: 5 });
    // market-time 2 x 1000 ms; M at the cap 0..900 = 45 %; quoted 400 of those 900 ms
    expect(f.atCapPct).toBe(45);
    expect(f.atCapReducingQuotedPct).toBe(44.4);
  });
});
