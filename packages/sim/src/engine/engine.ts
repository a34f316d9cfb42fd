/**
 * The exchange core: markets and their books, accounts (cash, reservations, signed net
 * positions), V2 order operations, price-time matching, fees, order groups, lifecycle and
 * settlement. Pure and deterministic: time comes from the injected Clock, ids from the injected
 * Rng, and every effect is reported synchronously to the EngineListener (no I/O here).
 *
 * In:  createOrder / cancelOrder / decreaseOrder / amendOrder / order-group ops / lifecycle ops / tick(now).
 * Out: EngineListener events (book deltas, trades, fills, order updates, positions, lifecycle,
 *      order-group updates, ticker changes) and typed results (EngineError for operating errors).
 * Invariants (checked by tests): the book never stays crossed; contracts and money are conserved:
 *   sum(cash) + open interest x $1 + fees collected + rounding collected = money deposited.
 */
import { ONE_DOLLAR, PriceGrid, tradeFee, type Clock, type FeeParams, type Rng } from '@kmm/shared';
import { Book } from './book.js';
import { SHARD_COUNT, shardOfSeries, splitAcrossShards } from './shards.js';
import { uuidFrom } from './ids.js';
import {
  err,
  NULL_LISTENER,
  type Account,
  type BookSide,
  type EngineError,
  type EngineListener,
  type FillRec,
  type MarketSpec,
  type MarketStatus,
  type OrderGroupRec,
  type OrderRec,
  type PositionRec,
  type SeriesSpec,
  type StpType,
  type TimeInForce,
  type TradeRec,
} from './types.js';

/** Statuses past close_time: every order operation, cancels too, answers MARKET_INACTIVE. */
const PAST_CLOSE: ReadonlySet<MarketStatus> = new Set(['closed', 'determined', 'disputed', 'amended', 'finalized']);

/** Named limits (style rule 7): what happens when each fills up is stated next to it. */
export const LIMITS = {
  /** finished orders kept for reads per engine; oldest finished are forgotten first */
  finishedOrdersKept: 200_000,
  /** public trades kept per market for GET /markets/trades; oldest dropped */
  tradesKeptPerMarket: 5_000,
  /** fills kept per history account; oldest dropped */
  fillsKeptPerAccount: 200_000,
  /** open orders per user (documented venue limit) */
  openOrdersPerUser: 200_000,
  /** order groups per user (documented venue limit) */
  orderGroupsPerUser: 100_000,
  /** maximum contracts in one order (centi) */
  maxOrderCenti: 100_000_000 * 100,
} as const;

const MICRO_PER_CENT = 10_000;
const MICRO_PER_MONEY = 100;

export interface EngineOptions {
  clock: Clock;
  rng: Rng;
  /** what a crossing post-only order does: 'reject' (400 at create, observed on demo) or 'cancel' (documented PostOnlyCrossCancel) */
  postOnlyCrossMode?: 'reject' | 'cancel';
  /** rolling window of an order group's contracts limit */
  orderGroupWindowMs?: number;
}

export interface NewOrder {
  ticker: string;
  side: BookSide;
  price: number;
  countCenti: number;
  tif: TimeInForce;
  stp: StpType;
  postOnly?: boolean;
  reduceOnly?: boolean;
  cancelOnPause?: boolean;
  clientOrderId?: string;
  orderGroupId?: string | null;
  expirationMs?: number | null;
  subaccount?: number;
  /** explicit shard (>= 0 must be the market's; -1 or undefined = auto-route by ticker) */
  exchangeIndex?: number;
}

export interface OrderResult {
  ok: true;
  order: OrderRec;
  fillCenti: number;
  fillCostMicro: number;
  feeMoney: number;
}

export interface MarketState {
  spec: MarketSpec;
  series: SeriesSpec;
  fees: FeeParams;
  status: MarketStatus;
  book: Book;
  result: '' | 'yes' | 'no';
  lastPrice: number;
  lastTradeCenti: number;
  volumeCenti: number;
  /** traded value at YES prices (micro $): the ticker's dollar_volume */
  notionalMicro: number;
  openInterestCenti: number;
  trades: TradeRec[];
  determinedMs: number | null;
  settledMs: number | null;
  updatedMs: number;
}

export class Engine {
  listener: EngineListener = NULL_LISTENER;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly series = new Map<string, SeriesSpec>();
  readonly markets = new Map<string, MarketState>();
  readonly accounts = new Map<string, Account>();
  readonly orders = new Map<string, OrderRec>();
  readonly groups = new Map<string, OrderGroupRec>();
  /** every client_order_id ever used per user: ids are never reusable */
  readonly clientIds = new Map<string, Set<string>>();
  /** told of every newly used client_order_id (the socket sim persists them across restarts) */
  onClientIdUsed: ((userId: string, clientOrderId: string) => void) | null = null;
  exchangeActive = true;
  tradingActive = true;
  feesCollectedMoney = 0;
  roundingCollectedMicro = 0;
  depositedMicro = 0;
  private readonly postOnlyCrossMode: 'reject' | 'cancel';
  private readonly groupWindowMs: number;
  private prioritySeq = 0;
  private readonly finished: string[] = [];
  private finishedHead = 0;
  private readonly expiring: OrderRec[] = [];
  private readonly openCount = new Map<string, number>();

  constructor(opts: EngineOptions) {
    this.clock = opts.clock;
    this.rng = opts.rng;
    this.postOnlyCrossMode = opts.postOnlyCrossMode ?? 'reject';
    this.groupWindowMs = opts.orderGroupWindowMs ?? 15_000;
  }

  newId(): string {
    return uuidFrom(this.rng);
  }

  // ---------------------------------------------------------------- set-up

  addSeries(s: SeriesSpec): void {
    this.series.set(s.ticker, s);
  }

  addMarket(spec: MarketSpec, status: MarketStatus = 'active'): MarketState {
    const series = this.series.get(spec.seriesTicker);
    if (!series) throw new Error(`addMarket: unknown series ${spec.seriesTicker}`);
    // the venue, not the catalogue, decides a market's shard: by its series, as Kalshi does
    spec.exchangeIndex = shardOfSeries(series);
    const m: MarketState = {
      spec,
      series,
      fees: { feeType: series.feeType, multiplierMilli: series.feeMultiplierMilli },
      status,
      book: new Book(new PriceGrid(spec.bands)),
      result: '',
      lastPrice: 0,
      lastTradeCenti: 0,
      volumeCenti: 0,
      notionalMicro: 0,
      openInterestCenti: 0,
      trades: [],
      determinedMs: null,
      settledMs: null,
      updatedMs: this.clock.wallMs(),
    };
    this.markets.set(spec.ticker, m);
    return m;
  }

