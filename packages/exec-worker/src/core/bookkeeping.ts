/**
 * Order and position bookkeeping: our working orders by client_order_id and order_id, the quote
 * slot (market/side/level) each live order stands for, state transitions from acks, rejects,
 * user_order updates and fills, positions (exchange truth when told, local estimate between),
 * local cost basis for P&L, and fill de-duplication by trade id.
 *
 * Position order (issue 13): the websocket market_position carries the user's cumulative traded
 * volume in the market, which grows by each fill's count; it places the message among our fills.
 * A message with volume V is the position after exactly the fills up to V: the position becomes
 * it plus the fills we booked beyond V, and a message older than the newest truth applied (lower
 * V) is stale and changes nothing: a position never rolls back past a fill it does not include.
 * A fill whose volume the applied truth already holds (the message overtook it) moves nothing.
 * Until then the volume offset of our fills is unknown: a message is placed by matching its
 * position against the positions after each fill booked since the last volume-less truth (REST,
 * or a message no point matched, taken as is); exactly one match fixes the offset, and so does
 * the websocket fill whose post_position equals an unmatched message's (the message was ahead). Positions
 * that repeat can make a wrong unique match: the offset is then too high, later messages look
 * stale and the position follows the fills' post_position alone (never rolled back).
 * REST positions (no volume) set the position as before. A REST-backfilled fill (no
 * post_position) is booked on top of the position; when its websocket copy comes later, that
 * copy's post_position is the truth at the fill's point (a backfill behind a message that
 * already held it was otherwise counted twice until the next REST read).
 *
 * Invariants (asserted, on in production; `checkInvariants` scans them all):
 *  - position = start position (last exchange truth) + sum of fills booked since;
 *  - per order: filled <= ordered (max of total and a pending amend's total); filled never shrinks;
 *  - a trade id is booked once;
 *  - an order is in at most one slot; a slot holds at most one order (by construction);
 *  - liveCount = number of known orders not DONE.
 * Venue input that would break one of them (a smaller cumulative fill count, a fill beyond the
 * order's size, an amend result below the filled count) is an operating error, not our bug: it is
 * counted in `venueAnomalies`, reported to `onAnomaly` and ignored (or the order is widened to what
 * the venue says filled).
 * Limits: DONE orders are forgotten after DONE_RETAIN_MS (late fills still count towards the
 * position, keyed by trade id); remembered trade ids are capped at fillDedupMax (oldest evicted).
 */
import { assert, kmm } from '@kmm/shared';
import { OrderStatus, type PendingKind, type WorkingOrder } from './types.js';

const CK = kmm.v1.CommandKind;
const RC = kmm.v1.RejectCode;
const BID = kmm.v1.BookSide.BID;

/** How long a finished order stays known (late acks/fills on it are then still attributed). */
export const DONE_RETAIN_MS = 120_000;
/** Fills remembered per market for matching a venue snapshot by trade id (PositionState.recentFills). */
export const RECENT_FILLS_MAX = 256;
/** ... and for at most this long (past any reconcile grace worth having). */
export const RECENT_FILLS_MS = 600_000;

/** One fill as booked into a position (for matching against a venue snapshot by trade id). */
export interface BookedFill {
  tradeId: string;
  /** signed: + bought YES, - sold */
  deltaCenti: number;
  /** when we booked it (exec's monotonic ms) */
  atMs: number;
}

export interface PositionState {
  market: string;
  positionCenti: number;
  /** cost basis of the open position: sum of entry price x centi (price units x 1/100 contract) */
  costPriceCenti: number;
  realizedPriceCenti: number; // realised P&L in price x centi units, fees subtracted
  feesMoney: number;
  exchangePositionCenti: number;
  exchangeKnown: boolean;
  lastFillMs: number;
  /** position at the last exchange truth (0 before any) */
  basisCenti: number;
  /** signed sum of fills booked since that truth */
  bookedSinceBasisCenti: number;
  /** the last fills booked (oldest first, bounded): which of them a venue snapshot already includes is told by trade id */
  recentFills: BookedFill[];
  /**
   * True once a market_position's volume placed our fills on the exchange's volume scale; then
   * the volumes below are the exchange's cumulative traded contracts (1/100 contract), before
   * that they count from the last volume-less truth.
   */
  volumeKnown: boolean;
  /** volume through the last fill we booked */
  fillVolumeCenti: number;
  /** volume of the basis, the newest exchange truth applied (volumeKnown only) */
  basisVolumeCenti: number;
  /** fills booked beyond the basis (known) or since the last volume-less truth (unknown), oldest first */
  fillLog: FillMark[];
  /** volume and position where fillLog starts (the log covers fills beyond this volume) */
  logStartVolumeCenti: number;
  logStartPositionCenti: number;
  /**
   * Unknown scale: the last market_position no point of ours matched (ahead of fills still on
   * their way); the websocket fill whose post_position equals it is its point and fixes the scale.
   */
  anchor: { positionCenti: number; volumeCenti: number } | null;
  /**
   * When exec last applied a websocket market_position as the truth (0 = never): a REST positions
   * read requested before it is older than that truth and must not overwrite it (reconcilePositions).
   */
  wsTruthAtMs: number;
}

