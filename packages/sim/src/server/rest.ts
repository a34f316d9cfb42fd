/**
 * REST API under /trade-api/v2 (kalshi-api.md section 2) plus the admin API under /sim/admin.
 * Every request passes: faults (429 storm, 5xx, timeouts, latency) -> auth (private routes, and
 * any request that carries KALSHI-ACCESS headers) -> rate limit -> handler. Untrusted bodies are
 * validated here with the venue's error envelopes: nested {"error":{code,message,details}} for
 * 4xx, flat {code:"bad_request",...} for JSON type errors, {"error":"too many requests"} for 429.
 *
 * `respond` is the socket-free entry point (method, url, headers, body text -> status and body
 * text, or no reply at all for the timeout fault); the HTTP server (`handle`) and the in-memory
 * exchange both go through it. Deferred work (latency, the timed-out socket's reset) goes through
 * the injected `After`.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { formatCount, formatPrice, parseCount, parsePrice, type Rng } from '@kmm/shared';
import type { Engine, MarketState, NewOrder, OrderResult } from '../engine/engine.js';
import type { BookSide, EngineError, OrderRec, PositionRec, StpType, TimeInForce } from '../engine/types.js';
import type { KeyRegistry } from './auth.js';
import { checkFaults, type FaultConfig } from './faults.js';
import { costOf, DEFAULT_COST, ENDPOINT_COSTS, type RateLimiter } from './ratelimit.js';
import type { ReadLag } from './readlag.js';
import type { After } from './timers.js';
import {
  avgFee,
  avgPrice,
  eventPositions,
  fillJson,
  marketJson,
  orderbookFp,
  orderJson,
  positionJson,
  settlementJson,
  sortedJson,
  statusMatches,
  tradeJson,
} from './wire.js';

export const REST_LIMITS = {
  maxBodyBytes: 4 * 1024 * 1024,
  maxPageLimit: 1000,
  maxOrderbookTickers: 100,
};

const BASE = '/trade-api/v2';
/** The account reads failed by the accountReadsFail fault: positions, orders (list and one), fills. */
const ACCOUNT_READ_RE = /\/portfolio\/(positions|orders|fills)(\/|$)/;

export interface Reply {
  status: number;
  body: unknown;
  /** serialise without key sorting (admin) */
  raw?: boolean;
}

/**
 * What one request gets: a reply (sent `delayMs` after the request, the REST latency fault), or
 * none (the timeout fault: the server resets the connection after `resetAfterMs`).
 */
export type RestOutcome = { kind: 'reply'; status: number; bodyText: string; delayMs: number } | { kind: 'no_reply'; resetAfterMs: number };

interface Ctx {
  userId: string;
  q: URLSearchParams;
  p: string[];
  body: unknown;
  nowMs: number;
}

type Handler = (ctx: Ctx) => Reply;

interface Route {
  method: string;
  re: RegExp;
  template: string;
  auth: boolean;
  h: Handler;
}

const E = (status: number, code: string, message: string, details?: string): Reply => ({
  status,
  body: { error: details === undefined ? { code, message } : { code, message, details } },
});
const fromErr = (e: EngineError): Reply => E(e.http, e.code, e.message, e.details);
const flatBad = (details: string): Reply => ({ status: 400, body: { code: 'bad_request', message: 'bad request', details } });

/** Validation error carrying the reply to send. */
class BadInput {
  constructor(readonly reply: Reply) {}
}

function page<T>(items: T[], q: URLSearchParams, defLimit = 100): { items: T[]; cursor: string } {
  const limRaw = q.get('limit');
  let limit = defLimit;
  if (limRaw !== null) {
    if (!/^\d+$/.test(limRaw) || Number(limRaw) < 1 || Number(limRaw) > REST_LIMITS.maxPageLimit) {
      throw new BadInput({ status: 400, body: { msg: `Parameter validation failed: limit must be between 1 and ${REST_LIMITS.maxPageLimit}` } });
    }
    limit = Number(limRaw);
  }
  let start = 0;
  const cur = q.get('cursor');
  if (cur) {
    // a garbage cursor silently returns page 1 (observed)
    const n = Number(Buffer.from(cur, 'base64url').toString('utf8'));
    if (Number.isInteger(n) && n > 0 && n < items.length) start = n;
  }
  const slice = items.slice(start, start + limit);
  const next = start + limit < items.length ? Buffer.from(String(start + limit)).toString('base64url') : '';
  return { items: slice, cursor: next };
}