  createAccount(userId: string, cashMicro: number, opts: { precisionMicro?: number; keepHistory?: boolean } = {}): Account {
    if (this.accounts.has(userId)) throw new Error(`account ${userId} exists`);
    const a: Account = {
      userId,
      cashMicro,
      reservedMicro: 0,
      shardCashMicro: splitAcrossShards(cashMicro),
      shardReservedMicro: new Array<number>(SHARD_COUNT).fill(0),
      precisionMicro: opts.precisionMicro ?? 1,
      keepHistory: opts.keepHistory ?? false,
      positions: new Map(),
      fills: [],
      settlements: [],
      updatedMs: this.clock.wallMs(),
    };
    this.depositedMicro += cashMicro;
    this.accounts.set(userId, a);
    if (!this.clientIds.has(userId)) this.clientIds.set(userId, new Set());
    return a;
  }

  private useClientId(userId: string, cids: Set<string>, cid: string): void {
    cids.add(cid);
    this.onClientIdUsed?.(userId, cid);
  }

  /** Marks ids as used before any order (a restart reading back the persisted ids). */
  restoreClientIds(userId: string, ids: Iterable<string>): void {
    let set = this.clientIds.get(userId);
    if (!set) this.clientIds.set(userId, (set = new Set()));
    for (const id of ids) set.add(id);
  }

  /**
   * Moves available cash between two shards of one account (POST
   * /portfolio/intra_exchange_instance_transfer).
   */
  transferBetweenShards(userId: string, fromShard: number, toShard: number, amountMicro: number): EngineError | { ok: true } {
    const a = this.accounts.get(userId);
    if (!a) return err(401, 'authentication_error', 'unknown user');
    const ok = (i: number) => Number.isInteger(i) && i >= 0 && i < SHARD_COUNT;
    if (!ok(fromShard) || !ok(toShard) || fromShard === toShard) return err(400, 'bad_request', 'bad request', `exchange indexes must differ and lie in 0..${SHARD_COUNT - 1}`);
    if (!(Number.isInteger(amountMicro) && amountMicro > 0)) return err(400, 'bad_request', 'bad request', 'amount must be positive');
    if (amountMicro > a.shardCashMicro[fromShard] - a.shardReservedMicro[fromShard]) return err(400, 'insufficient_balance', 'insufficient balance', `on exchange ${fromShard}`);
    a.shardCashMicro[fromShard] -= amountMicro;
    a.shardCashMicro[toShard] += amountMicro;
    a.updatedMs = this.clock.wallMs();
    return { ok: true };
  }

  availableMicro(userId: string): number {
    const a = this.accounts.get(userId);
    return a ? a.cashMicro - a.reservedMicro : 0;
  }

  // ---------------------------------------------------------------- orders

  private marketForOrders(ticker: string, isCancel: boolean): MarketState | EngineError {
    const m = this.markets.get(ticker);
    if (!m) return err(404, 'not_found', 'market not found', ticker);
    if (!this.exchangeActive) return err(400, 'exchange_closed', 'exchange is closed');
    if (!isCancel && !this.tradingActive) return err(400, 'trading_is_paused', 'trading is paused');
    if (PAST_CLOSE.has(m.status)) {
      return err(400, 'MARKET_INACTIVE', 'market is not open for trading', ticker);
    }
    if (!isCancel && m.status !== 'active') return err(400, 'MARKET_INACTIVE', 'market is not active', ticker);
    return m;
  }

  private reserveFor(o: OrderRec, m: MarketState): number {
    if (o.status !== 'resting' || o.remainingCenti <= 0) return 0;
    const unit = o.side === 'bid' ? o.price : ONE_DOLLAR - o.price;
    return unit * o.remainingCenti + tradeFee(true, o.price, o.remainingCenti, m.fees) * MICRO_PER_MONEY;
  }

  private rereserve(o: OrderRec, m: MarketState): void {
    const a = this.accounts.get(o.userId)!;
    const before = o.reservedMicro;
    o.reservedMicro = this.reserveFor(o, m);
    a.reservedMicro += o.reservedMicro - before;
    a.shardReservedMicro[o.exchangeIndex] += o.reservedMicro - before;
  }