/** One booked fill on the volume scale. */
export interface FillMark {
  /** '' for a fill without one */
  tradeId: string;
  volumeAfterCenti: number;
  deltaCenti: number;
  positionAfterCenti: number;
  /** the position after it is the exchange's (a websocket fill's post_position) */
  withPost: boolean;
}

/** Fills a market's log keeps (fills beyond the newest truth: a websocket fill or market_position empties it). */
export const FILL_LOG_MAX = 256;

/** What a market_position with a volume did (see applyVolumePosition). */
export type VolumePositionResult = 'applied' | 'stale' | 'ambiguous';

/** Venue input that would break one of our invariants; handled, counted and reported, never asserted. */
export type VenueAnomalyKind = 'fill_count_shrank' | 'fill_exceeds_order' | 'amend_below_filled';

export interface VenueAnomaly {
  kind: VenueAnomalyKind;
  market: string;
  clientOrderId: string;
  orderId: string;
  /** what we hold */
  localCenti: number;
  /** what the venue said */
  venueCenti: number;
}

export interface MarketOrders {
  bids: (WorkingOrder | null)[];
  asks: (WorkingOrder | null)[];
  /** live orders not in a slot: taker orders, adopted orders, orders we want gone */
  others: Set<WorkingOrder>;
}

export class OrderBookkeeping {
  readonly byCoid = new Map<string, WorkingOrder>();
  private readonly coidByOid = new Map<string, string>();
  readonly markets = new Map<string, MarketOrders>();
  readonly positions = new Map<string, PositionState>();
  private readonly seenTrades = new Map<string, number>();
  /**
   * Orders whose reported filled count (an ack, a user_order update) ran ahead of the fills
   * booked on them: those contracts are in the exchange position but not yet in ours.
   */
  private readonly fillsAhead = new Set<WorkingOrder>();
  liveCount = 0;
  duplicateFills = 0;
  /** market_position messages older than the truth already applied (ignored) */
  stalePositions = 0;
  /** fills a newer market_position already held when they arrived (position not moved again) */
  fillsInTruth = 0;
  /** websocket fills that came after their REST backfill and set the position from their post_position */
  latePostsApplied = 0;
  readonly venueAnomalies: Record<VenueAnomalyKind, number> = { fill_count_shrank: 0, fill_exceeds_order: 0, amend_below_filled: 0 };

  constructor(
    private levelsPerSide: number,
    private fillDedupMax: number,
    private readonly onAnomaly: (a: VenueAnomaly) => void = () => {},
  ) {}

  private anomaly(kind: VenueAnomalyKind, o: WorkingOrder, localCenti: number, venueCenti: number): void {
    this.venueAnomalies[kind]++;
    this.onAnomaly({ kind, market: o.market, clientOrderId: o.clientOrderId, orderId: o.orderId, localCenti, venueCenti });
  }

  marketOrders(market: string): MarketOrders {
    let m = this.markets.get(market);
    if (!m) {
      m = { bids: new Array(this.levelsPerSide).fill(null), asks: new Array(this.levelsPerSide).fill(null), others: new Set() };
      this.markets.set(market, m);
    }
    return m;
  }

  position(market: string): PositionState {
    let p = this.positions.get(market);
    if (!p) {
      p = {
        market,
        positionCenti: 0,
        costPriceCenti: 0,
        realizedPriceCenti: 0,
        feesMoney: 0,
        exchangePositionCenti: 0,
        exchangeKnown: false,
        lastFillMs: 0,
        basisCenti: 0,
        bookedSinceBasisCenti: 0,
        volumeKnown: false,
        fillVolumeCenti: 0,
        basisVolumeCenti: 0,
        fillLog: [],
        logStartVolumeCenti: 0,
        logStartPositionCenti: 0,
        anchor: null,
        wsTruthAtMs: 0,
        recentFills: [],
      };
      this.positions.set(market, p);
    }
    return p;
  }

  get(coid: string): WorkingOrder | undefined {
    return this.byCoid.get(coid);
  }
  byOrderId(orderId: string): WorkingOrder | undefined {
    const c = this.coidByOid.get(orderId);
    return c === undefined ? undefined : this.byCoid.get(c);
  }
  find(coid: string | null | undefined, orderId: string | null | undefined): WorkingOrder | undefined {
    if (coid) {
      const o = this.byCoid.get(coid);
      if (o) return o;
    }
    return orderId ? this.byOrderId(orderId) : undefined;
  }
  hasTrade(tradeId: string): boolean {
    return this.seenTrades.has(tradeId);
  }

  /** Registers a new order about to be sent (or adopted from the venue). */
  add(o: WorkingOrder): void {
    this.byCoid.set(o.clientOrderId, o);
    if (o.orderId) this.coidByOid.set(o.orderId, o.clientOrderId);
    if (o.status !== OrderStatus.DONE) this.liveCount++;
    const m = this.marketOrders(o.market);
    if (o.level >= 0 && o.level < this.levelsPerSide && !o.taker) {
      const slots = o.side === BID ? m.bids : m.asks;
      const cur = slots[o.level];
      if (cur && cur !== o) m.others.add(cur); // displaced orders still need to finish
      slots[o.level] = o;
      m.others.delete(o);
    } else m.others.add(o);
    assertOneSlot(m, o);
  }

