/**
 * SimVenue: the simulated exchange behind the backtest and paper gateways. It mirrors the
 * recorded market (L2 books from the capture's snapshots/deltas, public prints) and holds our
 * orders in it; a queue model (queue-models.ts) decides when prints reach them.
 *
 * In:  recorded frames (onSnapshot/onDelta/onTrade/onLifecycle), our order
 *      commands (place/amend/decrease/cancel), all at venue time `nowMs`.
 * Out: fills (with Kalshi's fee: tradeFee, maker fees only where the fee type charges them),
 *      order summaries for the command results, settlement cash when a market resolves.
 *
 * Fill rules: a print at our price reaches us after the queue ahead (queue model); a print
 * through our price, or the opposite side of the recorded book moving through our price (a bid
 * above our ask, an ask below our bid: the market passed our price, an order priced through us
 * would have traded with us), fills us at our price. The opposite side moving *to* our price
 * (a recorded order resting at the price of ours, no print) does not: a venue never shows a
 * locked book, so that order was placed where the recorded market had nothing, and with ours
 * there it would have been refused (post-only: the simulator's liquidity providers never rest
 * at or through the other side, ours included) or would have printed, and there was no print.
 * Quotes that join the touch meet this every time the recorded ladder moves a tick (the
 * simulator's LPs re-centring): counted as fills it made a backtest fill ~15x a live run. Our takers (IOC) walk the
 * visible opposite levels up to their limit; the recorded book is not depleted by our own
 * trades (no market impact: a stated limit of any replay). Post-only orders that would cross
 * are rejected (Kalshi's observed behaviour). The book it is given is the other participants'
 * only: a backtest of one of our own captures takes the recorded run's orders out first
 * (others-book.ts), so the venue and the strategy see the same book.
 *
 * Accounting in integers: cash in price x centi units (1/10,000 $ x 1/100 contract), positions
 * in centi-contracts, fees in money (1/10,000 $). No clock, randomness or I/O.
 */
import { kmm, tradeFee, ONE_DOLLAR, type FeeParams } from '@kmm/shared';
import { MarketBook } from '@kmm/book-worker/core';
import type { FillOut, LevelQueue, QueueModel, QueuedOrder } from './queue-models.js';

const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;
const YES = kmm.v1.LegSide.YES;
const RC = kmm.v1.RejectCode;

/** Our resting orders across all markets; overflow: new orders are rejected (BAD_REQUEST). */
export const VENUE_ORDERS_MAX = 100_000;

export interface VenueOrder extends QueuedOrder {
  readonly id: string;
  readonly clientOrderId: string;
  readonly market: string;
  side: number;
  price: number;
  remainingCenti: number;
  filledCenti: number;
  aheadCenti: number;
  postOnly: boolean;
  level: LevelQueue | null;
  placedAtMs: number;
}

export interface VenueFill {
  tradeId: string;
  order: VenueOrder;
  market: string;
  side: number;
  yesPrice: number;
  countCenti: number;
  isTaker: boolean;
  feeMoney: number;
  postPositionCenti: number;
  tsMs: number;
  /** the order is done (fully filled) */
  done: boolean;
}

export type VenueResult<T> = { ok: true; value: T } | { ok: false; code: number; message: string };

export interface OrderSummary {
  orderId: string;
  clientOrderId: string;
  fillCenti: number;
  remainingCenti: number;
}

export interface MarketAccount {
  positionCenti: number;
  /** cash in price x centi units (divide by 100 for money) */
  cashPxC: number;
  feesMoney: number;
  boughtCenti: number;
  soldCenti: number;
  settled: boolean;
  settlementPxC: number;
  /** price the market settled at (1e-4 $; meaningful when settled) */
  settlementPrice: number;
}

class VenueMarket {
  readonly book: MarketBook;
  readonly levels = new Map<number, LevelQueue>();
  readonly acct: MarketAccount = { positionCenti: 0, cashPxC: 0, feesMoney: 0, boughtCenti: 0, soldCenti: 0, settled: false, settlementPxC: 0, settlementPrice: 0 };
  active = true;
  constructor(
    readonly market: string,
    readonly fees: FeeParams,
    bands: kmm.v1.IPriceRange[] | null | undefined,
  ) {
    this.book = new MarketBook(market, bands && bands.length > 0 ? bands.map((b) => ({ startPrice: b.startPrice ?? 0, endPrice: b.endPrice ?? 0, stepPrice: b.stepPrice ?? 0 })) : null);
  }
}