  createOrder(userId: string, req: NewOrder): OrderResult | EngineError {
    const acct = this.accounts.get(userId);
    if (!acct) return err(401, 'authentication_error', 'unknown user');
    const mm = this.marketForOrders(req.ticker, false);
    if ('ok' in mm) return mm;
    const m = mm;
    if (req.exchangeIndex !== undefined && req.exchangeIndex >= 0 && req.exchangeIndex !== m.spec.exchangeIndex) {
      return err(400, 'invalid_parameters', "exchange_index does not match the market's exchange", `${req.ticker} is on exchange ${m.spec.exchangeIndex}`);
    }
    if (!m.book.grid.isValid(req.price)) return err(400, 'invalid_price', 'price is not on the market price grid', String(req.price));
    if (!(req.countCenti > 0) || req.countCenti > LIMITS.maxOrderCenti || !Number.isInteger(req.countCenti)) {
      return err(400, 'invalid_order_size', 'invalid order size');
    }
    const now = this.clock.wallMs();
    if (req.expirationMs != null) {
      if (req.tif !== 'good_till_canceled') return err(400, 'invalid_order', 'expiration_time is only allowed with good_till_canceled');
      if (req.expirationMs <= now) return err(400, 'invalid_order', 'expiration_time is in the past');
    }
    const cids = this.clientIds.get(userId)!;
    if (req.clientOrderId && cids.has(req.clientOrderId)) {
      return err(409, 'order_already_exists', 'an order with this client_order_id already exists', req.clientOrderId);
    }
    let group: OrderGroupRec | undefined;
    if (req.orderGroupId) {
      group = this.groups.get(req.orderGroupId);
      if (!group || group.userId !== userId) return err(404, 'not_found', 'order group not found', req.orderGroupId);
      if (group.triggered) return err(400, 'order_group_triggered', 'order group is triggered; reset it first', req.orderGroupId);
    }
    if ((this.openCount.get(userId) ?? 0) >= LIMITS.openOrdersPerUser) return err(400, 'too_many_open_orders', 'open order limit reached');
    let count = req.countCenti;
    if (req.reduceOnly) {
      const pos = acct.positions.get(req.ticker)?.positionCenti ?? 0;
      const reducible = req.side === 'bid' ? Math.max(0, -pos) : Math.max(0, pos);
      if (reducible === 0) return err(400, 'invalid_order', 'reduce-only order would not reduce the position', 'reduce_only');
      count = Math.min(count, reducible);
    }
    const book = m.book;
    const crosses = req.side === 'bid' ? book.bestAskIdx >= 0 && req.price >= book.bestAsk() : book.bestBidIdx >= 0 && req.price <= book.bestBid();
    if (req.postOnly && crosses && this.postOnlyCrossMode === 'reject') {
      return err(400, 'invalid_order', 'invalid order', 'post only cross');
    }
    // Collateral: the full cost of the order at its limit price plus the worst-case taker fee.
    const unit = req.side === 'bid' ? req.price : ONE_DOLLAR - req.price;
    const need = unit * count + tradeFee(true, req.price, count, m.fees) * MICRO_PER_MONEY;
    const shard = m.spec.exchangeIndex;
    if (need > acct.shardCashMicro[shard] - acct.shardReservedMicro[shard]) return err(400, 'insufficient_balance', 'insufficient balance', `on exchange ${shard}`);

    // Kalshi never invents a client order id: fills, order updates and cancel replies of an
    // order sent without one carry none (kalshi-api.md section 0)
    const cid = req.clientOrderId ?? '';
    if (cid) this.useClientId(userId, cids, cid);
    const o: OrderRec = {
      orderId: this.newId(),
      userId,
      clientOrderId: cid,
      exchangeIndex: m.spec.exchangeIndex,
      ticker: req.ticker,
      side: req.side,
      price: req.price,
      initialCenti: count,
      filledCenti: 0,
      remainingCenti: count,
      status: 'resting',
      tif: req.tif,
      postOnly: !!req.postOnly,
      reduceOnly: !!req.reduceOnly,
      stp: req.stp,
      cancelOnPause: !!req.cancelOnPause,
      orderGroupId: req.orderGroupId ?? null,
      expirationMs: req.expirationMs ?? null,
      createdMs: now,
      updatedMs: now,
      prioritySeq: ++this.prioritySeq,
      takerFillCostMicro: 0,
      makerFillCostMicro: 0,
      takerFeesMoney: 0,
      makerFeesMoney: 0,
      reservedMicro: 0,
      roundingMicro: 0,
      subaccount: req.subaccount ?? 0,
      lastUpdateReason: 'Created',
    };
    this.orders.set(o.orderId, o);

    if (req.postOnly && crosses) {
      // postOnlyCrossMode 'cancel': accepted, then cancelled without trading.
      this.finish(o, 'canceled', 'PostOnlyCrossCancel', m);
      return { ok: true, order: o, fillCenti: 0, fillCostMicro: 0, feeMoney: 0 };
    }
    if (req.tif === 'fill_or_kill' && book.crossingSize(req.side, req.price) < count) {
      this.finish(o, 'canceled', 'FillOrKillNotFilled', m);
      return { ok: true, order: o, fillCenti: 0, fillCostMicro: 0, feeMoney: 0 };
    }
    const r = this.match(o, m);
    if (o.remainingCenti > 0 && o.status === 'resting') {
      if (req.tif === 'good_till_canceled') {
        this.rest(o, m);
      } else {
        this.finish(o, 'canceled', req.tif === 'fill_or_kill' ? 'FillOrKillNotFilled' : 'ImmediateOrCancel', m);
      }
    } else if (o.status === 'resting') {
      this.finish(o, 'executed', 'Filled', m);
    }
    this.afterOp(m);
    return r;
  }

  private rest(o: OrderRec, m: MarketState): void {
    m.book.add(o);
    this.openCount.set(o.userId, (this.openCount.get(o.userId) ?? 0) + 1);
    this.rereserve(o, m);
    if (o.expirationMs != null) this.expiring.push(o);
    const acct = this.accounts.get(o.userId)!;
    const caused = { userId: o.userId, clientOrderId: o.clientOrderId, subaccount: o.subaccount };
    if (o.side === 'bid') this.listener.onBookDelta(m.spec.ticker, 'yes', o.price, o.remainingCenti, o.updatedMs, caused);
    else this.listener.onBookDelta(m.spec.ticker, 'no', ONE_DOLLAR - o.price, o.remainingCenti, o.updatedMs, caused);
    if (acct.keepHistory) this.listener.onOrderUpdate(o);
    this.listener.onTicker(m.spec.ticker, o.updatedMs);
  }

  /** Takes a resting order out of the book (if there) and marks it final. */
  private finish(o: OrderRec, status: 'canceled' | 'executed', reason: string, m: MarketState, caused?: OrderRec): void {
    const now = this.clock.wallMs();
    const wasResting = this.isInBook(o, m);
    const removed = o.remainingCenti;
    if (wasResting) {
      m.book.remove(o);
      this.openCount.set(o.userId, (this.openCount.get(o.userId) ?? 1) - 1);
      if (removed > 0) {
        const by = caused ?? o;
        const c = { userId: by.userId, clientOrderId: by.clientOrderId, subaccount: by.subaccount };
        if (o.side === 'bid') this.listener.onBookDelta(m.spec.ticker, 'yes', o.price, -removed, now, c);
        else this.listener.onBookDelta(m.spec.ticker, 'no', ONE_DOLLAR - o.price, -removed, now, c);
      }
    }
    o.status = status;
    o.lastUpdateReason = reason;
    if (status === 'canceled') o.remainingCenti = 0;
    o.updatedMs = now;
    this.rereserve(o, m);
    const acct = this.accounts.get(o.userId)!;
    if (acct.keepHistory) {
      this.listener.onOrderUpdate(o);
      this.finished.push(o.orderId);
      if (this.finished.length - this.finishedHead > LIMITS.finishedOrdersKept) {
        this.orders.delete(this.finished[this.finishedHead++]);
        if (this.finishedHead > 65_536) {
          this.finished.splice(0, this.finishedHead);
          this.finishedHead = 0;
        }
      }
    } else {
      this.orders.delete(o.orderId);
    }
    if (wasResting) this.listener.onTicker(m.spec.ticker, now);
  }

  private isInBook(o: OrderRec, m: MarketState): boolean {
    if (o.status !== 'resting') return false;
    const i = m.book.grid.indexOf(o.price);
    const q = o.side === 'bid' ? m.book.bids[i] : m.book.asks[i];
    return q.includes(o);
  }

  /** Matches taker `o` against the opposite side; trades at the maker's price, FIFO within a level. */
  private match(o: OrderRec, m: MarketState): OrderResult {
    const book = m.book;
    const prices = book.grid.prices;
    let fillCenti = 0;
    let fillCostMicro = 0;
    let feeMoney = 0;
    const group = o.orderGroupId ? this.groups.get(o.orderGroupId) : undefined;
    // contracts this taker found ahead at the level it is taking, before the maker it meets now
    // (traded or self-trade-cancelled): the true queue ahead of that maker when the taker came
    let levelIdx = -1;
    let levelTakenCenti = 0;
    while (o.remainingCenti > 0) {
      let idx: number;
      let q: OrderRec[];
      if (o.side === 'bid') {
        idx = book.bestAskIdx;
        if (idx < 0 || prices[idx] > o.price) break;
        q = book.asks[idx];
      } else {
        idx = book.bestBidIdx;
        if (idx < 0 || prices[idx] < o.price) break;
        q = book.bids[idx];
      }
      if (idx !== levelIdx) {
        levelIdx = idx;
        levelTakenCenti = 0;
      }
      const maker = q[0];
      if (maker.userId === o.userId) {
        if (o.stp === 'taker_at_cross') {
          this.finish(o, 'canceled', 'SelfTradeCancel', m);
          break;
        }
        levelTakenCenti += maker.remainingCenti;
        this.finish(maker, 'canceled', 'SelfTradeCancel', m, o);
        continue;
      }
      const qty = Math.min(o.remainingCenti, maker.remainingCenti);
      const price = prices[idx];
      const takerFee = this.execute(o, maker, price, qty, m, levelTakenCenti);
      levelTakenCenti += qty;
      fillCenti += qty;
      fillCostMicro += price * qty;
      feeMoney += takerFee;
      if (group && group.triggered) {
        if (o.remainingCenti > 0) this.finish(o, 'canceled', 'OrderGroupTriggered', m);
        break;
      }
    }
    return { ok: true, order: o, fillCenti, fillCostMicro, feeMoney };
  }

