/**
 * Order differ: one quote slot (market/side/level) at a time, target vs working order ->
 * what to do. Amend-first: a price change is one amend (not cancel + create), a pure size
 * decrease is a decrease (keeps queue priority), a missing target is a cancel.
 *
 * Reprice gates (a price change on a resting order), all of which must pass (004):
 *   1. MM_MIN_REPRICE_TICKS (000) and MM_MIN_REPRICE_MOVE_TICKS (004): |move| >= max of both, in grid ticks;
 *   2. MM_REPRICE_TOLERANCE_PERCENT: |move| > tolerance x |target - fair value| (skipped when fair is unknown);
 *   3. MM_MIN_REPRICE_EDGE_DELTA_BPS: |edge change| >= threshold (skipped when neither edge is known);
 * failing one is a skip (the skip_same_quote event of 000). The time gate then defers (WAIT):
 *   MM_MIN_REPRICE_INTERVAL_S since the order last changed (004 "rate-limit reprices per slot").
 *   MM_QUOTE_REFRESH_MS is not applied here: strategy applies it to the targets it emits and
 *   knows which are urgent (002 scenario 4: a move of more than 2c requotes at once); gating
 *   again here held such a requote up to 5 s.
 * Overrides: a queue move (strategy's join / step inside the touch, v2 move to the front: the
 * target level's queue_move) is amended at once, without the magnitude gates and the interval
 * (issue 17: MM_MIN_REPRICE_TICKS skipped a one-tick move to the front, so the v2 decision only
 * reached the venue on the max-age reprice); a whole-contract size change always reprices (000 "size changed: always"); an order
 * older than MM_MAX_ORDER_AGE_S (age = since placed or last amended; 0 = off) is refreshed
 * regardless of the gates (004 "forces reprice regardless"): amended to the target when its
 * price differs, REPLACEd (cancel, then the slot is placed again from the target) when the
 * target is the order itself - an amend cannot be a no-op, and a re-placed order is a fresh
 * quote with a fresh exchange expiration. A younger unchanged order gets retryAtMs = its due time.
 * Pure and allocation-free: writes into a caller-owned SlotDecision.
 */
import type { PriceGrid } from '@kmm/shared';
import { OrderStatus, type WorkingOrder } from './types.js';

export const Action = {
  NONE: 0,
  PLACE: 1,
  AMEND: 2,
  DECREASE: 3,
  CANCEL: 4,
  SKIP: 5, // magnitude gates say no: keep the order (skip_same_quote)
  WAIT: 6, // something is in flight, or a time gate: look again later
  REPLACE: 7, // MM_MAX_ORDER_AGE_S on an unchanged order: cancel it, the slot is placed again
} as const;

export interface SlotDecision {
  action: number;
  price: number;
  /** place: size; amend: new total (filled + desired remaining); decrease: reduce_to (remaining) */
  countCenti: number;
  reason: string;
  forced: boolean;
  /** for WAIT on a time gate, or NONE on an unchanged order that will age out: when to look again (ms) */
  retryAtMs: number;
}

export function newDecision(): SlotDecision {
  return { action: 0, price: 0, countCenti: 0, reason: '', forced: false, retryAtMs: 0 };
}

export interface DifferParams {
  minRepriceTicks: number;
  minRepriceMoveTicks: number;
  minRepriceEdgeDeltaBpsMilli: number;
  minRepriceIntervalMs: number;
  repriceTolerancePermille: number;
  maxOrderAgeMs: number;
}

/** The target for one slot after post-only adjustment; countCenti 0 = no target. */
export interface SlotTarget {
  price: number;
  countCenti: number;
  edgeBpsMilli: number;
  /** strategy's queue decision (QuoteLevel.queue_move): a price change goes out at once, no gates */
  queueMove?: boolean;
}

const BID = 1;

export class OrderDiffer {
  constructor(private p: DifferParams) {}
  setParams(p: DifferParams): void {
    this.p = p;
  }

  get minTicks(): number {
    return Math.max(this.p.minRepriceTicks, this.p.minRepriceMoveTicks);
  }

