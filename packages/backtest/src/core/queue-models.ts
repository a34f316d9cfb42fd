/**
 * Queue-position models: how much of the displayed size at our price is ahead of one of our
 * resting orders, and so how much of a trade at our price reaches us. Swappable parts of the
 * simulated venue (after hftbacktest's queue models), chosen with --queue-model:
 *
 *  - risk-averse: we join at the back; only trades at our price move us forward; a level that
 *    shrinks below our position pulls us forward to its size (cancels are assumed to come
 *    from behind us). Fills only after the queue ahead has been consumed by prints.
 *  - prob-power: as risk-averse for trades; a size decrease that trades do not explain is a
 *    cancel, split between ahead and behind with P(behind) = f(behind) / (f(behind) + f(ahead)),
 *    f(x) = x^n (hftbacktest's PowerProbQueueFunc; n = 2 by default).
 *  - exchange: the level is rebuilt as a FIFO of orders, from the capture's first snapshot on
 *    (the venue tracks every level for it, tracksAllLevels, not only those holding our orders):
 *    an increase is a new order at the tail, a decrease that trades do not explain cancels the
 *    order of exactly that size, else it comes out of the size whose orders were never seen one
 *    by one (a snapshot's level: the oldest, at the head), else from the tail; prints consume
 *    from the head. The simulator's feed shows one order per delta (its liquidity providers add
 *    and cancel whole orders, anywhere in the queue) and its matching is strict price-time, so
 *    for a capture of the simulator this is the simulator's queue (exact once the snapshot's
 *    orders are gone).
 *
 * Sizes are the *visible* size of other participants (the recorded level minus orders of the
 * recorded run itself). All sizes are integer centi-contracts; only prob-power's split uses
 * float math, rounded back to centi.
 *
 * Invariants: 0 <= aheadCenti <= visible level size after every depth update; an order's fill
 * never exceeds its remaining size (the venue caps it).
 */

export type QueueModelName = 'risk-averse' | 'prob-power' | 'exchange';
export const QUEUE_MODELS: readonly QueueModelName[] = ['risk-averse', 'prob-power', 'exchange'];

/** One of our resting orders as a queue model sees it. */
export interface QueuedOrder {
  readonly id: string;
  remainingCenti: number;
  /** estimated size ahead of us (risk-averse, prob-power) */
  aheadCenti: number;
}

/** Chunk of a FIFO level: another participant's order, or one of ours. */
interface Chunk {
  sizeCenti: number;
  own: QueuedOrder | null;
  /** others' size whose orders were never seen one by one (a snapshot's level, a reconcile): may be several orders */
  lump: boolean;
}

/** Per (market, side, price) state, created when one of our orders joins the level. */
export interface LevelQueue {
  /** our orders at this level in arrival order */
  readonly orders: QueuedOrder[];
  /** traded at this price since the last depth update (not yet seen as a size decrease) */
  tradedCenti: number;
  /** exchange model only: the FIFO */
  readonly chunks: Chunk[];
}

export interface FillOut {
  order: QueuedOrder;
  countCenti: number;
}

export interface QueueModel {
  readonly name: QueueModelName;
  /** the venue feeds this model every level's depth changes from the first snapshot on, not only those of levels holding our orders */
  readonly tracksAllLevels?: boolean;
  newLevel(): LevelQueue;
  /** tracksAllLevels models: a snapshot shows the level at visibleCenti, its orders unseen */
  seed?(level: LevelQueue, visibleCenti: number): void;
  /** our order joins the level's tail; visibleCenti = others' size at the level now */
  join(level: LevelQueue, o: QueuedOrder, visibleCenti: number): void;
  leave(level: LevelQueue, o: QueuedOrder): void;
  /** a print at our price against our side; fills are appended to `out` (uncapped by the caller's rules) */
  trade(level: LevelQueue, qtyCenti: number, out: FillOut[]): void;
  /** others' visible size went prevCenti -> nextCenti */
  depth(level: LevelQueue, prevCenti: number, nextCenti: number): void;
}

/** Limit on FIFO chunks per level; overflow: the two oldest non-own chunks behind the head merge. */
export const LEVEL_CHUNKS_MAX = 10_000;

function newLevel(): LevelQueue {
  return { orders: [], tradedCenti: 0, chunks: [] };
}

function removeOrder(level: LevelQueue, o: QueuedOrder): void {
  const i = level.orders.indexOf(o);
  if (i >= 0) level.orders.splice(i, 1);
}

