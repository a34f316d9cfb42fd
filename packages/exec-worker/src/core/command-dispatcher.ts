/**
 * Command dispatch: the intents one pump collected (cancels, decreases, amends, creates) go out
 * in that order, each through the rate limiter's buckets; batches are halved until their tokens
 * fit (section 5), and what does not fit waits for the market's retry time. Creates and amends
 * that go out were checked by pre-flight against `gatingPosition` (position + every live order on
 * that side + everything queued in this pump); an assertion re-checks the worst case on send.
 * Also owns the in-flight command table and the client order id sequence.
 */
import { assert, kmm, ONE_DOLLAR } from '@kmm/shared';
import { type ExecState, type Cause, NO_CAUSE, minPos } from './exec-state.js';
import type { MarketRef, MarketRegistry } from './market-registry.js';
import { ENDPOINT_COST } from './rate-limiter.js';
import { capForCenti } from './preflight.js';
import { OrderStatus, type ExecCommand, type WorkingOrder } from './types.js';

const CK = kmm.v1.CommandKind;
const BID = kmm.v1.BookSide.BID;

export interface CreateIntent {
  m: MarketRef;
  side: number;
  level: number;
  price: number;
  countCenti: number;
  edgeBpsMilli: number;
  taker: boolean;
  tif: number;
  reduceOnly: boolean;
  /** the order would reduce the position (a bid when short, an ask when long): sent before amends */
  reducesPosition: boolean;
  cause: Cause;
}

export interface ModifyIntent {
  o: WorkingOrder;
  m: MarketRef;
  kind: number; // AMEND | DECREASE | CANCEL
  price: number;
  countCenti: number;
  edgeBpsMilli: number;
}

export class CommandDispatcher {
  readonly inflight = new Map<number, ExecCommand>();
  // intents of the current pump (scratch, reused)
  readonly creates: CreateIntent[] = [];
  /** scratch of flush: the position-reducing creates, sent before amends */
  private readonly reducing: CreateIntent[] = [];
  readonly cancels: ModifyIntent[] = [];
  readonly decreases: ModifyIntent[] = [];
  readonly amends: ModifyIntent[] = [];
  private cmdSeq = 0;
  /** numbers the markets' places in the wait for tokens (MarketRef.tokenWaitSeq) */
  private tokenWaitCounter = 0;
  /** markets waiting for rate-limit tokens, in the order they started waiting */
  readonly tokenWaiters = new Set<MarketRef>();
  private coidSeq = 0;

  constructor(
    private readonly s: ExecState,
    private readonly reg: MarketRegistry,
  ) {}

  /**
   * The position the pre-flight cap check must assume for a new order on `side`: the position
   * plus everything our other live orders on that side could still fill, plus fills reported on
   * them but not booked yet, plus creates queued in
   * this pump (seed 000: |exchange position + resting same-direction size + order| <= cap).
   */
  /** Money at risk of the creates queued in this pump (not yet in the bookkeeping), for the portfolio cap. */
  queuedCreatesMoney(): number {
    let money = 0;
    for (let i = 0; i < this.creates.length; i++) {
      const c = this.creates[i];
      if (c.reducesPosition) continue;
      money += ((c.side === BID ? c.price : ONE_DOLLAR - c.price) * c.countCenti) / 100;
    }
    return money;
  }

  gatingPosition(market: string, side: number, positionCenti: number, exclude?: WorkingOrder): number {
    // fills the venue reported on our orders but not yet booked are in the exchange position only
    let same = this.s.bk.restingCenti(market, side, exclude) + this.s.bk.unbookedFillsCenti(market, side);
    for (let i = 0; i < this.creates.length; i++) {
      const c = this.creates[i];
      if (c.m.market === market && c.side === side) same += c.countCenti;
    }
    // amends queued in this pump go out before the creates: count what they add
    for (let i = 0; i < this.amends.length; i++) {
      const a = this.amends[i];
      if (a.o !== exclude && a.o.market === market && a.o.side === side) same += Math.max(0, a.countCenti - Math.max(a.o.totalCenti, a.o.pendingTotalCenti));
    }
    return side === BID ? positionCenti + same : positionCenti - same;
  }

