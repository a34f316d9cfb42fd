/**
 * emission.ts as pure functions: the same / urgent / refresh-throttle rules (seed 002 scenario 4
 * worked by hand), the wire reason text, the target and the journal record.
 */
import { describe, expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import { buildTarget, decisionRecord, emitAction, LastTarget, queueText, reasonText, recordEmitted, TargetReason, type EmissionParams, type QuoteLevels, type SideGateResult } from '../src/index.js';
import { T0 } from './helpers.js';

const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;

/** One level a side; sizes in centi; mid halfway; reservation = mid. */
function levels(bid: number, ask: number, bidCenti = 1000, askCenti = 1000): QuoteLevels {
  return {
    bidPrices: Int32Array.from([bid]),
    bidSizes: Float64Array.from([bidCenti]),
    askPrices: Int32Array.from([ask]),
    askSizes: Float64Array.from([askCenti]),
    mid: (bid + ask) / 2,
    reservation: (bid + ask) / 2,
  };
}

function quoting(): TargetReason {
  const r = new TargetReason();
  r.reset('');
  return r;
}

function stopped(why: string): TargetReason {
  const r = new TargetReason();
  r.reset(why);
  r.stopAll(why);
  return r;
}

// Seed 002 scenario 4 / the 002 config: price_change_requote_threshold 0.02 ($0.02 = 200 price
// units), max_quote_age_seconds 30, and KMM's MM_QUOTE_REFRESH_MS 5 s throttle.
const P: EmissionParams = { requoteMovePrice: 200, maxQuoteAgeMs: 30_000, MM_QUOTE_REFRESH_MS: 5000 };

/** A LastTarget after emitting `q` (one level a side, quoting) at `atMs`. */
function emitted(q: QuoteLevels, atMs: number): LastTarget {
  const last = new LastTarget();
  recordEmitted(last, quoting(), q, 1, 1, atMs);
  return last;
}

describe('emitAction: seed 002 scenario 4 protections', () => {
  it('walks the scenario: first quote, 1c and 2c moves held, 3c move urgent, 30 s age refresh, volume spike stop', () => {
    const cand = quoting();
    const last = new LastTarget();
    // t=0: never emitted -> emit. Quote 0.48 / 0.52 around mid 0.50 (bid 0.49 / ask 0.51 touch)
    const q0 = levels(4800, 5200);
    expect(emitAction(last, cand, q0, 1, 1, 4900, 5100, P, T0)).toBe('emit');
    recordEmitted(last, cand, q0, 1, 1, T0);
    // t=1 s: book up 1c, quotes 0.49 / 0.53, mid 0.51. Changed, but: sizes equal, nothing newly
    // paused, last bid 0.48 < ask 0.52 and last ask 0.52 > bid 0.50, |0.51 - 0.50| = 0.01 < 0.02,
    // last target was quoting -> not urgent; 1 s < 5 s throttle -> hold
    expect(emitAction(last, cand, levels(4900, 5300), 1, 1, 5000, 5200, P, T0 + 1000)).toBe('hold');
    // ... the same change after the 5 s throttle -> emit
    expect(emitAction(last, cand, levels(4900, 5300), 1, 1, 5000, 5200, P, T0 + 5000)).toBe('emit');
    // t=1.5 s: up 2c, quotes 0.50 / 0.54, mid 0.52: |0.52 - 0.50| = 0.02, not > 0.02 (002's
    // `abs(current_price - last_price) > 0.02`) -> not urgent -> held by the 5 s throttle
    expect(emitAction(last, cand, levels(5000, 5400), 1, 1, 5100, 5300, P, T0 + 1500)).toBe('hold');
    // up 3c, quotes 0.51 / 0.55, mid 0.53: 0.03 > 0.02 -> urgent -> emit
    const q2 = levels(5100, 5500);
    expect(emitAction(last, cand, q2, 1, 1, 5200, 5400, P, T0 + 1500)).toBe('emit');
    recordEmitted(last, cand, q2, 1, 1, T0 + 1500);
    // unchanged: hold until the quote is 30 s old, then refresh (re-emit the same levels)
    expect(emitAction(last, cand, q2, 1, 1, 5200, 5400, P, T0 + 1500 + 29_999)).toBe('hold');
    expect(emitAction(last, cand, q2, 1, 1, 5200, 5400, P, T0 + 1500 + 30_000)).toBe('refresh');
    // volume spike: pricing stops the market (no levels, both sides paused) -> urgent at once
    const spike = stopped('volume_spike_pause');
    expect(emitAction(last, spike, q2, 0, 0, 5200, 5400, P, T0 + 1600)).toBe('emit');
    recordEmitted(last, spike, q2, 0, 0, T0 + 1600);
    // a stop is never refreshed: the same stop an hour later is held
    expect(emitAction(last, spike, q2, 0, 0, 5200, 5400, P, T0 + 3_600_000)).toBe('hold');
    // quoting again after a stop is urgent, even 1 ms later and at the same prices
    expect(emitAction(last, cand, q2, 1, 1, 5200, 5400, P, T0 + 1601)).toBe('emit');
  });

  it('the other urgent changes: a size cut, a newly paused side, the last quote at/through the touch', () => {
    const q = levels(4800, 5200);
    const last = emitted(q, T0);
    const soon = T0 + 100; // well inside the 5 s throttle
    // a non-urgent change for reference: a larger bid (1000 -> 1500 centi) is held
    expect(emitAction(last, quoting(), levels(4800, 5200, 1500), 1, 1, 4900, 5100, P, soon)).toBe('hold');
    // bid total 1000 -> 500 centi: smaller -> urgent
    expect(emitAction(last, quoting(), levels(4800, 5200, 500), 1, 1, 4900, 5100, P, soon)).toBe('emit');
    // the ask side newly paused (no ask level) -> urgent
    const askPaused = quoting();
    askPaused.pauseSide(false, 'risk_block');
    expect(emitAction(last, askPaused, q, 1, 0, 4900, 5100, P, soon)).toBe('emit');
    // the ask dropped to 0.48, onto our last bid 0.48 -> urgent. The candidate 0.47 / 0.51 has
    // mid 0.49 (a 1c move) and equal sizes, so only the touch rule fires
    expect(emitAction(last, quoting(), levels(4700, 5100), 1, 1, 4700, 4800, P, soon)).toBe('emit');
    // the mirror: the bid rose to 0.52, onto our last ask 0.52 -> urgent (candidate mid 0.51: 1c)
    expect(emitAction(last, quoting(), levels(4900, 5300), 1, 1, 5200, 5300, P, soon)).toBe('emit');
    // requote threshold 0 turns the mid-move rule off: a 2c move inside the throttle is held
    expect(emitAction(last, quoting(), levels(5000, 5400), 1, 1, 5100, 5300, { ...P, requoteMovePrice: 0 }, soon)).toBe('hold');
  });

  it('same target: refresh needs quoting levels and max_quote_age > 0', () => {
    const q = levels(4800, 5200);
    const last = emitted(q, T0);
    expect(emitAction(last, quoting(), q, 1, 1, 4900, 5100, { ...P, maxQuoteAgeMs: 0 }, T0 + 3_600_000)).toBe('hold');
    // a reason change alone (a side paused with a different why but same flags) is not "same"
    const a = quoting();
    a.pauseSide(true, 'risk_block');
    const lastPaused = new LastTarget();
    recordEmitted(lastPaused, a, q, 0, 1, T0);
    const b = quoting();
    b.pauseSide(true, 'queue_yield');
    // flags and levels equal, stop '' in both -> same (the side's why is not compared) -> hold
    expect(emitAction(lastPaused, b, q, 0, 1, 4900, 5100, P, T0 + 100)).toBe('hold');
  });
});

describe('reasonText / buildTarget / recordEmitted', () => {
  it('wire text: the stop reason, or quote with paused sides, queue moves and the refresh mark', () => {
    expect(reasonText(stopped('stale_book'), false)).toBe('stale_book');
    expect(reasonText(stopped('stale_book'), true)).toBe('stale_book');
    const r = quoting();
    expect(reasonText(r, false)).toBe('quote');
    r.pauseSide(true, 'risk_block');
    r.queue.push('front_ask');
    expect(reasonText(r, false)).toBe('quote;bid:risk_block;queue:front_ask;');
    r.pauseSide(false, 'queue_yield');
    r.queue.push('yield_ask');
    expect(reasonText(r, true)).toBe('quote;bid:risk_block;ask:queue_yield;queue:front_ask;yield_ask;;quote_age_refresh');
    expect(queueText([])).toBe('');
  });

  it('stopAll keeps a side reason already set; reset clears everything', () => {
    const r = quoting();
    r.pauseSide(true, 'inventory_hard');
    r.stopAll('paused');
    expect([r.stop, r.quoting, r.bidPaused, r.askPaused, r.bidReason, r.askReason]).toEqual(['paused', false, true, true, 'inventory_hard', 'paused']);
    r.queue.push('front_bid');
    r.reset('');
    expect([r.stop, r.quoting, r.bidPaused, r.askPaused, r.bidReason, r.askReason, r.queue.length]).toEqual(['', true, false, false, '', '', 0]);
  });

  it('target: levels with expected edge vs the reservation in milli-bps of mid; fair 0 without levels', () => {
    // mid 0.50, reservation 0.505: bid edge (0.505 - 0.48) / 0.50 = 5% = 500 bps = 500,000
    // milli-bps; ask edge (0.52 - 0.505) / 0.50 = 3% = 300,000
    const q = { ...levels(4800, 5200), reservation: 5050 };
    const t = buildTarget('FED', quoting(), q, 1, 1, false, 7, 4900, 5100);
    expect(t).toEqual({
      market: 'FED',
      levels: [
        { side: BID, level: 0, price: 4800, countCenti: 1000, expectedEdgeBpsMilli: 500_000 },
        { side: ASK, level: 0, price: 5200, countCenti: 1000, expectedEdgeBpsMilli: 300_000 },
      ],
      bidPaused: false,
      askPaused: false,
      reason: 'quote',
      fairValue: 5050,
      decisionId: 7,
      bestBid: 4900,
      bestAsk: 5100,
    });
    const s = buildTarget('FED', stopped('no_book'), q, 0, 0, false, 8, 0, 0);
    expect([s.levels, s.fairValue, s.reason, s.bidPaused, s.askPaused]).toEqual([[], 0, 'no_book', true, true]);
    expect(buildTarget('FED', quoting(), q, 1, 1, true, 9, 4900, 5100).reason).toBe('quote;quote_age_refresh');
  });

  it('recordEmitted remembers levels, totals, flags, mid and time', () => {
    const q: QuoteLevels = {
      bidPrices: Int32Array.from([4800, 4700]),
      bidSizes: Float64Array.from([1000, 500]),
      askPrices: Int32Array.from([5200]),
      askSizes: Float64Array.from([300]),
      mid: 5000,
      reservation: 5000,
    };
    const last = new LastTarget();
    recordEmitted(last, quoting(), q, 2, 1, T0 + 5);
    expect([last.emitted, last.atMs, last.mid, last.stop, last.nBid, last.nAsk, last.bidTotalCenti, last.askTotalCenti]).toEqual([true, T0 + 5, 5000, '', 2, 1, 1500, 300]);
    expect([...last.bidPrices.subarray(0, 2), ...last.askPrices.subarray(0, 1)]).toEqual([4800, 4700, 5200]);
  });
});

describe('decisionRecord', () => {
  it('contracts not centi, risk text per side (block reason or clip), queue text, the target as sent', () => {
    const gate = (over: Partial<SideGateResult>): SideGateResult => ({ positionCenti: 0, intendedCenti: 1000, allowedCenti: 1000, effectiveCapCenti: 5000, blocked: false, hardBlock: false, reason: '', ...over });
    const cand = quoting();
    cand.queue.push('front_bid');
    const target = buildTarget('FED', cand, levels(4800, 5200, 500), 1, 1, false, 3, 4900, 5100);
    const rec = decisionRecord(
      {
        market: 'FED',
        nowMs: T0,
        trigger: 'book',
        exchPosCenti: 1500,
        localPosCenti: 1700,
        restingBidCenti: 500,
        restingAskCenti: 0,
        steps: [['grid', { bid: 4800 }]],
        // bid clipped from 10 to 5 contracts; ask untouched
        gateBid: gate({ allowedCenti: 500 }),
        gateAsk: gate({}),
        queue: cand.queue,
      },
      target,
    );
    expect(rec).toEqual({
      decision_id: 3,
      market: 'FED',
      ts_ms: T0,
      trigger: 'book',
      exchange_position: 15,
      local_position: 17,
      resting_bid: 5,
      resting_ask: 0,
      steps: [{ step: 'grid', value: { bid: 4800 } }],
      risk: { bid: 'clipped to 5', ask: '' },
      queue: 'front_bid;',
      target: { reason: 'quote;queue:front_bid;', bid_paused: false, ask_paused: false, levels: [['BID', 4800, 5], ['ASK', 5200, 10]], fair_value: 5000 },
    });
    const blocked = decisionRecord({ market: 'FED', nowMs: T0, trigger: 'fill', exchPosCenti: 0, localPosCenti: 0, restingBidCenti: 0, restingAskCenti: 0, steps: [], gateBid: gate({ reason: 'AT_OR_OVER_CAP (pos=50, max=50)', allowedCenti: 0 }), gateAsk: gate({}), queue: [] }, target);
    expect(blocked.risk).toEqual({ bid: 'AT_OR_OVER_CAP (pos=50, max=50)', ask: '' });
  });
});
