/**
 * The order boundary. ExecCore's commands go to an OrderGateway: RestGateway talks to the
 * exchange through RestClient; PaperGateway keeps orders in memory and never reaches the
 * exchange (paper mode: it rests orders and has no fill model of its own - a queue/fill model
 * can be plugged in through `PaperGateway.fillHook`). `runCommand` turns one core command into
 * one gateway call and maps the outcome into per-order OrderAck/OrderReject for the core.
 */
import { kmm } from '@kmm/shared';
import type { CommandResult } from '../core/exec-core.js';
import type { ExecCommand, VenueOrder, VenuePosition, VenueSnapshot } from '../core/types.js';
import type { BatchItem, OrderSummary, QueuePosition, RestClient, RestError, RestResult } from '../shell/rest-client.js';

export type { BatchItem, OrderSummary, QueuePosition, RestError, RestResult } from '../shell/rest-client.js';

const CK = kmm.v1.CommandKind;
const RC = kmm.v1.RejectCode;

type Wire = ((wireMonoNs: number) => void) | undefined;

export interface OrderGateway {
  readonly paper: boolean;
  place(o: kmm.v1.IOrderCommand, onWire?: Wire): Promise<RestResult<OrderSummary>>;
  batchPlace(orders: kmm.v1.IOrderCommand[], onWire?: Wire): Promise<RestResult<BatchItem[]>>;
  amend(o: kmm.v1.IOrderCommand, onWire?: Wire): Promise<RestResult<OrderSummary>>;
  decrease(o: kmm.v1.IOrderCommand, onWire?: Wire): Promise<RestResult<OrderSummary>>;
  cancel(o: kmm.v1.IOrderCommand, onWire?: Wire): Promise<RestResult<{ orderId: string; reducedCenti: number }>>;
  batchCancel(orders: kmm.v1.IOrderCommand[], onWire?: Wire): Promise<RestResult<BatchItem[]>>;
  /** the exchange's Cancel All (every resting order of the account), where the gateway has one */
  cancelAll?(): Promise<RestResult<number>>;
  restingOrders(): Promise<RestResult<VenueOrder[]>>;
  positions(): Promise<RestResult<VenuePosition[]>>;
  fills(minTsMs: number): Promise<RestResult<kmm.v1.IFill[]>>;
  createOrderGroup(contractsLimit: number): Promise<RestResult<string>>;
  resetOrderGroup(id: string): Promise<RestResult<true>>;
  queuePositions(markets: string[]): Promise<RestResult<QueuePosition[]>>;
  markets(): Promise<RestResult<kmm.v1.IMarketInfo[]>>;
  /** an order now rests: the gateway may prepare for calls on it (pre-signed amend path) */
  orderResting?(orderId: string): void;
  /** an order is gone */
  orderGone?(orderId: string): void;
  close(): void;
}

export class RestGateway implements OrderGateway {
  readonly paper = false;
  constructor(readonly rest: RestClient) {}
  place(o: kmm.v1.IOrderCommand, w?: Wire) {
    return this.rest.createOrder(o, w);
  }
  batchPlace(orders: kmm.v1.IOrderCommand[], w?: Wire) {
    return this.rest.batchCreate(orders, w);
  }
  amend(o: kmm.v1.IOrderCommand, w?: Wire) {
    return this.rest.amend(o, w);
  }
  decrease(o: kmm.v1.IOrderCommand, w?: Wire) {
    return this.rest.decrease(o, w);
  }
  cancel(o: kmm.v1.IOrderCommand, w?: Wire) {
    return this.rest.cancel(o.orderId ?? '', w);
  }
  batchCancel(orders: kmm.v1.IOrderCommand[], w?: Wire) {
    return this.rest.batchCancel(orders, w);
  }
  cancelAll() {
    return this.rest.cancelAll();
  }
  restingOrders() {
    return this.rest.getOrders('resting');
  }
  positions() {
    return this.rest.getPositions();
  }
  fills(minTsMs: number) {
    return this.rest.getFills(minTsMs);
  }
  createOrderGroup(n: number) {
    return this.rest.createOrderGroup(n);
  }
  resetOrderGroup(id: string) {
    return this.rest.resetOrderGroup(id);
  }
  queuePositions(markets: string[]) {
    return this.rest.getQueuePositions(markets);
  }
  markets() {
    return this.rest.getMarkets('open');
  }
  orderResting(orderId: string): void {
    this.rest.sig?.keepWarm('POST', this.rest.amendPath(orderId));
  }
  orderGone(orderId: string): void {
    this.rest.sig?.dropWarm('POST', this.rest.amendPath(orderId));
  }
  close(): void {
    this.rest.close();
  }
}

