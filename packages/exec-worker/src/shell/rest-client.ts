/**
 * Kalshi REST client on got (kalshi-api.md section 2): keep-alive agents, per-call timeouts,
 * typed results (never throws for venue or network trouble: errors are RestError values mapped to
 * kmm.v1.RejectCode), cached signatures for the constant order paths (SignatureCache), and a
 * wire timestamp per call (the moment the request was handed to the socket: ClientRequest
 * 'finish'), so exec can measure target-to-wire latency.
 *
 * Retries (bounded by RETRY_LIMITS, backoff doubling from RETRY_BASE_MS) only where safe:
 * idempotent reads; creates with the same body, i.e. the same client_order_id (a duplicate then
 * answers 409 and reconciliation finds the order); cancels (a repeat answers 404). Amend and
 * decrease are not retried. A 429 is never retried here: the core pauses new orders.
 * A 401 on a cached signature is retried once with a fresh signature (clock skew safety).
 *
 * Virtual time (deterministic simulation): `transport` replaces node:http/got (same signing,
 * parsing and error mapping), `sleep` the retry backoff wait, `setTimer` the request timeout,
 * `wallMs` the signatures' clock. With a transport no background timer runs: cached signatures
 * are re-signed inline when stale.
 */
import http from 'node:http';
import https from 'node:https';
import got, { type Got } from 'got';
import { kmm, formatCount, formatPrice, parseCount, type Signer, type AuthHeaders } from '@kmm/shared';
import type { VenueOrder, VenuePosition } from '../core/types.js';
import { SignatureCache } from './signature-cache.js';
import { mapVenueError, parseVenueFill, parseVenueMarket, parseVenueOrder, parseVenuePosition, VenueFormatError, type VenueError } from './venue.js';

const RC = kmm.v1.RejectCode;
const BID = kmm.v1.BookSide.BID;

export const RETRY_LIMITS = { read: 2, create: 1, cancel: 1, once: 0 } as const;
export const RETRY_BASE_MS = 100;
/** Pages fetched per paginated read at most (overflow: the read fails rather than truncating silently). */
export const MAX_PAGES = 50;
export const PAGE_LIMIT = 1000;

export type CallKind = keyof typeof RETRY_LIMITS;

/** One request as it would go on the wire: absolute url (with query), headers, body text. */
export interface RestTransportRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}
/**
 * Sends a request somewhere other than a socket (e.g. MemoryExchange.restTransport()). Resolves
 * with the HTTP status and body text; rejects with an Error carrying a Node-style `code`
 * (ECONNRESET, ECONNREFUSED, ...) when the connection fails; may never settle (the client's
 * timeout then fires through `setTimer`).
 */
export type RestTransport = (req: RestTransportRequest) => Promise<{ status: number; bodyText: string }>;

export interface RestError extends VenueError {
  /** network-level error name (ETIMEDOUT, ECONNRESET, ...) when there was no HTTP answer */
  network?: string;
}

export type RestResult<T> =
  | { ok: true; value: T; status: number; latencyUs: number; wireMonoNs: number }
  | { ok: false; error: RestError; latencyUs: number; wireMonoNs: number };

export interface RestClientOptions {
  /** e.g. http://127.0.0.1:PORT/trade-api/v2 */
  baseUrl: string;
  /** without one only public reads work */
  signer?: Signer;
  /** order calls (ms) */
  timeoutMs?: number;
  /** reads (ms) */
  readTimeoutMs?: number;
  cancelOrderOnPause?: boolean;
  selfTradePrevention?: 'taker_at_cross' | 'maker';
  /** connections of the reads' pool (got; default 16) */
  maxSockets?: number;
  /** connections of the order writes' own pool (default ORDER_WRITE_SOCKETS) */
  maxWriteSockets?: number;
  /** use the signature cache for constant paths (false: sign every request; bench baseline) */
  cachedSignatures?: boolean;
  signatureMaxAgeMs?: number;
  signatureRefreshMs?: number;
  monoNs?: () => number;
  /** replaces node:http/got (see RestTransport) */
  transport?: RestTransport;
  /** retry backoff wait (default: setTimeout) */
  sleep?: (ms: number) => Promise<void>;
  /** request timeouts with a transport: starts a timer, returns its cancel (default: setTimeout) */
  setTimer?: (ms: number, fn: () => void) => () => void;
  /** wall clock of the signatures' timestamps (default Date.now) */
  wallMs?: () => number;
}

