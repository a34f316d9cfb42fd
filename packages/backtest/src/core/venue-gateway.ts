/**
 * Paper trading gateway (`kmm run --paper`): exec's OrderGateway backed by the backtest's
 * SimVenue, fed with live market data. No order reaches the exchange; our orders rest in the
 * simulated venue and fill as the queue model allows against the live book and prints, with
 * Kalshi's fees.
 *
 * Wiring (exec shell, paper mode): `createPaperGateway(opts)` replaces the in-memory
 * PaperGateway; exec forwards BookSnapshot / BookDelta / PublicTrade / Lifecycle it receives
 * (ingest sends them to exec in paper mode) to `onMarketData`; fills come back through
 * `opts.onFill` (fill, then the exchange position, then an EXECUTED ack when the order is done),
 * which exec feeds into its core as it would the websocket's fill / market_positions /
 * user_orders. Order entry latency: a call reaches the venue after `latencyMs` and its answer
 * comes back `latencyMs` later, on the driver's clock (`defer`): real timers in paper mode,
 * virtual time in the backtest, which runs this same gateway inside LocalKernel.
 * Order expiry: a create's `expiresInS` is accepted (refused with an expiration on anything but
 * good_till_canceled, as Kalshi does) and not enforced: a running exec re-places its orders
 * before they expire, and a paper venue has no dead KMM to outlive.
 */
import { kmm, type EnvelopeBody } from '@kmm/shared';
import type { OrderGateway, RestResult, BatchItem, OrderSummary, QueuePosition, VenueOrder as ExecVenueOrder, VenuePosition } from '@kmm/exec-worker/actor';
import { SimVenue, type VenueFill, type VenueResult } from './venue.js';
import { queueModel, type QueueModel, type QueueModelName } from './queue-models.js';

type Wire = ((wireMonoNs: number) => void) | undefined;

/** One call's latency (ms): from the call to the venue's handling of it, and from there to the answer. */
export interface CallLatency {
  outMs: number;
  backMs: number;
  /**
   * a recorded run's command (backtest --like): the venue handles it just before this capture
   * line is played, where the run's venue did (atLine), instead of after outMs; and the answer
   * comes at `answeredAtNs` (driver ns), as the run's did, instead of backMs after
   */
  venueLine?: number;
  answeredAtNs?: number;
}

export interface PaperGatewayOptions {
  markets: kmm.v1.IMarketInfo[];
  queueModel: QueueModelName;
  /** a configured queue model (backtests: with its power); overrides `queueModel` */
  model?: QueueModel;
  /** order id prefix of the simulated venue (default 'paper') */
  idPrefix?: string;
  latencyMs: number;
  /**
   * a call's latency (ms) to the venue and back, per call, given the orders of an order command
   * (none for a read); default: latencyMs each way for every call
   */
  latencyOf?: (orders?: readonly kmm.v1.IOrderCommand[]) => CallLatency;
  monoNs: () => number;
  wallMs: () => number;
  onFill: (fill: kmm.v1.IFill, position: kmm.v1.IPosition, doneAck: kmm.v1.IOrderAck | null) => void;
  /** runs fn after ms on the driver's clock (live: a timer; LocalKernel: a virtual-time event) */
  defer: (ms: number, fn: () => void) => void;
  /** runs fn just before the capture line of that index is played (at once if it was); for CallLatency.venueLine */
  atLine?: (line: number, fn: () => void) => void;
  /** after every change at the venue (market data, a command): the fills it made (the backtest publishes our orders into the book) */
  onVenueChange?: (fills: readonly VenueFill[]) => void;
}

export class PaperVenueGateway implements OrderGateway {
  readonly paper = true;
  readonly venue: SimVenue;
  private readonly fillLog: kmm.v1.IFill[] = [];
  /** fills kept for reconcile reads; overflow: oldest dropped */
  static readonly FILL_LOG_MAX = 100_000;

  constructor(private readonly o: PaperGatewayOptions) {
    this.venue = new SimVenue(o.model ?? queueModel(o.queueModel), o.markets, o.idPrefix ?? 'paper');
  }