  /**
   * One maker/taker execution of qty at price. Returns the taker's fee (money). `aheadCenti`:
   * the contracts that were ahead of the maker at its price when the taker arrived (sim-only,
   * kept on the maker's FillRec, never on the venue's wire).
   */
  private execute(taker: OrderRec, maker: OrderRec, price: number, qty: number, m: MarketState, aheadCenti: number): number {
    const now = this.clock.wallMs();
    const ticker = m.spec.ticker;
    const tradeId = this.newId();
    // maker side of the book shrinks
    maker.remainingCenti -= qty;
    maker.filledCenti += qty;
    maker.updatedMs = now;
    m.book.reduce(maker, qty);
    const caused = { userId: taker.userId, clientOrderId: taker.clientOrderId, subaccount: taker.subaccount };
    if (maker.side === 'bid') this.listener.onBookDelta(ticker, 'yes', price, -qty, now, caused);
    else this.listener.onBookDelta(ticker, 'no', ONE_DOLLAR - price, -qty, now, caused);
    taker.remainingCenti -= qty;
    taker.filledCenti += qty;
    taker.updatedMs = now;

    const takerFee = tradeFee(true, price, qty, m.fees);
    const makerFee = tradeFee(false, price, qty, m.fees);
    this.feesCollectedMoney += takerFee + makerFee;
    const takerUnit = taker.side === 'bid' ? price : ONE_DOLLAR - price;
    const makerUnit = maker.side === 'bid' ? price : ONE_DOLLAR - price;
    taker.takerFillCostMicro += takerUnit * qty;
    taker.takerFeesMoney += takerFee;
    maker.makerFillCostMicro += makerUnit * qty;
    maker.makerFeesMoney += makerFee;

    // open interest before/after: count long-YES contracts across the two parties
    const tAcct = this.accounts.get(taker.userId)!;
    const mAcct = this.accounts.get(maker.userId)!;
    const tPosBefore = this.posOf(tAcct, ticker).positionCenti;
    const mPosBefore = this.posOf(mAcct, ticker).positionCenti;
    const tPost = this.applyFill(tAcct, taker, price, qty, takerFee, m, now);
    const mPost = this.applyFill(mAcct, maker, price, qty, makerFee, m, now);
    m.openInterestCenti += Math.max(tPost, 0) - Math.max(tPosBefore, 0) + Math.max(mPost, 0) - Math.max(mPosBefore, 0);

    m.lastPrice = price;
    m.lastTradeCenti = qty;
    m.volumeCenti += qty;
    m.notionalMicro += price * qty;
    m.updatedMs = now;
    const trade: TradeRec = { tradeId, ticker, price, countCenti: qty, takerSide: taker.side, tsMs: now };
    m.trades.push(trade);
    if (m.trades.length > LIMITS.tradesKeptPerMarket) m.trades.splice(0, m.trades.length - LIMITS.tradesKeptPerMarket);

    const tFill = this.recordFill(tAcct, tradeId, taker, price, qty, true, takerFee, tPost, now, -1);
    const mFill = this.recordFill(mAcct, tradeId, maker, price, qty, false, makerFee, mPost, now, aheadCenti);
    this.listener.onTrade(trade);
    if (tFill) this.listener.onFill(tFill);
    if (mFill) this.listener.onFill(mFill);
    if (maker.remainingCenti === 0) this.finish(maker, 'executed', 'Filled', m);
    else {
      this.rereserve(maker, m);
      if (mAcct.keepHistory) this.listener.onOrderUpdate(maker);
    }
    if (tAcct.keepHistory) this.listener.onPosition(tAcct.userId, this.posOf(tAcct, ticker), taker.subaccount);
    if (mAcct.keepHistory) this.listener.onPosition(mAcct.userId, this.posOf(mAcct, ticker), maker.subaccount);
    this.groupFill(maker, qty, now, m);
    this.groupFill(taker, qty, now, m);
    this.listener.onTicker(ticker, now);
    return takerFee;
  }

  private recordFill(
    a: Account,
    tradeId: string,
    o: OrderRec,
    price: number,
    qty: number,
    isTaker: boolean,
    fee: number,
    post: number,
    now: number,
    queueAheadCenti: number,
  ): FillRec | null {
    if (!a.keepHistory) return null;
    const f: FillRec = {
      tradeId,
      orderId: o.orderId,
      userId: a.userId,
      clientOrderId: o.clientOrderId,
      exchangeIndex: o.exchangeIndex,
      ticker: o.ticker,
      side: o.side,
      price,
      countCenti: qty,
      isTaker,
      feeMoney: fee,
      tsMs: now,
      postPositionCenti: post,
      subaccount: o.subaccount,
      queueAheadCenti,
    };
    a.fills.push(f);
    if (a.fills.length > LIMITS.fillsKeptPerAccount) a.fills.splice(0, a.fills.length - LIMITS.fillsKeptPerAccount);
    return f;
  }

  posOf(a: Account, ticker: string): PositionRec {
    let p = a.positions.get(ticker);
    if (!p) {
      p = { ticker, exchangeIndex: this.markets.get(ticker)?.spec.exchangeIndex ?? 0, positionCenti: 0, costMicro: 0, realizedPnlMicro: 0, feesPaidMoney: 0, totalTradedMicro: 0, volumeCenti: 0, lastUpdatedMs: 0 };
      a.positions.set(ticker, p);
    }
    return p;
  }