function str(b: Record<string, unknown>, k: string, struct: string, required: boolean): string | undefined {
  const v = b[k];
  if (v === undefined || v === null) {
    if (required) throw new BadInput(E(400, 'bad_request', 'bad request', `${k} is required`));
    return undefined;
  }
  if (typeof v !== 'string') throw new BadInput(flatBad(`json: cannot unmarshal ${jsType(v)} into Go struct field ${struct}.${k} of type string`));
  return v;
}
function bool(b: Record<string, unknown>, k: string, struct: string): boolean | undefined {
  const v = b[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new BadInput(flatBad(`json: cannot unmarshal ${jsType(v)} into Go struct field ${struct}.${k} of type bool`));
  return v;
}
function int(b: Record<string, unknown>, k: string, struct: string): number | undefined {
  const v = b[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new BadInput(flatBad(`json: cannot unmarshal ${jsType(v)} into Go struct field ${struct}.${k} of type int64`));
  return v;
}
function jsType(v: unknown): string {
  return typeof v === 'number' ? 'number' : typeof v === 'string' ? 'string' : Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : 'object';
}
function obj(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new BadInput(flatBad('json: request body must be an object'));
  return body as Record<string, unknown>;
}
function countArg(v: string, field: string): number {
  try {
    return parseCount(v, field, false);
  } catch (e) {
    throw new BadInput(E(400, 'invalid_order_size', 'invalid order size', (e as Error).message));
  }
}
function priceArg(v: string): number {
  const dot = v.indexOf('.');
  const dp = dot < 0 ? 0 : v.length - dot - 1;
  let p: number;
  try {
    p = parsePrice(v, 'price');
  } catch (e) {
    throw new BadInput(E(400, 'invalid_price', 'invalid price', (e as Error).message));
  }
  if (dp < 2 || dp > 4) throw new BadInput(E(400, 'invalid_price', 'invalid price', 'price must have 2 to 4 decimal places'));
  return p;
}

const TIFS = ['good_till_canceled', 'immediate_or_cancel', 'fill_or_kill'];
const STPS = ['taker_at_cross', 'maker'];

function parseOrder(body: unknown): NewOrder {
  const b = obj(body);
  const S = 'CreateOrderV2Request';
  const ticker = str(b, 'ticker', S, true)!;
  const side = str(b, 'side', S, true)!;
  if (side !== 'bid' && side !== 'ask') throw new BadInput(E(400, 'bad_request', 'bad request', "side must be 'bid' or 'ask'"));
  const count = countArg(str(b, 'count', S, true)!, 'count');
  const price = priceArg(str(b, 'price', S, true)!);
  const tif = str(b, 'time_in_force', S, true)!;
  if (!TIFS.includes(tif)) throw new BadInput(E(400, 'bad_request', 'bad request', `unknown time_in_force '${tif}'`));
  const stp = str(b, 'self_trade_prevention_type', S, true)!;
  if (!STPS.includes(stp)) throw new BadInput(E(400, 'bad_request', 'bad request', `unknown self_trade_prevention_type '${stp}'`));
  const exp = int(b, 'expiration_time', S);
  return {
    ticker,
    side: side as BookSide,
    price,
    countCenti: count,
    tif: tif as TimeInForce,
    stp: stp as StpType,
    postOnly: bool(b, 'post_only', S),
    reduceOnly: bool(b, 'reduce_only', S),
    cancelOnPause: bool(b, 'cancel_order_on_pause', S),
    clientOrderId: str(b, 'client_order_id', S, false),
    orderGroupId: str(b, 'order_group_id', S, false) ?? null,
    expirationMs: exp !== undefined ? exp * 1000 : null,
    subaccount: int(b, 'subaccount', S) ?? 0,
    exchangeIndex: int(b, 'exchange_index', S),
  };
}

/** Single-order writes whose explicit exchange_index >= 1 spend that shard's own write bucket. */
const SHARD_BUCKET_TEMPLATES = new Set([
  'POST /trade-api/v2/portfolio/events/orders',
  'DELETE /trade-api/v2/portfolio/events/orders/{order_id}',
  'POST /trade-api/v2/portfolio/events/orders/{order_id}/amend',
  'POST /trade-api/v2/portfolio/events/orders/{order_id}/decrease',
]);

/**
 * The write bucket a request spends (kalshi-api.md section 5): a single REST order write with
 * exchange_index >= 1 uses that shard's bucket; batches, shard 0 and auto-routed writes
 * (-1 or omitted) the unscoped one. Returns 0 for the unscoped bucket.
 */
function bucketShard(method: string, template: string, body: unknown, q: URLSearchParams): number {
  if (!SHARD_BUCKET_TEMPLATES.has(method + ' ' + template)) return 0;
  const fromBody = body && typeof body === 'object' ? (body as Record<string, unknown>).exchange_index : undefined;
  const v = typeof fromBody === 'number' ? fromBody : q.has('exchange_index') ? Number(q.get('exchange_index')) : 0;
  return Number.isInteger(v) && v >= 1 ? v : 0;
}

/** An explicit exchange_index (>= 0) on a cancel must name the order's shard: elsewhere the order is not found. */
function shardArg(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n)) throw new BadInput(E(400, 'bad_request', 'bad request', 'exchange_index must be an integer'));
  return n >= 0 ? n : undefined;
}

function orderSummary(r: OrderResult, nowMs: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    order_id: r.order.orderId,
    client_order_id: r.order.clientOrderId || undefined,
    fill_count: formatCount(r.fillCenti),
    remaining_count: formatCount(r.order.remainingCenti),
    ts_ms: nowMs,
  };
  if (r.fillCenti > 0) {
    out.average_fill_price = avgPrice(r.fillCostMicro, r.fillCenti);
    out.average_fee_paid = avgFee(r.feeMoney, r.fillCenti);
  }
  return out;
}

function errorBody(e: EngineError): Record<string, unknown> {
  return e.details === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, details: e.details };
}

export interface AdminHooks {
  setFaults(p: Partial<FaultConfig>): void;
  clearFaults(): void;
  getFaults(): FaultConfig;
  dropWebSockets(): void;
  pauseExchange(): void;
  resumeExchange(): void;
  settleMarket(ticker: string, result: 'yes' | 'no'): EngineError | { ok: true };
  records(): unknown;
  burst(ops: number, ticker?: string): void;
}

export class RestApi {
  private readonly routes: Route[] = [];
  readonly stats = { requests: 0, rejected429: 0 };

  constructor(
    private readonly engine: Engine,
    private readonly keys: KeyRegistry,
    private readonly limiter: RateLimiter,
    private readonly getFaults: () => FaultConfig,
    private readonly rng: Rng,
    private readonly nowMs: () => number,
    private readonly admin: AdminHooks,
    private readonly after: After,
    /** the read-after-write lag of order and position reads */
    private readonly reads: ReadLag,
  ) {
    this.build();
  }

  private r(method: string, template: string, auth: boolean, h: Handler): void {
    const re = new RegExp('^' + (BASE + template).replace(/\{[a-z_]+\}/g, '([^/]+)') + '$');
    this.routes.push({ method, re, template: BASE + template, auth, h });
  }