export interface OrderSummary {
  orderId: string;
  clientOrderId: string;
  fillCenti: number;
  remainingCenti: number;
  /**
   * cancels: the contracts the cancel removed (Kalshi's `reduced_by`; -1 or absent: not said).
   * What the order had filled when the cancel landed is its size minus this.
   */
  reducedCenti?: number;
  /** the answer's `ts_ms` (exchange wall ms; 0 or absent: not sent) */
  tsMs?: number;
}

export type BatchItem = ({ ok: true } & OrderSummary) | { ok: false; clientOrderId: string; orderId: string; error: RestError };

export interface QueuePosition {
  market: string;
  orderId: string;
  aheadCenti: number;
}

/**
 * Connections of the order writes' pool. HTTP/1.1 carries one request at a time per connection,
 * so a pool of 16 shared with the reads made new orders wait for a free connection whenever
 * answers were slow: with the exchange answering REST after 200 ms the writes queued ~1 s
 * (`kmm bench latency --rest-delay-ms 200`, bench/RESULTS.md issue 18). Exec's own gates bound
 * the writes in flight (one command per order, the tier's write budget), so the pool never
 * needs to hold a write back; a new connection costs a handshake, a full pool costs the time
 * of the slowest answers. Reads keep their own pool (got, maxSockets).
 */
export const ORDER_WRITE_SOCKETS = 256;

type WireCb = ((wireMonoNs: number) => void) | undefined;

const TIF: Record<number, string> = {
  [kmm.v1.TimeInForce.GOOD_TILL_CANCELED]: 'good_till_canceled',
  [kmm.v1.TimeInForce.IMMEDIATE_OR_CANCEL]: 'immediate_or_cancel',
  [kmm.v1.TimeInForce.FILL_OR_KILL]: 'fill_or_kill',
};

const hr = (): number => Number(process.hrtime.bigint());
/** Real-time sleep: the default retry backoff, and the live exec environment's sleep. */
export function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
const realTimer = (ms: number, fn: () => void): (() => void) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};

export class RestClient {
  readonly basePath: string;
  /** market -> exchange shard, learned from market reads */
  private readonly shards = new Map<string, number>();
  private readonly origin: string;
  private readonly secure: boolean;
  private readonly hostname: string;
  private readonly port: number;
  private readonly got: Got;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  /** the order writes' own keep-alive pool (see ORDER_WRITE_SOCKETS) */
  private readonly writeHttpAgent: http.Agent;
  private readonly writeHttpsAgent: https.Agent;
  readonly sig: SignatureCache | null;
  private readonly cached: boolean;
  private readonly timeoutMs: number;
  private readonly readTimeoutMs: number;
  private readonly monoNs: () => number;
  readonly stats = { calls: 0, retries: 0, errors: 0, http429: 0 };

