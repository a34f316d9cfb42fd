/**
 * The websocket API at /trade-api/ws/v2 (kalshi-api.md section 3): commands subscribe,
 * unsubscribe, list_subscriptions, update_subscription (add_markets, delete_markets,
 * get_snapshot); channels orderbook_delta (snapshot then deltas, seq per sid), ticker, trade,
 * fill, user_orders, market_positions, market_lifecycle_v2, order_group_updates; numbered
 * error codes; server pings every wsPingMs with payload "heartbeat".
 *
 * It is the engine's listener: engine events become frames for the subscribed connections.
 * Orderbook deltas are built by string concatenation (hot path). Faults (drops, seq gaps and
 * duplicates, silence per market, latency, malformed frames, user data reordered across the fill
 * and market_positions channels) are applied at the send point.
 * Limit: a connection whose send buffer passes wsBufferLimitBytes gets error 25 and is closed.
 * Deferred work (latency fault, drop after a frame) goes through the injected `After`, so the
 * hub runs on real timers behind a socket or in virtual time behind a MemoryExchange; a
 * connection is anything with the `WsSocket` methods (a `ws` WebSocket or a memory socket).
 */
import { formatCount, formatPrice, ONE_DOLLAR, type Rng } from '@kmm/shared';
import type { Engine } from '../engine/engine.js';
import type { Caused, EngineListener, FillRec, OrderRec, PositionRec, TradeRec } from '../engine/types.js';
import type { FaultConfig } from './faults.js';
import type { After } from './timers.js';
import { dollarOpenInterest, dollarVolume, micro6, money6, orderbookFp, topOfBook } from './wire.js';

export const WS_LIMITS = {
  wsBufferLimitBytes: 64 * 1024 * 1024,
  maxSubscriptionsPerConn: 1_000,
  maxMarketsPerSub: 500_000,
};

export const CHANNELS = [
  'orderbook_delta',
  'ticker',
  'trade',
  'fill',
  'user_orders',
  'market_positions',
  'market_lifecycle_v2',
  'order_group_updates',
] as const;
type Channel = (typeof CHANNELS)[number];

interface Sub {
  sid: number;
  channel: Channel;
  /** null = all markets */
  tickers: Set<string> | null;
  seq: number;
  useYesPrice: boolean;
}

/** The part of a `ws` WebSocket the hub uses. */
export interface WsSocket {
  readonly bufferedAmount: number;
  send(frame: string): void;
  close(code: number, reason: string): void;
  /** closes without a close frame (the client sees 1006) */
  terminate(): void;
  ping(data: string): void;
}

export class Conn {
  readonly subs = new Map<number, Sub>();
  nextSid = 1;
  closed = false;
  /** frames waiting for the added-latency fault, in order */
  readonly delayed: string[] = [];
  delayPending = false;
  /** per channel, frames held by the user-data reorder fault, in order (`ready`: its delay is over) */
  readonly held = new Map<Channel, Array<{ frame: string; ready: boolean }>>();
  constructor(
    readonly ws: WsSocket,
    readonly userId: string,
  ) {}
}

const ERR_TEXT: Record<number, string> = {
  1: 'Unable to process message',
  2: 'Params required',
  3: 'Channels required',
  4: 'Subscription IDs required',
  5: 'Unknown command',
  6: 'Already subscribed',
  7: 'Unknown subscription ID',
  8: 'Unknown channel name',
  9: 'Authentication required',
  11: 'Invalid parameter',
  12: 'Exactly one subscription ID is required',
  13: 'Unsupported action',
  14: 'Market Ticker required',
  15: 'Action required',
  16: 'Market not found',
  25: 'Subscription buffer overflow',
};

export interface WsHubOptions {
  /** re-subscribing a channel: 'add' (idempotent, markets added; changelog 2025-09-25) or 'error' (code 6) */
  resubscribeMode?: 'add' | 'error';
  /** deferred work: real timers (socket server) or a virtual-time scheduler */
  after: After;
}

export class WsHub implements EngineListener {
  readonly conns = new Set<Conn>();
  faults: FaultConfig;
  private faultsActive = false;
  private isoMs = -1;
  private isoText = '';
  private readonly lastTicker = new Map<string, string>();
  private tickerSubs = 0;
  framesSent = 0;
  /** frames held by the user-data reorder fault on any connection (they outlive the fault) */
  private heldFrames = 0;