  private build(): void {
    const e = this.engine;
    // ---- exchange
    this.r('GET', '/exchange/status', false, () => ({
      status: 200,
      body: {
        exchange_active: e.exchangeActive,
        exchange_estimated_resume_time: !e.tradingActive && e.tradingResumeMs > 0 ? new Date(e.tradingResumeMs).toISOString() : null,
        trading_active: e.tradingActive,
      },
    }));
    this.r('GET', '/exchange/schedule', false, () => ({ status: 200, body: { schedule: SCHEDULE } }));
    this.r('GET', '/exchange/user_data_timestamp', false, (c) => ({ status: 200, body: { as_of_time: new Date(c.nowMs).toISOString() } }));
    // ---- markets
    this.r('GET', '/markets', false, (c) => {
      let list = [...e.markets.values()];
      const ev = c.q.get('event_ticker');
      const se = c.q.get('series_ticker');
      const st = c.q.get('status');
      const tk = c.q.get('tickers');
      if (ev) {
        const evs = ev.split(',');
        list = list.filter((m) => evs.includes(m.spec.eventTicker));
      }
      if (se) list = list.filter((m) => m.spec.seriesTicker === se);
      if (st) {
        const sts = st.split(',');
        list = list.filter((m) => sts.some((s) => statusMatches(s, m.status)));
      }
      if (tk) {
        const tks = tk.split(',');
        list = list.filter((m) => tks.includes(m.spec.ticker));
      }
      const minClose = c.q.get('min_close_ts');
      const maxClose = c.q.get('max_close_ts');
      if (minClose) list = list.filter((m) => m.spec.closeTimeMs >= Number(minClose) * 1000);
      if (maxClose) list = list.filter((m) => m.spec.closeTimeMs <= Number(maxClose) * 1000);
      const pg = page(list, c.q);
      return { status: 200, body: { cursor: pg.cursor, markets: pg.items.map(marketJson) } };
    });
    this.r('GET', '/markets/trades', false, (c) => {
      const t = c.q.get('ticker');
      let trades = t ? [...(e.markets.get(t)?.trades ?? [])] : [...e.markets.values()].flatMap((m) => m.trades);
      const minTs = c.q.get('min_ts');
      const maxTs = c.q.get('max_ts');
      if (minTs) trades = trades.filter((x) => x.tsMs >= Number(minTs) * 1000);
      if (maxTs) trades = trades.filter((x) => x.tsMs <= Number(maxTs) * 1000);
      trades.sort((a, b) => b.tsMs - a.tsMs);
      const pg = page(trades, c.q);
      return { status: 200, body: { cursor: pg.cursor, trades: pg.items.map(tradeJson) } };
    });
    this.r('GET', '/markets/orderbooks', false, (c) => {
      const tickers = c.q.getAll('tickers').flatMap((t) => t.split(',')).filter((t) => t);
      if (tickers.length === 0 || tickers.length > REST_LIMITS.maxOrderbookTickers) {
        return { status: 400, body: { msg: `Parameter validation failed: tickers must list 1 to ${REST_LIMITS.maxOrderbookTickers} markets` } };
      }
      const out = [];
      for (const t of tickers) {
        const m = e.markets.get(t);
        if (!m) return E(404, 'not_found', 'market not found', t);
        out.push({ orderbook_fp: orderbookFp(m), ticker: t });
      }
      return { status: 200, body: { orderbooks: out } };
    });
    this.r('GET', '/markets/{ticker}', false, (c) => {
      const m = e.markets.get(c.p[0]);
      return m ? { status: 200, body: { market: marketJson(m) } } : E(404, 'not_found', 'market not found', c.p[0]);
    });
    this.r('GET', '/markets/{ticker}/orderbook', false, (c) => {
      const m = e.markets.get(c.p[0]);
      if (!m) return E(404, 'not_found', 'market not found', c.p[0]);
      const d = c.q.get('depth');
      const depth = d === null ? 0 : Number(d);
      if (!Number.isInteger(depth) || depth < 0 || depth > 100) return { status: 400, body: { msg: 'Parameter validation failed: depth must be 0..100' } };
      return { status: 200, body: { orderbook_fp: orderbookFp(m, depth) } };
    });
    // ---- events: grouped from the markets' event tickers (GET /events, GET /events/{event_ticker})
    this.r('GET', '/events', false, (c) => {
      let list = eventsOf(e);
      const se = c.q.get('series_ticker');
      if (se) list = list.filter((ev) => ev.markets[0].spec.seriesTicker === se);
      const st = c.q.get('status');
      if (st) {
        const sts = st.split(',');
        list = list.filter((ev) => ev.markets.some((m) => sts.some((s) => statusMatches(s, m.status))));
      }
      const nested = c.q.get('with_nested_markets') === 'true';
      const pg = page(list, c.q, 200);
      return { status: 200, body: { cursor: pg.cursor, events: pg.items.map((ev) => (nested ? { ...eventJson(ev), markets: ev.markets.map(marketJson) } : eventJson(ev))), milestones: [] } };
    });
    this.r('GET', '/events/{event_ticker}', false, (c) => {
      const ev = eventsOf(e).find((x) => x.eventTicker === c.p[0]);
      return ev ? { status: 200, body: { event: eventJson(ev), markets: ev.markets.map(marketJson) } } : E(404, 'not_found', 'event not found', c.p[0]);
    });
    // ---- series
    this.r('GET', '/series', false, () => ({ status: 200, body: { series: [...e.series.values()].map(seriesJson) } }));
    this.r('GET', '/series/fee_changes', false, () => ({ status: 200, body: { series_fee_change_arr: [] } }));
    this.r('GET', '/series/{series_ticker}', false, (c) => {
      const s = e.series.get(c.p[0]);
      return s ? { status: 200, body: { series: seriesJson(s) } } : E(404, 'not_found', 'series not found', c.p[0]);
    });
    // ---- account
    this.r('GET', '/account/limits', true, () => {
      const t = this.limiter.tier;
      return {
        status: 200,
        body: {
          usage_tier: this.limiter.tierName,
          read: { refill_rate: t.read.refill, bucket_capacity: t.read.capacity },
          write: { refill_rate: t.write.refill, bucket_capacity: t.write.capacity },
          grants: [],
        },
      };
    });
    this.r('GET', '/account/endpoint_costs', false, () => ({
      status: 200,
      body: { default_cost: DEFAULT_COST, endpoint_costs: ENDPOINT_COSTS.map((x) => ({ cost: x.cost, method: x.method, path: x.path })) },
    }));
    // ---- V2 orders
    this.r('POST', '/portfolio/events/orders', true, (c) => {
      const req = parseOrder(c.body);
      const r = e.createOrder(c.userId, req);
      if (!r.ok) return fromErr(r);
      return { status: 201, body: orderSummary(r, c.nowMs) };
    });
    this.r('POST', '/portfolio/events/orders/batched', true, (c) => {
      const b = obj(c.body);
      if (!Array.isArray(b.orders)) return flatBad('json: orders must be an array');
      const out = [];
      for (const item of b.orders) {
        let req: NewOrder;
        try {
          req = parseOrder(item);
        } catch (x) {
          if (!(x instanceof BadInput)) throw x;
          const body = x.reply.body as { error?: Record<string, unknown> } & Record<string, unknown>;
          out.push({ client_order_id: null, error: body.error ?? body, ts_ms: null });
          continue;
        }
        const r = e.createOrder(c.userId, req);
        if (!r.ok) out.push({ client_order_id: req.clientOrderId ?? null, error: errorBody(r), ts_ms: null });
        else out.push(orderSummary(r, c.nowMs));
      }
      return { status: 201, body: { orders: out } };
    });
    // Cancel All (kalshi-api.md, OpenAPI 3.29): every resting order of the account, one call
    this.r('DELETE', '/portfolio/events/orders', true, (c) => {
      const out = [];
      for (const o of e.restingOrders(c.userId)) {
        const r = e.cancelOrder(c.userId, o.orderId);
        if (r.ok) out.push({ client_order_id: r.order.clientOrderId || undefined, order_id: r.order.orderId, reduced_by: formatCount(r.reducedCenti), ts_ms: c.nowMs });
      }
      return { status: 200, body: { orders: out } };
    });
    this.r('DELETE', '/portfolio/events/orders/batched', true, (c) => {
      const b = obj(c.body);
      if (!Array.isArray(b.orders)) return flatBad('json: orders must be an array');
      const out = [];
      for (const item of b.orders as Array<Record<string, unknown>>) {
        const id = item && typeof item.order_id === 'string' ? item.order_id : '';
        const r = e.cancelOrder(c.userId, id, 'Canceled', shardArg(item?.exchange_index));
        if (!r.ok) out.push({ error: errorBody(r), order_id: id, reduced_by: '0.00', ts_ms: null });
        else out.push({ client_order_id: r.order.clientOrderId || undefined, order_id: id, reduced_by: formatCount(r.reducedCenti), ts_ms: c.nowMs });
      }
      return { status: 200, body: { orders: out } };
    });
    this.r('DELETE', '/portfolio/events/orders/{order_id}', true, (c) => {
      const shard = shardArg(c.q.get('exchange_index'));
      const r = e.cancelOrder(c.userId, c.p[0], 'Canceled', shard);
      if (!r.ok) return fromErr(r);
      return { status: 200, body: { client_order_id: r.order.clientOrderId || undefined, order_id: r.order.orderId, reduced_by: formatCount(r.reducedCenti), ts_ms: c.nowMs } };
    });
    this.r('POST', '/portfolio/events/orders/{order_id}/amend', true, (c) => {
      const b = obj(c.body);
      const S = 'AmendOrderV2Request';
      const side = str(b, 'side', S, true)!;
      if (side !== 'bid' && side !== 'ask') return E(400, 'bad_request', 'bad request', "side must be 'bid' or 'ask'");
      const r = e.amendOrder(c.userId, c.p[0], {
        ticker: str(b, 'ticker', S, true)!,
        side,
        price: priceArg(str(b, 'price', S, true)!),
        countCenti: countArg(str(b, 'count', S, true)!, 'count'),
        clientOrderId: str(b, 'client_order_id', S, false),
        updatedClientOrderId: str(b, 'updated_client_order_id', S, false),
      });
      if (!r.ok) return fromErr(r);
      const body: Record<string, unknown> = {
        client_order_id: r.order.clientOrderId || undefined,
        fill_count: formatCount(r.fillCenti),
        order_id: r.order.orderId,
        remaining_count: formatCount(r.order.remainingCenti),
        ts_ms: c.nowMs,
      };
      if (r.fillCenti > 0) {
        body.average_fill_price = avgPrice(r.fillCostMicro, r.fillCenti);
        body.average_fee_paid = avgFee(r.feeMoney, r.fillCenti);
      }
      return { status: 200, body };
    });
    this.r('POST', '/portfolio/events/orders/{order_id}/decrease', true, (c) => {
      const b = obj(c.body);
      const S = 'DecreaseOrderV2Request';
      const by = str(b, 'reduce_by', S, false);
      const to = str(b, 'reduce_to', S, false);
      const r = e.decreaseOrder(c.userId, c.p[0], {
        reduceByCenti: by !== undefined ? countArg(by, 'reduce_by') : undefined,
        reduceToCenti: to !== undefined ? countArg(to, 'reduce_to') : undefined,
      });
      if (!r.ok) return fromErr(r);
      return { status: 200, body: { client_order_id: r.order.clientOrderId || undefined, order_id: r.order.orderId, remaining_count: formatCount(r.order.remainingCenti), ts_ms: c.nowMs } };
    });
    // ---- order reads
    this.r('GET', '/portfolio/orders', true, (c) => {
      let list: OrderRec[] = [];
      for (const o of e.orders.values()) {
        if (o.userId !== c.userId) continue;
        const seen = this.reads.order(o);
        if (seen) list.push(seen);
      }
      const t = c.q.get('ticker');
      const ev = c.q.get('event_ticker');
      const st = c.q.get('status');
      const minTs = c.q.get('min_ts');
      const maxTs = c.q.get('max_ts');
      if (t) list = list.filter((o) => o.ticker === t);
      if (ev) list = list.filter((o) => e.markets.get(o.ticker)?.spec.eventTicker === ev);
      if (st) list = list.filter((o) => o.status === st);
      if (minTs) list = list.filter((o) => o.createdMs >= Number(minTs) * 1000);
      if (maxTs) list = list.filter((o) => o.createdMs <= Number(maxTs) * 1000);
      list.sort((a, b) => b.createdMs - a.createdMs || (a.orderId < b.orderId ? -1 : 1));
      const pg = page(list, c.q);
      return { status: 200, body: { cursor: pg.cursor, orders: pg.items.map(orderJson) } };
    });
    this.r('GET', '/portfolio/orders/queue_positions', true, (c) => {
      const mts = (c.q.get('market_tickers') ?? '').split(',').filter((x) => x);
      const ev = c.q.get('event_ticker');
      if (mts.length === 0 && !ev) return E(400, 'bad_request', 'bad request', 'market_tickers or event_ticker is required');
      const out = [];
      for (const o of e.restingOrders(c.userId)) {
        if (mts.length > 0 && !mts.includes(o.ticker)) continue;
        if (ev && e.markets.get(o.ticker)?.spec.eventTicker !== ev) continue;
        const q = e.queuePositionCenti(c.userId, o.orderId);
        out.push({ market_ticker: o.ticker, order_id: o.orderId, queue_position_fp: formatCount(typeof q === 'number' ? q : 0) });
      }
      return { status: 200, body: { queue_positions: out } };
    });
    this.r('GET', '/portfolio/orders/{order_id}', true, (c) => {
      const cur = e.orders.get(c.p[0]);
      const o = cur && cur.userId === c.userId ? this.reads.order(cur) : null;
      if (!o) return E(404, 'not_found', 'order not found', c.p[0]);
      return { status: 200, body: { order: orderJson(o) } };
    });
    this.r('GET', '/portfolio/orders/{order_id}/queue_position', true, (c) => {
      const q = e.queuePositionCenti(c.userId, c.p[0]);
      if (typeof q !== 'number') return fromErr(q);
      return { status: 200, body: { queue_position_fp: formatCount(q) } };
    });
    // ---- portfolio
    this.r('GET', '/portfolio/balance', true, (c) => {
      const a = e.accounts.get(c.userId)!;
      const avail = a.cashMicro - a.reservedMicro;
      let value = 0;
      for (const p of a.positions.values()) {
        const m = e.markets.get(p.ticker);
        if (!m || p.positionCenti === 0) continue;
        const mark = p.positionCenti > 0 ? m.book.bestBid() : 10_000 - m.book.bestAsk();
        value += Math.abs(p.positionCenti) * (m.book.bestBidIdx < 0 && p.positionCenti > 0 ? 0 : mark);
      }
      const availMoney = Math.floor(avail / 100);
      const breakdown = a.shardCashMicro.map((cash, i) => ({ balance: formatPrice(Math.floor((cash - a.shardReservedMicro[i]) / 100)), exchange_index: i }));
      return {
        status: 200,
        body: {
          balance: Math.floor(avail / 10_000),
          balance_breakdown: breakdown,
          balance_dollars: formatPrice(availMoney),
          portfolio_value: Math.floor(value / 10_000),
          updated_ts: Math.floor(a.updatedMs / 1000),
        },
      };
    });
    this.r('GET', '/portfolio/positions', true, (c) => {
      const a = e.accounts.get(c.userId)!;
      let list: PositionRec[] = [];
      for (const p of a.positions.values()) {
        const seen = this.reads.position(c.userId, p);
        if (seen) list.push(seen);
      }
      const t = c.q.get('ticker');
      const ev = c.q.get('event_ticker');
      const cf = c.q.get('count_filter');
      if (t) list = list.filter((p) => p.ticker === t);
      if (ev) list = list.filter((p) => e.markets.get(p.ticker)?.spec.eventTicker === ev);
      if (cf) {
        const f = cf.split(',');
        list = list.filter((p) => (f.includes('position') && p.positionCenti !== 0) || (f.includes('total_traded') && p.totalTradedMicro !== 0));
      }
      list.sort((x, y) => (x.ticker < y.ticker ? -1 : 1));
      const pg = page(list, c.q);
      return { status: 200, body: { cursor: pg.cursor, event_positions: eventPositions(e, a), market_positions: pg.items.map(positionJson) } };
    });
    this.r('GET', '/portfolio/fills', true, (c) => {
      const a = e.accounts.get(c.userId)!;
      let list = a.fills.slice().reverse();
      const t = c.q.get('ticker');
      const oid = c.q.get('order_id');
      const minTs = c.q.get('min_ts');
      const maxTs = c.q.get('max_ts');
      if (t) list = list.filter((f) => f.ticker === t);
      if (oid) list = list.filter((f) => f.orderId === oid);
      if (minTs) list = list.filter((f) => f.tsMs >= Number(minTs) * 1000);
      if (maxTs) list = list.filter((f) => f.tsMs <= Number(maxTs) * 1000);
      const pg = page(list, c.q);
      return { status: 200, body: { cursor: pg.cursor, fills: pg.items.map(fillJson) } };
    });
    this.r('GET', '/portfolio/settlements', true, (c) => {
      const a = e.accounts.get(c.userId)!;
      const pg = page(a.settlements.slice().reverse(), c.q);
      return { status: 200, body: { cursor: pg.cursor, settlements: pg.items.map(settlementJson) } };
    });
    // Cash between shards. The request's field names are not documented where we looked
    // (kalshi-api.md section 9 names only the endpoint): from/to exchange index and a dollar amount.
    this.r('POST', '/portfolio/intra_exchange_instance_transfer', true, (c) => {
      const b = obj(c.body);
      const S = 'IntraExchangeInstanceTransferRequest';
      const from = int(b, 'from_exchange_index', S);
      const to = int(b, 'to_exchange_index', S);
      const amount = str(b, 'amount_dollars', S, true)!;
      if (from === undefined || to === undefined) return E(400, 'bad_request', 'bad request', 'from_exchange_index and to_exchange_index are required');
      let micro: number;
      try {
        micro = parsePrice(amount, 'amount_dollars') * 100;
      } catch (x) {
        return E(400, 'bad_request', 'bad request', (x as Error).message);
      }
      const r = e.transferBetweenShards(c.userId, from, to, micro);
      return 'http' in r ? fromErr(r) : { status: 200, body: {} };
    });
    this.r('GET', '/portfolio/summary/total_resting_order_value', true, (c) => {
      const a = e.accounts.get(c.userId)!;
      return { status: 200, body: { total_resting_order_value: Math.floor(a.reservedMicro / 10_000) } };
    });
    // ---- order groups
    this.r('GET', '/portfolio/order_groups', true, (c) => ({
      status: 200,
      body: {
        order_groups: [...e.groups.values()]
          .filter((g) => g.userId === c.userId)
          .map((g) => ({ contracts_limit_fp: formatCount(g.contractsLimitCenti), exchange_index: 0, id: g.id, is_auto_cancel_enabled: g.triggered })),
      },
    }));
    this.r('POST', '/portfolio/order_groups/create', true, (c) => {
      const b = obj(c.body);
      const S = 'CreateOrderGroupRequest';
      const fp = str(b, 'contracts_limit_fp', S, false);
      const n = int(b, 'contracts_limit', S);
      const limit = fp !== undefined ? countArg(fp, 'contracts_limit_fp') : n !== undefined ? n * 100 : undefined;
      if (limit === undefined) return E(400, 'bad_request', 'bad request', 'contracts_limit or contracts_limit_fp is required');
      const g = e.createOrderGroup(c.userId, limit, int(b, 'subaccount', S) ?? 0);
      if ('ok' in g) return fromErr(g);
      return { status: 201, body: { exchange_index: 0, order_group_id: g.id, subaccount: g.subaccount } };
    });
    this.r('GET', '/portfolio/order_groups/{order_group_id}', true, (c) => {
      const g = e.groups.get(c.p[0]);
      if (!g || g.userId !== c.userId) return E(404, 'not_found', 'order group not found', c.p[0]);
      return {
        status: 200,
        body: {
          contracts_limit_fp: formatCount(g.contractsLimitCenti),
          exchange_index: 0,
          is_auto_cancel_enabled: g.triggered,
          orders: e.groupOrders(g).map((o) => o.orderId),
        },
      };
    });
    const simple = (f: (u: string, id: string) => EngineError | { ok: true }) => (c: Ctx) => {
      const r = f(c.userId, c.p[0]);
      return 'http' in r ? fromErr(r) : { status: 200, body: {} };
    };
    this.r('DELETE', '/portfolio/order_groups/{order_group_id}', true, simple((u, id) => e.deleteOrderGroup(u, id)));
    this.r('PUT', '/portfolio/order_groups/{order_group_id}/reset', true, simple((u, id) => e.resetOrderGroup(u, id)));
    this.r('PUT', '/portfolio/order_groups/{order_group_id}/trigger', true, simple((u, id) => e.triggerOrderGroup(u, id)));
    this.r('PUT', '/portfolio/order_groups/{order_group_id}/limit', true, (c) => {
      const b = obj(c.body);
      const S = 'UpdateOrderGroupLimitRequest';
      const fp = str(b, 'contracts_limit_fp', S, false);
      const n = int(b, 'contracts_limit', S);
      const limit = fp !== undefined ? countArg(fp, 'contracts_limit_fp') : n !== undefined ? n * 100 : undefined;
      if (limit === undefined) return E(400, 'bad_request', 'bad request', 'contracts_limit or contracts_limit_fp is required');
      const r = e.setOrderGroupLimit(c.userId, c.p[0], limit);
      return 'http' in r ? fromErr(r) : { status: 200, body: {} };
    });
    // ---- legacy order mutations: deprecated by the venue (2026-06-18..25)
    const legacy = () => E(400, 'deprecated_endpoint', 'Please switch to the V2 endpoints');
    this.r('POST', '/portfolio/orders', true, legacy);
    this.r('DELETE', '/portfolio/orders/{order_id}', true, legacy);
    this.r('POST', '/portfolio/orders/{order_id}/amend', true, legacy);
    this.r('POST', '/portfolio/orders/{order_id}/decrease', true, legacy);
    this.r('POST', '/portfolio/orders/batched', true, legacy);
    this.r('DELETE', '/portfolio/orders/batched', true, legacy);
  }