  setOrderId(o: WorkingOrder, orderId: string): void {
    if (!orderId || o.orderId === orderId) return;
    if (o.orderId) this.coidByOid.delete(o.orderId);
    o.orderId = orderId;
    this.coidByOid.set(orderId, o.clientOrderId);
  }

  /** Moves an order out of its slot (it will be cancelled; the slot may get a new order). */
  unslot(o: WorkingOrder): void {
    const m = this.marketOrders(o.market);
    const slots = o.side === BID ? m.bids : m.asks;
    if (o.level >= 0 && slots[o.level] === o) {
      slots[o.level] = null;
      m.others.add(o);
    }
  }

  markDone(o: WorkingOrder, nowMs: number): void {
    if (o.status === OrderStatus.DONE) return;
    o.status = OrderStatus.DONE;
    o.doneAtMs = nowMs;
    o.pendingKind = 0;
    o.pendingCmdId = 0;
    o.wantCancel = false;
    this.liveCount--;
    const m = this.marketOrders(o.market);
    const slots = o.side === BID ? m.bids : m.asks;
    if (o.level >= 0 && slots[o.level] === o) slots[o.level] = null;
    m.others.delete(o);
  }

  /** Reopens a DONE order the venue says is resting (reconciliation). */
  revive(o: WorkingOrder): void {
    if (o.status !== OrderStatus.DONE) return;
    o.status = OrderStatus.RESTING;
    o.doneAtMs = 0;
    this.liveCount++;
    this.marketOrders(o.market).others.add(o);
  }

  setPending(o: WorkingOrder, kind: PendingKind, cmdId: number, nowMs: number, price = 0, totalCenti = 0): void {
    o.pendingKind = kind;
    o.pendingCmdId = cmdId;
    o.pendingSinceMs = nowMs;
    o.pendingPrice = price;
    o.pendingTotalCenti = totalCenti;
  }

  clearPending(o: WorkingOrder): void {
    o.pendingKind = 0;
    o.pendingCmdId = 0;
  }

  /**
   * Applies an ack (REST result, or a user_order update with kind UNSPECIFIED).
   * Returns the order, or undefined when it is not ours/known.
   */
  applyAck(a: kmm.v1.IOrderAck, nowMs: number): WorkingOrder | undefined {
    const o = this.find(a.clientOrderId, a.orderId);
    if (!o) return undefined;
    const filledBefore = o.filledCenti;
    this.applyAckTo(o, a, nowMs);
    assert(o.filledCenti >= filledBefore, 'fill counts never shrink', () => ({ coid: o.clientOrderId, beforeCenti: filledBefore, afterCenti: o.filledCenti }));
    assertFilledWithinOrdered(o);
    return o;
  }

  private applyAckTo(o: WorkingOrder, a: kmm.v1.IOrderAck, nowMs: number): void {
    if (a.orderId) this.setOrderId(o, a.orderId);
    const filled = a.filledCenti ?? 0;
    // judged before the filled count below takes the report's
    const beforeAmend = (a.kind ?? 0) === 0 && this.olderThanAmend(o, a);
    if (filled > o.filledCenti) {
      const ordered = Math.max(o.totalCenti, o.pendingTotalCenti);
      if (filled > ordered) {
        this.anomaly('fill_exceeds_order', o, ordered, filled);
        o.totalCenti = filled;
      }
      o.filledCenti = filled;
      if (o.filledCenti > o.fillsBookedCenti) this.fillsAhead.add(o);
    }
    // 0 = not reported; a smaller positive count is a stale or wrong report: keep ours
    else if (filled > 0 && filled < o.filledCenti) this.anomaly('fill_count_shrank', o, o.filledCenti, filled);
    const kind = a.kind ?? 0;
    const hasRemaining = a.remainingCenti !== null && a.remainingCenti !== undefined;
    const remaining = a.remainingCenti ?? 0;
    if (kind !== 0 && kind === o.pendingKind) {
      if (kind === CK.AMEND) {
        o.price = o.pendingPrice;
        o.totalCenti = o.pendingTotalCenti;
        if (o.totalCenti < o.filledCenti) {
          // fills raced the amend; a result with the remaining count settles the size below
          if (!hasRemaining) this.anomaly('amend_below_filled', o, o.filledCenti, o.totalCenti);
          o.totalCenti = o.filledCenti;
        }
        o.amendAnswer = { filledCenti: o.filledCenti, venueTsMs: Number(a.venueTsMs ?? 0) };
      }
      this.clearPending(o);
      o.lastChangeMs = nowMs;
    }
    if (kind === CK.CANCEL) {
      if (a.hasReduced) this.fillsBeforeCancel(o, Number(a.reducedCenti ?? 0));
      this.markDone(o, nowMs);
      return;
    }
    if (o.status === OrderStatus.DONE) return;
    // an update from before the amend: its size and price are the old order's (its filled count, above, only adds)
    if (beforeAmend) return;
    if (o.status === OrderStatus.PENDING_NEW || o.status === OrderStatus.UNCERTAIN) {
      o.status = OrderStatus.RESTING;
      if (kind === 0 && o.pendingKind === CK.PLACE) this.clearPending(o);
    }
    if (kind === 0 && a.price && o.pendingKind === 0) o.price = a.price;
    if (hasRemaining) {
      // The order's size is the report's own filled + remaining: both are the venue's at the
      // moment it answered. Fills booked since (a REST answer overtaken by the websocket) must not
      // be added to that remaining (found by the position-truth property: the create's answer
      // came after a partial fill, exec took the order for 3.75 instead of 3, and an amend it
      // judged "no larger" raised the venue's remaining past the cap). A decrease answer reports
      // no fill count: there, as before, our own filled count stands in for it. An amend's answer
      // is neither: its count is the new total by definition (V2 amend `count` = filled + desired
      // remaining, set above from the command) and its fill_count is the amend's own crossing
      // fills, not the order's (taking it as the order's made exec see 0.98 resting where the
      // exchange had 2 and re-amend in a loop; the worst case passed the cap: DST seed 122).
      if (kind !== CK.AMEND) {
        const reportsFilled = kind === 0 || kind === CK.PLACE;
        o.totalCenti = Math.max(o.filledCenti, (reportsFilled ? filled : o.filledCenti) + remaining);
      }
    }
    const status = a.status ?? 0;
    if (status === kmm.v1.OrderStatus.CANCELED || status === kmm.v1.OrderStatus.EXECUTED || (hasRemaining && remaining <= 0)) {
      this.markDone(o, nowMs);
    }
  }