const levelKey = (side: number, price: number): number => side * 100_000 + price;

interface ShrunkLevel {
  vm: VenueMarket;
  key: number;
  lvl: LevelQueue;
  prevCenti: number;
  nextCenti: number;
  atMs: number;
}

/** A print this soon after a decrease of its level, and at least as large, explains it (ms). */
export const PRINT_AFTER_DELTA_MS = 5;

export interface VenueStats {
  fills: number;
  makerFills: number;
  takerFills: number;
  filledCenti: number;
  placed: number;
  amended: number;
  cancelled: number;
  rejected: number;
  postOnlyRejects: number;
  settlements: number;
}

export class SimVenue {
  readonly markets = new Map<string, VenueMarket>();
  readonly orders = new Map<string, VenueOrder>();
  readonly stats: VenueStats = { fills: 0, makerFills: 0, takerFills: 0, filledCenti: 0, placed: 0, amended: 0, cancelled: 0, rejected: 0, postOnlyRejects: 0, settlements: 0 };
  /** fills produced by the last call; read them before the next call */
  readonly fills: VenueFill[] = [];
  /** contracts (centi) of all orders accepted, for the fill rate */
  placedCenti = 0;
  /** maker fills from the recorded book crossing our order with no print (crossFills) */
  crossingFills = 0;
  /**
   * The recorded book's resting orders are post-only makers: one at a price through ours would
   * have been refused (or, like our simulator's liquidity providers, never placed) rather than
   * trade with ours, and only prints fill us. Set by backtests (`kmm backtest`, where the venue
   * keeps the others' levels ours cross); a paper venue on the live book leaves it false: the
   * live flow that moved through our price would have traded with us.
   */
  othersPostOnly = false;
  private seq = 0;
  private tradeSeq = 0;
  private readonly scratch: FillOut[] = [];
  /** decreases of our levels not yet handed to the queue model (afterDepth) */
  private readonly shrunk: ShrunkLevel[] = [];

  constructor(
    readonly model: QueueModel,
    markets: readonly kmm.v1.IMarketInfo[],
    private readonly idPrefix = 'bt',
  ) {
    for (const m of markets) this.addMarket(m);
  }

  addMarket(m: kmm.v1.IMarketInfo): void {
    if (!m.market || this.markets.has(m.market)) return;
    this.markets.set(m.market, new VenueMarket(m.market, { feeType: m.feeType || 'quadratic', multiplierMilli: m.feeMultiplierMilli ?? 1000 }, m.priceRanges));
  }

  private mkt(market: string): VenueMarket {
    let vm = this.markets.get(market);
    if (!vm) {
      vm = new VenueMarket(market, { feeType: 'quadratic', multiplierMilli: 1000 }, null);
      this.markets.set(market, vm);
    }
    return vm;
  }

  // ------------------------------------------------------------------ recorded market

  /** Others' size at a YES price on a book side (the book given is others' only). */
  visible(vm: VenueMarket, side: number, price: number): number {
    const s = vm.book.sizeAt(side, price);
    return s > 0 ? s : 0;
  }

  private bestVisible(vm: VenueMarket, side: number): number {
    const b = vm.book;
    if (side === BID) return b.bestBidIdx >= 0 ? b.grid.prices[b.bestBidIdx] : 0;
    return b.bestAskIdx >= 0 ? b.grid.prices[b.bestAskIdx] : 0;
  }

  onSnapshot(s: kmm.v1.IBookSnapshot, nowMs: number): void {
    this.releaseAll();
    const vm = this.mkt(s.market ?? '');
    const prev = this.levelSizes(vm);
    vm.book.applySnapshot(s.yesBids ?? [], s.noBids ?? []);
    this.afterDepth(vm, prev, nowMs);
    if (this.model.tracksAllLevels && vm.book.valid) {
      // every level of the snapshot is followed from now on; its orders are unseen (a lump)
      for (const l of s.yesBids ?? []) this.tracked(vm, BID, l.price ?? 0);
      for (const l of s.noBids ?? []) this.tracked(vm, ASK, ONE_DOLLAR - (l.price ?? 0));
    }
  }

  /**
   * The level a tracksAllLevels model follows (queue-models.ts, exchange): created at its
   * current size as a lump of unseen orders the first time the venue sees it.
   */
  private tracked(vm: VenueMarket, side: number, price: number): void {
    const k = levelKey(side, price);
    if (price <= 0 || price >= ONE_DOLLAR || vm.levels.has(k)) return;
    const lvl = this.model.newLevel();
    vm.levels.set(k, lvl);
    this.model.seed?.(lvl, this.visible(vm, side, price));
  }

