/**
 * Queue estimator for our own resting orders in one market (001 "Queue Estimator").
 *
 * For each order: `aheadCenti`, the estimated contracts ahead of it at its price, following the
 * seed's rules:
 *  - placement (T0): ahead = the level's size at that moment (excluding our own size if our
 *    order's delta, recognised by client_order_id, already reached the book);
 *  - trade at our price against our side: ahead -= trade size (floored at 0; the excess is our
 *    fill, reported separately);
 *  - a level decrease that is not explained by a trade is a cancel, assumed to come from behind
 *    us; only the part larger than everything behind us moves us forward;
 *  - our own cancel/replace (amend to a new price or a larger size): back of the queue,
 *    ahead = the level's size then;
 *  - our own deltas (client_order_id) change only our own size, never `ahead`, and our fills
 *    never move `ahead` except to say we reached the front (ahead = 0), so they are not counted
 *    twice.
 * Trades and the book deltas they cause arrive on different channels in either order: a trade
 * first leaves a credit that later decreases consume (not cancels); a decrease first is held as
 * "unexplained" and, when the trade arrives, what it already moved us is deducted.
 *
 * Calibration: exec periodically fetches the exchange's queue position (ground truth on Kalshi and
 * in the sim). `calibrate` returns estimate - exchange (the error, logged and exported) and, when
 * enabled, resets the estimate to the exchange value.
 *
 * Invariants: ahead >= 0, own sizes >= 0; ahead never grows except by our own requeue.
 * Limit: ordersMax orders per market and pendingOwnMax unmatched own deltas (oldest dropped).
 */
import { kmm } from '@kmm/shared';

const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;

export interface OwnOrder {
  readonly clientOrderId: string;
  orderId: string;
  side: kmm.v1.BookSide;
  price: number;
  aheadCenti: number;
  /** our remaining size (from acks and fills); -1 unknown */
  remainingCenti: number;
  /** our order's total size (acked remaining + acked filled); -1 unknown */
  totalCenti: number;
  /** largest cumulative filled size an ack reported */
  ackFilledCenti: number;
  /** sum of our fills seen (Fill messages) */
  fillsCenti: number;
  /** our size the book's level already contains (from our own deltas) */
  inBookCenti: number;
  /** last exchange queue position, -1 unknown */
  exchangeAheadCenti: number;
  /** advance given by "cancels larger than behind" not yet matched to a trade */
  unexplainedAdvanceCenti: number;
}

/** Size of a level, given by the book. */
export type LevelSize = (side: kmm.v1.BookSide, yesPrice: number) => number;

export const QUEUE_ORDERS_MAX = 1024;
export const QUEUE_PENDING_OWN_MAX = 256;

function key(side: kmm.v1.BookSide, price: number): number {
  return side * 100_000 + price;
}

export class QueueEstimator {
  readonly orders = new Map<string, OwnOrder>();
  /** trade volume seen at a level whose book decrease has not arrived yet */
  private readonly tradeCredit = new Map<number, number>();
  /** level decreases treated as cancels that a later trade may explain */
  private readonly unexplained = new Map<number, number>();
  /** own deltas for orders we do not know yet (delta before ack) */
  private readonly pendingOwn = new Map<string, number>();

  constructor(private readonly levelSize: LevelSize) {}

  /**
   * A new resting order (OrderAck PLACE / RESTING). `filledCenti` is the ack's cumulative filled
   * size: acks and Fill messages report the same fills on different paths, in either order, so
   * remaining = total - max(fills seen, acked filled) counts each fill once.
   */
  place(clientOrderId: string, orderId: string, side: kmm.v1.BookSide, price: number, remainingCenti: number, filledCenti = 0): OwnOrder | null {
    if (this.orders.has(clientOrderId)) return this.orders.get(clientOrderId)!;
    if (this.orders.size >= QUEUE_ORDERS_MAX) return null;
    const pend = this.pendingOwn.get(clientOrderId) ?? 0;
    const inBook = remainingCenti >= 0 ? Math.min(pend, remainingCenti) : pend;
    this.pendingOwn.delete(clientOrderId);
    const level = this.levelSize(side, price);
    const o: OwnOrder = {
      clientOrderId,
      orderId,
      side,
      price,
      aheadCenti: Math.max(0, level - inBook - this.credit(side, price)),
      remainingCenti,
      totalCenti: remainingCenti >= 0 ? remainingCenti + Math.max(0, filledCenti) : -1,
      ackFilledCenti: Math.max(0, filledCenti),
      fillsCenti: 0,
      inBookCenti: inBook,
      exchangeAheadCenti: -1,
      unexplainedAdvanceCenti: 0,
    };
    this.orders.set(clientOrderId, o);
    return o;
  }