/**
 * Reads a venue snapshot (resting orders, positions, fills since minFillTsMs). Kalshi's REST
 * positions carry no order key against fills, so the fills are read before and after the
 * positions: a fill in the first list is in the position, one missing from the second is not,
 * one only in the second is undecided (reconcilePositions then keeps its own count for that
 * market this round). Found by the position-truth property: positions read after a fill the
 * concurrent fills read had missed made exec count that fill twice.
 */
export async function readSnapshot(gw: OrderGateway, minFillTsMs: number, requestedAtMs: number): Promise<RestResult<VenueSnapshot>> {
  const before = await gw.fills(minFillTsMs);
  if (!before.ok) return before;
  const [orders, positions] = await Promise.all([gw.restingOrders(), gw.positions()]);
  if (!orders.ok) return orders;
  if (!positions.ok) return positions;
  const fills = await gw.fills(minFillTsMs);
  if (!fills.ok) return fills;
  const fillsBeforePositions = before.value.map((f) => f.tradeId ?? '').filter((id) => id !== '');
  return { ok: true, status: 200, latencyUs: orders.latencyUs, wireMonoNs: orders.wireMonoNs, value: { requestedAtMs, orders: orders.value, positions: positions.value, fills: fills.value, fillsBeforePositions } };
}

function ackFromSummary(kind: number, o: kmm.v1.IOrderCommand, s: OrderSummary): kmm.v1.IOrderAck {
  const hasRem = s.remainingCenti >= 0;
  const status = hasRem && s.remainingCenti === 0 ? (s.fillCenti > 0 && kind !== CK.DECREASE ? kmm.v1.OrderStatus.EXECUTED : kmm.v1.OrderStatus.CANCELED) : kmm.v1.OrderStatus.RESTING;
  return {
    kind,
    market: o.market,
    clientOrderId: o.clientOrderId,
    orderId: s.orderId || o.orderId,
    side: o.side,
    price: o.price,
    remainingCenti: hasRem ? s.remainingCenti : null,
    filledCenti: s.fillCenti,
    status,
    venueTsMs: s.tsMs ?? 0,
  };
}

/**
 * A cancel's answer: nothing remains, and the venue removed `reducedCenti` (Kalshi's reduced_by;
 * < 0: not said). The core books the rest of the order's size beyond its known fills as fills
 * still on their way (the order filled more before the cancel landed).
 */
function cancelAck(o: kmm.v1.IOrderCommand, reducedCenti: number): kmm.v1.IOrderAck {
  const hasReduced = reducedCenti >= 0;
  return { kind: CK.CANCEL, market: o.market, clientOrderId: o.clientOrderId, orderId: o.orderId, side: o.side, price: o.price, remainingCenti: 0, status: kmm.v1.OrderStatus.CANCELED, reducedCenti: hasReduced ? reducedCenti : 0, hasReduced };
}

function reject(kind: number, o: kmm.v1.IOrderCommand, e: RestError): kmm.v1.IOrderReject {
  return { kind, market: o.market, clientOrderId: o.clientOrderId, orderId: o.orderId, code: e.code, message: e.venueCode ? `${e.venueCode}: ${e.message}` : e.message, side: o.side, price: o.price };
}