  onDelta(d: kmm.v1.IBookDelta, nowMs: number): void {
    this.releaseAll();
    const vm = this.mkt(d.market ?? '');
    if (!vm.book.valid) return;
    if (this.model.tracksAllLevels) this.tracked(vm, d.leg === kmm.v1.LegSide.NO ? ASK : BID, d.leg === kmm.v1.LegSide.NO ? ONE_DOLLAR - (d.price ?? 0) : (d.price ?? 0));
    const prev = this.levelSizes(vm);
    vm.book.applyDelta(d.leg ?? YES, d.price ?? 0, d.deltaCenti ?? 0);
    this.afterDepth(vm, prev, nowMs);
  }

  private levelSizes(vm: VenueMarket): number[] {
    const out: number[] = [];
    for (const [k] of vm.levels) out.push(k, this.visible(vm, Math.floor(k / 100_000), k % 100_000));
    return out;
  }

  /**
   * A level of ours shrank: the queue model hears of it only at the next event. When that event
   * is a print at that level, at least as large and within PRINT_AFTER_DELTA_MS (a venue that
   * sends the book's decrease before the trade, as the simulator does), the print goes to the
   * model first and explains the decrease, so a trade
   * does not advance our queue twice (once as a cancel, once as a print). Any other event
   * hands the decrease to the model first, as it came.
   */
  private afterDepth(vm: VenueMarket, prev: number[], nowMs: number): void {
    this.fills.length = 0;
    for (let i = 0; i < prev.length; i += 2) {
      const k = prev[i];
      const lvl = vm.levels.get(k);
      if (!lvl) continue;
      const next = this.visible(vm, Math.floor(k / 100_000), k % 100_000);
      if (next === prev[i + 1]) continue;
      const held = this.shrunk.find((x) => x.lvl === lvl);
      if (next < prev[i + 1] && held) held.nextCenti = next;
      else if (next < prev[i + 1]) this.shrunk.push({ vm, key: k, lvl, prevCenti: prev[i + 1], nextCenti: next, atMs: nowMs });
      else {
        if (held) this.releaseShrunk(held);
        this.model.depth(lvl, prev[i + 1], next);
      }
    }
    this.crossFills(vm, nowMs);
  }

  /** Hands every held decrease to the queue model (see afterDepth). */
  private releaseAll(): void {
    while (this.shrunk.length > 0) this.releaseShrunk(this.shrunk[0]);
  }

  private releaseShrunk(x: ShrunkLevel): void {
    const i = this.shrunk.indexOf(x);
    if (i >= 0) this.shrunk.splice(i, 1);
    this.model.depth(x.lvl, x.prevCenti, x.nextCenti);
  }

  /**
   * The recorded opposite side strictly through our price: that flow would have traded with us.
   * At our price only (a locked book) it would not have (module comment: no print, no fill).
   */
  private crossFills(vm: VenueMarket, nowMs: number): void {
    if (this.othersPostOnly || vm.levels.size === 0 || !vm.book.valid) return;
    const bestBid = this.bestVisible(vm, BID);
    const bestAsk = this.bestVisible(vm, ASK);
    for (const lvl of [...vm.levels.values()]) {
      for (const o of [...lvl.orders] as VenueOrder[]) {
        const before = this.fills.length;
        if (o.side === BID && bestAsk > 0 && bestAsk < o.price) this.fill(vm, o, o.price, Math.min(o.remainingCenti, this.visible(vm, ASK, bestAsk)), false, nowMs);
        else if (o.side === ASK && bestBid > 0 && bestBid > o.price) this.fill(vm, o, o.price, Math.min(o.remainingCenti, this.visible(vm, BID, bestBid)), false, nowMs);
        this.crossingFills += this.fills.length - before;
      }
    }
  }