  /**
   * Our cancel/replace: a new price or a larger size puts us at the back. A decrease keeps priority.
   * `filledCenti` (>= 0 when the ack carries it) is the cumulative filled size; see `place`.
   */
  amend(clientOrderId: string, orderId: string, price: number, remainingCenti: number, filledCenti = -1): void {
    const o = this.orders.get(clientOrderId);
    if (o === undefined) return;
    if (orderId) o.orderId = orderId;
    let total = -1;
    if (filledCenti >= 0 && remainingCenti >= 0) {
      total = remainingCenti + filledCenti;
      if (filledCenti > o.ackFilledCenti) o.ackFilledCenti = filledCenti;
      // A fill this ack does not include yet was already taken off by onFill.
      remainingCenti = Math.max(0, total - Math.max(o.fillsCenti, o.ackFilledCenti));
    }
    const sizeUp = total >= 0 && o.totalCenti >= 0 ? total > o.totalCenti : remainingCenti > o.remainingCenti;
    if (total >= 0) o.totalCenti = total;
    if (price !== o.price || sizeUp) {
      const samePrice = price === o.price;
      o.price = price;
      o.inBookCenti = samePrice ? o.inBookCenti : 0;
      o.aheadCenti = Math.max(0, this.levelSize(o.side, price) - o.inBookCenti - this.credit(o.side, price));
      o.unexplainedAdvanceCenti = 0;
    }
    o.remainingCenti = remainingCenti;
  }

  remove(clientOrderId: string): void {
    this.orders.delete(clientOrderId);
  }

  /**
   * After the book applied a delta at (side, price). `levelAfterCenti` is the level's new size.
   * `clientOrderId` is set when the venue tagged the change as ours.
   */
  onLevelDelta(side: kmm.v1.BookSide, price: number, deltaCenti: number, levelAfterCenti: number, clientOrderId: string): void {
    const k = key(side, price);
    if (clientOrderId) {
      const own = this.orders.get(clientOrderId);
      if (own !== undefined) {
        own.inBookCenti = Math.max(0, own.inBookCenti + deltaCenti);
      } else if (this.pendingOwn.size < QUEUE_PENDING_OWN_MAX || this.pendingOwn.has(clientOrderId)) {
        this.pendingOwn.set(clientOrderId, (this.pendingOwn.get(clientOrderId) ?? 0) + deltaCenti);
      } else {
        const oldest = this.pendingOwn.keys().next().value as string;
        this.pendingOwn.delete(oldest);
        this.pendingOwn.set(clientOrderId, deltaCenti);
      }
      // Our own fills also consumed trade volume at this level; if the trade has not arrived yet,
      // hold the decrease so that trade is matched to it (it moves the others exactly once).
      if (deltaCenti < 0) {
        const rest = -deltaCenti - this.useCredit(k, -deltaCenti);
        if (rest > 0) this.unexplained.set(k, (this.unexplained.get(k) ?? 0) + rest);
      }
      return;
    }
    if (deltaCenti >= 0) return; // additions join behind us
    const creditBefore = this.tradeCredit.get(k) ?? 0;
    const fromTrade = this.useCredit(k, -deltaCenti);
    const cancel = -deltaCenti - fromTrade;
    if (cancel <= 0) return;
    this.unexplained.set(k, (this.unexplained.get(k) ?? 0) + cancel);
    const levelBefore = levelAfterCenti - deltaCenti;
    for (const o of this.orders.values()) {
      if (o.side !== side || o.price !== price) continue;
      // Everything at the level that is neither ahead of us, nor us, nor already-traded volume.
      const behind = Math.max(0, levelBefore - creditBefore - o.aheadCenti - o.inBookCenti);
      if (cancel > behind) {
        const advance = Math.min(o.aheadCenti, cancel - behind);
        o.aheadCenti -= advance;
        o.unexplainedAdvanceCenti += advance;
      }
    }
  }

