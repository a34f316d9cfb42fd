/**
 * Our own resting size in one market's book, per (side, YES price), so that features can read
 * the book of the other participants only (book level minus our size; a level that holds only us
 * disappears for them). The queue estimator keeps reading the full book.
 *
 * What counts as ours is what the book itself says is ours, so the figure matches the book we
 * subtract it from, whichever of the book feed and exec's reports arrives first:
 *  - a book delta the venue tagged with our client_order_id (Kalshi tags only deltas our account
 *    caused) and that adds size is our order resting there: placement, amend up, amend to
 *    another price (the order's slot moves to the new level; what the old level still holds of
 *    it stays ours until the old level's tagged decrease, in whichever order the two arrive);
 *  - a tagged decrease at the level where that order rests (or rested before a move) is our
 *    cancel / decrease; a tagged decrease elsewhere is our taker order taking other
 *    participants' size: not ours;
 *  - our maker fills shrink the level through deltas tagged with the taker's id (not ours), so
 *    the Fill message from exec (de-duplicated there) takes the filled size off the order's
 *    slot, when it names the order's current side and price;
 *  - exec's word ends an order (a CANCELED / EXECUTED ack, or a WorkingOrders message, exec's full
 *    list, that does not name it), but the size the book still holds of it stays ours until the
 *    book itself takes it off (the tagged decrease of the cancel, the fill): the venue's answer
 *    to our cancel and its book delta come on two channels in either order, and a level that
 *    still shows our cancelled size must not read as another participant's for that moment (it
 *    made the strategy join, or count as ahead, an order that no longer existed). An ended
 *    order's size is let go at the first book change of its market OWN_ENDED_HOLD_MS or more
 *    after its end (a venue that never sends the decrease; until then the level still shows it,
 *    so nothing reads wrong), or at the next book snapshot (which shows the venue after the end);
 *  - a book snapshot keeps the live slots, each clipped to its level's new size, and drops what
 *    a move left at an old level (the snapshot already shows the move complete).
 * Consequences: a book without our tagged deltas (a backtest over a recorded book, which never
 * contains our orders) subtracts nothing; between a fill's book decrease and its Fill message
 * (either order) the figure is off by at most that fill, and reads are clipped to the level.
 *
 * Invariants: every slot's size >= 0; `levelCenti(side, price)` = the sum of the slots at that
 * level (levels at 0 are deleted, so `empty` is O(1)). Limit: OWN_SLOTS_MAX orders per market;
 * a tagged addition for a further order is not tracked (counted as others') and reported.
 * Allocation: only when an order appears (one slot) or a level gains its first own size; reads
 * (`levelCenti`, `empty`) allocate nothing.
 */
import { kmm } from '@kmm/shared';

/** Orders tracked per market (same bound as the queue estimator's QUEUE_ORDERS_MAX). */
export const OWN_SLOTS_MAX = 1024;
/** An ended order's size the book still shows stays ours at most this long (ms) without its decrease. */
export const OWN_ENDED_HOLD_MS = 2000;

interface OwnSlot {
  side: kmm.v1.BookSide;
  /** YES price */
  price: number;
  /** our size the book's level holds for this order */
  centi: number;
  /** after an amend to another price: the old level and what it still holds of the order */
  prevSide: kmm.v1.BookSide;
  prevPrice: number;
  prevCenti: number;
  /** when exec said the order ended (monotonic ns); -1 while it lives */
  endedNs: number;
}

function levelKey(side: kmm.v1.BookSide, yesPrice: number): number {
  return side * 100_000 + yesPrice;
}

export class OwnLevels {
  private readonly slots = new Map<string, OwnSlot>();
  private readonly levels = new Map<number, number>();
  /** ended orders whose size the book still holds (expiry scans only these) */
  private readonly endedIds = new Set<string>();
  /** tagged additions not tracked because OWN_SLOTS_MAX was reached */
  refused = 0;

  /** No own size anywhere (features read the book as is). */
  get empty(): boolean {
    return this.levels.size === 0;
  }

  /** Orders tracked. */
  get orders(): number {
    return this.slots.size;
  }

  /** Our size at a level (YES price), not clipped. */
  levelCenti(side: kmm.v1.BookSide, yesPrice: number): number {
    return this.levels.get(levelKey(side, yesPrice)) ?? 0;
  }

  /** Our size for one order at its current level (0 if unknown). */
  orderCenti(clientOrderId: string): number {
    return this.slots.get(clientOrderId)?.centi ?? 0;
  }