  /**
   * @param fair reservation price (price units, 0 = unknown) for the tolerance gate
   */
  decide(
    o: WorkingOrder | null,
    t: SlotTarget,
    side: number,
    grid: PriceGrid,
    fair: number,
    nowMs: number,
    d: SlotDecision,
  ): SlotDecision {
    d.action = Action.NONE;
    d.price = t.price;
    d.countCenti = t.countCenti;
    d.reason = '';
    d.forced = false;
    d.retryAtMs = 0;
    const want = t.countCenti > 0 && t.price > 0;
    if (!o) {
      if (want) d.action = Action.PLACE;
      return d;
    }
    if (o.pendingKind !== 0 || o.status === OrderStatus.UNCERTAIN || o.status === OrderStatus.PENDING_NEW) {
      d.action = Action.WAIT;
      d.reason = 'in_flight';
      return d;
    }
    if (o.wantCancel || !want) {
      d.action = Action.CANCEL;
      d.reason = o.wantCancel ? 'unwanted' : 'no_target';
      return d;
    }
    const remaining = o.totalCenti - o.filledCenti;
    // 000 compares whole contracts: int(wo.size) != int(target.size)
    const sizeChanged = Math.trunc(remaining / 100) !== Math.trunc(t.countCenti / 100);
    const ageDueMs = this.p.maxOrderAgeMs > 0 ? o.placedAtMs + this.p.maxOrderAgeMs : 0;
    if (t.price === o.price) {
      if (!sizeChanged) {
        if (ageDueMs > 0 && nowMs >= ageDueMs) {
          d.action = Action.REPLACE;
          d.forced = true;
          d.reason = 'max_order_age';
        } else d.retryAtMs = ageDueMs;
        return d;
      }
      if (t.countCenti < remaining) {
        d.action = Action.DECREASE;
        d.countCenti = t.countCenti;
        d.reason = 'size_down';
      } else {
        d.action = Action.AMEND;
        d.countCenti = o.filledCenti + t.countCenti;
        d.reason = 'size_up';
      }
      return d;
    }
    d.countCenti = o.filledCenti + t.countCenti;
    if (ageDueMs > 0 && nowMs >= ageDueMs) {
      d.action = Action.AMEND;
      d.forced = true;
      d.reason = 'max_order_age';
      return d;
    }
    if (sizeChanged) {
      d.action = Action.AMEND;
      d.reason = 'size_changed';
      return d;
    }
    const move = t.price - o.price;
    const absMove = move < 0 ? -move : move;
    if (t.queueMove) {
      d.action = Action.AMEND;
      d.reason = 'queue_move';
      return d;
    }
    const ticks = grid.isValid(o.price) && grid.isValid(t.price) ? Math.abs(grid.ticksBetween(o.price, t.price)) : Math.ceil(absMove / grid.tickAt(t.price));
    if (ticks < this.minTicks) {
      d.action = Action.SKIP;
      d.reason = 'min_reprice_ticks';
      return d;
    }
    if (fair > 0 && this.p.repriceTolerancePermille > 0) {
      const offset = Math.abs(t.price - fair);
      if (absMove * 1000 <= this.p.repriceTolerancePermille * offset) {
        d.action = Action.SKIP;
        d.reason = 'reprice_tolerance';
        return d;
      }
    }
    if ((t.edgeBpsMilli !== 0 || o.edgeBpsMilli !== 0) && Math.abs(t.edgeBpsMilli - o.edgeBpsMilli) < this.p.minRepriceEdgeDeltaBpsMilli) {
      d.action = Action.SKIP;
      d.reason = 'edge_delta';
      return d;
    }
    const intervalAt = o.lastChangeMs + this.p.minRepriceIntervalMs;
    // protective: our bid above the target bid (or ask below the target ask) is adverse exposure
    const protective = side === BID ? move < 0 : move > 0;
    if (nowMs < intervalAt) {
      d.action = Action.WAIT;
      d.reason = 'min_reprice_interval';
      d.retryAtMs = intervalAt;
      return d;
    }
    d.action = Action.AMEND;
    d.reason = protective ? 'reprice_protective' : 'reprice';
    return d;
  }
}