/** Executes one core command through a gateway; never throws. */
export async function runCommand(gw: OrderGateway, cmd: ExecCommand, onWire?: Wire): Promise<CommandResult> {
  const res: CommandResult = { cmdId: cmd.id, acks: [], rejects: [], rateLimited: false, latencyUs: -1 };
  const kindOf = (o: kmm.v1.IOrderCommand): number => o.kind ?? 0;
  const whole = (e: RestError): void => {
    if (e.code === RC.RATE_LIMITED) res.rateLimited = true;
    for (const o of cmd.orders) res.rejects.push(reject(kindOf(o), o, e));
  };
  try {
    switch (cmd.op) {
      case 'create':
      case 'amend':
      case 'decrease': {
        const o = cmd.orders[0];
        const r = cmd.op === 'create' ? await gw.place(o, onWire) : cmd.op === 'amend' ? await gw.amend(o, onWire) : await gw.decrease(o, onWire);
        res.latencyUs = r.latencyUs;
        if (r.ok) res.acks.push(ackFromSummary(kindOf(o), o, r.value));
        else whole(r.error);
        break;
      }
      case 'cancel': {
        const o = cmd.orders[0];
        const r = await gw.cancel(o, onWire);
        res.latencyUs = r.latencyUs;
        if (r.ok) res.acks.push(cancelAck(o, r.value.reducedCenti));
        else whole(r.error);
        break;
      }
      case 'batch_create':
      case 'batch_cancel': {
        const r = cmd.op === 'batch_create' ? await gw.batchPlace(cmd.orders, onWire) : await gw.batchCancel(cmd.orders, onWire);
        res.latencyUs = r.latencyUs;
        if (!r.ok) {
          whole(r.error);
          break;
        }
        for (let i = 0; i < r.value.length; i++) {
          const it = r.value[i];
          const o = cmd.orders[i];
          if (!it.ok) res.rejects.push(reject(kindOf(o), o, it.error));
          else if (cmd.op === 'batch_cancel') res.acks.push(cancelAck(o, it.reducedCenti ?? -1));
          else res.acks.push(ackFromSummary(CK.PLACE, o, it));
        }
        break;
      }
    }
  } catch (e) {
    // a bug below us must not leave the core waiting: report an unknown outcome
    whole({ code: RC.TIMEOUT, http: 0, venueCode: 'exception', message: (e as Error).message });
  }
  return res;
}

/**
 * Paper gateway: orders rest in memory, cancels/amends/decreases apply at once, nothing reaches
 * the exchange. `fillHook` (set by a paper fill model) may report fills; without one nothing fills.
 */
export class PaperGateway implements OrderGateway {
  readonly paper = true;
  private seq = 0;
  readonly orders = new Map<string, VenueOrder>();
  private readonly positionsByMarket = new Map<string, VenuePosition>();
  private readonly fillLog: kmm.v1.IFill[] = [];
  constructor(private readonly monoNs: () => number) {}

