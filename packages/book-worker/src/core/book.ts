/**
 * One market's L2 book on its price grid, in integer units over preallocated arrays.
 *
 * Storage: two Float64Arrays indexed by grid index (counts in 1/100 contract; doubles hold
 * these integers exactly): `bidCenti[i]` = YES bids at grid price i, `askCenti[i]` = YES asks
 * at grid price i, i.e. NO bids at $1 - price (Kalshi books are bids per leg; the YES ask side is
 * derived, design.md "YES book only"). Sorting is structural (index order = price order).
 *
 * Applies are all-or-nothing: a snapshot or delta that is off the grid, non-integer, or would
 * make a level negative returns a typed status, leaves the arrays untouched and marks the book
 * invalid until the next good snapshot (the caller asks ingest for a resync). When the market's
 * bands are unknown (default grid), an off-grid price switches the book to the finest Kalshi
 * grid ($0.0001) instead, keeping the levels.
 *
 * Invariants (assertInvariants, kept on): sizes are non-negative integers, level counts, totals
 * and best indices match the arrays, `crossed` is exactly "best bid >= best ask". A crossed book
 * is allowed (the venue sent it) and flagged. A broken invariant throws: the worker crashes and
 * the supervisor restarts it. After every apply the O(1) part is checked; the full O(grid) scan
 * runs after every snapshot and every `fullCheckPeriod` deltas (every delta on grids up to 128
 * prices, which covers every whole-cent market).
 */
import { kmm, LINEAR_CENT, ONE_DOLLAR, PriceGrid, type PriceBand } from '@kmm/shared';

const YES = kmm.v1.LegSide.YES;
const BID = kmm.v1.BookSide.BID;

export type ApplyStatus = 'ok' | 'invalid_price' | 'invalid_size' | 'negative_size' | 'duplicate_level' | 'unknown_leg';

/** The finest Kalshi grid ($0.0001 everywhere), used when a market's bands are unknown and a price is off the cent grid. */
export const FINEST_BANDS: PriceBand[] = [{ startPrice: 1, endPrice: ONE_DOLLAR - 1, stepPrice: 1 }];

const gridCache = new Map<string, PriceGrid>();
/** Grids are immutable and shared between markets with the same bands (most markets: whole cents). */
export function gridFor(bands: readonly PriceBand[]): PriceGrid {
  const key = bands.map((b) => `${b.startPrice}:${b.endPrice}:${b.stepPrice}`).join(',');
  let g = gridCache.get(key);
  if (g === undefined) {
    g = new PriceGrid(bands);
    gridCache.set(key, g);
  }
  return g;
}

/** Scratch for duplicate detection in snapshots: one stamp per price, shared (single-threaded). */
const seenStamp = new Uint32Array(ONE_DOLLAR + 1);
let stamp = 0;

export class MarketBook {
  grid: PriceGrid;
  bidCenti: Float64Array;
  askCenti: Float64Array;
  bestBidIdx = -1;
  bestAskIdx = -1;
  bidLevels = 0;
  askLevels = 0;
  totalBidCenti = 0;
  totalAskCenti = 0;
  crossed = false;
  /** increments on every applied change */
  version = 0;
  /** a snapshot has been applied and no apply has failed since */
  valid = false;
  lastStatus: ApplyStatus = 'ok';
  /** the grid came from the market's bands (false: default, may be refined) */
  bandsKnown: boolean;
  private fullCheckPeriod: number;
  private sinceFullCheck = 0;

  constructor(
    readonly market: string,
    bands?: readonly PriceBand[] | null,
  ) {
    this.bandsKnown = bands !== undefined && bands !== null && bands.length > 0;
    this.grid = gridFor(this.bandsKnown ? bands! : LINEAR_CENT);
    this.bidCenti = new Float64Array(this.grid.size);
    this.askCenti = new Float64Array(this.grid.size);
    this.fullCheckPeriod = periodFor(this.grid);
  }

  /** Grid index of a YES price for a leg price, or -1. */
  private index(leg: kmm.v1.LegSide, legPrice: number): number {
    return this.grid.indexOf(leg === YES ? legPrice : ONE_DOLLAR - legPrice);
  }