  /**
   * Whether a user_order update describes the order before its last answered amend (sent before
   * the amend, delivered after its answer: the channels are independent). Its size and price
   * would undo the amend: position-truth property seed 49, an update with filled 1.5 remaining
   * 1.5 came after the answer of the amend to 4.5 in total; exec set the order back to 3, took it
   * as executed after the next fill though 1.5 still rested, and a later create reached a worst
   * case of 7 against a cap of 6. The rule:
   *  - only a resting update can be older (a cancelled or executed order is never amended after);
   *  - when both carry the venue's time (the amend answer's ts_ms, the update's
   *    last_updated_ts_ms), an update older than the amend's answer is stale, a newer one is not;
   *  - otherwise (a time missing, or equal): an update whose filled count is not higher than ours
   *    when the amend's answer arrived, and whose size (filled + remaining) or price differs from
   *    the amended order's, is stale: after the amend, only fills (or our own next command, which
   *    has its own answer) change them. A venue-side change without a fill and without a time
   *    (none is known while the order rests) waits for the next reconcile.
   */
  private olderThanAmend(o: WorkingOrder, a: kmm.v1.IOrderAck): boolean {
    const amend = o.amendAnswer;
    if (!amend || (a.status ?? 0) !== kmm.v1.OrderStatus.RESTING) return false;
    const tsMs = Number(a.venueTsMs ?? 0);
    if (tsMs > 0 && amend.venueTsMs > 0 && tsMs !== amend.venueTsMs) return tsMs < amend.venueTsMs;
    const filled = a.filledCenti ?? 0;
    if (filled > amend.filledCenti) return false;
    const hasRemaining = a.remainingCenti !== null && a.remainingCenti !== undefined;
    const sizeDiffers = hasRemaining && filled + (a.remainingCenti ?? 0) !== o.totalCenti;
    const priceDiffers = !!a.price && a.price !== o.price;
    return sizeDiffers || priceDiffers;
  }

  /**
   * A cancel's answer says how much it removed (Kalshi's reduced_by): the rest of the order's
   * size had filled at the venue when the cancel landed, whether or not those fills reached us.
   * What is beyond our filled count (size - filled - reduced) becomes filled but not booked:
   * counted by unbookedFillsCenti, so in the pre-flight's gating position, until the fills
   * arrive (or the order is purged). Found by the position-truth property (seed 30): the order
   * filled 0.18 more before the cancel, exec took the order as done with nothing on the way,
   * and its next amend put the worst case at 6.05 against a cap of 6. The size is ours: a
   * cancel goes out with no other operation pending on the order.
   */
  private fillsBeforeCancel(o: WorkingOrder, reducedCenti: number): void {
    const venueFilled = o.totalCenti - reducedCenti;
    if (venueFilled <= o.filledCenti) return;
    o.filledCenti = venueFilled;
    if (o.filledCenti > o.fillsBookedCenti) this.fillsAhead.add(o);
  }