  constructor(private readonly opts: RestClientOptions) {
    const u = new URL(opts.baseUrl);
    this.origin = u.origin;
    this.secure = u.protocol === 'https:';
    this.hostname = u.hostname.replace(/^\[|\]$/g, '');
    this.port = u.port ? Number(u.port) : this.secure ? 443 : 80;
    this.basePath = u.pathname.replace(/\/$/, '');
    this.timeoutMs = opts.timeoutMs ?? 3000;
    this.readTimeoutMs = opts.readTimeoutMs ?? 10_000;
    this.monoNs = opts.monoNs ?? hr;
    this.cached = opts.cachedSignatures ?? true;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 16, scheduling: 'lifo' });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 16, scheduling: 'lifo' });
    this.writeHttpAgent = new http.Agent({ keepAlive: true, maxSockets: opts.maxWriteSockets ?? ORDER_WRITE_SOCKETS, scheduling: 'lifo' });
    this.writeHttpsAgent = new https.Agent({ keepAlive: true, maxSockets: opts.maxWriteSockets ?? ORDER_WRITE_SOCKETS, scheduling: 'lifo' });
    this.got = got.extend({
      agent: { http: this.httpAgent, https: this.httpsAgent },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      responseType: 'text',
      decompress: true,
    });
    this.sig = opts.signer
      ? new SignatureCache(
          opts.signer,
          [
            ['POST', this.basePath + '/portfolio/events/orders'],
            ['POST', this.basePath + '/portfolio/events/orders/batched'],
            ['DELETE', this.basePath + '/portfolio/events/orders/batched'],
          ],
          opts.signatureMaxAgeMs ?? 2000,
          opts.signatureRefreshMs ?? 1000,
          opts.wallMs ?? Date.now,
        )
      : null;
    if (this.sig && this.cached) {
      if (opts.transport) this.sig.refresh();
      else this.sig.start();
    }
  }

  close(): void {
    this.sig?.stop();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.writeHttpAgent.destroy();
    this.writeHttpsAgent.destroy();
  }

  private auth(method: string, path: string, fresh: boolean): AuthHeaders | undefined {
    if (!this.sig) return undefined;
    return this.cached && !fresh ? this.sig.headers(method, path) : this.sig.signNow(method, path);
  }

  /** One REST call with the retry policy of `kind`. Returns the parsed JSON body or a typed error. */
  async call(method: string, path: string, query: string, body: string | undefined, kind: CallKind, onWire?: WireCb): Promise<RestResult<unknown>> {
    const fullPath = this.basePath + path;
    const url = this.origin + fullPath + (query ? '?' + query : '');
    const timeout = kind === 'read' ? this.readTimeoutMs : this.timeoutMs;
    let freshSig = false;
    for (let attempt = 0; ; attempt++) {
      this.stats.calls++;
      let wire = 0;
      const headers: Record<string, string> = {};
      // live order writes: a signature the cache lacks is made on the thread pool (the other
      // requests of the pump go out meanwhile); virtual time and reads sign here
      let a = this.sig && this.cached && !freshSig && kind !== 'read' && !this.opts.transport ? this.sig.headersOrSign(method, fullPath) : this.auth(method, fullPath, freshSig);
      if (a instanceof Promise) a = await a;
      if (a) Object.assign(headers, a);
      if (body !== undefined) headers['content-type'] = 'application/json';
      let result: RestResult<unknown>;
      try {
        const sent = () => {
          wire = this.monoNs();
          if (onWire) onWire(wire);
        };
        const stamp = (req: http.ClientRequest) => {
          req.once('finish', sent);
        };
        let res: { statusCode: number; body: string };
        if (this.opts.transport) {
          res = await this.viaTransport(this.opts.transport, { method, url, headers, body }, timeout, sent);
        } else if (kind === 'read') {
          const p = this.got(url, { method: method as 'GET', headers, body, timeout: { request: timeout } });
          p.on('request', stamp);
          res = await p;
        } else {
          res = await this.write(method, url.slice(this.origin.length), headers, body, timeout, stamp);
        }
        const latencyUs = wire > 0 ? Math.round((this.monoNs() - wire) / 1000) : -1;
        const status = res.statusCode;
        if (status >= 200 && status < 300) {
          let parsed: unknown = {};
          if (res.body.length > 0) {
            try {
              parsed = JSON.parse(res.body);
            } catch {
              return this.fail({ code: RC.OTHER, http: status, venueCode: '', message: 'response is not JSON' }, latencyUs, wire);
            }
          }
          return { ok: true, value: parsed, status, latencyUs, wireMonoNs: wire };
        }
        const err = mapVenueError(status, res.body);
        if (status === 429) this.stats.http429++;
        result = this.fail(err, latencyUs, wire);
      } catch (e) {
        const name = (e as { code?: string }).code ?? (e as Error).name;
        const timedOut = name === 'ETIMEDOUT' || (e as Error).name === 'TimeoutError';
        // refused: never sent; anything else after sending: unknown outcome, treated like a timeout
        const code = name === 'ECONNREFUSED' ? RC.OTHER : RC.TIMEOUT;
        result = this.fail({ code: timedOut ? RC.TIMEOUT : code, http: 0, venueCode: '', message: (e as Error).message, network: name }, -1, wire);
      }
      if (!result.ok && attempt < RETRY_LIMITS[kind]) {
        const c = result.error.code;
        const authRetry = c === RC.AUTH && this.cached && !freshSig;
        if (authRetry || c === RC.SERVER_ERROR || c === RC.TIMEOUT || (c === RC.OTHER && result.error.network)) {
          if (authRetry) freshSig = true;
          this.stats.retries++;
          await (this.opts.sleep ?? realSleep)(RETRY_BASE_MS * 2 ** attempt);
          continue;
        }
      }
      return result;
    }
  }

  /**
   * Order writes (the hot path: target -> request on the socket) go straight to node:http on
   * the same keep-alive agent: got's per-request option normalisation measured ~1 ms per call
   * inside the running system (bench/RESULTS.md), more than the rest of the path together.
   * Reads keep got. Same contract: status + text body, or an error with a Node error code.
   */
  private write(method: string, path: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number, stamp: (req: http.ClientRequest) => void): Promise<{ statusCode: number; body: string }> {
    return new Promise((resolve, reject) => {
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const req = (this.secure ? https : http).request(
        { protocol: this.secure ? 'https:' : 'http:', hostname: this.hostname, port: this.port, method, path, headers, agent: this.secure ? this.writeHttpsAgent : this.writeHttpAgent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', (err) => {
            clearTimeout(timer);
            reject(err);
          });
        },
      );
      const timer = setTimeout(() => {
        const err = Object.assign(new Error(`request timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
        req.destroy(err);
      }, timeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      stamp(req);
      req.end(body);
    });
  }

  /** A call through the injected transport; the timeout (ETIMEDOUT, as `write`) runs on `setTimer`. */
  private viaTransport(t: RestTransport, req: RestTransportRequest, timeoutMs: number, sent: () => void): Promise<{ statusCode: number; body: string }> {
    return new Promise((resolve, reject) => {
      const cancel = (this.opts.setTimer ?? realTimer)(timeoutMs, () => reject(Object.assign(new Error(`request timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      sent();
      t(req).then(
        (r) => {
          cancel();
          resolve({ statusCode: r.status, body: r.bodyText });
        },
        (err) => {
          cancel();
          reject(err);
        },
      );
    });
  }

  private fail(error: RestError, latencyUs: number, wireMonoNs: number): RestResult<never> {
    this.stats.errors++;
    return { ok: false, error, latencyUs, wireMonoNs };
  }

  // ---------------------------------------------------------------- orders (V2)

  /** the wall clock of signatures and order expirations */
  private wallMs(): number {
    return (this.opts.wallMs ?? Date.now)();
  }

  orderBody(o: kmm.v1.IOrderCommand): Record<string, unknown> {
    const b: Record<string, unknown> = {
      ticker: o.market,
      side: o.side === BID ? 'bid' : 'ask',
      count: formatCount(o.countCenti ?? 0),
      price: formatPrice(o.price ?? 0),
      time_in_force: TIF[o.tif ?? 1] ?? 'good_till_canceled',
      self_trade_prevention_type: this.opts.selfTradePrevention ?? 'taker_at_cross',
      client_order_id: o.clientOrderId,
    };
    if (o.postOnly) b.post_only = true;
    if (o.reduceOnly) b.reduce_only = true;
    if (this.opts.cancelOrderOnPause ?? true) b.cancel_order_on_pause = true;
    if (o.orderGroupId) b.order_group_id = o.orderGroupId;
    // route to the market's shard when known (auto-routing by ticker, the fallback, adds latency
    // and spends the unscoped write bucket; kalshi-api.md sections 5 and 9)
    const shard = this.shards.get(o.market ?? '');
    if (shard !== undefined) b.exchange_index = shard;
    // V2 create: expiration_time in Unix seconds, GTC only (kalshi-api.md 2.4). Rounded down: the
    // order expires at most a second early, which the core's renewal lead covers.
    if (o.expiresInS && (o.tif ?? 1) === kmm.v1.TimeInForce.GOOD_TILL_CANCELED) b.expiration_time = Math.floor(this.wallMs() / 1000) + o.expiresInS;
    return b;
  }

  async createOrder(o: kmm.v1.IOrderCommand, onWire?: WireCb): Promise<RestResult<OrderSummary>> {
    const r = await this.call('POST', '/portfolio/events/orders', '', JSON.stringify(this.orderBody(o)), 'create', onWire);
    return this.map(r, (v) => summary(v, o.clientOrderId ?? ''));
  }

  async batchCreate(orders: kmm.v1.IOrderCommand[], onWire?: WireCb): Promise<RestResult<BatchItem[]>> {
    const body = JSON.stringify({ orders: orders.map((o) => this.orderBody(o)) });
    const r = await this.call('POST', '/portfolio/events/orders/batched', '', body, 'create', onWire);
    return this.map(r, (v) => batchItems(v, orders, 'create'));
  }

  /** Full signed path of an order's amend endpoint. */
  amendPath(orderId: string): string {
    return `${this.basePath}/portfolio/events/orders/${encodeURIComponent(orderId)}/amend`;
  }

  async amend(o: kmm.v1.IOrderCommand, onWire?: WireCb): Promise<RestResult<OrderSummary>> {
    const body = JSON.stringify({ ticker: o.market, side: o.side === BID ? 'bid' : 'ask', price: formatPrice(o.price ?? 0), count: formatCount(o.countCenti ?? 0) });
    const r = await this.call('POST', `/portfolio/events/orders/${encodeURIComponent(o.orderId ?? '')}/amend`, '', body, 'once', onWire);
    return this.map(r, (v) => summary(v, o.clientOrderId ?? ''));
  }

  /** Decrease with reduce_to (idempotent: the same call twice leaves the same remaining size). */
  async decrease(o: kmm.v1.IOrderCommand, onWire?: WireCb): Promise<RestResult<OrderSummary>> {
    const body = JSON.stringify({ reduce_to: formatCount(o.countCenti ?? 0) });
    const r = await this.call('POST', `/portfolio/events/orders/${encodeURIComponent(o.orderId ?? '')}/decrease`, '', body, 'once', onWire);
    return this.map(r, (v) => summary(v, o.clientOrderId ?? ''));
  }

  /** `reducedCenti`: Kalshi's `reduced_by`, the contracts the cancel removed (-1: the answer did not say). */
  async cancel(orderId: string, onWire?: WireCb): Promise<RestResult<{ orderId: string; reducedCenti: number }>> {
    const r = await this.call('DELETE', `/portfolio/events/orders/${encodeURIComponent(orderId)}`, '', undefined, 'cancel', onWire);
    return this.map(r, (v) => ({ orderId, reducedCenti: reducedBy(obj(v)) }));
  }

  async batchCancel(orders: kmm.v1.IOrderCommand[], onWire?: WireCb): Promise<RestResult<BatchItem[]>> {
    const body = JSON.stringify({ orders: orders.map((o) => ({ order_id: o.orderId })) });
    const r = await this.call('DELETE', '/portfolio/events/orders/batched', '', body, 'cancel', onWire);
    return this.map(r, (v) => batchItems(v, orders, 'cancel'));
  }

  /**
   * Cancel All (kalshi-api.md: `DELETE /portfolio/events/orders`): every resting order of the
   * account in one call. Returns how many the exchange reported cancelled (-1: not reported);
   * callers verify with a resting-orders read, never with this count.
   */
  async cancelAll(): Promise<RestResult<number>> {
    const r = await this.call('DELETE', '/portfolio/events/orders', '', undefined, 'cancel');
    return this.map(r, (v) => {
      const orders = obj(v).orders;
      return Array.isArray(orders) ? orders.length : -1;
    });
  }

  // ---------------------------------------------------------------- reads

  private async paged<T>(path: string, query: URLSearchParams, key: string, parse: (x: unknown) => T): Promise<RestResult<T[]>> {
    const out: T[] = [];
    let cursor = '';
    let last: RestResult<unknown> | null = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const q = new URLSearchParams(query);
      q.set('limit', String(PAGE_LIMIT));
      if (cursor) q.set('cursor', cursor);
      last = await this.call('GET', path, q.toString(), undefined, 'read');
      if (!last.ok) return last;
      const body = obj(last.value);
      const items = body[key];
      if (!Array.isArray(items)) return this.fail({ code: RC.OTHER, http: last.status, venueCode: '', message: `${path}: '${key}' is not an array` }, last.latencyUs, last.wireMonoNs);
      for (const it of items) {
        try {
          out.push(parse(it));
        } catch (e) {
          if (e instanceof VenueFormatError) return this.fail({ code: RC.OTHER, http: last.status, venueCode: 'format', message: e.message }, last.latencyUs, last.wireMonoNs);
          throw e;
        }
      }
      cursor = typeof body.cursor === 'string' ? body.cursor : '';
      if (!cursor || items.length === 0) return { ok: true, value: out, status: last.status, latencyUs: last.latencyUs, wireMonoNs: last.wireMonoNs };
    }
    return this.fail({ code: RC.OTHER, http: 0, venueCode: '', message: `${path}: more than ${MAX_PAGES} pages` }, -1, 0);
  }

  getOrders(status: 'resting' | 'canceled' | 'executed' = 'resting', ticker = ''): Promise<RestResult<VenueOrder[]>> {
    const q = new URLSearchParams({ status });
    if (ticker) q.set('ticker', ticker);
    return this.paged('/portfolio/orders', q, 'orders', parseVenueOrder);
  }

  getPositions(): Promise<RestResult<VenuePosition[]>> {
    return this.paged('/portfolio/positions', new URLSearchParams({ count_filter: 'position' }), 'market_positions', parseVenuePosition);
  }

  getFills(minTsMs: number): Promise<RestResult<kmm.v1.IFill[]>> {
    const q = new URLSearchParams();
    if (minTsMs > 0) q.set('min_ts', String(Math.floor(minTsMs / 1000)));
    return this.paged('/portfolio/fills', q, 'fills', parseVenueFill);
  }

  getMarkets(status = 'open', tickers: string[] = []): Promise<RestResult<kmm.v1.IMarketInfo[]>> {
    const q = new URLSearchParams();
    if (status) q.set('status', status);
    if (tickers.length > 0) q.set('tickers', tickers.join(','));
    return this.paged('/markets', q, 'markets', (raw) => {
      const m = parseVenueMarket(raw);
      const idx = (raw as { exchange_index?: unknown }).exchange_index;
      if (typeof idx === 'number' && Number.isInteger(idx) && idx >= 0) this.shards.set(m.market ?? '', idx);
      return m;
    });
  }

  /** The exchange shard of a market (from the market object's exchange_index); orders to it carry it. */
  setShard(market: string, exchangeIndex: number): void {
    if (!Number.isInteger(exchangeIndex) || exchangeIndex < 0) throw new Error(`setShard: exchange_index must be a non-negative integer (got ${exchangeIndex} for ${market})`);
    this.shards.set(market, exchangeIndex);
  }

  async getQueuePositions(markets: string[]): Promise<RestResult<QueuePosition[]>> {
    const r = await this.call('GET', '/portfolio/orders/queue_positions', 'market_tickers=' + encodeURIComponent(markets.join(',')), undefined, 'read');
    return this.map(r, (v) => {
      const list = obj(v).queue_positions;
      if (!Array.isArray(list)) throw new VenueFormatError('queue_positions', 'queue_positions', 'is not an array');
      return list.map((x) => {
        const o = obj(x);
        // current shape: queue_position_fp (contracts); Jan-2026 shape: integer queue_position
        const ahead = o.queue_position_fp !== undefined ? parseCount(o.queue_position_fp, 'queue_position_fp', false) : typeof o.queue_position === 'number' ? o.queue_position * 100 : -1;
        return { market: String(o.market_ticker ?? ''), orderId: String(o.order_id ?? ''), aheadCenti: ahead };
      });
    });
  }

  async createOrderGroup(contractsLimit: number): Promise<RestResult<string>> {
    const r = await this.call('POST', '/portfolio/order_groups/create', '', JSON.stringify({ contracts_limit_fp: formatCount(contractsLimit * 100) }), 'once');
    return this.map(r, (v) => {
      const id = obj(v).order_group_id;
      if (typeof id !== 'string' || !id) throw new VenueFormatError('order_group', 'order_group_id', 'is missing');
      return id;
    });
  }

  async resetOrderGroup(id: string): Promise<RestResult<true>> {
    const r = await this.call('PUT', `/portfolio/order_groups/${encodeURIComponent(id)}/reset`, '', '{}', 'once');
    return this.map(r, () => true as const);
  }

  async getExchangeStatus(): Promise<RestResult<{ exchangeActive: boolean; tradingActive: boolean }>> {
    const r = await this.call('GET', '/exchange/status', '', undefined, 'read');
    return this.map(r, (v) => ({ exchangeActive: obj(v).exchange_active === true, tradingActive: obj(v).trading_active === true }));
  }

  private map<A, B>(r: RestResult<A>, f: (v: A) => B): RestResult<B> {
    if (!r.ok) return r;
    try {
      return { ok: true, value: f(r.value), status: r.status, latencyUs: r.latencyUs, wireMonoNs: r.wireMonoNs };
    } catch (e) {
      return this.fail({ code: RC.OTHER, http: r.status, venueCode: 'format', message: (e as Error).message }, r.latencyUs, r.wireMonoNs);
    }
  }
}

