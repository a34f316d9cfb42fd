/**
 * Venue events on top of OrderBookkeeping: acks (REST results and websocket user_order updates),
 * rejects (holds, post-only widening, order-group trigger, uncertain orders -> reconcile; a
 * not_found on an order we thought live holds its market until that reconcile) and our
 * fills (de-duplicated by trade id, journaled, forwarded to strategy and the book shard, counted
 * against the order group's rolling window: `order_group_near_limit` at 80 % of its limit), plus
 * the rejects exec itself gives to intents it refuses.
 */
import { kmm, ORDER_GROUP_WINDOW_MS } from '@kmm/shared';
import type { ExecState } from './exec-state.js';
import type { MarketRef, MarketRegistry } from './market-registry.js';
import type { ReconcileScheduler } from './reconcile-scheduler.js';
import { OrderStatus } from './types.js';

const CK = kmm.v1.CommandKind;
const RC = kmm.v1.RejectCode;
const BID = kmm.v1.BookSide.BID;

/** After a MARKET_INACTIVE reject, leave the market alone this long before trying again. */
export const MARKET_HOLD_MS = 5000;
/** After any other rejected create/amend, the market waits this long before trying again (no hot reject loops). */
export const REJECT_HOLD_MS = 1000;

export class VenueEvents {
  constructor(
    private readonly s: ExecState,
    private readonly reg: MarketRegistry,
    private readonly reconcile: ReconcileScheduler,
  ) {}

  handleAck(a: kmm.v1.IOrderAck, nowMs: number, latencyUs: number): void {
    const before = this.s.bk.find(a.clientOrderId, a.orderId);
    const wasAmend = before !== undefined && before.pendingKind === CK.AMEND && (a.kind ?? 0) === CK.AMEND;
    const o = this.s.bk.applyAck(a, nowMs);
    if (!o) {
      // a venue update about an order we do not know: let a reconcile sort it out
      if ((a.status ?? 0) === kmm.v1.OrderStatus.RESTING) this.reconcile.request('unknown_order_update', nowMs, 0, false);
      return;
    }
    if (wasAmend) o.placedAtMs = nowMs;
    const ack: kmm.v1.IOrderAck = {
      kind: a.kind ?? 0,
      market: o.market,
      clientOrderId: o.clientOrderId,
      orderId: o.orderId,
      side: o.side,
      price: o.price,
      remainingCenti: o.status === OrderStatus.DONE ? 0 : o.totalCenti - o.filledCenti,
      filledCenti: o.filledCenti,
      status: o.status === OrderStatus.DONE ? (o.filledCenti >= o.totalCenti && o.totalCenti > 0 ? kmm.v1.OrderStatus.EXECUTED : kmm.v1.OrderStatus.CANCELED) : kmm.v1.OrderStatus.RESTING,
      latencyUs: latencyUs >= 0 ? latencyUs : a.latencyUs ?? 0,
    };
    this.s.journal({ k: 'ack', kind: ack.kind, market: ack.market, coid: ack.clientOrderId, oid: ack.orderId, side: ack.side, price: ack.price, remainingCenti: ack.remainingCenti, filledCenti: ack.filledCenti, status: ack.status, latencyUs: ack.latencyUs });
    this.s.send('strategy', { orderAck: ack });
    this.s.send(this.s.bookPeer(o.market), { orderAck: ack });
    const m = this.reg.get(o.market);
    if (m) {
      this.reg.markDirty(m);
      this.reg.markWo(m);
    }
  }

  handleReject(r: kmm.v1.IOrderReject, nowMs: number): void {
    this.s.stats.rejects++;
    const { order: o, uncertain } = this.s.bk.applyReject(r, nowMs);
    const market = r.market || (o ? o.market : '');
    const side = r.side || (o ? o.side : 0);
    const code = r.code ?? 0;
    const m = this.reg.get(market);
    if (code === RC.POST_ONLY_CROSS) {
      const ticks = this.s.pof.onReject(market, side, nowMs);
      this.s.ops('post_only_rejected', market, 'warn', { side: side === BID ? 'BID' : 'ASK', safety_ticks: ticks, cooldown_until_ms: this.s.pof.cooldownUntil(market, side) });
      if (m) this.reg.buildSlotTargets(m, nowMs); // re-apply the wider buffer to the current target
    } else if (code === RC.MARKET_INACTIVE && m) {
      m.holdUntilMs = nowMs + MARKET_HOLD_MS;
    } else if (m && code !== RC.RATE_LIMITED && code !== RC.NOT_FOUND && ((r.kind ?? 0) === CK.PLACE || (r.kind ?? 0) === CK.AMEND)) {
      m.holdUntilMs = Math.max(m.holdUntilMs, nowMs + REJECT_HOLD_MS);
    } else if (code === RC.ORDER_GROUP_TRIGGERED) {
      if (!this.s.orderGroupTriggered) this.s.ops('order_group_triggered', market, 'error', { order_group_id: this.s.orderGroupId });
      this.s.orderGroupTriggered = true;
    }
    if (uncertain && code === RC.NOT_FOUND && m) {
      // an order we thought resting is gone (cancelled or filled, Kalshi does not say which) and
      // its fills may never reach us (a silent websocket): nothing new in this market until a
      // reconcile requested from now on has read the venue's orders, fills and position
      if (m.resyncHoldSinceMs === 0) this.s.ops('market_held_for_reconcile', market, 'warn', { why: 'not_found', client_order_id: r.clientOrderId ?? '', order_id: r.orderId || (o ? o.orderId : '') });
      m.resyncHoldSinceMs = Math.max(1, nowMs);
    }
    if (uncertain) this.reconcile.request('uncertain_order', nowMs, 0, false);
    this.s.journal({ k: 'rej', kind: r.kind ?? 0, market, coid: r.clientOrderId ?? '', oid: r.orderId || (o ? o.orderId : ''), code, message: r.message ?? '', side, price: r.price ?? 0, uncertain });
    this.s.send('strategy', { orderReject: { kind: r.kind ?? 0, market, clientOrderId: r.clientOrderId ?? '', orderId: r.orderId || (o ? o.orderId : ''), code, message: r.message ?? '', side, price: r.price ?? 0 } });
    if (m) {
      this.reg.markDirty(m);
      this.reg.markWo(m);
    }
  }