  constructor(
    private readonly engine: Engine,
    private readonly rng: Rng,
    faults: FaultConfig,
    private readonly opts: WsHubOptions,
  ) {
    this.faults = faults;
    this.setFaults(faults);
  }

  setFaults(f: FaultConfig): void {
    this.faults = f;
    this.faultsActive =
      f.wsDropProb > 0 || f.seqSkipProb > 0 || f.seqDupProb > 0 || f.silenceMarkets.length > 0 || f.wsSilent || f.wsLatencyMs > 0 || f.malformedFrameProb > 0 || f.userDataReorderMs > 0;
  }

  private iso(ms: number): string {
    if (ms !== this.isoMs) {
      this.isoMs = ms;
      this.isoText = new Date(ms).toISOString();
    }
    return this.isoText;
  }

  add(c: Conn): void {
    this.conns.add(c);
  }
  /** Idempotent: a dropped connection is removed again by its socket's close event. */
  remove(c: Conn): void {
    c.closed = true;
    if (!this.conns.has(c)) return;
    for (const s of c.subs.values()) if (s.channel === 'ticker') this.tickerSubs--;
    this.conns.delete(c);
  }

  /** Drops every connection now (fault: websocket drop). */
  dropAll(): void {
    for (const c of [...this.conns]) {
      c.ws.terminate();
      this.remove(c);
    }
  }

  // ------------------------------------------------------------ sending

  private raw(c: Conn, frame: string): void {
    if (c.closed) return;
    if (c.ws.bufferedAmount > WS_LIMITS.wsBufferLimitBytes) {
      c.ws.send(JSON.stringify({ type: 'error', msg: { code: 25, msg: ERR_TEXT[25] } }));
      c.ws.close(1008, 'buffer overflow');
      this.remove(c);
      return;
    }
    c.ws.send(frame);
    this.framesSent++;
  }

  /** Data frame with faults; `ticker` is used by the silence fault, `channel` by the reorder fault. */
  private send(c: Conn, frame: string, ticker: string | null, channel: Channel | null = null): void {
    if (!this.faultsActive && this.heldFrames === 0) {
      this.raw(c, frame);
      return;
    }
    const f = this.faults;
    if (f.wsSilent) return;
    if (ticker !== null && f.silenceMarkets.length > 0 && f.silenceMarkets.includes(ticker)) return;
    if (f.malformedFrameProb > 0 && this.rng.chance(f.malformedFrameProb)) this.out(c, '{"type":"orderbook_delta","sid":' + frame.slice(0, 17));
    if (channel === 'fill' || channel === 'market_positions') this.hold(c, channel, frame);
    else this.out(c, frame);
    if (f.wsDropProb > 0 && this.rng.chance(f.wsDropProb)) {
      this.opts.after(0, () => {
        if (c.closed) return;
        c.ws.terminate();
        this.remove(c);
      });
    }
  }

  private out(c: Conn, frame: string): void {
    const lat = this.faults.wsLatencyMs;
    if (lat <= 0 && c.delayed.length === 0) {
      this.raw(c, frame);
      return;
    }
    c.delayed.push(frame);
    if (!c.delayPending) {
      c.delayPending = true;
      this.opts.after(Math.max(1, lat), () => {
        c.delayPending = false;
        const frames = c.delayed.splice(0, c.delayed.length);
        for (const fr of frames) this.raw(c, fr);
      });
    }
  }

  /**
   * User-data reorder fault: the frame waits its own seeded delay in [0, userDataReorderMs] ms,
   * then goes out once every earlier frame of its channel on this connection has (a channel
   * stays in order; fills and positions overtake each other). After the fault ends, frames of a
   * channel with frames still held queue behind them with no delay of their own.
   */
  private hold(c: Conn, channel: Channel, frame: string): void {
    let q = c.held.get(channel);
    const maxMs = this.faults.userDataReorderMs;
    if (maxMs <= 0 && (q === undefined || q.length === 0)) {
      this.out(c, frame);
      return;
    }
    if (q === undefined) {
      q = [];
      c.held.set(channel, q);
    }
    const item = { frame, ready: false };
    q.push(item);
    this.heldFrames++;
    const queue = q;
    this.opts.after(maxMs > 0 ? this.rng.int(0, Math.round(maxMs)) : 0, () => {
      item.ready = true;
      while (queue.length > 0 && queue[0].ready) {
        const next = queue.shift()!;
        this.heldFrames--;
        if (!c.closed) this.out(c, next.frame);
      }
    });
  }

