/**
 * Reconciler: compares an exchange snapshot (resting orders, positions, recent fills) with our
 * bookkeeping and corrects ours toward the exchange, reporting every divergence.
 *
 *  - a venue resting order we know: fix price/size/status locally (UNCERTAIN -> RESTING);
 *  - a venue resting order we thought finished: revive it and mark it unwanted (it gets cancelled);
 *  - a venue resting order we do not know: adopt it into a free slot (start-up with
 *    kmm_adopt_orders_on_start and our client-order-id prefix) or mark it unwanted;
 *  - a local live order absent from the venue: finished (its fills come from the fill backfill),
 *    once two snapshots requested at least the grace apart both miss it (reads lag);
 *  - fills we have not seen (by trade id): returned for the caller to apply as fills;
 *  - positions: the venue's value replaces ours, plus our fills newer than the read that the
 *    snapshot does not list (by trade id); a back-filled fill is never added on top of it.
 * Anything that changed locally after the snapshot was requested (minus a grace for the venue's
 * read lag) is left alone this round; the next round judges it.
 */
import { kmm } from '@kmm/shared';
import { OrderStatus, type VenueSnapshot, type WorkingOrder } from './types.js';
import type { OrderBookkeeping } from './bookkeeping.js';

const BID = kmm.v1.BookSide.BID;

export interface Divergence {
  what: string;
  market: string;
  /** what the journal's 'div' record and the ops event carry besides what/market */
  fields: Omit<kmm.v1.IJournalDivergence, 'what' | 'market'>;
}

export interface ReconcileResult {
  divergences: Divergence[];
  newFills: kmm.v1.IFill[];
  positionChanges: { market: string; positionCenti: number; exposureMoney: number; realizedPnlMoney: number; feesPaidMoney: number }[];
  adopted: number;
  unknownCancelled: number;
  /** live orders missing from this snapshot whose loss waits for a second read */
  awaitingSecondRead: number;
  /**
   * markets whose position this snapshot could not decide (read lag: a fill listed after the
   * positions read, or no position row yet for a fill booked within the grace); our own count
   * stands for them and no positionChanges entry is made: the next round decides
   */
  positionsUndecided: string[];
}

export interface ReconcileOptions {
  graceMs: number;
  startup: boolean;
  adopt: boolean;
  coidPrefix: string;
  nowMs: number;
  levelsPerSide: number;
  /** an adopted order is re-placed this long after adoption (its expiration is not known; 0 = never) */
  renewAfterMs?: number;
}