  onTrade(t: kmm.v1.IPublicTrade, nowMs: number): void {
    this.fills.length = 0;
    const vm = this.markets.get(t.market ?? '');
    const p = t.yesPrice ?? 0;
    const qty = t.countCenti ?? 0;
    // taker bought YES: resting asks at or below p were hit; taker sold: bids at or above p
    const restingSide = t.takerBookSide === BID ? ASK : BID;
    // a held decrease is this print's when the print covers it and came right after it
    const atPrint = vm ? this.shrunk.find((x) => x.vm === vm && x.key === levelKey(restingSide, p) && x.prevCenti - x.nextCenti <= qty && nowMs - x.atMs <= PRINT_AFTER_DELTA_MS) : undefined;
    for (const x of [...this.shrunk]) if (x !== atPrint) this.releaseShrunk(x);
    if (!vm || vm.levels.size === 0) {
      if (atPrint) this.releaseShrunk(atPrint);
      return;
    }
    for (const [k, lvl] of [...vm.levels]) {
      const side = Math.floor(k / 100_000);
      const price = k % 100_000;
      if (side !== restingSide) continue;
      const through = side === ASK ? price < p : price > p;
      if (through) {
        let left = qty;
        for (const o of [...lvl.orders] as VenueOrder[]) {
          const f = Math.min(left, o.remainingCenti);
          if (f > 0) this.fill(vm, o, o.price, f, false, nowMs);
          left -= f;
        }
      } else if (price === p) {
        this.scratch.length = 0;
        this.model.trade(lvl, qty, this.scratch);
        // the decrease this print caused, held since its delta, is now explained by it
        if (atPrint) this.releaseShrunk(atPrint);
        for (const f of this.scratch) this.fill(vm, f.order as VenueOrder, price, Math.min(f.countCenti, f.order.remainingCenti), false, nowMs);
      }
    }
    if (atPrint && this.shrunk.includes(atPrint)) this.releaseShrunk(atPrint);
  }

  /** determined / settled with a result: positions pay out, resting orders are cancelled. */
  onLifecycle(l: kmm.v1.ILifecycle, _nowMs: number): void {
    this.releaseAll();
    const vm = this.markets.get(l.market ?? '');
    if (!vm) return;
    const ev = l.eventType ?? '';
    if (ev === 'deactivated' || ev === 'closed') vm.active = false;
    else if (ev === 'activated') vm.active = true;
    if ((ev === 'determined' || ev === 'settled') && !vm.acct.settled) {
      const r = (l.result ?? '').toLowerCase();
      const px = l.settlementPrice && l.settlementPrice > 0 ? l.settlementPrice : r === 'yes' ? ONE_DOLLAR : r === 'no' ? 0 : -1;
      if (px >= 0) this.settle(vm, px);
    }
  }

  settle(vm: VenueMarket, settlePrice: number): void {
    vm.active = false;
    for (const o of [...this.orders.values()]) if (o.market === vm.market) this.remove(o);
    const a = vm.acct;
    a.settlementPxC = a.positionCenti * settlePrice;
    a.settlementPrice = settlePrice;
    a.cashPxC += a.settlementPxC;
    a.positionCenti = 0;
    a.settled = true;
    this.stats.settlements++;
  }

  // ------------------------------------------------------------------ our orders

  place(o: kmm.v1.IOrderCommand, nowMs: number): VenueResult<OrderSummary> {
    this.releaseAll();
    this.fills.length = 0;
    const market = o.market ?? '';
    const vm = this.markets.get(market);
    const side = o.side ?? 0;
    const price = o.price ?? 0;
    const count = o.countCenti ?? 0;
    if (!vm) return this.reject(RC.NOT_FOUND, `market ${market} not found`);
    if (!vm.active || vm.acct.settled) return this.reject(RC.MARKET_INACTIVE, 'market is not active');
    if (side !== BID && side !== ASK) return this.reject(RC.BAD_REQUEST, 'side must be BID or ASK');
    if (!(price > 0 && price < ONE_DOLLAR) || !vm.book.grid.isValid(price)) return this.reject(RC.INVALID_PRICE, `price ${price} is not on the market's grid`);
    if (!(count > 0)) return this.reject(RC.BAD_REQUEST, 'count must be positive');
    if (this.orders.size >= VENUE_ORDERS_MAX) return this.reject(RC.BAD_REQUEST, `more than ${VENUE_ORDERS_MAX} resting orders`);
    const id = `${this.idPrefix}-${++this.seq}`;
    const ord: VenueOrder = { id, clientOrderId: o.clientOrderId ?? '', market, side, price, remainingCenti: count, filledCenti: 0, aheadCenti: 0, postOnly: o.postOnly ?? false, level: null, placedAtMs: nowMs };
    const crosses = this.crossable(vm, side, price);
    if (crosses > 0 && ord.postOnly && !o.taker) {
      this.stats.postOnlyRejects++;
      return this.reject(RC.POST_ONLY_CROSS, 'post only order would cross');
    }
    this.stats.placed++;
    this.placedCenti += count;
    if (crosses > 0) this.take(vm, ord, nowMs);
    const ioc = o.taker || o.tif === kmm.v1.TimeInForce.IMMEDIATE_OR_CANCEL || o.tif === kmm.v1.TimeInForce.FILL_OR_KILL;
    if (ord.remainingCenti > 0 && !ioc) {
      this.orders.set(id, ord);
      this.join(vm, ord);
    } else ord.remainingCenti = 0;
    return { ok: true, value: { orderId: id, clientOrderId: ord.clientOrderId, fillCenti: ord.filledCenti, remainingCenti: ord.remainingCenti } };
  }