  /** Next seq for a sequenced sub, applying skip faults. */
  private nextSeq(s: Sub): number {
    if (this.faultsActive && this.faults.seqSkipProb > 0 && this.rng.chance(this.faults.seqSkipProb)) s.seq++;
    return ++s.seq;
  }

  private sendSeq(c: Conn, frame: string, ticker: string | null): void {
    this.send(c, frame, ticker);
    if (this.faultsActive && this.faults.seqDupProb > 0 && this.rng.chance(this.faults.seqDupProb)) this.send(c, frame, ticker);
  }

  private reply(c: Conn, obj: unknown): void {
    if (!c.closed) this.raw(c, JSON.stringify(obj));
  }
  private error(c: Conn, id: number, code: number, sid?: number): void {
    const msg = { code, msg: ERR_TEXT[code] ?? 'Error' };
    this.reply(c, sid !== undefined ? { id, type: 'error', sid, msg } : { id, type: 'error', msg });
  }

  // ------------------------------------------------------------ commands

  handle(c: Conn, data: string): void {
    let m: { id?: unknown; cmd?: unknown; params?: unknown };
    try {
      m = JSON.parse(data);
    } catch {
      return this.error(c, 0, 1);
    }
    if (!m || typeof m !== 'object') return this.error(c, 0, 1);
    const id = typeof m.id === 'number' && Number.isInteger(m.id) ? m.id : 0;
    const p = (m.params && typeof m.params === 'object' ? m.params : null) as Record<string, unknown> | null;
    switch (m.cmd) {
      case 'subscribe':
        return this.subscribe(c, id, p);
      case 'unsubscribe':
        return this.unsubscribe(c, id, p);
      case 'list_subscriptions':
        return this.reply(c, {
          id,
          type: 'ok',
          msg: [...c.subs.values()].map((s) => ({ channel: s.channel, sid: s.sid })),
        });
      case 'update_subscription':
        return this.update(c, id, p);
      default:
        return this.error(c, id, 5);
    }
  }

  private tickersOf(p: Record<string, unknown>): string[] | null | 'bad' {
    if (p.market_ticker !== undefined) return typeof p.market_ticker === 'string' ? [p.market_ticker] : 'bad';
    if (p.market_tickers !== undefined) {
      if (!Array.isArray(p.market_tickers) || p.market_tickers.some((t) => typeof t !== 'string')) return 'bad';
      return p.market_tickers as string[];
    }
    return null;
  }

  private subscribe(c: Conn, id: number, p: Record<string, unknown> | null): void {
    if (!p) return this.error(c, id, 2);
    if (!Array.isArray(p.channels) || p.channels.length === 0) return this.error(c, id, 3);
    const tickers = this.tickersOf(p);
    if (tickers === 'bad') return this.error(c, id, 11);
    for (const ch of p.channels) if (!(CHANNELS as readonly string[]).includes(ch as string)) return this.error(c, id, 8);
    if (tickers) for (const t of tickers) if (!this.engine.markets.has(t)) return this.error(c, id, 16);
    for (const ch of p.channels as Channel[]) {
      if (ch === 'orderbook_delta' && (!tickers || tickers.length === 0)) {
        this.error(c, id, 14);
        continue;
      }
      const existing = [...c.subs.values()].find((s) => s.channel === ch);
      if (existing) {
        if (this.opts.resubscribeMode === 'error') {
          this.error(c, id, 6);
          continue;
        }
        const added = this.addMarkets(existing, tickers);
        this.reply(c, { type: 'subscribed', id, msg: { channel: ch, sid: existing.sid } });
        if (ch === 'orderbook_delta') for (const t of added) this.snapshot(c, existing, t);
        continue;
      }
      if (c.subs.size >= WS_LIMITS.maxSubscriptionsPerConn) {
        this.error(c, id, 26);
        continue;
      }
      const s: Sub = {
        sid: c.nextSid++,
        channel: ch,
        tickers: ch === 'market_lifecycle_v2' || ch === 'order_group_updates' || !tickers ? null : new Set(tickers),
        seq: 0,
        useYesPrice: p.use_yes_price === true,
      };
      c.subs.set(s.sid, s);
      if (ch === 'ticker') this.tickerSubs++;
      this.reply(c, { type: 'subscribed', id, msg: { channel: ch, sid: s.sid } });
      if (ch === 'orderbook_delta' && s.tickers) for (const t of s.tickers) this.snapshot(c, s, t);
    }
  }