/**
 * Trades reach our orders in arrival order. Each order's `aheadCenti` counts others' size only
 * (a later order of ours has the earlier one ahead as well), so others' size consumed so far is
 * subtracted from every order's estimate.
 */
function tradePerOrder(level: LevelQueue, qtyCenti: number, out: FillOut[]): void {
  level.tradedCenti += qtyCenti;
  let left = qtyCenti;
  let othersUsed = 0;
  for (let i = 0; i < level.orders.length; i++) {
    const o = level.orders[i];
    const need = Math.max(0, o.aheadCenti - othersUsed);
    const used = Math.min(need, left);
    othersUsed += used;
    left -= used;
    o.aheadCenti = Math.max(0, o.aheadCenti - othersUsed);
    if (left > 0 && o.aheadCenti === 0) {
      const f = Math.min(left, o.remainingCenti);
      if (f > 0) {
        out.push({ order: o, countCenti: f });
        left -= f;
      }
    }
  }
}

/**
 * The two models on the visible book: we join behind what is visible, trades advance every order
 * on the level; they differ only in how a size decrease not explained by prints moves us.
 */
abstract class VisibleDepthQueue implements QueueModel {
  abstract readonly name: QueueModel['name'];
  newLevel(): LevelQueue {
    return newLevel();
  }
  join(level: LevelQueue, o: QueuedOrder, visibleCenti: number): void {
    o.aheadCenti = visibleCenti;
    level.orders.push(o);
  }
  leave(level: LevelQueue, o: QueuedOrder): void {
    removeOrder(level, o);
  }
  trade(level: LevelQueue, qtyCenti: number, out: FillOut[]): void {
    tradePerOrder(level, qtyCenti, out);
  }
  abstract depth(level: LevelQueue, prevCenti: number, nextCenti: number): void;
}

export class RiskAverseQueue extends VisibleDepthQueue {
  readonly name = 'risk-averse' as const;
  depth(level: LevelQueue, _prevCenti: number, nextCenti: number): void {
    level.tradedCenti = 0;
    for (const o of level.orders) if (o.aheadCenti > nextCenti) o.aheadCenti = nextCenti;
  }
}

export class ProbPowerQueue extends VisibleDepthQueue {
  readonly name = 'prob-power' as const;
  constructor(readonly power = 2) {
    super();
    if (!(power > 0)) throw new Error(`prob-power queue model: power must be > 0, got ${power}`);
  }
  depth(level: LevelQueue, prevCenti: number, nextCenti: number): void {
    // decreases already explained by prints must not move us twice
    const chg = prevCenti - nextCenti - level.tradedCenti;
    level.tradedCenti = 0;
    for (const o of level.orders) {
      if (chg <= 0) {
        if (o.aheadCenti > nextCenti) o.aheadCenti = nextCenti;
        continue;
      }
      const front = o.aheadCenti;
      const back = Math.max(0, prevCenti - front);
      const fb = Math.pow(back, this.power);
      const ff = Math.pow(front, this.power);
      let pBack = fb / (fb + ff);
      if (!Number.isFinite(pBack)) pBack = 1;
      const est = front - (1 - pBack) * chg + Math.min(back - pBack * chg, 0);
      o.aheadCenti = Math.max(0, Math.min(nextCenti, Math.round(est)));
    }
  }
}

