/**
 * Emission: whether a market's new candidate target goes out, the TargetQuotes it becomes, and
 * the decision journal record (reprice_decision) that explains it.
 *
 * In:  the last emitted target (LastTarget), the candidate (a TargetReason plus the levels of a
 *      QuoteResult, nBid / nAsk of them kept), the touch, the emission params and the wall time.
 * Out: 'hold' | 'emit' | 'refresh'; the target; the journal record.
 *
 * Rules (seed 002 scenario 4 "protection mechanisms" and the refresh settings):
 *  - same as the last emitted target (reason, paused flags, every level's price and size):
 *    hold, unless quoting and older than max_quote_age_seconds (> 0): then 'refresh' (the
 *    same levels re-emitted, reason + ';quote_age_refresh').
 *  - changed, and urgent: emit at once. Urgent = a side's total size fell, a side newly paused,
 *    no levels at all, the last bid at/through the current ask or the last ask at/through the
 *    current bid, the mid moved more than price_change_requote_threshold from the last emitted
 *    mid (002: `abs(current_price - last_price) > 0.02`; exactly 2c is not urgent),
 *    the last target was not quoting, or a queue move (a side's touch level flagged
 *    queue_move at a new price: exec carries it out at once, so it must not wait here either).
 *  - changed, not urgent: emit only once MM_QUOTE_REFRESH_MS has passed since the last emit.
 *    This is the one place MM_QUOTE_REFRESH_MS applies: exec re-prices a target when it arrives
 *    (its own gates are the 004 magnitude gates and MM_MIN_REPRICE_INTERVAL_S), so an urgent
 *    target goes to the venue at once.
 *  - never emitted: emit.
 *
 * The reason on the wire is text: the stop reason, or 'quote' followed by ';bid:<why>' /
 * ';ask:<why>' for a paused side, ';queue:<action>;...' for v2 queue moves,
 * ';close_widen:<ticks>' for quotes moved back before the close (jump.ts) and ';quote_age_refresh'. Inside the core it stays a TargetReason; reasonText() writes the text.
 *
 * Pure apart from recordEmitted(), which updates the LastTarget it is given.
 */
import { kmm } from '@kmm/shared';
import type { StrategyParams } from './params.js';
import { LEVELS_MAX, type QueueAction, type Trace } from './pricing.js';
import type { SideGateResult } from './risk.js';

const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;
const CENTI = 100;

/** Why the candidate target looks as it does; reused per decision (reset()). */
export class TargetReason {
  /** '' while quoting; otherwise why the market shows no levels (a stop gate, a pause, a pricing refusal) */
  stop = '';
  bidPaused = false;
  askPaused = false;
  /** why the bid side is paused ('' when it is not) */
  bidReason = '';
  askReason = '';
  /** queue moves in the order they were made */
  readonly queue: QueueAction[] = [];
  /** the side's touch level is a queue decision (grid join / step inside, v2 front move): queue_move on the wire */
  bidQueueMove = false;
  askQueueMove = false;
  /** ticks both sides were moved back from the touch before the close (jump.ts widenSide; 0: none) */
  closeWidenTicks = 0;

  get quoting(): boolean {
    return this.stop === '';
  }

  reset(stop: string): void {
    this.stop = stop;
    this.bidPaused = this.askPaused = false;
    this.bidReason = this.askReason = '';
    this.queue.length = 0;
    this.bidQueueMove = this.askQueueMove = false;
    this.closeWidenTicks = 0;
  }

  /** Stops the whole market: no levels, both sides paused (a side's own reason is kept). */
  stopAll(stop: string): void {
    this.stop = stop;
    this.bidPaused = this.askPaused = true;
    if (this.bidReason === '') this.bidReason = stop;
    if (this.askReason === '') this.askReason = stop;
  }

  pauseSide(isBid: boolean, why: string): void {
    if (isBid) {
      this.bidPaused = true;
      this.bidReason = why;
    } else {
      this.askPaused = true;
      this.askReason = why;
    }
  }
}

/** The candidate's levels (QuoteResult satisfies it). */
export interface QuoteLevels {
  readonly bidPrices: Int32Array;
  readonly bidSizes: Float64Array;
  readonly askPrices: Int32Array;
  readonly askSizes: Float64Array;
  /** mid the quotes were priced from (price units) */
  readonly mid: number;
  /** reservation price: the target's fair value */
  readonly reservation: number;
}