  /** Replaces the book. Bids per leg in leg prices (NO bids at NO prices). */
  applySnapshot(yesBids: readonly kmm.v1.IPriceLevel[], noBids: readonly kmm.v1.IPriceLevel[]): ApplyStatus {
    let st = this.validateSnapshot(yesBids, noBids);
    if (st === 'invalid_price' && !this.bandsKnown && this.grid.size < FINEST_BANDS[0].endPrice) {
      this.regrid(FINEST_BANDS, false);
      st = this.validateSnapshot(yesBids, noBids);
    }
    if (st !== 'ok') return this.fail(st);
    this.bidCenti.fill(0);
    this.askCenti.fill(0);
    this.bidLevels = 0;
    this.askLevels = 0;
    this.totalBidCenti = 0;
    this.totalAskCenti = 0;
    for (let i = 0; i < yesBids.length; i++) {
      const l = yesBids[i];
      this.bidCenti[this.grid.indexOf(l.price!)] = l.countCenti!;
      this.bidLevels++;
      this.totalBidCenti += l.countCenti!;
    }
    for (let i = 0; i < noBids.length; i++) {
      const l = noBids[i];
      this.askCenti[this.grid.indexOf(ONE_DOLLAR - l.price!)] = l.countCenti!;
      this.askLevels++;
      this.totalAskCenti += l.countCenti!;
    }
    this.bestBidIdx = this.scanBidDown(this.grid.size - 1);
    this.bestAskIdx = this.scanAskUp(0);
    this.crossed = this.bestBidIdx >= 0 && this.bestAskIdx >= 0 && this.bestBidIdx >= this.bestAskIdx;
    this.version++;
    this.valid = true;
    this.lastStatus = 'ok';
    this.assertInvariants();
    this.sinceFullCheck = 0;
    return 'ok';
  }

  private validateSnapshot(yesBids: readonly kmm.v1.IPriceLevel[], noBids: readonly kmm.v1.IPriceLevel[]): ApplyStatus {
    stamp = (stamp + 2) >>> 0;
    if (stamp < 2) {
      seenStamp.fill(0);
      stamp = 2;
    }
    for (let s = 0; s < 2; s++) {
      const lv = s === 0 ? yesBids : noBids;
      const mark = stamp + s;
      for (let i = 0; i < lv.length; i++) {
        const p = lv[i].price;
        const c = lv[i].countCenti;
        if (typeof p !== 'number' || !Number.isInteger(p) || p <= 0 || p >= ONE_DOLLAR) return 'invalid_price';
        const yesPrice = s === 0 ? p : ONE_DOLLAR - p;
        if (this.grid.indexOf(yesPrice) < 0) return 'invalid_price';
        if (typeof c !== 'number' || !Number.isSafeInteger(c) || c <= 0) return 'invalid_size';
        if (seenStamp[p] === mark) return 'duplicate_level';
        seenStamp[p] = mark;
      }
    }
    return 'ok';
  }

  /** One level change: new size = old + delta; the level disappears at 0. */
  applyDelta(leg: kmm.v1.LegSide, legPrice: number, deltaCenti: number): ApplyStatus {
    if (leg !== YES && leg !== kmm.v1.LegSide.NO) return this.fail('unknown_leg');
    if (!Number.isSafeInteger(deltaCenti)) return this.fail('invalid_size');
    if (!Number.isInteger(legPrice) || legPrice <= 0 || legPrice >= ONE_DOLLAR) return this.fail('invalid_price');
    let i = this.index(leg, legPrice);
    if (i < 0 && !this.bandsKnown && this.grid.size < FINEST_BANDS[0].endPrice) {
      this.regrid(FINEST_BANDS, false);
      i = this.index(leg, legPrice);
    }
    if (i < 0) return this.fail('invalid_price');
    const arr = leg === YES ? this.bidCenti : this.askCenti;
    const before = arr[i];
    const after = before + deltaCenti;
    if (after < 0) return this.fail('negative_size');
    arr[i] = after;
    if (leg === YES) {
      this.totalBidCenti += deltaCenti;
      if (before === 0 && after > 0) this.bidLevels++;
      else if (before > 0 && after === 0) this.bidLevels--;
      if (after > 0 && i > this.bestBidIdx) this.bestBidIdx = i;
      else if (after === 0 && i === this.bestBidIdx) this.bestBidIdx = this.scanBidDown(i - 1);
    } else {
      this.totalAskCenti += deltaCenti;
      if (before === 0 && after > 0) this.askLevels++;
      else if (before > 0 && after === 0) this.askLevels--;
      if (after > 0 && (this.bestAskIdx < 0 || i < this.bestAskIdx)) this.bestAskIdx = i;
      else if (after === 0 && i === this.bestAskIdx) this.bestAskIdx = this.scanAskUp(i + 1);
    }
    this.crossed = this.bestBidIdx >= 0 && this.bestAskIdx >= 0 && this.bestBidIdx >= this.bestAskIdx;
    this.version++;
    this.lastStatus = 'ok';
    this.assertQuick(arr[i]);
    if (++this.sinceFullCheck >= this.fullCheckPeriod) {
      this.sinceFullCheck = 0;
      this.assertInvariants();
    }
    return 'ok';
  }