  // ------------------------------------------------------------ dispatch

  private outcome(r: Reply): RestOutcome {
    const bodyText = r.raw ? JSON.stringify(r.body) : sortedJson(r.body);
    return { kind: 'reply', status: r.status, bodyText, delayMs: this.getFaults().restLatencyMs };
  }

  /** HTTP adapter: reads the body, answers through `respond`. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    const write = (o: RestOutcome) => {
      if (o.kind === 'no_reply') {
        this.after(o.resetAfterMs, () => res.destroy());
        return;
      }
      const send = () => {
        if (res.writableEnded || res.destroyed) return;
        res.writeHead(o.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(o.bodyText) });
        res.end(o.bodyText);
      };
      if (o.delayMs > 0) this.after(o.delayMs, send);
      else send();
    };
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > REST_LIMITS.maxBodyBytes) {
        write(this.outcome(E(413, 'bad_request', 'request body too large')));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (size > REST_LIMITS.maxBodyBytes) return;
      write(this.respond(req.method ?? 'GET', req.url ?? '/', req.headers, Buffer.concat(chunks).toString('utf8')));
    });
  }

  /**
   * One request, socket-free and synchronous: faults -> auth -> rate limit -> handler.
   * `url` is the path with its query (e.g. /trade-api/v2/portfolio/orders?status=resting);
   * header names are lower case.
   */
  respond(method: string, url: string, headers: IncomingHttpHeaders, text: string): RestOutcome {
    if (Buffer.byteLength(text) > REST_LIMITS.maxBodyBytes) return this.outcome(E(413, 'bad_request', 'request body too large'));
    let out: RestOutcome;
    try {
      out = this.dispatch(method.toUpperCase(), url, headers, text);
    } catch (x) {
      return this.outcome(E(500, 'internal_server_error', 'internal server error', (x as Error).message));
    }
    // a write carried out whose answer is lost: the connection resets at once (faults.restLostReplyProb)
    const f = this.getFaults();
    if (out.kind === 'reply' && method.toUpperCase() !== 'GET' && f.restLostReplyProb > 0 && this.rng.chance(f.restLostReplyProb)) return { kind: 'no_reply', resetAfterMs: 0 };
    return out;
  }