  /** Sends the collected intents: cancels, decreases, amends, creates; each through the buckets. */
  flush(nowMs: number): void {
    const p = this.s.params;
    // cancels: batched (one cached-signature endpoint; 2 tokens per order)
    let i = 0;
    while (i < this.cancels.length) {
      const n = Math.min(p.batchMaxOrders, this.cancels.length - i);
      let take = n;
      while (take > 0 && !this.s.limiter.tryCancel(take * ENDPOINT_COST.batchCancelPerOrder, nowMs)) take = Math.floor(take / 2);
      if (take === 0) {
        this.holdForTokens(this.cancels[i].m, ENDPOINT_COST.batchCancelPerOrder, nowMs, true);
        break;
      }
      const orders: kmm.v1.IOrderCommand[] = [];
      const cmdId = ++this.cmdSeq;
      for (let k = 0; k < take; k++) {
        const c = this.cancels[i + k];
        this.s.bk.setPending(c.o, CK.CANCEL, cmdId, nowMs);
        this.s.bk.unslot(c.o);
        c.o.wantCancel = true;
        orders.push({ kind: CK.CANCEL, market: c.o.market, clientOrderId: c.o.clientOrderId, orderId: c.o.orderId, side: c.o.side, price: c.o.price, level: c.o.level < 0 ? 0 : c.o.level });
        this.reg.markWo(c.m);
      }
      this.s.stats.cancels += take;
      // always the batched endpoint, even for one order: same 2 tokens per order, and its constant
      // path carries a pre-made signature (the per-id DELETE would be signed on the hot path)
      this.emitCommand(cmdId, 'batch_cancel', orders, this.cancels[i].m.cause, take * ENDPOINT_COST.batchCancelPerOrder, nowMs);
      i += take;
    }
    for (; i < this.cancels.length; i++) this.holdForTokens(this.cancels[i].m, ENDPOINT_COST.batchCancelPerOrder, nowMs, true);
    this.cancels.length = 0;

    for (const d of this.decreases) {
      if (!this.s.limiter.tryCancel(ENDPOINT_COST.decrease, nowMs)) {
        this.holdForTokens(d.m, ENDPOINT_COST.decrease, nowMs, true);
        continue;
      }
      const cmdId = ++this.cmdSeq;
      this.s.bk.setPending(d.o, CK.DECREASE, cmdId, nowMs, d.o.price, d.o.filledCenti + d.countCenti);
      this.s.stats.decreases++;
      this.reg.markWo(d.m);
      this.emitCommand(cmdId, 'decrease', [{ kind: CK.DECREASE, market: d.o.market, clientOrderId: d.o.clientOrderId, orderId: d.o.orderId, side: d.o.side, price: d.o.price, countCenti: d.countCenti, level: d.o.level }], d.m.cause, ENDPOINT_COST.decrease, nowMs);
    }
    this.decreases.length = 0;

    // creates that work a position off go first: under a tight rate limit, reprices of other
    // markets must not starve the quote that reduces risk (issue 13: reducing side dark at the cap)
    let r = 0;
    for (let k = 0; k < this.creates.length; k++) if (this.creates[k].reducesPosition) this.reducing[r++] = this.creates[k];
    this.reducing.length = r;
    if (r > 0) {
      let w = 0;
      for (let k = 0; k < this.creates.length; k++) if (!this.creates[k].reducesPosition) this.creates[w++] = this.creates[k];
      this.creates.length = w;
      this.sendCreates(this.reducing, nowMs);
      // unsent ones wait for their market's retry (set by sendCreates); takers among them go back to the caller
      for (let k = 0; k < this.reducing.length; k++) this.creates.push(this.reducing[k]);
      this.reducing.length = 0;
    }

    for (const a of this.amends) {
      if (!this.s.limiter.tryCreate(ENDPOINT_COST.amend, nowMs)) {
        this.holdForTokens(a.m, ENDPOINT_COST.amend, nowMs);
        continue;
      }
      const cmdId = ++this.cmdSeq;
      const worstBefore = this.worstCenti(a.o.market, a.o.side);
      this.s.bk.setPending(a.o, CK.AMEND, cmdId, nowMs, a.price, a.countCenti);
      this.assertWithinCap(a.o.market, a.o.side, worstBefore);
      a.o.edgeBpsMilli = a.edgeBpsMilli;
      this.reg.markWo(a.m);
      this.s.stats.amends++;
      this.emitCommand(
        cmdId,
        'amend',
        [{ kind: CK.AMEND, market: a.o.market, clientOrderId: a.o.clientOrderId, orderId: a.o.orderId, side: a.o.side, price: a.price, countCenti: a.countCenti, level: a.o.level, postOnly: a.o.postOnly }],
        a.m.cause,
        ENDPOINT_COST.amend,
        nowMs,
      );
    }
    this.amends.length = 0;

    this.sendCreates(this.creates, nowMs);
  }