  /**
   * Applies a rejected command. Returns the order (undefined if unknown) and whether the
   * order's existence is now uncertain (needs a reconcile).
   */
  applyReject(r: kmm.v1.IOrderReject, nowMs: number): { order: WorkingOrder | undefined; uncertain: boolean } {
    const o = this.find(r.clientOrderId, r.orderId);
    if (!o) return { order: undefined, uncertain: false };
    const kind = r.kind ?? 0;
    const code = r.code ?? 0;
    const lost = code === RC.TIMEOUT || code === RC.SERVER_ERROR;
    if (o.pendingKind === kind) this.clearPending(o);
    o.lastChangeMs = nowMs;
    if (kind === CK.PLACE) {
      if (lost || code === RC.DUPLICATE_CLIENT_ORDER_ID) {
        // it may exist on the venue: keep the slot blocked until a reconcile says
        if (o.status !== OrderStatus.DONE) o.status = OrderStatus.UNCERTAIN;
        return { order: o, uncertain: true };
      }
      this.markDone(o, nowMs);
      return { order: o, uncertain: false };
    }
    if (code === RC.NOT_FOUND) o.notFoundAtMs = nowMs;
    if (kind === CK.CANCEL) {
      if (code === RC.NOT_FOUND) {
        // Gone from the venue: cancelled, or filled. Kalshi's 404 is the same for both, and the
        // fills may not have reached us (a silent websocket). Until a reconcile has read the
        // venue's orders and fills, the order's remaining size still counts against the cap
        // (found by deterministic simulation: a market silent for 6 s, a filled bid taken for
        // cancelled, new bids, then the missed fill: 6.79 against a cap of 5).
        if (o.status !== OrderStatus.DONE) o.status = OrderStatus.UNCERTAIN;
        return { order: o, uncertain: true };
      }
      return { order: o, uncertain: lost };
    }
    // amend / decrease
    if (code === RC.NOT_FOUND || lost) {
      if (o.status !== OrderStatus.DONE) o.status = OrderStatus.UNCERTAIN;
      return { order: o, uncertain: true };
    }
    return { order: o, uncertain: false };
  }

  /**
   * Applies one of our fills. Returns false for a trade id already applied.
   * `fromExchangePosition`: the fill carries the exchange's post-fill position (WS fill).
   */
  applyFill(f: kmm.v1.IFill, hasPostPosition: boolean, nowMs: number): boolean {
    const tradeId = f.tradeId ?? '';
    if (tradeId) {
      // the same fill arrives over the websocket and again in REST backfills: expected, dropped
      if (this.seenTrades.has(tradeId)) {
        this.duplicateFills++;
        if (hasPostPosition && f.postPositionCenti !== undefined && f.postPositionCenti !== null) this.applyLatePost(this.position(f.market ?? ''), tradeId, f.yesPrice ?? 0, Number(f.postPositionCenti));
        return false;
      }
      this.bookTrade(tradeId, nowMs);
    }
    const market = f.market ?? '';
    const count = f.countCenti ?? 0;
    const o = this.find(f.clientOrderId, f.orderId);
    if (o) {
      // Acks, user_order updates and snapshots report the cumulative filled count, a fill its own
      // size: a cumulative report that ran ahead of this fill already includes it, so the filled
      // count is the larger of the two, never their sum.
      o.fillsBookedCenti += count;
      const filled = Math.max(o.filledCenti, o.fillsBookedCenti);
      const ordered = Math.max(o.totalCenti, o.pendingTotalCenti);
      if (filled > ordered) {
        // the venue filled more than we ordered: the fill happened, so book it and widen the order
        this.anomaly('fill_exceeds_order', o, ordered, filled);
        o.totalCenti = filled;
      }
      o.filledCenti = filled;
      if (o.filledCenti >= o.totalCenti && o.status !== OrderStatus.DONE && o.pendingKind !== CK.AMEND) this.markDone(o, nowMs);
      assertFilledWithinOrdered(o);
    }
    const side = f.side ?? (o ? o.side : BID);
    const p = this.position(market);
    this.bookFillPosition(p, tradeId, side, f.yesPrice ?? 0, count, f.feeMoney ?? 0, hasPostPosition ? f.postPositionCenti ?? 0 : null);
    if (tradeId) {
      // by trade id, a venue snapshot tells which of these it already includes (reconcilePositions)
      const rf = p.recentFills;
      rf.push({ tradeId, deltaCenti: side === BID ? count : -count, atMs: nowMs });
      let drop = 0;
      while (drop < rf.length && (rf.length - drop > RECENT_FILLS_MAX || nowMs - rf[drop].atMs > RECENT_FILLS_MS)) drop++;
      if (drop > 0) rf.splice(0, drop);
    }
    p.lastFillMs = nowMs;
    return true;
  }

  /** The position part of a fill, on the volume scale (see the header). `postCenti`: the exchange's position after it, if told. */
  private bookFillPosition(p: PositionState, tradeId: string, side: number, price: number, countCenti: number, feeMoney: number, postCenti: number | null): void {
    const delta = side === BID ? countCenti : -countCenti;
    const volumeAfter = p.fillVolumeCenti + countCenti;
    p.fillVolumeCenti = volumeAfter;
    if (p.volumeKnown && volumeAfter <= p.basisVolumeCenti) {
      // a market_position that overtook this fill already holds it (and its cost, in the
      // exposure): the position stays; only the fee is ours to add
      this.fillsInTruth++;
      p.feesMoney += feeMoney;
      p.realizedPriceCenti -= feeMoney * 100;
      return;
    }
    applyTrade(p, side, price, countCenti, feeMoney);
    p.bookedSinceBasisCenti += delta;
    assertPositionBooked(p);
    if (p.volumeKnown && postCenti !== null) {
      // the exchange's position after this fill: the newest truth, at this fill's volume
      this.setBasis(p, postCenti);
      this.startLog(p, volumeAfter);
      return;
    }
    // unknown volume: the log keeps every fill since the last volume-less truth, so that the
    // first market_position can be placed among them (a websocket fill's post_position sets the
    // position but keeps the log)
    if (postCenti !== null) this.setBasis(p, postCenti);
    const a = p.anchor;
    if (a !== null && postCenti === a.positionCenti) {
      // the fill that brings the exchange to the earlier message's point: the scale is known
      p.anchor = null;
      p.volumeKnown = true;
      p.fillVolumeCenti = a.volumeCenti;
      this.setBasis(p, postCenti);
      this.startLog(p, a.volumeCenti);
      return;
    }
    p.fillLog.push({ tradeId, volumeAfterCenti: volumeAfter, deltaCenti: delta, positionAfterCenti: p.positionCenti, withPost: postCenti !== null });
    if (p.fillLog.length > FILL_LOG_MAX) {
      // a market_position older than the dropped fill can no longer be placed: it is then stale
      const first = p.fillLog.shift()!;
      p.logStartVolumeCenti = first.volumeAfterCenti;
      p.logStartPositionCenti = first.positionAfterCenti;
    }
  }