/** The last target emitted for a market. */
export class LastTarget {
  emitted = false;
  atMs = 0;
  mid = 0;
  /** TargetReason.stop of the last target ('' = it was quoting) */
  stop = '';
  bidPaused = true;
  askPaused = true;
  nBid = 0;
  nAsk = 0;
  bidTotalCenti = 0;
  askTotalCenti = 0;
  readonly bidPrices = new Int32Array(LEVELS_MAX);
  readonly bidSizes = new Float64Array(LEVELS_MAX);
  readonly askPrices = new Int32Array(LEVELS_MAX);
  readonly askSizes = new Float64Array(LEVELS_MAX);
}

export type EmissionParams = Pick<StrategyParams, 'maxQuoteAgeMs' | 'MM_QUOTE_REFRESH_MS' | 'requoteMovePrice'>;

export type EmitAction = 'hold' | 'emit' | 'refresh';

/** The emission rules of the header. bestBid / bestAsk: the current touch (0 = none). */
export function emitAction(
  last: Readonly<LastTarget>,
  cand: Readonly<TargetReason>,
  q: QuoteLevels,
  nBid: number,
  nAsk: number,
  bestBid: number,
  bestAsk: number,
  p: EmissionParams,
  nowMs: number,
): EmitAction {
  if (!last.emitted) return 'emit';
  let same = cand.stop === last.stop && nBid === last.nBid && nAsk === last.nAsk && cand.bidPaused === last.bidPaused && cand.askPaused === last.askPaused;
  for (let i = 0; i < nBid && same; i++) same = q.bidPrices[i] === last.bidPrices[i] && q.bidSizes[i] === last.bidSizes[i];
  for (let i = 0; i < nAsk && same; i++) same = q.askPrices[i] === last.askPrices[i] && q.askSizes[i] === last.askSizes[i];
  const quoting = nBid + nAsk > 0;
  if (same) return quoting && p.maxQuoteAgeMs > 0 && nowMs - last.atMs >= p.maxQuoteAgeMs ? 'refresh' : 'hold';
  const urgent =
    total(q.bidSizes, nBid) < last.bidTotalCenti ||
    total(q.askSizes, nAsk) < last.askTotalCenti ||
    (cand.bidPaused && !last.bidPaused) ||
    (cand.askPaused && !last.askPaused) ||
    !quoting ||
    (last.nBid > 0 && bestAsk > 0 && last.bidPrices[0] >= bestAsk) ||
    (last.nAsk > 0 && bestBid > 0 && last.askPrices[0] <= bestBid) ||
    (p.requoteMovePrice > 0 && q.mid > 0 && last.mid > 0 && Math.abs(q.mid - last.mid) > p.requoteMovePrice) ||
    (cand.bidQueueMove && nBid > 0 && (last.nBid === 0 || q.bidPrices[0] !== last.bidPrices[0])) ||
    (cand.askQueueMove && nAsk > 0 && (last.nAsk === 0 || q.askPrices[0] !== last.askPrices[0])) ||
    last.stop !== '';
  return urgent || nowMs - last.atMs >= p.MM_QUOTE_REFRESH_MS ? 'emit' : 'hold';
}

/** Queue moves as journal text: 'front_bid;yield_ask;'. */
export function queueText(queue: readonly QueueAction[]): string {
  let s = '';
  for (const a of queue) s += `${a};`;
  return s;
}

/** The target's wire reason (see the header), e.g. 'quote;bid:risk_block;queue:front_ask;'. */
export function reasonText(cand: Readonly<TargetReason>, refresh: boolean): string {
  if (!cand.quoting) return cand.stop;
  let s = 'quote';
  if (cand.bidPaused) s += `;bid:${cand.bidReason}`;
  if (cand.askPaused) s += `;ask:${cand.askReason}`;
  if (cand.queue.length > 0) s += `;queue:${queueText(cand.queue)}`;
  if (cand.closeWidenTicks > 0) s += `;close_widen:${cand.closeWidenTicks}`;
  if (refresh) s += ';quote_age_refresh';
  return s;
}

/**
 * The TargetQuotes for a candidate. Each level carries its expected edge against the
 * reservation price, in milli-bps of the mid. fairValue is 0 when no level is quoted.
 */