function obj(v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new VenueFormatError('response', '(body)', 'is not an object');
  return v as Record<string, unknown>;
}

function summary(v: unknown, coid: string): OrderSummary {
  const o = obj(v);
  if (typeof o.order_id !== 'string') throw new VenueFormatError('order summary', 'order_id', 'is missing');
  return {
    orderId: o.order_id,
    clientOrderId: typeof o.client_order_id === 'string' && o.client_order_id ? o.client_order_id : coid,
    fillCenti: o.fill_count === undefined ? 0 : parseCount(o.fill_count, 'fill_count', false),
    remainingCenti: o.remaining_count === undefined ? -1 : parseCount(o.remaining_count, 'remaining_count', false),
    tsMs: typeof o.ts_ms === 'number' && Number.isFinite(o.ts_ms) ? o.ts_ms : 0,
  };
}

/** A cancel answer's `reduced_by` (1/100 contract); -1 when absent. */
function reducedBy(o: Record<string, unknown>): number {
  return o.reduced_by === undefined || o.reduced_by === null ? -1 : parseCount(o.reduced_by, 'reduced_by', false);
}

function batchItems(v: unknown, orders: kmm.v1.IOrderCommand[], op: 'create' | 'cancel'): BatchItem[] {
  const list = obj(v).orders;
  if (!Array.isArray(list)) throw new VenueFormatError('batch', 'orders', 'is not an array');
  if (list.length !== orders.length) throw new VenueFormatError('batch', 'orders', `has ${list.length} items for ${orders.length} requests`);
  const out: BatchItem[] = [];
  for (let i = 0; i < list.length; i++) {
    const it = obj(list[i]);
    const req = orders[i];
    if (it.error !== undefined && it.error !== null) {
      const e = it.error;
      const body = JSON.stringify(typeof e === 'object' ? { error: e } : { error: String(e) });
      const code = typeof e === 'object' && e !== null ? String((e as Record<string, unknown>).code ?? '') : '';
      const http = code === 'not_found' ? 404 : code === 'order_already_exists' ? 409 : 400;
      out.push({ ok: false, clientOrderId: req.clientOrderId ?? '', orderId: req.orderId ?? '', error: mapVenueError(http, body) });
      continue;
    }
    if (op === 'cancel') {
      // reduced_by: what the cancel removed; the rest of the order had filled (fills maybe still on their way)
      out.push({ ok: true, orderId: String(it.order_id ?? req.orderId ?? ''), clientOrderId: req.clientOrderId ?? '', fillCenti: 0, remainingCenti: 0, reducedCenti: reducedBy(it) });
    } else {
      const s = summary(it, req.clientOrderId ?? '');
      out.push({ ok: true, ...s, clientOrderId: req.clientOrderId ?? s.clientOrderId });
    }
  }
  return out;
}