  private dispatch(method: string, url: string, headers: IncomingHttpHeaders, text: string): RestOutcome {
    const qi = url.indexOf('?');
    const path = qi >= 0 ? url.slice(0, qi) : url;
    const q = new URLSearchParams(qi >= 0 ? url.slice(qi + 1) : '');
    if (path.startsWith('/sim/admin/')) return this.outcome(this.adminRoute(method, path, text));
    this.stats.requests++;
    const f = this.getFaults();
    if (f.rate429Storm) {
      this.stats.rejected429++;
      return this.outcome({ status: 429, body: { error: 'too many requests' } });
    }
    if (f.restTimeoutProb > 0 && this.rng.chance(f.restTimeoutProb)) return { kind: 'no_reply', resetAfterMs: f.restTimeoutMs };
    if (f.rest5xxProb > 0 && this.rng.chance(f.rest5xxProb)) {
      return this.outcome(this.rng.chance(0.5) ? E(500, 'internal_server_error', 'internal server error') : E(503, 'service_unavailable', 'service unavailable'));
    }
    if (f.accountReadsFail && method === 'GET' && ACCOUNT_READ_RE.test(path)) return this.outcome(E(503, 'service_unavailable', 'account reads unavailable'));
    let route: Route | undefined;
    let m: RegExpExecArray | null = null;
    let pathMatched = false;
    for (const r of this.routes) {
      m = r.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method === method) {
        route = r;
        break;
      }
    }
    if (!route || !m) return this.outcome(pathMatched ? E(405, 'method_not_allowed', 'method not allowed') : E(404, 'not_found', 'not found', path));
    const nowMs = this.nowMs();
    let userId = '';
    const hasAuth = headers['kalshi-access-key'] !== undefined || headers['kalshi-access-signature'] !== undefined;
    if (route.auth || hasAuth) {
      const a = this.keys.check(headers, method, path, nowMs);
      if (!a.ok) return this.outcome(E(401, a.code, a.message, a.details));
      userId = a.userId;
    }
    let body: unknown = undefined;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch (x) {
        return this.outcome(flatBad(`invalid character in JSON body: ${(x as Error).message}`));
      }
    }
    if (userId) {
      const n = Array.isArray((body as { orders?: unknown[] } | undefined)?.orders) ? (body as { orders: unknown[] }).orders.length : 1;
      const c = costOf(method, route.template, n);
      const shard = c.bucket === 'write' ? bucketShard(method, route.template, body, q) : 0;
      if (!this.limiter.take(shard > 0 ? `${userId}@shard${shard}` : userId, c.bucket, c.cost, nowMs)) {
        this.stats.rejected429++;
        return this.outcome({ status: 429, body: { error: 'too many requests' } });
      }
    }
    const params = m.slice(1).map((s) => decodeURIComponent(s));
    let reply: Reply;
    try {
      reply = route.h({ userId, q, p: params, body, nowMs });
    } catch (x) {
      if (x instanceof BadInput) reply = x.reply;
      else throw x;
    }
    return this.outcome(reply);
  }

  private adminRoute(method: string, path: string, text: string): Reply {
    let body: Record<string, unknown> = {};
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        return { status: 400, body: { error: 'admin body must be JSON' }, raw: true };
      }
    }
    const a = this.admin;
    if (path === '/sim/admin/faults') {
      if (method === 'GET') return { status: 200, body: a.getFaults(), raw: true };
      if (method === 'DELETE') {
        a.clearFaults();
        return { status: 200, body: a.getFaults(), raw: true };
      }
      if (method === 'POST') {
        const p = checkFaults(body);
        if (typeof p === 'string') return { status: 400, body: { error: p }, raw: true };
        a.setFaults(p);
        return { status: 200, body: a.getFaults(), raw: true };
      }
    }
    if (method === 'POST' && path === '/sim/admin/ws/drop') {
      a.dropWebSockets();
      return { status: 200, body: { dropped: true }, raw: true };
    }
    if (method === 'POST' && path === '/sim/admin/pause') {
      a.pauseExchange();
      return { status: 200, body: { exchange_active: false }, raw: true };
    }
    if (method === 'POST' && path === '/sim/admin/resume') {
      a.resumeExchange();
      return { status: 200, body: { exchange_active: true }, raw: true };
    }
    if (method === 'GET' && path === '/sim/admin/records') return { status: 200, body: a.records(), raw: true };
    if (method === 'POST' && path === '/sim/admin/burst') {
      const ops = typeof body.ops === 'number' ? body.ops : 1000;
      a.burst(ops, typeof body.ticker === 'string' ? body.ticker : undefined);
      return { status: 200, body: { ops }, raw: true };
    }
    const mm = /^\/sim\/admin\/markets\/([^/]+)\/(settle|book|deactivate|activate|close|determine|dispute|resolve)$/.exec(path);
    if (mm) {
      const ticker = decodeURIComponent(mm[1]);
      const m = this.engine.markets.get(ticker);
      if (!m) return { status: 404, body: { error: `unknown market ${ticker}` }, raw: true };
      if (mm[2] === 'book' && method === 'GET') return { status: 200, body: { orderbook_fp: orderbookFp(m) }, raw: true };
      if (mm[2] === 'settle' && method === 'POST') {
        if (body.result !== 'yes' && body.result !== 'no') return { status: 400, body: { error: "result must be 'yes' or 'no'" }, raw: true };
        const r = a.settleMarket(ticker, body.result);
        return 'http' in r ? { status: r.http, body: { error: r.message }, raw: true } : { status: 200, body: { settled: ticker }, raw: true };
      }
      const asReply = (r: EngineError | { ok: true }) => ('http' in r ? { status: r.http, body: { error: r.message }, raw: true } : { status: 200, body: { status: m.status }, raw: true });
      if (mm[2] === 'close' && method === 'POST') {
        this.engine.closeMarket(ticker);
        return { status: 200, body: { status: m.status }, raw: true };
      }
      if ((mm[2] === 'determine' || mm[2] === 'resolve') && method === 'POST') {
        if (body.result !== 'yes' && body.result !== 'no') return { status: 400, body: { error: "result must be 'yes' or 'no'" }, raw: true };
        return asReply(mm[2] === 'determine' ? this.engine.determineMarket(ticker, body.result) : this.engine.resolveDispute(ticker, body.result));
      }
      if (mm[2] === 'dispute' && method === 'POST') return asReply(this.engine.disputeMarket(ticker));
      if (mm[2] === 'deactivate' && method === 'POST') {
        const r = this.engine.deactivateMarket(ticker);
        return 'http' in r ? { status: r.http, body: { error: r.message }, raw: true } : { status: 200, body: { status: 'inactive' }, raw: true };
      }
      if (mm[2] === 'activate' && method === 'POST') {
        const r = this.engine.activateMarket(ticker);
        return 'http' in r ? { status: r.http, body: { error: r.message }, raw: true } : { status: 200, body: { status: 'active' }, raw: true };
      }
    }
    return { status: 404, body: { error: `unknown admin route ${method} ${path}` }, raw: true };
  }
}