export class ExchangeFifoQueue implements QueueModel {
  readonly name = 'exchange' as const;
  readonly tracksAllLevels = true;
  newLevel(): LevelQueue {
    return newLevel();
  }
  join(level: LevelQueue, o: QueuedOrder, visibleCenti: number): void {
    // the level's others are known only by total when we arrive first: one chunk
    if (level.orders.length === 0 && level.chunks.length === 0 && visibleCenti > 0) level.chunks.push({ sizeCenti: visibleCenti, own: null, lump: true });
    else this.reconcile(level, visibleCenti);
    level.chunks.push({ sizeCenti: o.remainingCenti, own: o, lump: false });
    level.orders.push(o);
    o.aheadCenti = this.aheadOf(level, o);
  }
  seed(level: LevelQueue, visibleCenti: number): void {
    this.reconcile(level, visibleCenti);
    this.refreshAhead(level);
  }
  leave(level: LevelQueue, o: QueuedOrder): void {
    removeOrder(level, o);
    for (let i = 0; i < level.chunks.length; i++) {
      if (level.chunks[i].own === o) {
        level.chunks.splice(i, 1);
        break;
      }
    }
  }
  trade(level: LevelQueue, qtyCenti: number, out: FillOut[]): void {
    level.tradedCenti += qtyCenti;
    let left = qtyCenti;
    while (left > 0 && level.chunks.length > 0) {
      const c = level.chunks[0];
      if (c.own !== null) {
        const f = Math.min(left, c.own.remainingCenti);
        if (f > 0) out.push({ order: c.own, countCenti: f });
        left -= f;
        // the venue shrinks the order; its chunk goes when the order is done
        c.sizeCenti = c.own.remainingCenti - f;
        if (c.sizeCenti > 0) break; // partially filled: the print is used up
        level.chunks.shift();
        continue;
      }
      const take = Math.min(left, c.sizeCenti);
      c.sizeCenti -= take;
      left -= take;
      if (c.sizeCenti === 0) level.chunks.shift();
    }
    this.refreshAhead(level);
  }
  depth(level: LevelQueue, prevCenti: number, nextCenti: number): void {
    let dec = prevCenti - nextCenti;
    if (dec < 0) {
      this.push(level, -dec);
    } else if (dec > 0) {
      const explained = Math.min(dec, level.tradedCenti);
      level.tradedCenti -= explained;
      dec -= explained;
      if (dec > 0) this.cancel(level, dec);
    }
    this.reconcile(level, nextCenti);
    this.refreshAhead(level);
  }

  private push(level: LevelQueue, sizeCenti: number, lump = false): void {
    if (level.chunks.length >= LEVEL_CHUNKS_MAX) {
      // overflow: merge the newest two others' chunks (tail order is what matters for us least)
      const a = level.chunks[level.chunks.length - 1];
      if (a.own === null) {
        a.sizeCenti += sizeCenti;
        a.lump = true;
        return;
      }
    }
    level.chunks.push({ sizeCenti, own: null, lump });
  }

  /**
   * An unexplained decrease: the order of exactly that size; else it is (part of) an order
   * never seen one by one, inside a lump (head first: a snapshot's orders are the oldest);
   * else (a partial decrease of a seen order) taken from the tail.
   */
  private cancel(level: LevelQueue, dec: number): void {
    for (let i = 0; i < level.chunks.length; i++) {
      const c = level.chunks[i];
      if (c.own === null && c.sizeCenti === dec) {
        level.chunks.splice(i, 1);
        return;
      }
    }
    for (let i = 0; i < level.chunks.length && dec > 0; i++) {
      const c = level.chunks[i];
      if (c.own !== null || !c.lump) continue;
      const take = Math.min(dec, c.sizeCenti);
      c.sizeCenti -= take;
      dec -= take;
      if (c.sizeCenti === 0) level.chunks.splice(i--, 1);
    }
    if (dec > 0) this.trimTail(level, dec);
  }

  private trimTail(level: LevelQueue, dec: number): void {
    for (let i = level.chunks.length - 1; i >= 0 && dec > 0; i--) {
      const c = level.chunks[i];
      if (c.own !== null) continue;
      const take = Math.min(dec, c.sizeCenti);
      c.sizeCenti -= take;
      dec -= take;
      if (c.sizeCenti === 0) level.chunks.splice(i, 1);
    }
  }

  /** Keeps others' total equal to the recorded visible size (prints that reached us, rounding). */
  private reconcile(level: LevelQueue, visibleCenti: number): void {
    let others = 0;
    for (const c of level.chunks) if (c.own === null) others += c.sizeCenti;
    if (others > visibleCenti) this.trimTail(level, others - visibleCenti);
    else if (others < visibleCenti) this.push(level, visibleCenti - others, true);
  }

  private aheadOf(level: LevelQueue, o: QueuedOrder): number {
    let ahead = 0;
    for (const c of level.chunks) {
      if (c.own === o) return ahead;
      if (c.own === null) ahead += c.sizeCenti;
    }
    return ahead;
  }

  private refreshAhead(level: LevelQueue): void {
    let ahead = 0;
    for (const c of level.chunks) {
      if (c.own !== null) c.own.aheadCenti = ahead;
      else ahead += c.sizeCenti;
    }
  }
}

export function queueModel(name: string, power = 2): QueueModel {
  switch (name) {
    case 'risk-averse':
      return new RiskAverseQueue();
    case 'prob-power':
      return new ProbPowerQueue(power);
    case 'exchange':
      return new ExchangeFifoQueue();
    default:
      throw new Error(`unknown queue model '${name}' (expected one of ${QUEUE_MODELS.join(', ')})`);
  }
}