  private addMarkets(s: Sub, tickers: string[] | null): string[] {
    if (!tickers || s.tickers === null) return [];
    const added: string[] = [];
    for (const t of tickers) {
      if (!s.tickers.has(t)) {
        s.tickers.add(t);
        added.push(t);
      }
    }
    return added;
  }

  private unsubscribe(c: Conn, id: number, p: Record<string, unknown> | null): void {
    if (!p) return this.error(c, id, 2);
    if (!Array.isArray(p.sids) || p.sids.length === 0) return this.error(c, id, 4);
    for (const sid of p.sids) {
      const s = c.subs.get(sid as number);
      if (!s) {
        this.error(c, id, 7);
        continue;
      }
      c.subs.delete(s.sid);
      if (s.channel === 'ticker') this.tickerSubs--;
      this.reply(c, { id, sid: s.sid, seq: ++s.seq, type: 'unsubscribed' });
    }
  }

  private update(c: Conn, id: number, p: Record<string, unknown> | null): void {
    if (!p) return this.error(c, id, 2);
    let sid: unknown = p.sid;
    if (sid === undefined && Array.isArray(p.sids)) {
      if (p.sids.length !== 1) return this.error(c, id, 12);
      sid = p.sids[0];
    }
    if (sid === undefined) return this.error(c, id, 12);
    const s = c.subs.get(sid as number);
    if (!s) return this.error(c, id, 7);
    if (p.action === undefined) return this.error(c, id, 15);
    const tickers = this.tickersOf(p);
    if (tickers === 'bad') return this.error(c, id, 11);
    if (!tickers || tickers.length === 0) return this.error(c, id, 14);
    for (const t of tickers) if (!this.engine.markets.has(t)) return this.error(c, id, 16);
    switch (p.action) {
      case 'add_markets': {
        if (s.tickers === null) return this.error(c, id, 13);
        const added = this.addMarkets(s, tickers);
        this.reply(c, { type: 'ok', id, sid: s.sid, seq: ++s.seq, msg: { market_tickers: [...s.tickers].sort() } });
        if (s.channel === 'orderbook_delta') for (const t of added) this.snapshot(c, s, t);
        return;
      }
      case 'delete_markets': {
        if (s.tickers === null) return this.error(c, id, 13);
        for (const t of tickers) s.tickers.delete(t);
        this.reply(c, { type: 'ok', id, sid: s.sid, seq: ++s.seq, msg: { market_tickers: [...s.tickers].sort() } });
        return;
      }
      case 'get_snapshot': {
        if (s.channel !== 'orderbook_delta') return this.error(c, id, 13);
        for (const t of tickers) this.snapshot(c, s, t);
        return;
      }
      default:
        return this.error(c, id, 13);
    }
  }

  private snapshot(c: Conn, s: Sub, ticker: string): void {
    const m = this.engine.markets.get(ticker);
    if (!m) return;
    const ob = orderbookFp(m);
    const msg: Record<string, unknown> = { market_ticker: ticker, market_id: m.spec.marketId };
    if (ob.yes_dollars.length > 0) msg.yes_dollars_fp = ob.yes_dollars;
    if (ob.no_dollars.length > 0) {
      msg.no_dollars_fp = s.useYesPrice ? ob.no_dollars.map(([p, q]) => [formatPrice(ONE_DOLLAR - priceUnits(p)), q]).reverse() : ob.no_dollars;
    }
    this.sendSeq(c, JSON.stringify({ type: 'orderbook_snapshot', sid: s.sid, seq: this.nextSeq(s), msg }), ticker);
  }

  // ------------------------------------------------------------ engine events

  onBookDelta(ticker: string, side: 'yes' | 'no', priceLeg: number, deltaCenti: number, tsMs: number, caused: Caused | null): void {
    if (this.conns.size === 0) return;
    let mid: string | null = null;
    let tail: string | null = null;
    for (const c of this.conns) {
      for (const s of c.subs.values()) {
        if (s.channel !== 'orderbook_delta' || s.tickers === null || !s.tickers.has(ticker)) continue;
        if (mid === null) {
          const m = this.engine.markets.get(ticker)!;
          mid = ',"msg":{"market_ticker":"' + ticker + '","market_id":"' + m.spec.marketId + '","price_dollars":"';
          tail = '","delta_fp":"' + formatCount(deltaCenti) + '","side":"' + side + '","ts":"' + this.iso(tsMs) + '","ts_ms":' + tsMs;
        }
        const price = side === 'no' && s.useYesPrice ? ONE_DOLLAR - priceLeg : priceLeg;
        const own = caused !== null && caused.userId === c.userId && caused.clientOrderId !== '';
        const frame =
          '{"type":"orderbook_delta","sid":' +
          s.sid +
          ',"seq":' +
          this.nextSeq(s) +
          mid +
          formatPrice(price) +
          tail +
          (own ? ',"client_order_id":' + JSON.stringify(caused!.clientOrderId) + ',"subaccount":' + caused!.subaccount : '') +
          '}}';
        this.sendSeq(c, frame, ticker);
      }
    }
  }