  /** Moves the book to another grid (price_level_structure_updated). Off-grid levels make it invalid. */
  regrid(bands: readonly PriceBand[], known = true): ApplyStatus {
    const old = this.grid;
    const oldBid = this.bidCenti;
    const oldAsk = this.askCenti;
    const grid = gridFor(bands);
    const bid = new Float64Array(grid.size);
    const ask = new Float64Array(grid.size);
    let lost = false;
    for (let i = 0; i < old.size; i++) {
      if (oldBid[i] === 0 && oldAsk[i] === 0) continue;
      const j = grid.indexOf(old.prices[i]);
      if (j < 0) {
        lost = true;
        continue;
      }
      bid[j] = oldBid[i];
      ask[j] = oldAsk[i];
    }
    this.grid = grid;
    this.bidCenti = bid;
    this.askCenti = ask;
    this.bandsKnown = known;
    this.fullCheckPeriod = periodFor(grid);
    this.recount();
    this.version++;
    this.assertInvariants();
    return lost ? this.fail('invalid_price') : 'ok';
  }

  /** Marks the book unusable until the next snapshot (also used when ingest reports a resync). */
  invalidate(): void {
    this.valid = false;
  }

  private fail(st: ApplyStatus): ApplyStatus {
    this.valid = false;
    this.lastStatus = st;
    return st;
  }

  private recount(): void {
    this.bidLevels = 0;
    this.askLevels = 0;
    this.totalBidCenti = 0;
    this.totalAskCenti = 0;
    for (let i = 0; i < this.grid.size; i++) {
      if (this.bidCenti[i] > 0) {
        this.bidLevels++;
        this.totalBidCenti += this.bidCenti[i];
      }
      if (this.askCenti[i] > 0) {
        this.askLevels++;
        this.totalAskCenti += this.askCenti[i];
      }
    }
    this.bestBidIdx = this.scanBidDown(this.grid.size - 1);
    this.bestAskIdx = this.scanAskUp(0);
    this.crossed = this.bestBidIdx >= 0 && this.bestAskIdx >= 0 && this.bestBidIdx >= this.bestAskIdx;
  }

  private scanBidDown(from: number): number {
    for (let i = from; i >= 0; i--) if (this.bidCenti[i] > 0) return i;
    return -1;
  }
  private scanAskUp(from: number): number {
    for (let i = from; i < this.grid.size; i++) if (this.askCenti[i] > 0) return i;
    return -1;
  }

  // ---- queries (YES prices) ----