  /** A public trade. takerSide BID = the taker bought YES, so resting asks at the price traded. */
  onTrade(yesPrice: number, countCenti: number, takerSide: kmm.v1.BookSide): void {
    if (countCenti <= 0) return;
    if (takerSide !== ASK) this.tradeAt(ASK, yesPrice, countCenti);
    if (takerSide !== BID) this.tradeAt(BID, yesPrice, countCenti);
  }

  private tradeAt(side: kmm.v1.BookSide, price: number, countCenti: number): void {
    const k = key(side, price);
    const u = this.unexplained.get(k) ?? 0;
    const matched = Math.min(u, countCenti);
    if (matched > 0) {
      if (u - matched > 0) this.unexplained.set(k, u - matched);
      else this.unexplained.delete(k);
    }
    const fresh = countCenti - matched;
    if (fresh > 0) this.tradeCredit.set(k, (this.tradeCredit.get(k) ?? 0) + fresh);
    for (const o of this.orders.values()) {
      if (o.side !== side || o.price !== price) continue;
      const already = Math.min(o.unexplainedAdvanceCenti, matched);
      o.unexplainedAdvanceCenti -= already;
      o.aheadCenti = Math.max(0, o.aheadCenti - (fresh + matched - already));
    }
  }

  /** Our fill: we were at the front. Never moves `ahead` by the fill size (the trade already did). */
  onFill(clientOrderId: string, countCenti: number): void {
    const o = this.orders.get(clientOrderId);
    if (o === undefined) return;
    o.aheadCenti = 0;
    o.fillsCenti += countCenti;
    if (o.remainingCenti < 0) return; // size unknown (adopted from WorkingOrders): removal comes from acks
    // An ack that arrived first may already count this fill (its filled size): count it once.
    if (o.totalCenti >= 0) o.remainingCenti = Math.max(0, o.totalCenti - Math.max(o.fillsCenti, o.ackFilledCenti));
    else o.remainingCenti = Math.max(0, o.remainingCenti - countCenti);
    if (o.remainingCenti === 0) this.orders.delete(clientOrderId);
  }

  /** A fresh snapshot: pending trade/cancel matching no longer refers to the current book. */
  onSnapshot(): void {
    this.tradeCredit.clear();
    this.unexplained.clear();
    for (const o of this.orders.values()) {
      o.unexplainedAdvanceCenti = 0;
      o.aheadCenti = Math.min(o.aheadCenti, Math.max(0, this.levelSize(o.side, o.price) - o.inBookCenti));
    }
  }

  /** Exchange queue position (ground truth). Returns estimate - exchange, or null for an unknown order. */
  calibrate(clientOrderId: string, exchangeAheadCenti: number, apply: boolean): number | null {
    const o = this.orders.get(clientOrderId);
    if (o === undefined || exchangeAheadCenti < 0) return null;
    const err = o.aheadCenti - exchangeAheadCenti;
    o.exchangeAheadCenti = exchangeAheadCenti;
    if (apply) o.aheadCenti = exchangeAheadCenti;
    return err;
  }

  /** QueueEstimate messages for BookFeatures.queue. */
  estimates(): kmm.v1.IQueueEstimate[] {
    const out: kmm.v1.IQueueEstimate[] = [];
    for (const o of this.orders.values()) {
      out.push({
        clientOrderId: o.clientOrderId,
        orderId: o.orderId,
        side: o.side,
        price: o.price,
        aheadCenti: o.aheadCenti,
        levelTotalCenti: this.levelSize(o.side, o.price),
        exchangeAheadCenti: o.exchangeAheadCenti,
      });
    }
    return out;
  }

  private credit(side: kmm.v1.BookSide, price: number): number {
    return this.tradeCredit.get(key(side, price)) ?? 0;
  }

  private useCredit(k: number, amount: number): number {
    const c = this.tradeCredit.get(k) ?? 0;
    const used = Math.min(c, amount);
    if (used > 0) {
      if (c - used > 0) this.tradeCredit.set(k, c - used);
      else this.tradeCredit.delete(k);
    }
    return used;
  }
}