  amend(o: kmm.v1.IOrderCommand, nowMs: number): VenueResult<OrderSummary> {
    this.releaseAll();
    this.fills.length = 0;
    const ord = this.orders.get(o.orderId ?? '');
    if (!ord) return this.reject(RC.NOT_FOUND, 'order not found');
    const vm = this.mkt(ord.market);
    const price = o.price ?? ord.price;
    const total = o.countCenti ?? ord.filledCenti + ord.remainingCenti;
    if (!(price > 0 && price < ONE_DOLLAR) || !vm.book.grid.isValid(price)) return this.reject(RC.INVALID_PRICE, `price ${price} is not on the market's grid`);
    if (total <= ord.filledCenti) return this.reject(RC.BAD_REQUEST, 'amend below the filled size');
    if (price !== ord.price && ord.postOnly && this.crossable(vm, ord.side, price) > 0) {
      this.stats.postOnlyRejects++;
      return this.reject(RC.POST_ONLY_CROSS, 'post only order would cross');
    }
    this.stats.amended++;
    const newRem = total - ord.filledCenti;
    // Kalshi: a new price or a larger size loses priority; a smaller size keeps it
    if (price !== ord.price || newRem > ord.remainingCenti) {
      this.leave(vm, ord);
      ord.price = price;
      ord.remainingCenti = newRem;
      this.join(vm, ord);
    } else ord.remainingCenti = newRem;
    void nowMs;
    return { ok: true, value: { orderId: ord.id, clientOrderId: ord.clientOrderId, fillCenti: ord.filledCenti, remainingCenti: ord.remainingCenti } };
  }

  decrease(o: kmm.v1.IOrderCommand): VenueResult<OrderSummary> {
    this.releaseAll();
    this.fills.length = 0;
    const ord = this.orders.get(o.orderId ?? '');
    if (!ord) return this.reject(RC.NOT_FOUND, 'order not found');
    ord.remainingCenti = Math.min(ord.remainingCenti, Math.max(0, o.countCenti ?? 0));
    const s = { orderId: ord.id, clientOrderId: ord.clientOrderId, fillCenti: ord.filledCenti, remainingCenti: ord.remainingCenti };
    if (ord.remainingCenti === 0) this.remove(ord);
    return { ok: true, value: s };
  }

  cancel(orderId: string): VenueResult<{ orderId: string; reducedCenti: number }> {
    this.releaseAll();
    this.fills.length = 0;
    const ord = this.orders.get(orderId);
    if (!ord) return this.reject(RC.NOT_FOUND, 'order not found');
    const reduced = ord.remainingCenti;
    this.stats.cancelled++;
    this.remove(ord);
    return { ok: true, value: { orderId, reducedCenti: reduced } };
  }

  resting(): VenueOrder[] {
    return [...this.orders.values()];
  }

  account(market: string): MarketAccount | undefined {
    return this.markets.get(market)?.acct;
  }

  /** Mid of the recorded book (0 when one side is empty). */
  mid(market: string): number {
    const vm = this.markets.get(market);
    if (!vm || !vm.book.valid) return 0;
    const b = this.bestVisible(vm, BID);
    const a = this.bestVisible(vm, ASK);
    return b > 0 && a > 0 ? Math.round((a + b) / 2) : 0;
  }

