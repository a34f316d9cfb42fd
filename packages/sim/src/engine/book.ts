/**
 * One market's YES book: resting bids (buy YES) and asks (sell YES = NO bids at 1 - price),
 * each a FIFO queue per grid price (price-time priority). Levels are preallocated arrays indexed
 * by the grid index, so a lookup never allocates; best prices are tracked and rescanned only
 * when a best level empties.
 * Invariant (after every engine operation): bestBid < bestAsk (no crossed book), and each
 * level's total equals the sum of its orders' remaining counts.
 */
import { PriceGrid } from '@kmm/shared';
import type { BookSide, OrderRec } from './types.js';

export class Book {
  readonly grid: PriceGrid;
  readonly bids: OrderRec[][];
  readonly asks: OrderRec[][];
  readonly bidTotal: Float64Array;
  readonly askTotal: Float64Array;
  bestBidIdx = -1;
  bestAskIdx = -1;

  constructor(grid: PriceGrid) {
    this.grid = grid;
    const n = grid.size;
    this.bids = new Array(n);
    this.asks = new Array(n);
    for (let i = 0; i < n; i++) {
      this.bids[i] = [];
      this.asks[i] = [];
    }
    this.bidTotal = new Float64Array(n);
    this.askTotal = new Float64Array(n);
  }

  bestBid(): number {
    return this.bestBidIdx < 0 ? 0 : this.grid.prices[this.bestBidIdx];
  }
  bestAsk(): number {
    return this.bestAskIdx < 0 ? 0 : this.grid.prices[this.bestAskIdx];
  }
  bestBidSize(): number {
    return this.bestBidIdx < 0 ? 0 : this.bidTotal[this.bestBidIdx];
  }
  bestAskSize(): number {
    return this.bestAskIdx < 0 ? 0 : this.askTotal[this.bestAskIdx];
  }

  /** Appends a resting order at the back of its level's queue. */
  add(o: OrderRec): void {
    const i = this.grid.indexOf(o.price);
    if (i < 0) throw new Error(`book.add: off-grid price ${o.price}`);
    if (o.side === 'bid') {
      this.bids[i].push(o);
      this.bidTotal[i] += o.remainingCenti;
      if (i > this.bestBidIdx) this.bestBidIdx = i;
    } else {
      this.asks[i].push(o);
      this.askTotal[i] += o.remainingCenti;
      if (this.bestAskIdx < 0 || i < this.bestAskIdx) this.bestAskIdx = i;
    }
  }

  /** Level size change for an order that stays in place (partial fill or decrease). */
  reduce(o: OrderRec, byCenti: number): void {
    const i = this.grid.indexOf(o.price);
    if (o.side === 'bid') this.bidTotal[i] -= byCenti;
    else this.askTotal[i] -= byCenti;
  }

  /** Removes an order from its queue (cancel, full fill). Its remaining must still be counted in the total. */
  remove(o: OrderRec): void {
    const i = this.grid.indexOf(o.price);
    const q = o.side === 'bid' ? this.bids[i] : this.asks[i];
    const k = q.indexOf(o);
    if (k < 0) throw new Error(`book.remove: order ${o.orderId} not in its level`);
    q.splice(k, 1);
    if (o.side === 'bid') {
      this.bidTotal[i] -= o.remainingCenti;
      if (q.length === 0) {
        this.bidTotal[i] = 0;
        if (i === this.bestBidIdx) this.rescanBid();
      }
    } else {
      this.askTotal[i] -= o.remainingCenti;
      if (q.length === 0) {
        this.askTotal[i] = 0;
        if (i === this.bestAskIdx) this.rescanAsk();
      }
    }
  }

  private rescanBid(): void {
    let i = this.bestBidIdx;
    while (i >= 0 && this.bids[i].length === 0) i--;
    this.bestBidIdx = i;
  }
  private rescanAsk(): void {
    let i = this.bestAskIdx;
    const n = this.grid.size;
    while (i >= 0 && i < n && this.asks[i].length === 0) i++;
    this.bestAskIdx = i >= n ? -1 : i;
  }

  /** Contracts (centi) resting ahead of `o` at its price (price-time priority within the level). */
  queueAhead(o: OrderRec): number {
    const i = this.grid.indexOf(o.price);
    const q = o.side === 'bid' ? this.bids[i] : this.asks[i];
    let ahead = 0;
    for (let k = 0; k < q.length; k++) {
      if (q[k] === o) return ahead;
      ahead += q[k].remainingCenti;
    }
    return ahead;
  }

  /** Levels as [price, totalCenti] for one side, ascending by price. */
  levels(side: BookSide): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    const tot = side === 'bid' ? this.bidTotal : this.askTotal;
    for (let i = 0; i < tot.length; i++) if (tot[i] > 0) out.push([this.grid.prices[i], tot[i]]);
    return out;
  }

  /** Total resting on the opposite side that an order at `price` on `side` could trade with. */
  crossingSize(side: BookSide, price: number): number {
    let sum = 0;
    if (side === 'bid') {
      if (this.bestAskIdx < 0) return 0;
      for (let i = this.bestAskIdx; i < this.grid.size && this.grid.prices[i] <= price; i++) sum += this.askTotal[i];
    } else {
      for (let i = this.bestBidIdx; i >= 0 && this.grid.prices[i] >= price; i--) sum += this.bidTotal[i];
    }
    return sum;
  }
}