  /**
   * A book delta the venue tagged with `clientOrderId`, already applied to the book.
   * Returns true when it changed our size.
   */
  onTaggedDelta(clientOrderId: string, side: kmm.v1.BookSide, yesPrice: number, deltaCenti: number): boolean {
    const s = this.slots.get(clientOrderId);
    if (deltaCenti > 0) {
      if (s === undefined) {
        if (this.slots.size >= OWN_SLOTS_MAX) {
          this.refused++;
          return false;
        }
        this.slots.set(clientOrderId, { side, price: yesPrice, centi: deltaCenti, prevSide: side, prevPrice: 0, prevCenti: 0, endedNs: -1 });
        this.addLevel(side, yesPrice, deltaCenti);
        return true;
      }
      if (s.side !== side || s.price !== yesPrice) {
        // amended to another price: the old level keeps what it holds of us until its own
        // tagged decrease (a move before that one drops the older residue)
        this.addLevel(s.prevSide, s.prevPrice, -s.prevCenti);
        s.prevSide = s.side;
        s.prevPrice = s.price;
        s.prevCenti = s.centi;
        s.side = side;
        s.price = yesPrice;
        s.centi = 0;
      }
      s.centi += deltaCenti;
      this.addLevel(side, yesPrice, deltaCenti);
      return true;
    }
    if (deltaCenti < 0 && s !== undefined) {
      if (s.side === side && s.price === yesPrice && s.centi > 0) {
        this.shrink(s, -deltaCenti);
        this.dropIfDone(clientOrderId, s);
        return true;
      }
      if (s.prevSide === side && s.prevPrice === yesPrice && s.prevCenti > 0) {
        this.shrinkPrev(s, -deltaCenti);
        this.dropIfDone(clientOrderId, s);
        return true;
      }
    }
    return false; // our taker took others' size, or a level our order has left
  }

  /** Our maker fill (exec's Fill). Returns true when it changed our size. */
  onFill(clientOrderId: string, side: kmm.v1.BookSide, yesPrice: number, countCenti: number): boolean {
    const s = this.slots.get(clientOrderId);
    if (s === undefined || countCenti <= 0) return false;
    if (s.side === side && s.price === yesPrice && s.centi > 0) this.shrink(s, countCenti);
    else if (s.prevSide === side && s.prevPrice === yesPrice && s.prevCenti > 0) this.shrinkPrev(s, countCenti); // filled just before a move
    else return false;
    this.dropIfDone(clientOrderId, s);
    return true;
  }

  /**
   * Exec says the order is done (its ack, or its absence from exec's list): what the book still
   * holds of it stays ours until the book's own decrease (or OWN_ENDED_HOLD_MS, or a snapshot).
   * Never changes our size (so features need no update).
   */
  end(clientOrderId: string, nowNs: number): void {
    const s = this.slots.get(clientOrderId);
    if (s === undefined || s.endedNs >= 0) return;
    s.endedNs = nowNs;
    if (!this.dropIfDone(clientOrderId, s)) this.endedIds.add(clientOrderId);
  }

  /** Exec's full list of our live orders: every other order has ended. */
  retainOnly(listed: ReadonlySet<string>, nowNs: number): void {
    for (const coid of this.slots.keys()) if (!listed.has(coid)) this.end(coid, nowNs);
  }

  /** Lets go of ended orders' size held past OWN_ENDED_HOLD_MS. Returns true when our size changed. */
  expireEnded(nowNs: number): boolean {
    if (this.endedIds.size === 0) return false;
    let changed = false;
    // deleting the current entry while iterating a Set is safe: no copy on the hot path
    for (const coid of this.endedIds) {
      const s = this.slots.get(coid)!;
      if (nowNs - s.endedNs >= OWN_ENDED_HOLD_MS * 1e6 && this.drop(coid, s)) changed = true;
    }
    return changed;
  }

  /** After a book snapshot: ended orders are gone; no live slot holds more than its level now does; move residues are gone. */
  clipTo(levelSize: (side: kmm.v1.BookSide, yesPrice: number) => number): void {
    for (const [coid, s] of this.slots) {
      if (s.endedNs >= 0) {
        this.drop(coid, s);
        continue;
      }
      if (s.prevCenti > 0) this.shrinkPrev(s, s.prevCenti);
      const cap = levelSize(s.side, s.price);
      if (s.centi > cap) this.shrink(s, s.centi - cap);
    }
  }

  /** An ended order whose size the book has taken off is forgotten. Returns true when dropped. */
  private dropIfDone(coid: string, s: OwnSlot): boolean {
    if (s.endedNs < 0 || s.centi > 0 || s.prevCenti > 0) return false;
    this.drop(coid, s);
    return true;
  }

  /** Forgets a slot and what it held. Returns true when that changed our size. */
  private drop(coid: string, s: OwnSlot): boolean {
    this.addLevel(s.side, s.price, -s.centi);
    this.addLevel(s.prevSide, s.prevPrice, -s.prevCenti);
    this.slots.delete(coid);
    this.endedIds.delete(coid);
    return s.centi > 0 || s.prevCenti > 0;
  }

  private shrinkPrev(s: OwnSlot, centi: number): void {
    const d = Math.min(s.prevCenti, centi);
    s.prevCenti -= d;
    this.addLevel(s.prevSide, s.prevPrice, -d);
  }

  private shrink(s: OwnSlot, centi: number): void {
    const d = Math.min(s.centi, centi);
    s.centi -= d;
    this.addLevel(s.side, s.price, -d);
  }

  private addLevel(side: kmm.v1.BookSide, yesPrice: number, deltaCenti: number): void {
    if (deltaCenti === 0) return;
    const k = levelKey(side, yesPrice);
    const v = (this.levels.get(k) ?? 0) + deltaCenti;
    if (v > 0) this.levels.set(k, v);
    else this.levels.delete(k);
  }
}