  /**
   * Cash and position effect of one fill on one account (signed net position: + YES, - NO).
   * Buying YES while short (long NO) closes: the YES+NO pair pays $1, so the member nets 1 - p
   * per contract; the rest opens at cost p. Selling YES mirrors it. Fees come off cash; the cash
   * change is floored to the account's precision and the over-rounding refunded per order in
   * whole cents (kalshi-api.md section 6).
   */
  private applyFill(a: Account, o: OrderRec, price: number, qty: number, feeMoney: number, m: MarketState, now: number): number {
    const p = this.posOf(a, m.spec.ticker);
    let cash = 0;
    if (o.side === 'bid') {
      const close = p.positionCenti < 0 ? Math.min(qty, -p.positionCenti) : 0;
      if (close > 0) {
        const removed = close === -p.positionCenti ? p.costMicro : Math.floor((p.costMicro * close) / -p.positionCenti);
        const proceeds = (ONE_DOLLAR - price) * close;
        p.realizedPnlMicro += proceeds - removed;
        p.costMicro -= removed;
        p.positionCenti += close;
        cash += proceeds;
      }
      const open = qty - close;
      if (open > 0) {
        cash -= price * open;
        p.costMicro += price * open;
        p.positionCenti += open;
      }
      p.totalTradedMicro += price * qty;
    } else {
      const close = p.positionCenti > 0 ? Math.min(qty, p.positionCenti) : 0;
      if (close > 0) {
        const removed = close === p.positionCenti ? p.costMicro : Math.floor((p.costMicro * close) / p.positionCenti);
        const proceeds = price * close;
        p.realizedPnlMicro += proceeds - removed;
        p.costMicro -= removed;
        p.positionCenti -= close;
        cash += proceeds;
      }
      const open = qty - close;
      if (open > 0) {
        cash -= (ONE_DOLLAR - price) * open;
        p.costMicro += (ONE_DOLLAR - price) * open;
        p.positionCenti -= open;
      }
      p.totalTradedMicro += (ONE_DOLLAR - price) * qty;
    }
    p.feesPaidMoney += feeMoney;
    p.volumeCenti += qty;
    p.lastUpdatedMs = now;
    const exact = cash - feeMoney * MICRO_PER_MONEY;
    let applied = exact;
    if (a.precisionMicro > 1) {
      applied = Math.floor(exact / a.precisionMicro) * a.precisionMicro;
      o.roundingMicro += exact - applied;
      const refund = Math.floor(o.roundingMicro / MICRO_PER_CENT) * MICRO_PER_CENT;
      applied += refund;
      o.roundingMicro -= refund;
      this.roundingCollectedMicro += exact - applied;
    }
    a.cashMicro += applied;
    a.shardCashMicro[m.spec.exchangeIndex] += applied;
    a.updatedMs = now;
    return p.positionCenti;
  }

  /**
   * Cancels a resting order. Every failure to find it answers the same 404 (unknown, already
   * canceled, executed, or on another shard than `exchangeIndex`): Kalshi does not say which.
   */
  cancelOrder(userId: string, orderId: string, reason = 'Canceled', exchangeIndex?: number): { ok: true; order: OrderRec; reducedCenti: number } | EngineError {
    const o = this.orders.get(orderId);
    if (!o || o.userId !== userId || o.status !== 'resting' || (exchangeIndex !== undefined && exchangeIndex !== o.exchangeIndex)) {
      return err(404, 'not_found', 'order not found', orderId);
    }
    const mm = this.marketForOrders(o.ticker, true);
    if ('ok' in mm) return mm;
    const reduced = o.remainingCenti;
    this.finish(o, 'canceled', reason, mm);
    this.afterOp(mm);
    return { ok: true, order: o, reducedCenti: reduced };
  }

  decreaseOrder(
    userId: string,
    orderId: string,
    by: { reduceByCenti?: number; reduceToCenti?: number },
  ): { ok: true; order: OrderRec; reducedCenti: number } | EngineError {
    const o = this.orders.get(orderId);
    if (!o || o.userId !== userId || o.status !== 'resting') return err(404, 'not_found', 'order not found', orderId);
    const mm = this.marketForOrders(o.ticker, true);
    if ('ok' in mm) return mm;
    if ((by.reduceByCenti === undefined) === (by.reduceToCenti === undefined)) {
      return err(400, 'bad_request', 'exactly one of reduce_by and reduce_to is required');
    }
    let reduce = by.reduceByCenti !== undefined ? by.reduceByCenti : o.remainingCenti - by.reduceToCenti!;
    if (!(reduce > 0) && !(by.reduceToCenti !== undefined && reduce === 0)) return err(400, 'invalid_order_size', 'invalid reduction');
    reduce = Math.min(reduce, o.remainingCenti);
    if (reduce === o.remainingCenti) {
      this.finish(o, 'canceled', 'Decrease', mm);
      this.afterOp(mm);
      return { ok: true, order: o, reducedCenti: reduce };
    }
    if (reduce > 0) this.shrinkInPlace(o, reduce, mm);
    this.afterOp(mm);
    return { ok: true, order: o, reducedCenti: reduce };
  }

  /** @internal used by decrease and amend: shrink in place, keeping time priority */
  shrinkInPlace(o: OrderRec, reduce: number, m: MarketState): void {
    const now = this.clock.wallMs();
    o.remainingCenti -= reduce;
    o.updatedMs = now;
    o.lastUpdateReason = 'Decrease';
    m.book.reduce(o, reduce);
    const c = { userId: o.userId, clientOrderId: o.clientOrderId, subaccount: o.subaccount };
    if (o.side === 'bid') this.listener.onBookDelta(m.spec.ticker, 'yes', o.price, -reduce, now, c);
    else this.listener.onBookDelta(m.spec.ticker, 'no', ONE_DOLLAR - o.price, -reduce, now, c);
    this.rereserve(o, m);
    if (this.accounts.get(o.userId)!.keepHistory) this.listener.onOrderUpdate(o);
    this.listener.onTicker(m.spec.ticker, now);
  }