interface SimEvent {
  eventTicker: string;
  markets: MarketState[];
}

/** The venue's events, in market order: markets grouped by event ticker. */
function eventsOf(e: Engine): SimEvent[] {
  const byTicker = new Map<string, SimEvent>();
  for (const m of e.markets.values()) {
    const ev = byTicker.get(m.spec.eventTicker) ?? { eventTicker: m.spec.eventTicker, markets: [] };
    ev.markets.push(m);
    byTicker.set(m.spec.eventTicker, ev);
  }
  return [...byTicker.values()];
}

/** The event object (fields as the recorded GET /events/{event_ticker}); exclusive when its markets are. */
function eventJson(ev: SimEvent): Record<string, unknown> {
  const s = ev.markets[0].spec;
  const exclusive = ev.markets.every((m) => m.spec.mutuallyExclusive === true);
  return {
    available_on_brokers: false,
    category: ev.markets[0].series.category,
    collateral_return_type: exclusive ? 'MECNET' : '',
    event_ticker: ev.eventTicker,
    mutually_exclusive: exclusive,
    series_ticker: s.seriesTicker,
    strike_period: '',
    sub_title: s.yesSubTitle,
    title: s.title,
  };
}

function seriesJson(s: { ticker: string; title: string; category: string; feeType: string; feeMultiplierMilli: number }): Record<string, unknown> {
  return {
    additional_prohibitions: null,
    categories: [s.category],
    category: s.category,
    contract_terms_url: `https://kalshi-public-docs.s3.amazonaws.com/contract_terms/${s.ticker}.pdf`,
    contract_url: `https://kalshi-public-docs.s3.amazonaws.com/regulatory/product-certifications/${s.ticker}.pdf`,
    fee_multiplier: s.feeMultiplierMilli / 1000,
    fee_type: s.feeType,
    frequency: 'custom',
    settlement_sources: [],
    tags: [],
    ticker: s.ticker,
    title: s.title,
  };
}

const DAY_OPEN = [{ close_time: '00:00', open_time: '00:00' }];
const SCHEDULE = {
  maintenance_windows: [],
  standard_hours: [
    {
      end_time: '2200-12-01T00:00:00Z',
      friday: DAY_OPEN,
      monday: DAY_OPEN,
      saturday: DAY_OPEN,
      start_time: '2024-12-01T00:00:00Z',
      sunday: DAY_OPEN,
      thursday: [
        { close_time: '03:00', open_time: '00:00' },
        { close_time: '00:00', open_time: '05:00' },
      ],
      tuesday: DAY_OPEN,
      wednesday: DAY_OPEN,
    },
  ],
};

export type { OrderRec };