  applyFill(f: kmm.v1.IFill, nowMs: number, source: 'ws' | 'rest', forward: boolean): void {
    const market = f.market ?? '';
    const pos = this.s.bk.position(market);
    const keepFillMs = pos.lastFillMs;
    const before = pos.positionCenti;
    if (!this.s.bk.applyFill(f, source === 'ws', nowMs)) {
      this.s.stats.duplicateFills++;
      // the websocket copy of a fill a REST backfill booked first: its post_position may have
      // corrected the position (OrderBookkeeping.applyLatePost); strategy gates on exec's
      if (pos.positionCenti !== before) {
        this.s.journal({ k: 'pos', market, positionCenti: pos.positionCenti, src: 'ws' });
        if (forward) this.s.send('strategy', { position: { market, positionCenti: pos.positionCenti, fromExchange: true } });
        const m = this.reg.get(market);
        if (m) {
          this.reg.markDirty(m);
          this.reg.markWo(m);
        }
      }
      return;
    }
    // a REST backfill must not hide the position check that follows it
    if (source === 'rest') pos.lastFillMs = keepFillMs;
    this.s.stats.fills++;
    // every order we place carries the group id, so each new fill counts against the kill switch
    // (fills booked before the group exists, e.g. the start-up backfill, do not)
    if (this.s.orderGroupId !== '' && this.s.orderGroupWindow.onFill(f.countCenti ?? 0, nowMs)) {
      this.s.ops('order_group_near_limit', market, 'warn', {
        order_group_id: this.s.orderGroupId,
        matched_contracts: this.s.orderGroupWindow.matchedCenti(nowMs) / 100,
        limit_contracts: this.s.params.orderGroupContractsLimit,
        window_ms: ORDER_GROUP_WINDOW_MS,
      });
    }
    const ts = f.tsMs ?? 0;
    if (ts > this.s.maxFillTsMs) this.s.maxFillTsMs = ts;
    const o = this.s.bk.find(f.clientOrderId, f.orderId);
    // strategy gets exec's position (the gating one) after every fill it is told of: for a
    // websocket fill it equals the fill's own post_position unless a market_position that
    // overtook the fill already moved past it (the fill's value would roll strategy back); a REST
    // back-fill has none, and strategy adding its count to a position that may already hold it
    // counted it twice (position-truth property)
    const fill: kmm.v1.IFill = { ...f, clientOrderId: f.clientOrderId || (o ? o.clientOrderId : ''), side: f.side || (o ? o.side : 0), hasPostPosition: true, postPositionCenti: pos.positionCenti };
    this.s.journal({
      k: 'fill',
      src: source,
      tradeId: fill.tradeId ?? '',
      oid: fill.orderId ?? '',
      coid: fill.clientOrderId ?? '',
      market,
      side: fill.side ?? 0,
      yesPrice: fill.yesPrice ?? 0,
      countCenti: fill.countCenti ?? 0,
      isTaker: fill.isTaker ?? false,
      feeMoney: fill.feeMoney ?? 0,
      postPositionCenti: source === 'ws' ? fill.postPositionCenti ?? 0 : null,
      tsMs: ts,
    });
    const m = this.reg.get(market);
    if (forward) {
      if (m) fill.execFillSeq = ++m.fillSeq;
      this.s.send('strategy', { fill });
      this.s.send(this.s.bookPeer(market), { fill });
      if (source === 'ws') this.s.send('strategy', { position: { market, positionCenti: pos.positionCenti, fromExchange: true } });
    }
    if (m) {
      this.reg.markDirty(m);
      this.reg.markWo(m);
    }
  }

  rejectIntent(market: string, side: number, price: number, code: number, why: string): void {
    this.s.journal({ k: 'rej', kind: CK.PLACE, market, coid: '', oid: '', code, message: why, side, price, uncertain: false });
    this.s.send('strategy', { orderReject: { kind: CK.PLACE, market, code, message: why, side, price } });
  }

  preflightReject(m: MarketRef, side: number, price: number, code: number, reason: string): void {
    // the same refusal again (same side, price and reason, no new target in between) says
    // nothing new: counted, not re-sent (a cap refusal was repeated every pump before)
    const key = `${m.targetAtMs}|${price}|${code}|${reason}`;
    const s = side === BID ? 0 : 1;
    if (m.lastRejectKey[s] === key) {
      this.s.stats.repeatedRejects++;
      return;
    }
    m.lastRejectKey[s] = key;
    this.s.stats.preflightRejects++;
    if (code === RC.RISK || code === RC.EVENT_LOSS_OVER_ALLOWANCE) this.s.ops(side === BID ? 'risk_block_bid_side' : 'risk_block_ask_side', m.market, 'warn', { market: m.market, exchange_position: this.s.bk.position(m.market).positionCenti / 100, reason });
    this.rejectIntent(m.market, side, price, code, reason);
  }
}