  /**
   * The websocket copy of a fill a REST backfill booked first (no post_position then): its
   * post_position is the exchange's position right after that fill, a truth at the fill's point
   * in our log, with the fills booked beyond it on top. Without it, a backfill behind a
   * market_position that already held the fill (the message came ahead of it, the scale unknown)
   * stayed counted twice until the next REST read decided the market (position-truth property,
   * seed 796457913: exec 4.5, exchange 2.25). Nothing changes when the fill is no longer in the
   * log (a newer truth replaced it) or a newer websocket fill's post_position is in it.
   */
  private applyLatePost(p: PositionState, tradeId: string, price: number, postCenti: number): void {
    const i = p.fillLog.findIndex((e) => e.tradeId === tradeId);
    if (i < 0 || p.fillLog[i].withPost) return;
    let after = p.fillLog.slice(i + 1);
    if (after.some((e) => e.withPost)) return;
    let volumeAt = p.fillLog[i].volumeAfterCenti;
    const a = p.anchor;
    if (!p.volumeKnown && a !== null && postCenti === a.positionCenti) {
      // the fill that brings the exchange to the unmatched message's point (as a fresh websocket
      // fill reaching it): our fills now sit on the exchange's volume scale
      const offset = a.volumeCenti - volumeAt;
      p.anchor = null;
      p.volumeKnown = true;
      p.fillVolumeCenti += offset;
      volumeAt += offset;
      after = after.map((e) => ({ ...e, volumeAfterCenti: e.volumeAfterCenti + offset }));
    }
    const prev = p.positionCenti;
    this.setBasis(p, postCenti);
    this.startLog(p, volumeAt);
    let pos = postCenti;
    for (const e of after) {
      pos += e.deltaCenti;
      p.fillLog.push({ ...e, positionAfterCenti: pos });
      p.bookedSinceBasisCenti += e.deltaCenti;
    }
    p.positionCenti = pos;
    assertPositionBooked(p);
    if (pos !== prev) {
      this.latePostsApplied++;
      // the cost basis keeps its average price per contract (the fill's price when the side flipped)
      const abs = Math.abs(pos);
      if (abs === 0) p.costPriceCenti = 0;
      else if (prev !== 0 && Math.sign(prev) === Math.sign(pos)) p.costPriceCenti = Math.round((p.costPriceCenti / Math.abs(prev)) * abs);
      else p.costPriceCenti = price * abs;
    }
  }

  private startLog(p: PositionState, basisVolumeCenti: number): void {
    p.basisVolumeCenti = basisVolumeCenti;
    p.fillLog = [];
    p.logStartVolumeCenti = basisVolumeCenti;
    p.logStartPositionCenti = p.basisCenti;
  }

  /** Exchange truth: the position is what the venue says; booking starts again from it. */
  private setBasis(p: PositionState, positionCenti: number): void {
    p.exchangePositionCenti = positionCenti;
    p.exchangeKnown = true;
    p.positionCenti = positionCenti;
    p.basisCenti = positionCenti;
    p.bookedSinceBasisCenti = 0;
  }

  /** Books a trade id as applied (our state: asserts it was not booked before). */
  bookTrade(tradeId: string, nowMs: number): void {
    assert(!this.seenTrades.has(tradeId), 'no trade id is booked twice', { tradeId });
    this.rememberTrade(tradeId, nowMs);
  }

  /** Seeds the trade-id set (journal replay after a restart) without touching positions. A known id is kept where it is. */
  rememberTrade(tradeId: string, nowMs: number): void {
    if (this.seenTrades.has(tradeId)) return;
    this.seenTrades.set(tradeId, nowMs);
    if (this.seenTrades.size > this.fillDedupMax) {
      const oldest = this.seenTrades.keys().next().value;
      if (oldest !== undefined) this.seenTrades.delete(oldest);
    }
  }