  private ok<T>(value: T, onWire?: Wire): Promise<RestResult<T>> {
    const w = this.monoNs();
    if (onWire) onWire(w);
    return Promise.resolve({ ok: true, value, status: 200, latencyUs: 0, wireMonoNs: w });
  }
  private err<T>(code: number, message: string): Promise<RestResult<T>> {
    return Promise.resolve({ ok: false, error: { code, http: 400, venueCode: 'paper', message }, latencyUs: 0, wireMonoNs: 0 });
  }
  private rest(o: kmm.v1.IOrderCommand): OrderSummary {
    const id = `paper-${++this.seq}`;
    this.orders.set(id, { orderId: id, clientOrderId: o.clientOrderId ?? '', market: o.market ?? '', side: o.side ?? 0, price: o.price ?? 0, remainingCenti: o.countCenti ?? 0, filledCenti: 0, status: 'resting', orderGroupId: o.orderGroupId ?? '' });
    return { orderId: id, clientOrderId: o.clientOrderId ?? '', fillCenti: 0, remainingCenti: o.taker ? 0 : o.countCenti ?? 0 };
  }
  place(o: kmm.v1.IOrderCommand, w?: Wire) {
    const s = this.rest(o);
    if (o.taker) this.orders.delete(s.orderId); // IOC without a fill model: nothing to hit
    return this.ok(s, w);
  }
  batchPlace(orders: kmm.v1.IOrderCommand[], w?: Wire) {
    return this.ok<BatchItem[]>(orders.map((o) => ({ ok: true as const, ...this.rest(o) })), w);
  }
  amend(o: kmm.v1.IOrderCommand, w?: Wire) {
    const v = this.orders.get(o.orderId ?? '');
    if (!v) return this.err<OrderSummary>(RC.NOT_FOUND, 'order not found');
    v.price = o.price ?? v.price;
    v.remainingCenti = (o.countCenti ?? 0) - v.filledCenti;
    return this.ok({ orderId: v.orderId, clientOrderId: v.clientOrderId, fillCenti: v.filledCenti, remainingCenti: v.remainingCenti }, w);
  }
  decrease(o: kmm.v1.IOrderCommand, w?: Wire) {
    const v = this.orders.get(o.orderId ?? '');
    if (!v) return this.err<OrderSummary>(RC.NOT_FOUND, 'order not found');
    v.remainingCenti = Math.min(v.remainingCenti, o.countCenti ?? 0);
    if (v.remainingCenti === 0) this.orders.delete(v.orderId);
    return this.ok({ orderId: v.orderId, clientOrderId: v.clientOrderId, fillCenti: v.filledCenti, remainingCenti: v.remainingCenti }, w);
  }
  cancel(o: kmm.v1.IOrderCommand, w?: Wire) {
    const v = this.orders.get(o.orderId ?? '');
    if (!v) return this.err<{ orderId: string; reducedCenti: number }>(RC.NOT_FOUND, 'order not found');
    this.orders.delete(v.orderId);
    return this.ok({ orderId: v.orderId, reducedCenti: v.remainingCenti }, w);
  }
  batchCancel(orders: kmm.v1.IOrderCommand[], w?: Wire) {
    const out: BatchItem[] = orders.map((o) => {
      const v = this.orders.get(o.orderId ?? '');
      if (!v) return { ok: false as const, clientOrderId: o.clientOrderId ?? '', orderId: o.orderId ?? '', error: { code: RC.NOT_FOUND, http: 404, venueCode: 'not_found', message: 'order not found' } };
      this.orders.delete(v.orderId);
      return { ok: true as const, orderId: v.orderId, clientOrderId: v.clientOrderId, fillCenti: 0, remainingCenti: 0, reducedCenti: v.remainingCenti };
    });
    return this.ok(out, w);
  }
  restingOrders() {
    return this.ok([...this.orders.values()]);
  }
  positions() {
    return this.ok([...this.positionsByMarket.values()]);
  }
  fills(minTsMs: number) {
    return this.ok(this.fillLog.filter((f) => (f.tsMs ?? 0) >= minTsMs));
  }
  createOrderGroup() {
    return this.ok('paper-group');
  }
  resetOrderGroup() {
    return this.ok(true as const);
  }
  queuePositions() {
    return this.ok<QueuePosition[]>([]);
  }
  markets() {
    return this.ok<kmm.v1.IMarketInfo[]>([]);
  }
  /** A paper fill model reports a fill here; it is kept for reconciliation and returned for the core. */
  recordFill(f: kmm.v1.IFill): void {
    this.fillLog.push(f);
    const m = f.market ?? '';
    const p = this.positionsByMarket.get(m) ?? { market: m, positionCenti: 0, exposureMoney: 0, realizedPnlMoney: 0, feesPaidMoney: 0 };
    p.positionCenti += f.side === kmm.v1.BookSide.BID ? f.countCenti ?? 0 : -(f.countCenti ?? 0);
    this.positionsByMarket.set(m, p);
    const v = this.orders.get(f.orderId ?? '');
    if (v) {
      v.filledCenti += f.countCenti ?? 0;
      v.remainingCenti -= f.countCenti ?? 0;
      if (v.remainingCenti <= 0) this.orders.delete(v.orderId);
    }
  }
  close(): void {}
}