  /** Live market data, as ingest parsed it. */
  onMarketData(body: EnvelopeBody): void {
    const now = this.o.wallMs();
    if (body.bookSnapshot) this.venue.onSnapshot(body.bookSnapshot, now);
    else if (body.bookDelta) this.venue.onDelta(body.bookDelta, now);
    else if (body.publicTrade) this.venue.onTrade(body.publicTrade, now);
    else if (body.lifecycle) this.venue.onLifecycle(body.lifecycle, now);
    else return;
    this.emit(this.venue.fills);
    this.o.onVenueChange?.(this.venue.fills);
  }

  private emit(fills: readonly VenueFill[]): void {
    for (const f of fills.slice()) {
      const fill: kmm.v1.IFill = { tradeId: f.tradeId, orderId: f.order.id, clientOrderId: f.order.clientOrderId, market: f.market, side: f.side, yesPrice: f.yesPrice, countCenti: f.countCenti, isTaker: f.isTaker, feeMoney: f.feeMoney, postPositionCenti: f.postPositionCenti, tsMs: f.tsMs };
      this.fillLog.push(fill);
      if (this.fillLog.length > PaperVenueGateway.FILL_LOG_MAX) this.fillLog.shift();
      const done = f.done ? { market: f.market, clientOrderId: f.order.clientOrderId, orderId: f.order.id, side: f.side, price: f.order.price, remainingCenti: 0, filledCenti: f.order.filledCenti, status: kmm.v1.OrderStatus.EXECUTED } : null;
      this.o.onFill(fill, { market: f.market, positionCenti: f.postPositionCenti, fromExchange: true }, done);
    }
  }

  /**
   * Reads (orders, positions, fills, order group, markets) are answered no earlier than this
   * (driver monotonic ns; 0 = no hold). `backtest --like` sets it to when the recorded run's exec
   * had its start-up reads answered (its journal: start -> startup_reconciled), so the backtest's
   * strategy starts quoting on the same timer tick as the run's (its start-up check settles from
   * exec's word that it has read the exchange).
   */
  readsNotBeforeMonoNs = 0;

  /** a read: as `later`, its answer held until readsNotBeforeMonoNs */
  private read<T>(fn: () => VenueResult<T>): Promise<RestResult<T>> {
    const holdMs = (this.readsNotBeforeMonoNs - this.o.monoNs()) / 1e6;
    return this.later(fn, undefined, holdMs);
  }

  /**
   * Applies `fn` at the venue after the order-entry latency (or, a recorded run's command, at its
   * capture line: CallLatency.venueLine); fills it causes are reported. The answer comes back after
   * the latency back (or at the recorded answer's time), or at `minRoundTripMs` after the call if later.
   */
  private later<T>(fn: () => VenueResult<T>, onWire?: Wire, minRoundTripMs = 0, orders?: readonly kmm.v1.IOrderCommand[]): Promise<RestResult<T>> {
    const wire = this.o.monoNs();
    if (onWire) onWire(wire);
    const lat = this.o.latencyOf ? this.o.latencyOf(orders) : { outMs: this.o.latencyMs, backMs: this.o.latencyMs };
    return new Promise((resolve) => {
      const atVenue = (): void => {
        const r = fn();
        this.emit(this.venue.fills);
        this.o.onVenueChange?.(this.venue.fills);
        // the venue's time of it: the latency given, or (a recorded run's command) when it was taken
        const outMs = lat.venueLine !== undefined ? (this.o.monoNs() - wire) / 1e6 : lat.outMs;
        const backMs = lat.answeredAtNs !== undefined ? Math.max(0, lat.answeredAtNs - this.o.monoNs()) / 1e6 : lat.backMs;
        const latencyUs = Math.round((outMs + backMs) * 1000);
        const res: RestResult<T> = r.ok ? { ok: true, value: r.value, status: 200, latencyUs, wireMonoNs: wire } : { ok: false, error: { code: r.code, http: 400, venueCode: 'paper', message: r.message }, latencyUs, wireMonoNs: wire };
        this.o.defer(Math.max(backMs, minRoundTripMs - outMs), () => resolve(res));
      };
      if (lat.venueLine !== undefined && this.o.atLine) this.o.atLine(lat.venueLine, atVenue);
      else this.o.defer(lat.outMs, atVenue);
    });
  }