export function reconcile(bk: OrderBookkeeping, snap: VenueSnapshot, opt: ReconcileOptions): ReconcileResult {
  const res: ReconcileResult = { divergences: [], newFills: [], positionChanges: [], adopted: 0, unknownCancelled: 0, awaitingSecondRead: 0, positionsUndecided: [] };
  const cutoff = snap.requestedAtMs - opt.graceMs;
  const seenCoids = new Set<string>();
  const seenOids = new Set<string>();
  for (const v of snap.orders) {
    if (v.status !== 'resting') continue;
    if (v.orderId) seenOids.add(v.orderId);
    if (v.clientOrderId) seenCoids.add(v.clientOrderId);
    const o = bk.find(v.clientOrderId, v.orderId);
    if (o) {
      if (v.orderId) bk.setOrderId(o, v.orderId);
      if (o.status === OrderStatus.DONE) {
        if (o.doneAtMs > cutoff) continue;
        res.divergences.push({ what: 'order_resting_but_done_locally', market: v.market, fields: { clientOrderId: o.clientOrderId, orderId: v.orderId } });
        bk.revive(o);
        o.price = v.price;
        o.filledCenti = Math.max(o.filledCenti, v.filledCenti);
        o.totalCenti = o.filledCenti + v.remainingCenti;
        o.wantCancel = true;
        continue;
      }
      o.missingSinceMs = 0;
      // positive evidence resolves an uncertain order at once; other local changes get the grace
      const uncertain = o.status === OrderStatus.UNCERTAIN && o.pendingKind === 0;
      // ... except a 'resting' read soon after a not_found: the venue's order reads lag its
      // engine (a GET shows `resting` ~360 ms after a cancel), the 404 is the newer word; the
      // fills and a later order list decide (resolving it here re-armed the cancel: 404 again)
      if (uncertain && o.notFoundAtMs && o.notFoundAtMs > cutoff) continue;
      if (!uncertain && (o.pendingKind !== 0 || o.lastChangeMs > cutoff)) continue;
      const remaining = o.totalCenti - o.filledCenti;
      if (o.status === OrderStatus.UNCERTAIN || o.status === OrderStatus.PENDING_NEW) {
        res.divergences.push({ what: 'uncertain_order_resolved_resting', market: v.market, fields: { clientOrderId: o.clientOrderId, orderId: v.orderId } });
        o.status = OrderStatus.RESTING;
      } else if (o.price !== v.price || remaining !== v.remainingCenti) {
        res.divergences.push({
          what: 'order_mismatch',
          market: v.market,
          fields: { clientOrderId: o.clientOrderId, orderId: v.orderId, localPrice: o.price, venuePrice: v.price, localRemainingCenti: remaining, venueRemainingCenti: v.remainingCenti },
        });
      }
      o.price = v.price;
      if (v.filledCenti > o.filledCenti) o.filledCenti = v.filledCenti;
      o.totalCenti = o.filledCenti + v.remainingCenti;
      continue;
    }
    // unknown to us
    const ours = v.clientOrderId.startsWith(opt.coidPrefix + '-');
    const adopt = opt.startup && opt.adopt && ours;
    const w: WorkingOrder = {
      clientOrderId: v.clientOrderId || `venue-${v.orderId}`,
      orderId: v.orderId,
      market: v.market,
      side: v.side,
      level: -1,
      taker: false,
      postOnly: true,
      price: v.price,
      totalCenti: v.filledCenti + v.remainingCenti,
      filledCenti: v.filledCenti,
      status: OrderStatus.RESTING,
      pendingKind: 0,
      pendingCmdId: 0,
      pendingSinceMs: 0,
      pendingPrice: 0,
      pendingTotalCenti: 0,
      placedAtMs: opt.nowMs,
      lastChangeMs: opt.nowMs,
      doneAtMs: 0,
      edgeBpsMilli: 0,
      adopted: adopt,
      wantCancel: !adopt,
      lastSkipPrice: 0,
      fillsBookedCenti: 0,
      renewAtMs: adopt && opt.renewAfterMs ? opt.nowMs + opt.renewAfterMs : 0,
    };
    if (adopt) {
      const slots = bk.marketOrders(v.market);
      const arr = v.side === BID ? slots.bids : slots.asks;
      for (let i = 0; i < opt.levelsPerSide; i++) {
        if (!arr[i]) {
          w.level = i;
          break;
        }
      }
      if (w.level < 0) w.wantCancel = true;
      else res.adopted++;
    } else res.unknownCancelled++;
    bk.add(w);
    res.divergences.push({
      what: adopt ? 'order_adopted' : 'unknown_order',
      market: v.market,
      fields: { clientOrderId: v.clientOrderId, orderId: v.orderId, price: v.price, remainingCenti: v.remainingCenti, ours },
    });
  }
  for (const o of bk.live()) {
    if (o.status === OrderStatus.PENDING_NEW || o.pendingKind !== 0 || o.lastChangeMs > cutoff) continue;
    if (seenCoids.has(o.clientOrderId) || (o.orderId && seenOids.has(o.orderId))) continue;
    if (!opt.startup) {
      // one stale read never declares an order lost (its slot would be re-placed while the
      // order may still rest): a second snapshot requested at least the grace later decides
      const first = o.missingSinceMs ?? 0;
      if (first === 0 || snap.requestedAtMs - first < Math.max(1, opt.graceMs)) {
        if (first === 0) o.missingSinceMs = snap.requestedAtMs;
        res.awaitingSecondRead++;
        continue;
      }
    }
    res.divergences.push({ what: 'order_missing_on_venue', market: o.market, fields: { clientOrderId: o.clientOrderId, orderId: o.orderId, status: o.status } });
    bk.markDone(o, opt.nowMs);
  }
  for (const f of snap.fills) if (f.tradeId && !bk.hasTrade(f.tradeId)) res.newFills.push(f);
  res.newFills.sort((a, b) => (a.tsMs ?? 0) - (b.tsMs ?? 0));
  return res;
}