  bestBid(): number {
    return this.bestBidIdx < 0 ? 0 : this.grid.prices[this.bestBidIdx];
  }
  bestAsk(): number {
    return this.bestAskIdx < 0 ? 0 : this.grid.prices[this.bestAskIdx];
  }
  bestBidCenti(): number {
    return this.bestBidIdx < 0 ? 0 : this.bidCenti[this.bestBidIdx];
  }
  bestAskCenti(): number {
    return this.bestAskIdx < 0 ? 0 : this.askCenti[this.bestAskIdx];
  }
  /** Resting size at a YES price on a book side (BID: YES bids; ASK: YES asks = NO bids at 1 - price). */
  sizeAt(side: kmm.v1.BookSide, yesPrice: number): number {
    const i = this.grid.indexOf(yesPrice);
    if (i < 0) return 0;
    return side === BID ? this.bidCenti[i] : this.askCenti[i];
  }
  /** Up to `max` levels of a side, best first, as YES prices. */
  topLevels(side: kmm.v1.BookSide, max: number): kmm.v1.IPriceLevel[] {
    const out: kmm.v1.IPriceLevel[] = [];
    if (side === BID) {
      for (let i = this.bestBidIdx; i >= 0 && out.length < max; i--) if (this.bidCenti[i] > 0) out.push({ price: this.grid.prices[i], countCenti: this.bidCenti[i] });
    } else if (this.bestAskIdx >= 0) {
      for (let i = this.bestAskIdx; i < this.grid.size && out.length < max; i++) if (this.askCenti[i] > 0) out.push({ price: this.grid.prices[i], countCenti: this.askCenti[i] });
    }
    return out;
  }
  /** Venue view: bids per leg, ascending by leg price ([legPrice, countCenti] pairs). */
  legLevels(leg: kmm.v1.LegSide): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    if (leg === YES) {
      for (let i = 0; i < this.grid.size; i++) if (this.bidCenti[i] > 0) out.push([this.grid.prices[i], this.bidCenti[i]]);
    } else {
      for (let i = this.grid.size - 1; i >= 0; i--) if (this.askCenti[i] > 0) out.push([ONE_DOLLAR - this.grid.prices[i], this.askCenti[i]]);
    }
    return out;
  }

  // ---- invariants (assertions stay on) ----

  private assertQuick(touched: number): void {
    if (!(touched >= 0) || !Number.isSafeInteger(touched)) throw new Error(`book ${this.market}: level size ${touched} is not a non-negative integer`);
    if ((this.bestBidIdx < 0) !== (this.bidLevels === 0) || (this.bestBidIdx >= 0 && !(this.bidCenti[this.bestBidIdx] > 0))) {
      throw new Error(`book ${this.market}: best bid index ${this.bestBidIdx} disagrees with ${this.bidLevels} bid levels`);
    }
    if ((this.bestAskIdx < 0) !== (this.askLevels === 0) || (this.bestAskIdx >= 0 && !(this.askCenti[this.bestAskIdx] > 0))) {
      throw new Error(`book ${this.market}: best ask index ${this.bestAskIdx} disagrees with ${this.askLevels} ask levels`);
    }
  }

  /** Full O(grid) check. Throws on any broken invariant. */
  assertInvariants(): void {
    let bl = 0;
    let al = 0;
    let bt = 0;
    let at = 0;
    let bb = -1;
    let ba = -1;
    for (let i = 0; i < this.grid.size; i++) {
      const b = this.bidCenti[i];
      const a = this.askCenti[i];
      if (!(b >= 0) || !Number.isSafeInteger(b) || !(a >= 0) || !Number.isSafeInteger(a)) {
        throw new Error(`book ${this.market}: invalid size at ${this.grid.prices[i]} (bid ${b}, ask ${a})`);
      }
      if (b > 0) {
        bl++;
        bt += b;
        bb = i;
      }
      if (a > 0) {
        al++;
        at += a;
        if (ba < 0) ba = i;
      }
    }
    if (bl !== this.bidLevels || al !== this.askLevels || bt !== this.totalBidCenti || at !== this.totalAskCenti || bb !== this.bestBidIdx || ba !== this.bestAskIdx) {
      throw new Error(
        `book ${this.market}: counters disagree with levels (bids ${bl}/${this.bidLevels} total ${bt}/${this.totalBidCenti} best ${bb}/${this.bestBidIdx}; ` +
          `asks ${al}/${this.askLevels} total ${at}/${this.totalAskCenti} best ${ba}/${this.bestAskIdx})`,
      );
    }
    const crossed = bb >= 0 && ba >= 0 && bb >= ba;
    if (crossed !== this.crossed) throw new Error(`book ${this.market}: crossed flag ${this.crossed} but best bid idx ${bb} / best ask idx ${ba}`);
  }
}

function periodFor(grid: PriceGrid): number {
  return Math.max(1, Math.ceil(grid.size / 128));
}