  place(o: kmm.v1.IOrderCommand, w?: Wire) {
    return this.later(() => expiryRefusal(o) ?? this.venue.place(o, this.o.wallMs()), w, 0, [o]);
  }
  batchPlace(orders: kmm.v1.IOrderCommand[], w?: Wire) {
    return this.later<BatchItem[]>(() => {
      const out: BatchItem[] = [];
      const fills: VenueFill[] = [];
      for (const o of orders) {
        const r = expiryRefusal(o) ?? this.venue.place(o, this.o.wallMs());
        for (const f of this.venue.fills) fills.push(f);
        out.push(r.ok ? { ok: true, ...r.value } : { ok: false, clientOrderId: o.clientOrderId ?? '', orderId: '', error: { code: r.code, http: 400, venueCode: 'paper', message: r.message } });
      }
      this.venue.fills.length = 0;
      for (const f of fills) this.venue.fills.push(f);
      return { ok: true, value: out };
    }, w, 0, orders);
  }
  amend(o: kmm.v1.IOrderCommand, w?: Wire) {
    return this.later<OrderSummary>(() => this.venue.amend(o, this.o.wallMs()), w, 0, [o]);
  }
  decrease(o: kmm.v1.IOrderCommand, w?: Wire) {
    return this.later<OrderSummary>(() => this.venue.decrease(o), w, 0, [o]);
  }
  cancel(o: kmm.v1.IOrderCommand, w?: Wire) {
    return this.later(() => this.venue.cancel(o.orderId ?? ''), w, 0, [o]);
  }
  batchCancel(orders: kmm.v1.IOrderCommand[], w?: Wire) {
    return this.later<BatchItem[]>(() => {
      const out: BatchItem[] = orders.map((o) => {
        const r = this.venue.cancel(o.orderId ?? '');
        return r.ok ? { ok: true as const, orderId: o.orderId ?? '', clientOrderId: o.clientOrderId ?? '', fillCenti: 0, remainingCenti: 0, reducedCenti: r.value.reducedCenti } : { ok: false as const, clientOrderId: o.clientOrderId ?? '', orderId: o.orderId ?? '', error: { code: r.code, http: 404, venueCode: 'paper', message: r.message } };
      });
      return { ok: true, value: out };
    }, w, 0, orders);
  }
  restingOrders() {
    return this.read<ExecVenueOrder[]>(() => ({ ok: true, value: this.venue.resting().map((v) => ({ orderId: v.id, clientOrderId: v.clientOrderId, market: v.market, side: v.side, price: v.price, remainingCenti: v.remainingCenti, filledCenti: v.filledCenti, status: 'resting' as const, orderGroupId: '' })) }));
  }
  positions() {
    return this.read<VenuePosition[]>(() => {
      const out: VenuePosition[] = [];
      for (const [m, vm] of this.venue.markets) if (vm.acct.positionCenti !== 0) out.push({ market: m, positionCenti: vm.acct.positionCenti, exposureMoney: 0, realizedPnlMoney: 0, feesPaidMoney: vm.acct.feesMoney });
      return { ok: true, value: out };
    });
  }
  fills(minTsMs: number) {
    return this.read<kmm.v1.IFill[]>(() => ({ ok: true, value: this.fillLog.filter((f) => (f.tsMs ?? 0) >= minTsMs) }));
  }
  createOrderGroup() {
    return this.read(() => ({ ok: true as const, value: 'paper-group' }));
  }
  resetOrderGroup() {
    return this.later(() => ({ ok: true as const, value: true as const }));
  }
  queuePositions(markets: string[]) {
    return this.read<QueuePosition[]>(() => ({ ok: true, value: this.venue.resting().filter((v) => markets.includes(v.market)).map((v) => ({ market: v.market, orderId: v.id, aheadCenti: v.aheadCenti })) }));
  }
  markets() {
    return this.read<kmm.v1.IMarketInfo[]>(() => ({ ok: true, value: this.o.markets }));
  }
  close(): void {}
}

export function createPaperGateway(o: PaperGatewayOptions): PaperVenueGateway {
  return new PaperVenueGateway(o);
}

/** Kalshi refuses an expiration on an order that cannot rest (kalshi-api.md 2.4: IOC + expiration). */
function expiryRefusal(o: kmm.v1.IOrderCommand): VenueResult<never> | null {
  if (!o.expiresInS || (o.tif ?? kmm.v1.TimeInForce.GOOD_TILL_CANCELED) === kmm.v1.TimeInForce.GOOD_TILL_CANCELED) return null;
  return { ok: false, code: kmm.v1.RejectCode.BAD_REQUEST, message: 'expiration_time is only allowed with good_till_canceled' };
}