/**
 * Position part: run after the new fills were applied. The venue's position includes every fill
 * of the snapshot, the back-filled ones too, so those are never added on top of it (a position
 * that already held fills the websocket missed got them twice: local +9, exchange -1). Our own
 * fills booked since the snapshot was requested (minus the grace for the venue's read lag) that
 * the snapshot does not list, by trade id, may be newer than the read: they are kept on top of
 * the venue's value until the next truth.
 */
export function reconcilePositions(bk: OrderBookkeeping, snap: VenueSnapshot, graceMs: number, res: ReconcileResult): void {
  const cutoff = snap.requestedAtMs - graceMs;
  const venue = new Map<string, (typeof snap.positions)[number]>();
  for (const p of snap.positions) venue.set(p.market, p);
  const listed = new Set<string>();
  for (const f of snap.fills) if (f.tradeId) listed.add(f.tradeId);
  // markets with a fill listed after the positions read but not before it: the position may or
  // may not hold it; our own count (every listed fill is booked by now) stands until next round
  const undecided = new Set<string>();
  if (snap.fillsBeforePositions) {
    const before = new Set(snap.fillsBeforePositions);
    for (const f of snap.fills) if (f.tradeId && !before.has(f.tradeId)) undecided.add(f.market ?? '');
  }
  // Kalshi's positions read lags its fills (~1 s recorded on demo). A listed fill with an
  // exchange time after the position's own last_updated_ts is not in that position yet: it is
  // counted on top of it, like our fills newer than the read (taking the stale position as the
  // truth dropped the fill until the next round, room the cap did not have).
  const notYetIn = new Map<string, number>();
  for (const f of snap.fills) {
    const v = venue.get(f.market ?? '');
    if (!f.tradeId || !v || !v.lastUpdatedMs || !f.tsMs || f.tsMs <= v.lastUpdatedMs) continue;
    const delta = (f.side ?? 0) === BID ? (f.countCenti ?? 0) : -(f.countCenti ?? 0);
    notYetIn.set(v.market, (notYetIn.get(v.market) ?? 0) + delta);
  }
  // a market with no position row but a listed fill booked within the grace: the row may not be
  // visible yet (its first fill is younger than the read's lag); our own count stands this round
  if (graceMs > 0) {
    for (const [m, p] of bk.positions) {
      if (venue.has(m)) continue;
      for (const f of p.recentFills) {
        if (f.atMs > cutoff && listed.has(f.tradeId)) {
          undecided.add(m);
          break;
        }
      }
    }
  }
  // a websocket market_position applied after the read was requested is a newer truth than the
  // read: our count (which holds it) stands this round (found by the position-truth property: a
  // REST read from before a partial fill put back the pre-fill position over the websocket's
  // post-fill one, and the fill then landed on top of it)
  for (const [m, p] of bk.positions) if (p.wsTruthAtMs > snap.requestedAtMs) undecided.add(m);
  // every market we have booked anything in gets the venue's word, flat ones too (fills that
  // net to zero while the websocket was silent left a position never confirmed)
  const markets = new Set<string>(venue.keys());
  for (const m of bk.positions.keys()) markets.add(m);
  for (const m of markets) {
    if (undecided.has(m)) {
      res.positionsUndecided.push(m);
      continue;
    }
    const v = venue.get(m);
    const p = bk.position(m);
    const venuePos = v ? v.positionCenti : 0;
    let pendingCenti = notYetIn.get(m) ?? 0;
    for (const f of p.recentFills) if (f.atMs > cutoff && !listed.has(f.tradeId)) pendingCenti += f.deltaCenti;
    const next = venuePos + pendingCenti;
    if (p.positionCenti !== next) {
      res.divergences.push({ what: 'position_mismatch', market: m, fields: { localCenti: p.positionCenti, venueCenti: venuePos } });
    }
    bk.setExchangePosition(m, venuePos, v ? v.exposureMoney : 0, pendingCenti);
    res.positionChanges.push({
      market: m,
      positionCenti: next,
      exposureMoney: v ? v.exposureMoney : 0,
      realizedPnlMoney: v ? v.realizedPnlMoney : 0,
      feesPaidMoney: v ? v.feesPaidMoney : 0,
    });
  }
}