export function buildTarget(
  market: string,
  cand: Readonly<TargetReason>,
  q: QuoteLevels,
  nBid: number,
  nAsk: number,
  refresh: boolean,
  decisionId: number,
  bestBid: number,
  bestAsk: number,
): kmm.v1.ITargetQuotes {
  const levels: kmm.v1.IQuoteLevel[] = [];
  const fair = q.reservation;
  const mid = q.mid > 0 ? q.mid : 1;
  for (let i = 0; i < nBid; i++) {
    const lv: kmm.v1.IQuoteLevel = { side: BID, level: i, price: q.bidPrices[i], countCenti: q.bidSizes[i], expectedEdgeBpsMilli: Math.round(((fair - q.bidPrices[i]) / mid) * 1e7) };
    if (i === 0 && cand.bidQueueMove) lv.queueMove = true;
    levels.push(lv);
  }
  for (let i = 0; i < nAsk; i++) {
    const lv: kmm.v1.IQuoteLevel = { side: ASK, level: i, price: q.askPrices[i], countCenti: q.askSizes[i], expectedEdgeBpsMilli: Math.round(((q.askPrices[i] - fair) / mid) * 1e7) };
    if (i === 0 && cand.askQueueMove) lv.queueMove = true;
    levels.push(lv);
  }
  return {
    market,
    levels,
    bidPaused: cand.bidPaused,
    askPaused: cand.askPaused,
    reason: reasonText(cand, refresh),
    fairValue: nBid + nAsk > 0 ? fair : 0,
    decisionId,
    bestBid,
    bestAsk,
  };
}

/** Remembers an emitted candidate as the market's last target. */
export function recordEmitted(last: LastTarget, cand: Readonly<TargetReason>, q: QuoteLevels, nBid: number, nAsk: number, nowMs: number): void {
  for (let i = 0; i < nBid; i++) {
    last.bidPrices[i] = q.bidPrices[i];
    last.bidSizes[i] = q.bidSizes[i];
  }
  for (let i = 0; i < nAsk; i++) {
    last.askPrices[i] = q.askPrices[i];
    last.askSizes[i] = q.askSizes[i];
  }
  last.emitted = true;
  last.atMs = nowMs;
  last.mid = q.mid;
  last.stop = cand.stop;
  last.nBid = nBid;
  last.nAsk = nAsk;
  last.bidPaused = cand.bidPaused;
  last.askPaused = cand.askPaused;
  last.bidTotalCenti = total(q.bidSizes, nBid);
  last.askTotalCenti = total(q.askSizes, nAsk);
}

/** What the journal record reports besides the target. */
export interface DecisionContext {
  market: string;
  nowMs: number;
  /** what made the core decide: 'book', 'fill', 'timer', ... */
  trigger: string;
  exchPosCenti: number;
  localPosCenti: number;
  restingBidCenti: number;
  restingAskCenti: number;
  /** [['stop', reason]] for a stop; the pricing trace when quoting */
  steps: Trace;
  gateBid: Readonly<SideGateResult>;
  gateAsk: Readonly<SideGateResult>;
  queue: readonly QueueAction[];
}

/** The reprice_decision journal record (contracts, not centi; prices in price units). */
export function decisionRecord(c: DecisionContext, target: kmm.v1.ITargetQuotes): Record<string, unknown> {
  return {
    decision_id: target.decisionId,
    market: c.market,
    ts_ms: c.nowMs,
    trigger: c.trigger,
    exchange_position: c.exchPosCenti / CENTI,
    local_position: c.localPosCenti / CENTI,
    resting_bid: c.restingBidCenti / CENTI,
    resting_ask: c.restingAskCenti / CENTI,
    steps: c.steps.map(([step, value]) => ({ step, value })),
    risk: { bid: gateText(c.gateBid), ask: gateText(c.gateAsk) },
    queue: queueText(c.queue),
    target: {
      reason: target.reason,
      bid_paused: target.bidPaused,
      ask_paused: target.askPaused,
      levels: (target.levels ?? []).map((l) => [l.side === BID ? 'BID' : 'ASK', l.price, Number(l.countCenti) / CENTI]),
      fair_value: target.fairValue,
    },
  };
}

/** A side's risk gate outcome: its block reason, 'clipped to N', or ''. */
function gateText(g: Readonly<SideGateResult>): string {
  return g.reason || (g.allowedCenti < g.intendedCenti ? `clipped to ${g.allowedCenti / CENTI}` : '');
}

function total(sizes: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += sizes[i];
  return s;
}