  /**
   * Sends `list`'s creates, batched; the whole batch's tokens must fit at once (section 5). What
   * does not fit waits for its market's retry time; `list` keeps only the unsent taker creates
   * (the caller refuses them; maker ones are re-derived later).
   */
  private sendCreates(list: CreateIntent[], nowMs: number): void {
    let i = 0;
    while (i < list.length) {
      const n = Math.min(this.s.params.batchMaxOrders, list.length - i);
      let take = n;
      // a batch led by a risk-reducing taker may use the tokens kept for it (takers come alone: onTakerIntent)
      const reducing = list[i].taker && list[i].reduceOnly;
      while (take > 0 && !this.s.limiter.tryCreate(take * ENDPOINT_COST.batchCreatePerOrder, nowMs, reducing)) take = Math.floor(take / 2);
      if (take === 0) break;
      const cmdId = ++this.cmdSeq;
      const orders: kmm.v1.IOrderCommand[] = [];
      for (let k = 0; k < take; k++) orders.push(this.newOrder(list[i + k], cmdId, nowMs));
      this.emitCommand(cmdId, take === 1 ? 'create' : 'batch_create', orders, list[i].cause, take * ENDPOINT_COST.create, nowMs);
      i += take;
    }
    if (i < list.length) {
      // every create left waits for the same tokens: the same retry time for all, served oldest first
      for (let k = i; k < list.length; k++) this.holdForTokens(list[k].m, ENDPOINT_COST.create, nowMs);
      let w = 0;
      for (let k = i; k < list.length; k++) if (list[k].taker) list[w++] = list[k];
      list.length = w;
    } else list.length = 0;
  }

  /** Worst-case position if every live order on `side` filled: position + (BID) or - (ASK) their remaining size. */
  private worstCenti(market: string, side: number): number {
    const pos = this.s.bk.position(market).positionCenti;
    const resting = this.s.bk.restingCenti(market, side);
    return side === BID ? pos + resting : pos - resting;
  }

  /**
   * An order that passed pre-flight never makes the worst-case position exceed the cap: after it
   * the worst case is within the cap, or no further from zero than before it (a position move
   * from outside, e.g. an exchange correction, can leave it over the cap; an order that shrinks
   * or keeps its size there is fine).
   */
  private assertWithinCap(market: string, side: number, worstBeforeCenti: number): void {
    const worst = this.worstCenti(market, side);
    const cap = capForCenti(this.s.params, worst);
    assert(Math.abs(worst) <= cap || Math.abs(worst) <= Math.abs(worstBeforeCenti), 'an order that passed pre-flight never makes the worst-case position exceed the cap', () => ({
      market,
      side,
      positionCenti: this.s.bk.position(market).positionCenti,
      worstBeforeCenti,
      worstCenti: worst,
      capCenti: cap,
    }));
  }

  /** true when a maker create's tokens are in the bucket now (the reserves left) */
  createFits(nowMs: number): boolean {
    const l = this.s.limiter;
    return !l.isPaused(nowMs) && l.write.available(nowMs) >= ENDPOINT_COST.create + l.cancelReserve + l.takerReserve;
  }

  /** markets x ms spent waiting for tokens up to `nowMs`: the ended waits and the ones still going */
  tokenWaitMarketsMsAt(nowMs: number): number {
    let ms = this.s.stats.tokenWaitMarketsMs;
    for (const m of this.tokenWaiters) ms += Math.max(0, nowMs - m.tokenWaitSinceMs);
    return ms;
  }

  /** `m` got everything out: it waits no more. */
  doneWaiting(m: MarketRef, nowMs: number): void {
    this.s.stats.tokenWaitMarketsMs += Math.max(0, nowMs - m.tokenWaitSinceMs);
    m.tokenWaitSeq = 0;
    this.tokenWaiters.delete(m);
  }

  /** `m` found no tokens for `cost`: it is looked at again when they are there, before markets that came later. */
  private holdForTokens(m: MarketRef, cost: number, nowMs: number, cancel = false): void {
    this.s.stats.rateHeld++;
    const waitMs = cancel ? this.s.limiter.cancelWaitMs(cost, nowMs) : this.s.limiter.write.waitMs(cost, nowMs);
    m.retryAtMs = minPos(m.retryAtMs, nowMs + Math.max(1, waitMs));
    if (m.tokenWaitSeq === 0) {
      m.tokenWaitSeq = ++this.tokenWaitCounter;
      m.tokenWaitSinceMs = nowMs;
      this.tokenWaiters.add(m);
    }
    m.tokenHeldPump = this.s.pumpSeq;
  }