  /**
   * Exchange truth for a position without an order key (REST positions, a market_position
   * without volume). Returns the previous local value. `pendingCenti`: our own fills booked that
   * the truth does not include yet (a REST snapshot read before they happened, matched by trade
   * id in reconcilePositions): the position is the truth plus them, and they stay counted as
   * booked since the truth.
   */
  setExchangePosition(market: string, positionCenti: number, exposureMoney: number, pendingCenti = 0): number {
    const p = this.position(market);
    const prev = p.positionCenti;
    p.anchor = null;
    this.setBasis(p, positionCenti);
    if (pendingCenti !== 0) {
      p.positionCenti = positionCenti + pendingCenti;
      p.bookedSinceBasisCenti = pendingCenti;
    }
    this.repriceJump(p, prev, exposureMoney);
    if (p.volumeKnown) this.startLog(p, Math.max(p.basisVolumeCenti, p.fillVolumeCenti));
    else {
      // volumes count again from here
      p.fillVolumeCenti = 0;
      this.startLog(p, 0);
    }
    return prev;
  }

  /**
   * A websocket market_position with its volume (the exchange's cumulative traded contracts in
   * the market, 1/100): the position after exactly the fills up to that volume. 'applied': the
   * position is now that value plus the fills booked beyond it; 'stale': older than the truth
   * already applied, nothing changed; 'ambiguous': the first message of a market matched more
   * than one point of our fills (each gives the same position, which stays; the volume stays
   * unknown).
   */
  applyVolumePosition(market: string, positionCenti: number, volumeCenti: number, exposureMoney: number): VolumePositionResult {
    const p = this.position(market);
    const prev = p.positionCenti;
    if (p.volumeKnown) {
      if (volumeCenti < p.basisVolumeCenti || volumeCenti < p.logStartVolumeCenti) {
        this.stalePositions++;
        return 'stale';
      }
      this.rebase(p, positionCenti, volumeCenti, p.fillLog);
    } else {
      // place the message among the fills booked since the last volume-less truth: the points
      // whose position equals the message's (the log's start included)
      let match = -2;
      let matches = 0;
      if (p.logStartPositionCenti === positionCenti) {
        match = -1;
        matches++;
      }
      for (let i = 0; i < p.fillLog.length; i++) {
        if (p.fillLog[i].positionAfterCenti === positionCenti) {
          match = i;
          matches++;
        }
      }
      if (matches > 1) {
        // every matching point gives the same position (the message's plus the fills after it
        // = our position now): nothing to change, and the volume scale is still unknown
        p.exchangePositionCenti = positionCenti;
        p.exchangeKnown = true;
        return 'ambiguous';
      }
      if (matches === 0) {
        // no point of ours has this position: the message is ahead of fills still on their way
        // (or our fills disagree with the exchange). Its word wins, as without volume; the
        // volume scale stays unknown (taking this volume for our fills' would count the ones on
        // their way twice) and the log starts again from here.
        this.setExchangePosition(market, positionCenti, exposureMoney);
        p.anchor = { positionCenti, volumeCenti };
        return 'applied';
      }
      // one point: our fills now sit on the exchange's volume scale
      p.volumeKnown = true;
      p.anchor = null;
      const offset = volumeCenti - (match < 0 ? p.logStartVolumeCenti : p.fillLog[match].volumeAfterCenti);
      p.fillVolumeCenti += offset;
      const after = p.fillLog.slice(match + 1).map((e) => ({ ...e, volumeAfterCenti: e.volumeAfterCenti + offset }));
      // a websocket fill after the matched point is a newer truth of its own
      let k = after.length - 1;
      while (k >= 0 && !after[k].withPost) k--;
      if (k >= 0) this.rebase(p, after[k].positionAfterCenti, after[k].volumeAfterCenti, after.slice(k + 1));
      else this.rebase(p, positionCenti, volumeCenti, after);
    }
    this.repriceJump(p, prev, exposureMoney);
    return 'applied';
  }

  /** The position becomes `positionCenti` at `volumeCenti` plus the logged fills beyond that volume. */
  private rebase(p: PositionState, positionCenti: number, volumeCenti: number, log: FillMark[]): void {
    this.setBasis(p, positionCenti);
    this.startLog(p, volumeCenti);
    for (const e of log) {
      if (e.volumeAfterCenti <= volumeCenti) continue;
      p.fillLog.push(e);
      p.bookedSinceBasisCenti += e.deltaCenti;
    }
    p.positionCenti = positionCenti + p.bookedSinceBasisCenti;
    assertPositionBooked(p);
  }

  /** After a jump to the exchange's value: cost basis from the venue's exposure (cost of the aggregate position). */
  private repriceJump(p: PositionState, prevCenti: number, exposureMoney: number): void {
    if (prevCenti !== p.positionCenti) p.costPriceCenti = p.positionCenti === 0 ? 0 : Math.abs(exposureMoney) * 100;
  }

  /** Forgets DONE orders older than the retain window. */
  purge(nowMs: number): void {
    for (const [coid, o] of this.byCoid) {
      if (o.status === OrderStatus.DONE && nowMs - o.doneAtMs > DONE_RETAIN_MS) {
        this.byCoid.delete(coid);
        this.fillsAhead.delete(o);
        if (o.orderId) this.coidByOid.delete(o.orderId);
      }
    }
  }

  /**
   * Fills the venue reported on our orders on one side of a market that no fill has booked yet
   * (1/100 contract, >= 0): the exchange position already moved by them, ours not yet, and the
   * orders no longer count them as resting. The pre-flight adds them (found by the
   * position-truth property: a user_order update before its fill shrank the resting size while
   * the position stood still, and an amend restored the size past the cap).
   */
  unbookedFillsCenti(market: string, side: number): number {
    let sum = 0;
    for (const o of this.fillsAhead) {
      const ahead = o.filledCenti - o.fillsBookedCenti;
      if (ahead <= 0) this.fillsAhead.delete(o);
      else if (o.market === market && o.side === side) sum += ahead;
    }
    return sum;
  }