  /**
   * V2 amend: new price and/or new total count (= filled + desired remaining). A price change or
   * a size increase loses time priority (re-queued at the back, and may cross and trade); a pure
   * size decrease keeps it.
   */
  amendOrder(
    userId: string,
    orderId: string,
    req: { ticker: string; side: BookSide; price: number; countCenti: number; clientOrderId?: string; updatedClientOrderId?: string },
  ): OrderResult | EngineError {
    const o = this.orders.get(orderId);
    if (!o || o.userId !== userId || o.status !== 'resting') return err(404, 'not_found', 'order not found', orderId);
    if (req.ticker !== o.ticker) return err(400, 'order_ticker_mismatch', 'ticker does not match the order');
    if (req.side !== o.side) return err(400, 'order_side_mismatch', 'side does not match the order');
    if (req.clientOrderId && req.clientOrderId !== o.clientOrderId) {
      return err(400, 'order_id_and_client_order_id_mismatch', 'client_order_id does not match the order');
    }
    const mm = this.marketForOrders(o.ticker, false);
    if ('ok' in mm) return mm;
    const m = mm;
    if (!m.book.grid.isValid(req.price)) return err(400, 'invalid_price', 'price is not on the market price grid', String(req.price));
    const newRemaining = req.countCenti - o.filledCenti;
    if (!(newRemaining > 0)) return err(400, 'invalid_order_size', 'count must exceed the filled count');
    const cids = this.clientIds.get(userId)!;
    if (req.updatedClientOrderId) {
      if (cids.has(req.updatedClientOrderId)) return err(409, 'order_already_exists', 'client_order_id already used', req.updatedClientOrderId);
    }
    const acct = this.accounts.get(userId)!;
    if (req.price === o.price && newRemaining <= o.remainingCenti) {
      if (req.updatedClientOrderId) {
        this.useClientId(userId, cids, req.updatedClientOrderId);
        o.clientOrderId = req.updatedClientOrderId;
      }
      if (newRemaining < o.remainingCenti) {
        const reduce = o.remainingCenti - newRemaining;
        o.remainingCenti -= reduce;
        o.updatedMs = this.clock.wallMs();
        o.lastUpdateReason = 'Amend';
        m.book.reduce(o, reduce);
        const c = { userId: o.userId, clientOrderId: o.clientOrderId, subaccount: o.subaccount };
        if (o.side === 'bid') this.listener.onBookDelta(m.spec.ticker, 'yes', o.price, -reduce, o.updatedMs, c);
        else this.listener.onBookDelta(m.spec.ticker, 'no', ONE_DOLLAR - o.price, -reduce, o.updatedMs, c);
        this.rereserve(o, m);
        this.listener.onTicker(m.spec.ticker, o.updatedMs);
      }
      o.initialCenti = req.countCenti;
      if (acct.keepHistory) this.listener.onOrderUpdate(o);
      this.afterOp(m);
      return { ok: true, order: o, fillCenti: 0, fillCostMicro: 0, feeMoney: 0 };
    }
    // Loses priority: check collateral for the new resting amount, then pull and re-enter.
    const unit = req.side === 'bid' ? req.price : ONE_DOLLAR - req.price;
    const need = unit * newRemaining + tradeFee(true, req.price, newRemaining, m.fees) * MICRO_PER_MONEY;
    const shard = o.exchangeIndex;
    if (need > acct.shardCashMicro[shard] - acct.shardReservedMicro[shard] + o.reservedMicro) return err(400, 'insufficient_balance', 'insufficient balance', `on exchange ${shard}`);
    const now = this.clock.wallMs();
    if (o.remainingCenti > 0) {
      m.book.remove(o);
      this.openCount.set(o.userId, (this.openCount.get(o.userId) ?? 1) - 1);
      const c = { userId: o.userId, clientOrderId: o.clientOrderId, subaccount: o.subaccount };
      if (o.side === 'bid') this.listener.onBookDelta(m.spec.ticker, 'yes', o.price, -o.remainingCenti, now, c);
      else this.listener.onBookDelta(m.spec.ticker, 'no', ONE_DOLLAR - o.price, -o.remainingCenti, now, c);
    }
    if (req.updatedClientOrderId) {
      this.useClientId(userId, cids, req.updatedClientOrderId);
      o.clientOrderId = req.updatedClientOrderId;
    }
    o.price = req.price;
    o.initialCenti = req.countCenti;
    o.remainingCenti = newRemaining;
    o.prioritySeq = ++this.prioritySeq;
    o.updatedMs = now;
    o.lastUpdateReason = 'Amend';
    this.rereserve(o, m);
    const filledBefore = o.filledCenti;
    const costBefore = o.takerFillCostMicro;
    const feeBefore = o.takerFeesMoney;
    const book = m.book;
    const crosses = o.side === 'bid' ? book.bestAskIdx >= 0 && o.price >= book.bestAsk() : book.bestBidIdx >= 0 && o.price <= book.bestBid();
    if (o.postOnly && crosses) {
      o.status = 'resting';
      this.finish(o, 'canceled', 'PostOnlyCrossCancel', m);
      this.afterOp(m);
      return { ok: true, order: o, fillCenti: 0, fillCostMicro: 0, feeMoney: 0 };
    }
    // temporarily take it out of the reservation while it matches as a taker
    acct.reservedMicro -= o.reservedMicro;
    acct.shardReservedMicro[o.exchangeIndex] -= o.reservedMicro;
    o.reservedMicro = 0;
    this.match(o, m);
    if (o.status === 'resting') {
      if (o.remainingCenti > 0) this.rest(o, m);
      else this.finish(o, 'executed', 'Filled', m);
    }
    this.afterOp(m);
    const fillCenti = o.filledCenti - filledBefore;
    const takerUnitCost = o.takerFillCostMicro - costBefore;
    const fillCostMicro = o.side === 'bid' ? takerUnitCost : ONE_DOLLAR * fillCenti - takerUnitCost;
    return { ok: true, order: o, fillCenti, fillCostMicro, feeMoney: o.takerFeesMoney - feeBefore };
  }

  queuePositionCenti(userId: string, orderId: string): number | EngineError {
    const o = this.orders.get(orderId);
    if (!o || o.userId !== userId || o.status !== 'resting') return err(404, 'not_found', 'order not found', orderId);
    return this.markets.get(o.ticker)!.book.queueAhead(o);
  }

  /** Resting orders of a user, optionally filtered by market. */
  restingOrders(userId: string, ticker?: string): OrderRec[] {
    const out: OrderRec[] = [];
    for (const o of this.orders.values()) if (o.userId === userId && o.status === 'resting' && (!ticker || o.ticker === ticker)) out.push(o);
    return out;
  }

  // ---------------------------------------------------------------- order groups

  createOrderGroup(userId: string, limitCenti: number, subaccount = 0): OrderGroupRec | EngineError {
    if (!(limitCenti >= 100 && limitCenti <= 1_000_000 * 100)) return err(400, 'bad_request', 'contracts_limit must be between 1 and 1,000,000');
    let n = 0;
    for (const g of this.groups.values()) if (g.userId === userId) n++;
    if (n >= LIMITS.orderGroupsPerUser) return err(400, 'too_many_order_groups', 'order group limit reached');
    const g: OrderGroupRec = { id: this.newId(), userId, contractsLimitCenti: limitCenti, triggered: false, windowTsMs: [], windowCenti: [], subaccount };
    this.groups.set(g.id, g);
    this.listener.onOrderGroup(userId, g.id, 'created', limitCenti, this.clock.wallMs());
    return g;
  }

  private ownGroup(userId: string, id: string): OrderGroupRec | EngineError {
    const g = this.groups.get(id);
    if (!g || g.userId !== userId) return err(404, 'not_found', 'order group not found', id);
    return g;
  }

  groupOrders(g: OrderGroupRec): OrderRec[] {
    const out: OrderRec[] = [];
    for (const o of this.orders.values()) if (o.orderGroupId === g.id && o.status === 'resting') out.push(o);
    return out;
  }