  private newOrder(c: CreateIntent, cmdId: number, nowMs: number): kmm.v1.IOrderCommand {
    const coid = `${this.s.params.clientOrderIdPrefix}-${this.s.runId}-${(++this.coidSeq).toString(36)}`;
    const o: WorkingOrder = {
      clientOrderId: coid,
      orderId: '',
      market: c.m.market,
      side: c.side,
      level: c.level,
      taker: c.taker,
      postOnly: !c.taker,
      price: c.price,
      totalCenti: c.countCenti,
      filledCenti: 0,
      status: OrderStatus.PENDING_NEW,
      pendingKind: CK.PLACE,
      pendingCmdId: cmdId,
      pendingSinceMs: nowMs,
      pendingPrice: c.price,
      pendingTotalCenti: c.countCenti,
      placedAtMs: nowMs,
      lastChangeMs: nowMs,
      doneAtMs: 0,
      edgeBpsMilli: c.edgeBpsMilli,
      adopted: false,
      wantCancel: false,
      lastSkipPrice: 0,
      fillsBookedCenti: 0,
      renewAtMs: 0,
    };
    // a resting (GTC) order carries an exchange expiration and is re-placed before it passes
    const expiresInS = c.tif === kmm.v1.TimeInForce.GOOD_TILL_CANCELED ? Math.round(this.s.params.orderExpiryMs / 1000) : 0;
    if (expiresInS > 0) o.renewAtMs = nowMs + this.s.params.orderRenewAfterMs;
    const worstBefore = this.worstCenti(c.m.market, c.side);
    this.s.bk.add(o);
    if (!c.reduceOnly) this.assertWithinCap(c.m.market, c.side, worstBefore);
    this.s.stats.ordersPlaced++;
    this.reg.markWo(c.m);
    return {
      kind: CK.PLACE,
      market: c.m.market,
      clientOrderId: coid,
      side: c.side,
      price: c.price,
      countCenti: c.countCenti,
      tif: c.tif,
      postOnly: !c.taker,
      reduceOnly: c.reduceOnly,
      level: c.level < 0 ? 0 : c.level,
      orderGroupId: this.s.orderGroupId,
      taker: c.taker,
      ...(expiresInS > 0 ? { expiresInS } : {}),
    };
  }

  private emitCommand(id: number, op: ExecCommand['op'], orders: kmm.v1.IOrderCommand[], cause: Cause, tokens: number, nowMs: number): void {
    // Tick-to-order latency is the hot path: a command issued by the first pump after the
    // target that caused it arrived. A command issued by a later pump (a churn gate, the rate
    // limiter or a timer released it) keeps no latency stamp, so intentional waits never pass
    // for processing latency.
    if (cause.arrivalMonoNs > 0 && cause.pumpSeq !== this.s.pumpSeq) {
      this.s.stats.deferredCommands++;
      cause = NO_CAUSE;
    }
    const cmd: ExecCommand = { id, op, orders, causeRecvMonoNs: cause.recvMonoNs, arrivalMonoNs: cause.arrivalMonoNs, issuedMs: nowMs, tokens };
    this.inflight.set(id, cmd);
    this.s.fx.commands.push(cmd);
    this.s.stats.commands++;
    this.s.stats.tokensWrite += tokens;
    const h = cause.header;
    if (h && cause.arrivalMonoNs > 0) {
      // the per-hop stamps of the market-data path (kmm bench latency); 0 where a hop was not taken
      this.s.journal({
        k: 'cmd', id, op, orders, causeRecvMonoNs: cause.recvMonoNs, arrivalMonoNs: cause.arrivalMonoNs, tokens,
        ingestEmitMonoNs: Number(h.ingestEmitMonoNs ?? 0), bookRecvMonoNs: Number(h.bookRecvMonoNs ?? 0), bookEmitMonoNs: Number(h.bookEmitMonoNs ?? 0),
        strategyRecvMonoNs: Number(h.strategyRecvMonoNs ?? 0), strategyEmitMonoNs: Number(h.emitMonoNs ?? 0),
      });
    } else this.s.journal({ k: 'cmd', id, op, orders, causeRecvMonoNs: cause.recvMonoNs, arrivalMonoNs: cause.arrivalMonoNs, tokens });
  }
}
