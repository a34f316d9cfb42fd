/**
 * Read-after-write lag of the venue's REST portfolio views (kalshi-api.md section 0, recorded on
 * demo): a GET of an order can still show `resting` ~360 ms after a 200 cancel, and positions
 * lag fills by ~1 s. Writes, the websocket and GET fills are current; GET /portfolio/orders
 * (list and one) shows each order as it was `ordersMs` ago (absent if it did not exist yet), and
 * GET /portfolio/positions each position as it was `positionsMs` ago.
 *
 * Driven by the injected clock only (the socket sim's wall clock, the memory exchange's virtual
 * clock), so a lagged run is as deterministic as any other. Kept per order / position: the
 * versions still inside the lag window plus the newest one before it; a record whose newest
 * version is older than the window is dropped (the current state is then the view).
 */
import type { Clock } from '@kmm/shared';
import type { Caused, EngineListener, FillRec, OrderRec, PositionRec, TradeRec } from '../engine/types.js';

export interface ReadLagOptions {
  /** orders (GET /portfolio/orders, /portfolio/orders/{id}) show their state this long ago */
  ordersMs: number;
  /** positions (GET /portfolio/positions) show their state this long ago */
  positionsMs: number;
}

/** The lag recorded on demo (issue 16's figures). */
export const DEFAULT_READ_LAG: ReadLagOptions = { ordersMs: 360, positionsMs: 1000 };
/** No lag: reads are current (unit tests of other venue behaviour). */
export const NO_READ_LAG: ReadLagOptions = { ordersMs: 0, positionsMs: 0 };

/** Validates lag options; throws naming the bad field. */
export function checkReadLag(o: Partial<ReadLagOptions> | undefined): ReadLagOptions {
  const out = { ...DEFAULT_READ_LAG, ...(o ?? {}) };
  for (const k of ['ordersMs', 'positionsMs'] as const) {
    const v = out[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 600_000) throw new Error(`readLag.${k} must be a number of ms in [0, 600000] (got ${String(v)})`);
  }
  return out;
}

interface Version<T> {
  atMs: number;
  rec: T;
}

export class ReadLag {
  private readonly orderVersions = new Map<string, Array<Version<OrderRec>>>();
  private readonly positionVersions = new Map<string, Array<Version<PositionRec>>>();

  constructor(
    readonly opts: ReadLagOptions,
    private readonly clock: Clock,
  ) {}

  get active(): boolean {
    return this.opts.ordersMs > 0 || this.opts.positionsMs > 0;
  }

  recordOrder(o: OrderRec): void {
    if (this.opts.ordersMs > 0) push(this.orderVersions, o.orderId, { ...o }, this.clock.wallMs(), this.opts.ordersMs);
  }

  recordPosition(userId: string, p: PositionRec): void {
    if (this.opts.positionsMs > 0) push(this.positionVersions, userId + '|' + p.ticker, { ...p }, this.clock.wallMs(), this.opts.positionsMs);
  }

  /** The order as a read now sees it; null when it is not visible yet. */
  order(o: OrderRec): OrderRec | null {
    return view(this.orderVersions, o.orderId, o, this.clock.wallMs() - this.opts.ordersMs);
  }

  /** The position as a read now sees it; null when it is not visible yet. */
  position(userId: string, p: PositionRec): PositionRec | null {
    return view(this.positionVersions, userId + '|' + p.ticker, p, this.clock.wallMs() - this.opts.positionsMs);
  }
}

function push<T>(map: Map<string, Array<Version<T>>>, key: string, rec: T, nowMs: number, lagMs: number): void {
  let v = map.get(key);
  if (!v) map.set(key, (v = []));
  v.push({ atMs: nowMs, rec });
  // keep only the newest version at or before the window's start
  const t = nowMs - lagMs;
  let keepFrom = 0;
  for (let i = v.length - 1; i >= 0; i--) {
    if (v[i].atMs <= t) {
      keepFrom = i;
      break;
    }
  }
  if (keepFrom > 0) v.splice(0, keepFrom);
}

function view<T>(map: Map<string, Array<Version<T>>>, key: string, current: T, asOfMs: number): T | null {
  const v = map.get(key);
  if (!v) return current;
  for (let i = v.length - 1; i >= 0; i--) {
    if (v[i].atMs <= asOfMs) {
      if (i === v.length - 1) {
        // the newest version is old enough: the read is current from now on
        map.delete(key);
        return current;
      }
      if (i > 0) v.splice(0, i);
      return v[0].rec;
    }
  }
  return null;
}

/** Engine listener that records order and position versions for ReadLag, then forwards everything. */
export class ReadLagListener implements EngineListener {
  constructor(
    private readonly next: EngineListener,
    private readonly lag: ReadLag,
  ) {}
  onBookDelta(ticker: string, side: 'yes' | 'no', priceLeg: number, deltaCenti: number, tsMs: number, caused: Caused | null): void {
    this.next.onBookDelta(ticker, side, priceLeg, deltaCenti, tsMs, caused);
  }
  onTrade(trade: TradeRec): void {
    this.next.onTrade(trade);
  }
  onFill(fill: FillRec): void {
    this.next.onFill(fill);
  }
  onOrderUpdate(order: OrderRec): void {
    this.lag.recordOrder(order);
    this.next.onOrderUpdate(order);
  }
  onPosition(userId: string, pos: PositionRec, subaccount: number): void {
    this.lag.recordPosition(userId, pos);
    this.next.onPosition(userId, pos, subaccount);
  }
  onLifecycle(ticker: string, eventType: string, extra: Record<string, unknown>, tsMs: number): void {
    this.next.onLifecycle(ticker, eventType, extra, tsMs);
  }
  onOrderGroup(userId: string, groupId: string, eventType: string, contractsLimitCenti: number | null, tsMs: number): void {
    this.next.onOrderGroup(userId, groupId, eventType, contractsLimitCenti, tsMs);
  }
  onTicker(ticker: string, tsMs: number): void {
    this.next.onTicker(ticker, tsMs);
  }
}