  private each(channel: Channel, ticker: string | null, userId: string | null, build: (s: Sub) => string): void {
    for (const c of this.conns) {
      if (userId !== null && c.userId !== userId) continue;
      for (const s of c.subs.values()) {
        if (s.channel !== channel) continue;
        if (ticker !== null && s.tickers !== null && !s.tickers.has(ticker)) continue;
        this.send(c, build(s), ticker, channel);
      }
    }
  }

  onTrade(t: TradeRec): void {
    if (this.conns.size === 0) return;
    this.each('trade', t.ticker, null, (s) =>
      JSON.stringify({
        type: 'trade',
        sid: s.sid,
        msg: {
          trade_id: t.tradeId,
          market_ticker: t.ticker,
          yes_price_dollars: formatPrice(t.price),
          no_price_dollars: formatPrice(ONE_DOLLAR - t.price),
          count_fp: formatCount(t.countCenti),
          taker_outcome_side: t.takerSide === 'bid' ? 'yes' : 'no',
          taker_book_side: t.takerSide,
          taker_side: t.takerSide === 'bid' ? 'yes' : 'no',
          is_block_trade: false,
          ts: Math.floor(t.tsMs / 1000),
          ts_ms: t.tsMs,
        },
      }),
    );
  }

  onFill(f: FillRec): void {
    if (this.conns.size === 0) return;
    const outcome = f.side === 'bid' ? 'yes' : 'no';
    this.each('fill', f.ticker, f.userId, (s) =>
      JSON.stringify({
        type: 'fill',
        sid: s.sid,
        msg: {
          trade_id: f.tradeId,
          order_id: f.orderId,
          market_ticker: f.ticker,
          is_taker: f.isTaker,
          side: outcome,
          ts: Math.floor(f.tsMs / 1000),
          ts_ms: f.tsMs,
          yes_price_dollars: formatPrice(f.price),
          count_fp: formatCount(f.countCenti),
          fee_cost: money6(f.feeMoney),
          action: 'buy',
          post_position_fp: formatCount(f.postPositionCenti),
          purchased_side: outcome,
          outcome_side: outcome,
          book_side: f.side,
          subaccount: f.subaccount,
          // only when the order was sent with one (kalshi-api.md section 0)
          ...(f.clientOrderId ? { client_order_id: f.clientOrderId } : {}),
          exchange_index: f.exchangeIndex,
        },
      }),
    );
  }

  onOrderUpdate(o: OrderRec): void {
    if (this.conns.size === 0) return;
    this.each('user_orders', o.ticker, o.userId, (s) =>
      JSON.stringify({
        type: 'user_order',
        sid: s.sid,
        msg: {
          order_id: o.orderId,
          user_id: o.userId,
          ticker: o.ticker,
          status: o.status,
          outcome_side: o.side === 'bid' ? 'yes' : 'no',
          book_side: o.side,
          side: o.side === 'bid' ? 'yes' : 'no',
          is_yes: o.side === 'bid',
          yes_price_dollars: formatPrice(o.price),
          fill_count_fp: formatCount(o.filledCenti),
          remaining_count_fp: formatCount(o.remainingCenti),
          initial_count_fp: formatCount(o.initialCenti),
          taker_fill_cost_dollars: micro6(o.takerFillCostMicro),
          maker_fill_cost_dollars: micro6(o.makerFillCostMicro),
          taker_fees_dollars: money6(o.takerFeesMoney),
          maker_fees_dollars: money6(o.makerFeesMoney),
          ...(o.clientOrderId ? { client_order_id: o.clientOrderId } : {}),
          ...(o.orderGroupId ? { order_group_id: o.orderGroupId } : {}),
          self_trade_prevention_type: o.stp,
          created_ts_ms: o.createdMs,
          last_updated_ts_ms: o.updatedMs,
          ...(o.expirationMs != null ? { expiration_ts_ms: o.expirationMs } : {}),
          // the deprecated RFC3339 twins; created_time is always sent (AsyncAPI required field)
          created_time: this.iso(o.createdMs),
          last_update_time: this.iso(o.updatedMs),
          ...(o.expirationMs != null ? { expiration_time: this.iso(o.expirationMs) } : {}),
          exchange_index: o.exchangeIndex,
          subaccount_number: o.subaccount,
          last_update_reason: o.lastUpdateReason,
        },
      }),
    );
  }