  private triggerGroup(g: OrderGroupRec): void {
    g.triggered = true;
    for (const o of this.groupOrders(g)) {
      const m = this.markets.get(o.ticker)!;
      if (this.isInBook(o, m)) this.finish(o, 'canceled', 'OrderGroupTriggered', m);
    }
    this.listener.onOrderGroup(g.userId, g.id, 'triggered', g.contractsLimitCenti, this.clock.wallMs());
  }

  private groupFill(o: OrderRec, qty: number, now: number, _m: MarketState): void {
    if (!o.orderGroupId) return;
    const g = this.groups.get(o.orderGroupId);
    if (!g || g.triggered) return;
    g.windowTsMs.push(now);
    g.windowCenti.push(qty);
    if (this.groupWindowCenti(g, now) >= g.contractsLimitCenti) this.triggerGroup(g);
  }

  groupWindowCenti(g: OrderGroupRec, now: number): number {
    let drop = 0;
    while (drop < g.windowTsMs.length && g.windowTsMs[drop] <= now - this.groupWindowMs) drop++;
    if (drop > 0) {
      g.windowTsMs.splice(0, drop);
      g.windowCenti.splice(0, drop);
    }
    let sum = 0;
    for (let i = 0; i < g.windowCenti.length; i++) sum += g.windowCenti[i];
    return sum;
  }

  deleteOrderGroup(userId: string, id: string): { ok: true } | EngineError {
    const g = this.ownGroup(userId, id);
    if ('ok' in g) return g;
    for (const o of this.groupOrders(g)) {
      const m = this.markets.get(o.ticker)!;
      this.finish(o, 'canceled', 'OrderGroupDeleted', m);
    }
    this.groups.delete(id);
    this.listener.onOrderGroup(userId, id, 'deleted', null, this.clock.wallMs());
    return { ok: true };
  }

  resetOrderGroup(userId: string, id: string): { ok: true } | EngineError {
    const g = this.ownGroup(userId, id);
    if ('ok' in g) return g;
    g.triggered = false;
    g.windowTsMs.length = 0;
    g.windowCenti.length = 0;
    this.listener.onOrderGroup(userId, id, 'reset', g.contractsLimitCenti, this.clock.wallMs());
    return { ok: true };
  }

  triggerOrderGroup(userId: string, id: string): { ok: true } | EngineError {
    const g = this.ownGroup(userId, id);
    if ('ok' in g) return g;
    this.triggerGroup(g);
    return { ok: true };
  }

  setOrderGroupLimit(userId: string, id: string, limitCenti: number): { ok: true } | EngineError {
    const g = this.ownGroup(userId, id);
    if ('ok' in g) return g;
    if (!(limitCenti >= 100 && limitCenti <= 1_000_000 * 100)) return err(400, 'bad_request', 'contracts_limit must be between 1 and 1,000,000');
    g.contractsLimitCenti = limitCenti;
    this.listener.onOrderGroup(userId, id, 'limit_updated', limitCenti, this.clock.wallMs());
    if (!g.triggered && this.groupWindowCenti(g, this.clock.wallMs()) >= limitCenti) this.triggerGroup(g);
    return { ok: true };
  }

  // ---------------------------------------------------------------- lifecycle

  /** Trading-pause reasons in force ('maintenance': the weekly window; 'admin': a fault or an operator). */
  private readonly tradingPauses = new Set<string>();
  /** when the current trading pause is expected to end (wall ms; 0 unknown) */
  tradingResumeMs = 0;

  /** Exchange pause (rare): no trading and no cancels; cancel_order_on_pause orders are cancelled first. */
  pauseExchange(): void {
    this.cancelOnPause();
    this.exchangeActive = false;
    this.tradingActive = false;
  }
  /**
   * Trading pause (the weekly maintenance, or `reason`): no place or amend; cancels and
   * decreases allowed; resting orders stay, except those placed with cancel_order_on_pause.
   */
  pauseTrading(reason = 'admin', resumeMs = 0): void {
    if (this.tradingPauses.has(reason)) return;
    if (this.tradingActive) this.cancelOnPause();
    this.tradingPauses.add(reason);
    this.tradingActive = false;
    if (resumeMs > 0) this.tradingResumeMs = resumeMs;
  }
  resumeTrading(reason = 'admin'): void {
    this.tradingPauses.delete(reason);
    this.tradingActive = this.exchangeActive && this.tradingPauses.size === 0;
    if (this.tradingActive) this.tradingResumeMs = 0;
  }
  resumeExchange(): void {
    this.exchangeActive = true;
    this.tradingActive = this.tradingPauses.size === 0;
  }

  private cancelOnPause(): void {
    const victims: OrderRec[] = [];
    for (const m of this.markets.values()) {
      for (const q of m.book.bids) for (const o of q) if (o.cancelOnPause) victims.push(o);
      for (const q of m.book.asks) for (const o of q) if (o.cancelOnPause) victims.push(o);
    }
    for (const o of victims) this.finish(o, 'canceled', 'CanceledOnPause', this.markets.get(o.ticker)!);
  }

  private cancelAllIn(m: MarketState, reason: string): void {
    const victims: OrderRec[] = [];
    for (const q of m.book.bids) for (const o of q) victims.push(o);
    for (const q of m.book.asks) for (const o of q) victims.push(o);
    for (const o of victims) this.finish(o, 'canceled', reason, m);
  }

  deactivateMarket(ticker: string): EngineError | { ok: true } {
    const m = this.markets.get(ticker);
    if (!m || m.status !== 'active') return err(400, 'bad_request', 'market is not active', ticker);
    m.status = 'inactive';
    this.listener.onLifecycle(ticker, 'deactivated', { is_deactivated: true }, this.clock.wallMs());
    return { ok: true };
  }

  /** Reactivation cancels every resting order in the market (documented). */
  activateMarket(ticker: string): EngineError | { ok: true } {
    const m = this.markets.get(ticker);
    if (!m || m.status !== 'inactive') return err(400, 'bad_request', 'market is not inactive', ticker);
    this.cancelAllIn(m, 'MarketReactivated');
    m.status = 'active';
    this.listener.onLifecycle(ticker, 'activated', { is_deactivated: false }, this.clock.wallMs());
    return { ok: true };
  }

  closeMarket(ticker: string): void {
    const m = this.markets.get(ticker);
    if (!m || PAST_CLOSE.has(m.status)) return;
    this.cancelAllIn(m, 'MarketClosed');
    m.status = 'closed';
    m.spec.closeTimeMs = Math.min(m.spec.closeTimeMs, this.clock.wallMs());
  }

