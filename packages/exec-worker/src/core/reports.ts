/**
 * Reports the exec core sends: WorkingOrders per touched market (to strategy and the market's
 * book shard: our live orders with remaining size, exchange queue positions, whether quoting is
 * blocked and why, and the gating state: exec's position and the room per side its cap check
 * leaves, sent whenever any of them changes; the room also honours the event caps, event-risk.ts,
 * and a change in one market of an event reports its other markets too) and tape rows (mid, our top quotes, inventory, P&L, last latency) for the
 * active markets. No allocation per order beyond the message itself.
 */
import { kmm, ONE_DOLLAR } from '@kmm/shared';
import type { EventExposure } from './event-risk.js';
import { totalExposureMoney } from './portfolio.js';
import { unrealizedMoney } from './bookkeeping.js';
import type { ExecState } from './exec-state.js';
import { BlockReason, type MarketRef, type MarketRegistry } from './market-registry.js';
import { OrderStatus, type WorkingOrder } from './types.js';

const BID = kmm.v1.BookSide.BID;

export class Reports {
  // per-market scratch of emitWorkingOrders
  private bidCenti = 0;
  private askCenti = 0;

  constructor(
    private readonly s: ExecState,
    private readonly reg: MarketRegistry,
    private readonly events: EventExposure | null = null,
  ) {}

  /** WorkingOrders for every market marked since the last call. */
  emitWorkingOrders(nowMs: number): void {
    const list = this.reg.woList;
    // MM_MAX_TOTAL_NOTIONAL_USD: the money all markets may still add (Infinity when the cap is off)
    const totalCap = this.s.params.maxTotalNotionalMoney;
    const headroomMoney = totalCap > 0 && list.length > 0 ? Math.max(0, totalCap - totalExposureMoney(this.s.bk)) : Infinity;
    // the event caps: a market's room depends on its event's other markets, so they report too
    const p = this.s.params;
    const eventCaps = this.events && list.length > 0 && (p.maxEventLossMoney > 0 || p.maxTotalLossMoney > 0 || this.events.hasAllowances);
    // the event table is reported (dashboard) whether or not a cap is on
    const allGroups = this.events && list.length > 0 ? this.events.groups() : null;
    const groups = eventCaps ? allGroups : null;
    const totalLossPc = eventCaps ? this.events!.totalPc(groups!) : 0;
    if (groups) {
      const n = list.length;
      for (let i = 0; i < n; i++) {
        for (const peer of groups.get(this.events!.keyOf(list[i].market).key)?.markets ?? []) {
          const r = this.reg.get(peer);
          if (r && !r.woDirty) this.reg.markWo(r);
        }
      }
    }
    for (let i = 0; i < list.length; i++) {
      const m = list[i];
      m.woDirty = false;
      const mo = this.s.bk.marketOrders(m.market);
      this.bidCenti = 0;
      this.askCenti = 0;
      const orders: kmm.v1.IQueueEstimate[] = [];
      for (const o of mo.bids) this.addOrder(m, o, orders);
      for (const o of mo.asks) this.addOrder(m, o, orders);
      for (const o of mo.others) this.addOrder(m, o, orders);
      // the real time: with -1 every market read as 'market_hold' (-1 < holdUntilMs 0)
      const block = this.reg.blockReason(m, nowMs);
      // the gating state: what pre-flight (preflight.ts, gatingPosition) accepts for new orders
      const pos = this.s.bk.position(m.market);
      const wo: kmm.v1.IWorkingOrders = {
        market: m.market,
        restingBidCenti: this.bidCenti,
        restingAskCenti: this.askCenti,
        orders,
        quotingBlocked: block !== BlockReason.NONE,
        blockReason: block,
        positionCenti: pos.positionCenti,
        positionKnown: pos.exchangeKnown,
        roomBidCenti: Math.min(
          Math.max(0, this.s.params.longCapCenti - (pos.positionCenti + this.bidCenti)),
          this.portfolioRoomCenti(m, BID, pos.positionCenti, headroomMoney),
          groups ? this.eventRoomCenti(m, BID, groups, totalLossPc) : Infinity,
        ),
        roomAskCenti: Math.min(
          Math.max(0, this.s.params.shortCapCenti + (pos.positionCenti - this.askCenti)),
          this.portfolioRoomCenti(m, kmm.v1.BookSide.ASK, pos.positionCenti, headroomMoney),
          groups ? this.eventRoomCenti(m, kmm.v1.BookSide.ASK, groups, totalLossPc) : Infinity,
        ),
        fillSeq: m.fillSeq,
        ...this.eventReport(m.market, allGroups),
      };
      this.s.send('strategy', { workingOrders: wo });
      this.s.send(this.s.bookPeer(m.market), { workingOrders: wo });
    }
    list.length = 0;
  }