  onPosition(userId: string, p: PositionRec, subaccount: number): void {
    if (this.conns.size === 0) return;
    this.each('market_positions', p.ticker, userId, (s) =>
      JSON.stringify({
        type: 'market_position',
        sid: s.sid,
        msg: {
          user_id: userId,
          market_ticker: p.ticker,
          position_fp: formatCount(p.positionCenti),
          position_cost_dollars: micro6(p.costMicro),
          realized_pnl_dollars: micro6(p.realizedPnlMicro),
          fees_paid_dollars: money6(p.feesPaidMoney),
          position_fee_cost_dollars: money6(p.feesPaidMoney),
          volume_fp: formatCount(p.volumeCenti),
          subaccount,
        },
      }),
    );
  }

  onLifecycle(ticker: string, eventType: string, extra: Record<string, unknown>): void {
    if (this.conns.size === 0) return;
    this.each('market_lifecycle_v2', null, null, (s) =>
      JSON.stringify({ type: 'market_lifecycle_v2', sid: s.sid, msg: { market_ticker: ticker, event_type: eventType, ...extra } }),
    );
  }

  onOrderGroup(userId: string, groupId: string, eventType: string, limitCenti: number | null, tsMs: number): void {
    if (this.conns.size === 0) return;
    for (const c of this.conns) {
      if (c.userId !== userId) continue;
      for (const s of c.subs.values()) {
        if (s.channel !== 'order_group_updates') continue;
        const msg: Record<string, unknown> = { event_type: eventType, order_group_id: groupId };
        if (limitCenti !== null) msg.contracts_limit_fp = formatCount(limitCenti);
        msg.ts_ms = tsMs;
        this.sendSeq(c, JSON.stringify({ type: 'order_group_updates', sid: s.sid, seq: this.nextSeq(s), msg }), null);
      }
    }
  }

  onTicker(ticker: string, tsMs: number): void {
    if (this.tickerSubs <= 0 || this.conns.size === 0) return;
    const m = this.engine.markets.get(ticker)!;
    const b = m.book;
    const top = topOfBook(m);
    const key = `${top.yesBid}|${top.yesAsk}|${b.bestBidSize()}|${b.bestAskSize()}|${m.lastPrice}|${m.volumeCenti}|${m.openInterestCenti}`;
    if (this.lastTicker.get(ticker) === key) return;
    this.lastTicker.set(ticker, key);
    this.each('ticker', ticker, null, (s) =>
      JSON.stringify({
        type: 'ticker',
        sid: s.sid,
        msg: {
          market_ticker: ticker,
          market_id: m.spec.marketId,
          price_dollars: formatPrice(m.lastPrice),
          yes_bid_dollars: formatPrice(top.yesBid),
          yes_ask_dollars: formatPrice(top.yesAsk),
          yes_bid_size_fp: formatCount(b.bestBidSize()),
          yes_ask_size_fp: formatCount(b.bestAskSize()),
          last_trade_size_fp: formatCount(m.lastTradeCenti),
          volume_fp: formatCount(m.volumeCenti),
          open_interest_fp: formatCount(m.openInterestCenti),
          dollar_volume: dollarVolume(m),
          dollar_open_interest: dollarOpenInterest(m),
          ts: Math.floor(tsMs / 1000),
          ts_ms: tsMs,
          time: this.iso(tsMs),
        },
      }),
    );
  }

  /** Server heartbeat. */
  pingAll(): void {
    for (const c of this.conns) if (!c.closed) c.ws.ping('heartbeat');
  }
}

function priceUnits(text: string): number {
  // "0.4800" -> 4800 without floats
  const [w, f = ''] = text.split('.');
  return Number(w) * ONE_DOLLAR + Number((f + '0000').slice(0, 4));
}