  determineMarket(ticker: string, result: 'yes' | 'no'): EngineError | { ok: true } {
    const m = this.markets.get(ticker);
    if (!m) return err(404, 'not_found', 'market not found', ticker);
    if (m.status !== 'active' && m.status !== 'inactive' && m.status !== 'closed' && m.status !== 'initialized') return err(400, 'bad_request', `market already determined (${m.status})`, ticker);
    this.closeMarket(ticker);
    const now = this.clock.wallMs();
    m.status = 'determined';
    m.result = result;
    m.determinedMs = now;
    this.listener.onLifecycle(
      ticker,
      'determined',
      { result, determination_ts: Math.floor(now / 1000), settlement_value: result === 'yes' ? '1.0000' : '0.0000' },
      now,
    );
    return { ok: true };
  }

  /**
   * Admin shortcut: determine (if not yet) and pay out now, skipping the settlement timer.
   * The venue's own path is determineMarket, then finalization by tick() once
   * settlement_timer_seconds have passed (a dispute stops that clock).
   */
  settleMarket(ticker: string, result?: 'yes' | 'no'): EngineError | { ok: true } {
    const m = this.markets.get(ticker);
    if (!m) return err(404, 'not_found', 'market not found', ticker);
    if (m.status === 'finalized') return err(400, 'bad_request', 'market already settled', ticker);
    if (m.status === 'disputed') return err(400, 'bad_request', 'market is disputed: resolve the dispute first', ticker);
    if (m.status !== 'determined' && m.status !== 'amended') {
      if (!result) return err(400, 'bad_request', 'result required');
      const r = this.determineMarket(ticker, result);
      if ('http' in r) return r;
    }
    return this.finalizeMarket(m);
  }

  /**
   * A determined market's result is disputed: the settlement clock stops, the market reports
   * status `disputed` (REST; the websocket lifecycle has no event for it).
   */
  disputeMarket(ticker: string): EngineError | { ok: true } {
    const m = this.markets.get(ticker);
    if (!m) return err(404, 'not_found', 'market not found', ticker);
    if (m.status !== 'determined' && m.status !== 'amended') return err(400, 'bad_request', `only a determined market can be disputed (${m.status})`, ticker);
    m.status = 'disputed';
    m.updatedMs = this.clock.wallMs();
    return { ok: true };
  }

  /**
   * Ends a dispute: the same result goes back to `determined`; a different one makes the market
   * `amended` with a new `determined` lifecycle event. Either way the settlement timer restarts.
   */
  resolveDispute(ticker: string, result: 'yes' | 'no'): EngineError | { ok: true } {
    const m = this.markets.get(ticker);
    if (!m) return err(404, 'not_found', 'market not found', ticker);
    if (m.status !== 'disputed') return err(400, 'bad_request', `market is not disputed (${m.status})`, ticker);
    const now = this.clock.wallMs();
    m.determinedMs = now;
    m.updatedMs = now;
    if (result === m.result) {
      m.status = 'determined';
      return { ok: true };
    }
    m.status = 'amended';
    m.result = result;
    this.listener.onLifecycle(ticker, 'determined', { result, determination_ts: Math.floor(now / 1000), settlement_value: result === 'yes' ? '1.0000' : '0.0000' }, now);
    return { ok: true };
  }

  /** Pays $1 per winning contract on net positions; the market becomes finalized. */
  private finalizeMarket(m: MarketState): { ok: true } {
    const ticker = m.spec.ticker;
    const now = this.clock.wallMs();
    const res = m.result as 'yes' | 'no';
    for (const a of this.accounts.values()) {
      const p = a.positions.get(ticker);
      if (!p || (p.positionCenti === 0 && !a.keepHistory)) continue;
      if (p.positionCenti === 0 && p.volumeCenti === 0) continue;
      const pos = p.positionCenti;
      const wins = (res === 'yes' && pos > 0) || (res === 'no' && pos < 0);
      const payout = wins ? Math.abs(pos) * ONE_DOLLAR : 0;
      a.cashMicro += payout;
      a.shardCashMicro[m.spec.exchangeIndex] += payout;
      p.realizedPnlMicro += payout - p.costMicro;
      if (a.keepHistory) {
        a.settlements.push({
          ticker,
          exchangeIndex: m.spec.exchangeIndex,
          eventTicker: m.spec.eventTicker,
          result: res,
          yesCountCenti: pos > 0 ? pos : 0,
          noCountCenti: pos < 0 ? -pos : 0,
          yesTotalCostMicro: pos > 0 ? p.costMicro : 0,
          noTotalCostMicro: pos < 0 ? p.costMicro : 0,
          revenueMicro: payout,
          feeCostMoney: p.feesPaidMoney,
          settledMs: now,
        });
      }
      p.costMicro = 0;
      p.positionCenti = 0;
      p.lastUpdatedMs = now;
      a.updatedMs = now;
      if (a.keepHistory) this.listener.onPosition(a.userId, p, 0);
    }
    m.openInterestCenti = 0;
    m.status = 'finalized';
    m.settledMs = now;
    this.listener.onLifecycle(ticker, 'settled', { settled_ts: Math.floor(now / 1000) }, now);
    return { ok: true };
  }

  /** Time-driven work: expirations and markets reaching close_time. */
  tick(): void {
    const now = this.clock.wallMs();
    if (this.expiring.length > 0) {
      let w = 0;
      for (let i = 0; i < this.expiring.length; i++) {
        const o = this.expiring[i];
        if (o.status !== 'resting') continue;
        if (o.expirationMs != null && o.expirationMs <= now) {
          const m = this.markets.get(o.ticker)!;
          if (this.isInBook(o, m)) this.finish(o, 'canceled', 'Expired', m);
          continue;
        }
        this.expiring[w++] = o;
      }
      this.expiring.length = w;
    }
    for (const m of this.markets.values()) {
      if ((m.status === 'active' || m.status === 'inactive') && m.spec.closeTimeMs <= now) this.closeMarket(m.spec.ticker);
      if (m.status === 'initialized' && m.spec.openTimeMs <= now) m.status = 'active';
      // settlement_timer_seconds after determination (a dispute stops the clock)
      if ((m.status === 'determined' || m.status === 'amended') && m.determinedMs !== null && m.determinedMs + m.spec.settlementTimerS * 1000 <= now) this.finalizeMarket(m);
    }
  }

  private afterOp(m: MarketState): void {
    const b = m.book;
    if (b.bestBidIdx >= 0 && b.bestAskIdx >= 0 && b.bestBidIdx >= b.bestAskIdx) {
      throw new Error(`invariant: crossed book in ${m.spec.ticker} (${b.bestBid()} >= ${b.bestAsk()})`);
    }
  }

  // ---------------------------------------------------------------- verification

  /** Money check: returns deposited minus everything accounted for (0 when conserved). */
  moneyImbalanceMicro(): number {
    let cash = 0;
    for (const a of this.accounts.values()) cash += a.cashMicro;
    let oi = 0;
    for (const m of this.markets.values()) oi += m.openInterestCenti * ONE_DOLLAR;
    return this.depositedMicro - (cash + oi + this.feesCollectedMoney * MICRO_PER_MONEY + this.roundingCollectedMicro);
  }
}