  /**
   * Contracts our live orders on one side of a market could still add to the position (1/100
   * contract): remaining size of every order not DONE, counting a pending amend at the larger of
   * old and new size. `exclude` is the order being changed.
   */
  restingCenti(market: string, side: number, exclude?: WorkingOrder): number {
    const m = this.markets.get(market);
    if (!m) return 0;
    let sum = 0;
    const add = (o: WorkingOrder | null) => {
      if (!o || o === exclude || o.status === OrderStatus.DONE || o.side !== side) return;
      sum += Math.max(0, Math.max(o.totalCenti, o.pendingTotalCenti) - o.filledCenti);
    };
    const slots = side === BID ? m.bids : m.asks;
    for (let i = 0; i < slots.length; i++) add(slots[i]);
    for (const o of m.others) add(o);
    return sum;
  }

  /**
   * Scans every invariant of the header (O(orders + markets x levels)); throws InvariantError on
   * the first broken one. Run on the timer tick, and by tests.
   */
  checkInvariants(): void {
    let live = 0;
    for (const o of this.byCoid.values()) {
      if (o.status !== OrderStatus.DONE) live++;
      assertFilledWithinOrdered(o);
      assertOneSlot(this.marketOrders(o.market), o);
    }
    assert(live === this.liveCount, 'liveCount = number of known orders not DONE', { liveCount: this.liveCount, counted: live });
    for (const m of this.markets.values()) {
      for (const slots of [m.bids, m.asks]) {
        for (let i = 0; i < slots.length; i++) {
          const o = slots[i];
          if (o) assert(!m.others.has(o), 'an order in a slot is not also among the others', { coid: o.clientOrderId, level: i });
        }
      }
    }
    for (const p of this.positions.values()) assertPositionBooked(p);
  }

  /** Live orders (not DONE). Allocates: for reconcile/shutdown, not the hot path. */
  live(): WorkingOrder[] {
    const out: WorkingOrder[] = [];
    for (const o of this.byCoid.values()) if (o.status !== OrderStatus.DONE) out.push(o);
    return out;
  }
}

/** Average-cost position accounting in price x centi units. */
export function applyTrade(p: PositionState, side: number, price: number, countCenti: number, feeMoney: number): void {
  const delta = side === BID ? countCenti : -countCenti;
  p.feesMoney += feeMoney;
  p.realizedPriceCenti -= feeMoney * 100;
  let rest = countCenti;
  if (p.positionCenti !== 0 && Math.sign(p.positionCenti) !== Math.sign(delta)) {
    const abs = Math.abs(p.positionCenti);
    const close = Math.min(abs, rest);
    const avgCost = p.costPriceCenti / abs; // per centi, price units
    const pnlPerUnit = p.positionCenti > 0 ? price - avgCost : avgCost - price;
    p.realizedPriceCenti += Math.round(pnlPerUnit * close);
    p.costPriceCenti = close === abs ? 0 : p.costPriceCenti - Math.round(avgCost * close);
    p.positionCenti += Math.sign(delta) * close;
    rest -= close;
  }
  if (rest > 0) {
    p.costPriceCenti += price * rest;
    p.positionCenti += Math.sign(delta) * rest;
  }
}

/** Unrealised P&L (money) of a position at a mark price. */
export function unrealizedMoney(p: PositionState, markPrice: number): number {
  if (p.positionCenti === 0 || markPrice <= 0) return 0;
  const abs = Math.abs(p.positionCenti);
  const avg = p.costPriceCenti / abs;
  const perUnit = p.positionCenti > 0 ? markPrice - avg : avg - markPrice;
  return Math.round((perUnit * abs) / 100);
}

function assertPositionBooked(p: PositionState): void {
  assert(p.positionCenti === p.basisCenti + p.bookedSinceBasisCenti, 'position = start position + sum of booked fills', () => ({
    market: p.market,
    positionCenti: p.positionCenti,
    startCenti: p.basisCenti,
    bookedCenti: p.bookedSinceBasisCenti,
  }));
}

function assertFilledWithinOrdered(o: WorkingOrder): void {
  assert(o.filledCenti <= Math.max(o.totalCenti, o.pendingTotalCenti), 'resting + filled <= ordered per order', () => ({
    coid: o.clientOrderId,
    filledCenti: o.filledCenti,
    totalCenti: o.totalCenti,
    pendingTotalCenti: o.pendingTotalCenti,
  }));
}

/** An order is in at most one slot (bids, asks and the others together). */
function assertOneSlot(m: MarketOrders, o: WorkingOrder): void {
  let n = m.others.has(o) ? 1 : 0;
  for (let i = 0; i < m.bids.length; i++) if (m.bids[i] === o) n++;
  for (let i = 0; i < m.asks.length; i++) if (m.asks[i] === o) n++;
  assert(n <= 1, 'an order is in at most one slot', () => ({ coid: o.clientOrderId, market: o.market, slots: n }));
}