  /**
   * What the portfolio cap still accepts on one side, in contracts at the side's price (the
   * target's touch, $1 when unknown: conservative). A side that reduces the position is not
   * limited by it (pre-flight exempts reducing orders), up to the position itself.
   */
  private portfolioRoomCenti(m: MarketRef, side: number, positionCenti: number, headroomMoney: number): number {
    if (headroomMoney === Infinity) return Infinity;
    const reducesCenti = side === BID ? Math.max(0, -positionCenti) : Math.max(0, positionCenti);
    const t = m.target;
    const touch = t ? (side === BID ? t.bestBid : t.bestAsk) : 0;
    const legPrice = touch ? (side === BID ? touch : ONE_DOLLAR - touch) : ONE_DOLLAR;
    return reducesCenti + Math.floor((headroomMoney * 100) / Math.max(1, legPrice));
  }

  /**
   * What the event caps still accept on one side (event-risk.ts room), priced at the most a
   * passive order on that side can pay: the opposite touch ($1 for a bid, 0 for an ask when
   * unknown), so a quote anywhere behind it fits.
   */
  private eventRoomCenti(m: MarketRef, side: number, groups: ReturnType<EventExposure['groups']>, totalLossPc: number): number {
    const t = m.target;
    const price = side === BID ? (t && t.bestAsk ? t.bestAsk : ONE_DOLLAR) : t && t.bestBid ? t.bestBid : 0;
    const p = this.s.params;
    return this.events!.room(p.maxEventLossMoney, p.maxTotalLossMoney, m.market, side, price, groups, totalLossPc);
  }

  /** The market's event key and the event's worst case (money, rounded up: never understated). */
  private eventReport(market: string, groups: ReturnType<EventExposure['groups']> | null): { eventKey: string; eventWorstMoney: number } {
    if (!this.events || !groups) return { eventKey: '', eventWorstMoney: 0 };
    const g = groups.get(this.events.keyOf(market).key);
    if (!g) return { eventKey: '', eventWorstMoney: 0 };
    return { eventKey: g.key, eventWorstMoney: Math.ceil(this.events.worstPc(g) / 100) };
  }

  private addOrder(m: MarketRef, o: WorkingOrder | null, orders: kmm.v1.IQueueEstimate[]): void {
    if (!o || o.status === OrderStatus.DONE) return;
    const rem = o.totalCenti - o.filledCenti;
    if (o.side === BID) this.bidCenti += rem;
    else this.askCenti += rem;
    const ahead = o.orderId ? m.queueAhead.get(o.orderId) : undefined;
    orders.push({ clientOrderId: o.clientOrderId, orderId: o.orderId, side: o.side, price: o.price, aheadCenti: -1, levelTotalCenti: 0, exchangeAheadCenti: ahead ?? -1 });
  }

  /** One tape row per active market with a target or a position. */
  emitTape(): void {
    for (const m of this.reg.active) {
      const pos = this.s.bk.positions.get(m.market);
      if (!m.target && (!pos || pos.positionCenti === 0)) continue;
      const t = m.target;
      const mid = t && t.bestBid && t.bestAsk ? Math.round((t.bestBid + t.bestAsk) / 2) : 0;
      const mo = this.s.bk.marketOrders(m.market);
      const b = mo.bids[0];
      const a = mo.asks[0];
      this.s.fx.tape.push({
        ticker: m.market,
        midPrice: mid,
        myBid: b && b.status === OrderStatus.RESTING ? b.price : 0,
        myAsk: a && a.status === OrderStatus.RESTING ? a.price : 0,
        inventoryCenti: pos ? pos.positionCenti : 0,
        unrealizedPnlMoney: pos ? unrealizedMoney(pos, mid) : 0,
        realizedPnlMoney: pos ? Math.round(pos.realizedPriceCenti / 100) : 0,
        processingLatencyUs: this.s.lastProcessingLatencyUs,
      });
    }
  }
}