  /** Totals in money (1/10,000 $): cash, fees, and equity marked at each market's mid (or its settlement). */
  totals(): { cashMoney: number; feesMoney: number; equityMoney: number; positionsCenti: number } {
    let cash = 0;
    let fees = 0;
    let eq = 0;
    let pos = 0;
    for (const vm of this.markets.values()) {
      const a = vm.acct;
      cash += a.cashPxC;
      fees += a.feesMoney;
      const mid = this.mid(vm.market);
      eq += a.cashPxC + a.positionCenti * (mid > 0 ? mid : 0);
      pos += Math.abs(a.positionCenti);
    }
    return { cashMoney: Math.round(cash / 100) - fees, feesMoney: fees, equityMoney: Math.round(eq / 100) - fees, positionsCenti: pos };
  }

  // ------------------------------------------------------------------ internals

  private reject<T>(code: number, message: string): VenueResult<T> {
    this.stats.rejected++;
    return { ok: false, code, message };
  }

  /** Visible size our order would trade against at once (0: it would rest). */
  private crossable(vm: VenueMarket, side: number, price: number): number {
    if (!vm.book.valid) return 0;
    if (side === BID) {
      const a = this.bestVisible(vm, ASK);
      return a > 0 && a <= price ? this.visible(vm, ASK, a) : 0;
    }
    const b = this.bestVisible(vm, BID);
    return b > 0 && b >= price ? this.visible(vm, BID, b) : 0;
  }

  /** Walks the visible opposite levels up to the limit (taker fills at each level's price). */
  private take(vm: VenueMarket, ord: VenueOrder, nowMs: number): void {
    const b = vm.book;
    const prices = b.grid.prices;
    if (ord.side === BID) {
      if (b.bestAskIdx < 0) return;
      for (let i = b.bestAskIdx; i < prices.length && prices[i] <= ord.price && ord.remainingCenti > 0; i++) {
        const avail = b.askCenti[i] > 0 ? this.visible(vm, ASK, prices[i]) : 0;
        if (avail > 0) this.fill(vm, ord, prices[i], Math.min(avail, ord.remainingCenti), true, nowMs);
      }
    } else {
      for (let i = b.bestBidIdx; i >= 0 && prices[i] >= ord.price && ord.remainingCenti > 0; i--) {
        const avail = b.bidCenti[i] > 0 ? this.visible(vm, BID, prices[i]) : 0;
        if (avail > 0) this.fill(vm, ord, prices[i], Math.min(avail, ord.remainingCenti), true, nowMs);
      }
    }
  }

  private join(vm: VenueMarket, ord: VenueOrder): void {
    const k = levelKey(ord.side, ord.price);
    let lvl = vm.levels.get(k);
    if (!lvl) {
      lvl = this.model.newLevel();
      vm.levels.set(k, lvl);
    }
    ord.level = lvl;
    this.model.join(lvl, ord, this.visible(vm, ord.side, ord.price));
  }

  private leave(vm: VenueMarket, ord: VenueOrder): void {
    const lvl = ord.level;
    if (!lvl) return;
    this.model.leave(lvl, ord);
    ord.level = null;
    // a model that follows every level keeps it (its FIFO of others' orders) when ours leave
    if (lvl.orders.length === 0 && !this.model.tracksAllLevels) vm.levels.delete(levelKey(ord.side, ord.price));
  }

  private remove(ord: VenueOrder): void {
    this.leave(this.mkt(ord.market), ord);
    this.orders.delete(ord.id);
  }

  private fill(vm: VenueMarket, ord: VenueOrder, price: number, countCenti: number, isTaker: boolean, nowMs: number): void {
    if (countCenti <= 0) return;
    ord.remainingCenti -= countCenti;
    ord.filledCenti += countCenti;
    const a = vm.acct;
    const fee = tradeFee(isTaker, price, countCenti, vm.fees);
    if (ord.side === BID) {
      a.positionCenti += countCenti;
      a.cashPxC -= price * countCenti;
      a.boughtCenti += countCenti;
    } else {
      a.positionCenti -= countCenti;
      a.cashPxC += price * countCenti;
      a.soldCenti += countCenti;
    }
    a.feesMoney += fee;
    this.stats.fills++;
    this.stats.filledCenti += countCenti;
    if (isTaker) this.stats.takerFills++;
    else this.stats.makerFills++;
    const done = ord.remainingCenti <= 0;
    if (done && this.orders.has(ord.id)) this.remove(ord);
    this.fills.push({ tradeId: `${this.idPrefix}-t${++this.tradeSeq}`, order: ord, market: vm.market, side: ord.side, yesPrice: price, countCenti, isTaker, feeMoney: fee, postPositionCenti: a.positionCenti, tsMs: nowMs, done });
  }
}
