/**
 * Event-level risk (issue 17, README "Event risk"): the worst-case loss of our whole position in
 * one Kalshi event, the caps on it (MM_MAX_EVENT_LOSS_USD per event, MM_MAX_TOTAL_LOSS_USD for
 * all events together), the pre-flight gate and the room per side the WorkingOrders report.
 *
 * Payoff table. An event's legs are our markets in it: position q (1/100 contract, + long YES)
 * with cost basis C (sum of entry YES price x centi, as bookkeeping keeps it) and the resting
 * orders (side, price, remaining size). Under an outcome each market settles YES ($1) or NO (0);
 * a position earns S x q - C x sign(q); a resting order is counted as filled exactly when its fill
 * loses under that outcome (a bid at b loses b when its market settles NO, an ask at a loses
 * $1 - a when it settles YES) and as not filled otherwise: the worst case over which orders fill.
 * - Mutually exclusive event: the outcomes are "market k wins" for each of our markets and "none
 *   of them" (always counted: Kalshi's outcomes need not be exhaustive, and the event may have
 *   markets we do not trade). loss(none) = sum C x sign(q) + sum of all bids b x r;
 *   loss(k) = loss(none) - q_k x $1 - (bids of k) + (asks of k at $1 - a).
 * - Otherwise the markets are independent: the event's worst case is the sum of each market's
 *   own worst case (its YES and NO outcomes, the same table with one market).
 * A market without an event ticker is an event of its own. Fees are not counted (as in the
 * portfolio notional measure). The worst case is max over outcomes of the loss.
 *
 * Relation to MM_MAX_TOTAL_NOTIONAL_USD (portfolio.ts): that measure sums every market's worst
 * case on its own with no netting (a short and our bids in one market both count). The total
 * loss here sums the events' worst cases; within an exclusive event the outcomes net (a short
 * YES in one range and a long YES in another cannot both lose: only one range wins), so it is
 * never more than the notional measure; with both set the tighter one binds.
 *
 * Gate: an order passes when the event's worst case after it (the order resting at its price
 * and size, counted like the others) is at most the cap, or is not higher than before: orders
 * that do not raise the worst case (those that reduce a position) always pass. Likewise for the
 * total. Units: "pc" = price units x centi-contracts = money x 100 (exact integers).
 *
 * Allowances (a cluster, issue 19): the risk aggregator hands each event an exposure allowance
 * (KV allowance.event.<event>); the gateway passes its events' allowances to exec as a Control
 * CONFIG_UPDATE with reason EVENT_ALLOWANCES_REASON (json {event: usd}, the whole set: it
 * replaces the previous one). An event with an allowance is then capped at
 * min(MM_MAX_EVENT_LOSS_USD, its allowance), by the same gate; a refusal past the allowance says
 * EVENT_LOSS_OVER_ALLOWANCE (its own reject code), one past the static cap EVENT_LOSS_OVER_CAP.
 * The check stays a local number on the hot path: the network only moves the number.
 */
import { kmm, ONE_DOLLAR } from '@kmm/shared';
import type { OrderBookkeeping } from './bookkeeping.js';
import type { MarketRegistry } from './market-registry.js';
import { OrderStatus, type WorkingOrder } from './types.js';

const BID = kmm.v1.BookSide.BID;

export interface RiskOrder {
  side: number; // kmm.v1.BookSide
  price: number;
  remCenti: number;
}

export interface EventLeg {
  market: string;
  positionCenti: number;
  /** cost basis of the open position, price x centi (>= 0; bookkeeping's costPriceCenti) */
  costPriceCenti: number;
  orders: RiskOrder[];
}

/**
 * Loss (pc) of an exclusive event's legs under each outcome: index k = legs[k] wins, the last
 * index = none of them. O(legs + orders).
 */
export function exclusiveLossesPc(legs: readonly EventLeg[]): number[] {
  let none = 0;
  const out: number[] = new Array(legs.length + 1);
  for (const l of legs) {
    none += l.positionCenti >= 0 ? l.costPriceCenti : -l.costPriceCenti;
    for (const o of l.orders) if (o.side === BID) none += o.price * o.remCenti;
  }
  for (let k = 0; k < legs.length; k++) {
    const l = legs[k];
    let d = -l.positionCenti * ONE_DOLLAR;
    for (const o of l.orders) d += o.side === BID ? -o.price * o.remCenti : (ONE_DOLLAR - o.price) * o.remCenti;
    out[k] = none + d;
  }
  out[legs.length] = none;
  return out;
}

function maxOf(xs: readonly number[]): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  return m;
}

/** Worst-case loss (pc) of an event's legs; may be negative (a sure gain). */
export function eventWorstPc(legs: readonly EventLeg[], exclusive: boolean): number {
  if (legs.length === 0) return 0;
  if (exclusive) return maxOf(exclusiveLossesPc(legs));
  let sum = 0;
  for (const l of legs) sum += maxOf(exclusiveLossesPc([l]));
  return sum;
}

/**
 * The most one new order (side, price) on leg `k` may add (centi) while the event's worst case
 * stays at or below `limitPc`: each outcome's loss grows linearly with the size where the fill
 * loses. Infinity when it loses under no outcome (price 0 bid, price $1 ask).
 */
export function roomCenti(legs: readonly EventLeg[], exclusive: boolean, k: number, side: number, price: number, limitPc: number): number {
  let losses: number[];
  let lim = limitPc;
  let idx = k;
  if (exclusive) {
    losses = exclusiveLossesPc(legs);
  } else {
    // only leg k's own worst case moves
    for (let j = 0; j < legs.length; j++) if (j !== k) lim -= maxOf(exclusiveLossesPc([legs[j]]));
    losses = exclusiveLossesPc([legs[k]]);
    idx = 0;
  }
  let room = Infinity;
  for (let o = 0; o < losses.length; o++) {
    const slope = side === BID ? (o === idx ? 0 : price) : o === idx ? ONE_DOLLAR - price : 0;
    if (slope <= 0) continue;
    room = Math.min(room, Math.max(0, Math.floor((lim - losses[o]) / slope)));
  }
  return room;
}

/** One order (side, price, remaining) into a leg's "none" loss and its own outcome's difference (exclusiveLossesPc's terms). */
function accRisk(acc: { none: number; d: number }, side: number, price: number, remCenti: number): void {
  if (side === BID) {
    acc.none += price * remCenti;
    acc.d -= price * remCenti;
  } else acc.d += (ONE_DOLLAR - price) * remCenti;
}

/** One event as exec sees it: its key (event ticker, or the market's ticker) and our markets in it. */
export interface EventGroup {
  key: string;
  exclusive: boolean;
  markets: string[];
}

/**
 * The order that covers two states of one order (an amend in flight: the venue holds either, and
 * may fill the old one before the new applies): the price that loses more per contract (higher
 * for a bid, lower for an ask) at the larger remaining size.
 */
export function coverOf(side: number, price1: number, rem1: number, price2: number, rem2: number): RiskOrder {
  const worse = side === BID ? Math.max(price1, price2) : Math.min(price1, price2);
  return { side, price: worse, remCenti: Math.max(rem1, rem2) };
}

/** A live order as the event caps count it (an amend in flight: coverOf both states); null when DONE or empty. */
export function riskOrderOf(o: WorkingOrder): RiskOrder | null {
  if (o.status === OrderStatus.DONE) return null;
  const rem = Math.max(0, o.totalCenti - o.filledCenti);
  let r: RiskOrder = { side: o.side, price: o.price, remCenti: rem };
  if (o.pendingPrice > 0 || o.pendingTotalCenti > 0) {
    const p2 = o.pendingPrice > 0 ? o.pendingPrice : o.price;
    const r2 = Math.max(0, (o.pendingTotalCenti > 0 ? o.pendingTotalCenti : o.totalCenti) - o.filledCenti);
    r = coverOf(o.side, o.price, rem, p2, r2);
  }
  return r.remCenti > 0 ? r : null;
}

export interface EventCheck {
  ok: boolean;
  reason: string;
  /** refused past the event's allowance (not past a static cap) */
  overAllowance?: boolean;
}

/** The Control CONFIG_UPDATE reason that carries the events' allowances (json {event: usd}). */
export const EVENT_ALLOWANCES_REASON = 'risk_event_allowances';

/**
 * Reads the allowances of a CONFIG_UPDATE (EVENT_ALLOWANCES_REASON) into money per event key.
 * Every value must be a finite USD amount of at least $0.0001 (the aggregator's floor: 0 would
 * read as "no risk at all" here but as "off" for exec's static caps, so it is refused as ambiguous).
 */
export function parseEventAllowances(json: string): { ok: true; money: Map<string, number> } | { ok: false; error: string } {
  let v: unknown;
  try {
    v = JSON.parse(json || '{}');
  } catch (err) {
    return { ok: false, error: `event allowances: invalid JSON: ${(err as Error).message}` };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { ok: false, error: 'event allowances: expected a JSON object of event -> USD' };
  const money = new Map<string, number>();
  for (const [event, usd] of Object.entries(v as Record<string, unknown>)) {
    if (!event) return { ok: false, error: 'event allowances: an empty event key' };
    const m = typeof usd === 'number' && Number.isFinite(usd) ? Math.round(usd * ONE_DOLLAR) : NaN;
    if (!(m >= 1)) return { ok: false, error: `event allowances: ${event}=${JSON.stringify(usd)}: expected a USD amount of at least 0.0001` };
    money.set(event, m);
  }
  return { ok: true, money };
}

const PASS: EventCheck = Object.freeze({ ok: true, reason: '' }) as EventCheck;

export interface QueuedOrder {
  market: string;
  side: number;
  price: number;
  countCenti: number;
}

/** What this pump has queued and the bookkeeping does not show yet. */
export interface Queued {
  creates: readonly QueuedOrder[];
  /** amends of live orders: the new price and remaining size */
  amends: ReadonlyMap<WorkingOrder, { price: number; remCenti: number }>;
}

const NOTHING_QUEUED: Queued = { creates: [], amends: new Map() };

/**
 * Reads the bookkeeping and the market registry into event legs. Event membership comes from
 * MarketInfo (event_ticker, mutually_exclusive); markets only in the bookkeeping (adopted
 * orders) are events of their own.
 */
export class EventExposure {
  constructor(
    private readonly bk: OrderBookkeeping,
    private readonly reg: MarketRegistry,
    /** orders queued to go out in this pump (not in the bookkeeping yet) */
    private readonly queued: () => Queued = () => NOTHING_QUEUED,
  ) {}

  private inPump = false;
  private pumpGroups: Map<string, EventGroup> | null = null;

  /**
   * The risk aggregator's allowance per event key (money; a cluster gateway's exec only): an
   * event listed here is capped at min(MM_MAX_EVENT_LOSS_USD, this). Replaced as a whole by
   * setAllowances.
   */
  private allowances = new Map<string, number>();

  setAllowances(money: ReadonlyMap<string, number>): void {
    this.allowances = new Map(money);
  }

  /** The allowance of an event key (money), undefined when it has none. */
  allowanceOf(key: string): number | undefined {
    return this.allowances.size > 0 ? this.allowances.get(key) : undefined;
  }

  /** True when any event has an allowance (the gate and the room then run even with both caps off). */
  get hasAllowances(): boolean {
    return this.allowances.size > 0;
  }

  /**
   * ExecCore's pump brackets its pre-flight checks with these: the events and their members
   * (the markets we know, have orders in or hold) cannot change inside one pump (its orders are
   * in markets we know), so check() builds them once per pump instead of once per order.
   */
  beginPump(): void {
    this.inPump = true;
    this.pumpGroups = null;
    this.pumpBase = null;
  }
  endPump(): void {
    this.inPump = false;
    this.pumpGroups = null;
    this.pumpBase = null;
  }

  /** per event: its worst case without queued orders, for this pump (see pumpTotalPc) */
  private pumpBase: Map<string, number> | null = null;
  private pumpBaseTotal = 0;

  /**
   * totalPc inside a pump's diff phase: the bookkeeping does not change until the pump's
   * commands are issued (cmd.flush, after every check), only the queue does, and a queued order
   * changes the worst case of its own event only. So every event's worst case without the queue
   * is summed once per pump, and each check recomputes only the events the queue touches: the
   * same sum (integers, exact) in O(queued) instead of O(all orders) per check.
   */
  private pumpTotalPc(groups: Map<string, EventGroup>, q: Queued): number {
    if (!this.pumpBase) {
      this.pumpBase = new Map();
      this.pumpBaseTotal = 0;
      for (const g of groups.values()) {
        const w = this.worstPc(g, NOTHING_QUEUED);
        this.pumpBase.set(g.key, w);
        this.pumpBaseTotal += Math.max(0, w);
      }
    }
    if (q.creates.length === 0 && q.amends.size === 0) return this.pumpBaseTotal;
    const touched = new Set<string>();
    for (const c of q.creates) touched.add(this.keyOf(c.market).key);
    for (const o of q.amends.keys()) touched.add(this.keyOf(o.market).key);
    let total = this.pumpBaseTotal;
    for (const k of touched) {
      const g = groups.get(k);
      if (!g) continue;
      total += Math.max(0, this.worstPc(g, q)) - Math.max(0, this.pumpBase.get(k) ?? 0);
    }
    return total;
  }

  /** The event a market belongs to (key and exclusivity) without its member list. */
  keyOf(market: string): { key: string; exclusive: boolean } {
    const info = this.reg.get(market)?.info;
    const ev = info?.eventTicker ?? '';
    return ev ? { key: ev, exclusive: info?.mutuallyExclusive === true } : { key: `market:${market}`, exclusive: false };
  }

  /** Every event with a market we know or hold. */
  groups(): Map<string, EventGroup> {
    const out = new Map<string, EventGroup>();
    const add = (market: string) => {
      const { key, exclusive } = this.keyOf(market);
      let g = out.get(key);
      if (!g) out.set(key, (g = { key, exclusive, markets: [] }));
      else g.exclusive = g.exclusive && exclusive;
      if (!g.markets.includes(market)) g.markets.push(market);
    };
    for (const m of this.reg.markets.keys()) add(m);
    for (const m of this.bk.markets.keys()) add(m);
    for (const m of this.bk.positions.keys()) add(m);
    return out;
  }

  /** The event of one market, with its members. */
  groupOf(market: string): EventGroup {
    const { key } = this.keyOf(market);
    return this.groups().get(key)!;
  }

  /** Legs of an event: positions, live orders (but `exclude`), unbooked fills, queued orders, `extra`. */
  legs(g: EventGroup, exclude?: WorkingOrder, extra?: QueuedOrder): EventLeg[] {
    const legs: EventLeg[] = [];
    const q = this.queued();
    for (const market of g.markets) {
      const pos = this.bk.positions.get(market);
      const orders: RiskOrder[] = [];
      const mo = this.bk.markets.get(market);
      const addO = (o: WorkingOrder | null) => {
        if (!o || o === exclude) return;
        let r = riskOrderOf(o);
        // an amend queued in this pump: the order as it will be counted once the amend is in flight
        const a = q.amends.get(o);
        if (r && a) r = coverOf(o.side, r.price, r.remCenti, a.price, a.remCenti);
        if (r && r.remCenti > 0) orders.push(r);
      };
      if (mo) {
        for (const o of mo.bids) addO(o);
        for (const o of mo.asks) addO(o);
        for (const o of mo.others) addO(o);
      }
      // fills reported but not booked: in neither the position nor the orders; counted as
      // orders at the price that loses most (a bid at $1, an ask at 0)
      const ub = this.bk.unbookedFillsCenti(market, BID);
      if (ub > 0) orders.push({ side: BID, price: ONE_DOLLAR, remCenti: ub });
      const ua = this.bk.unbookedFillsCenti(market, kmm.v1.BookSide.ASK);
      if (ua > 0) orders.push({ side: kmm.v1.BookSide.ASK, price: 0, remCenti: ua });
      for (const c of q.creates) if (c.market === market && c.countCenti > 0) orders.push({ side: c.side, price: c.price, remCenti: c.countCenti });
      if (extra && extra.market === market && extra.countCenti > 0) orders.push({ side: extra.side, price: extra.price, remCenti: extra.countCenti });
      legs.push({ market, positionCenti: pos?.positionCenti ?? 0, costPriceCenti: pos?.costPriceCenti ?? 0, orders });
    }
    return legs;
  }

  /**
   * Worst case (pc) of one event now: eventWorstPc(this.legs(g), g.exclusive), summed in place
   * (no legs, no order objects): it runs for every event in totalPc, i.e. per pre-flight check
   * and per WorkingOrders report. Exact: every term is an integer far below 2^53, and
   * max_k(none + d_k) = none + max_k d_k. `q`: the queued orders (read once per totalPc).
   */
  worstPc(g: EventGroup, q: Queued = this.queued()): number {
    const n = g.markets.length;
    if (n === 0) return 0;
    let noneAll = 0;
    let maxD = 0; // the "none of them" outcome: d = 0
    let indep = 0;
    const acc = this.acc;
    for (let i = 0; i < n; i++) {
      const market = g.markets[i];
      const pos = this.bk.positions.get(market);
      const qc = pos?.positionCenti ?? 0;
      const cost = pos?.costPriceCenti ?? 0;
      acc.none = qc >= 0 ? cost : -cost;
      acc.d = -qc * ONE_DOLLAR;
      const mo = this.bk.markets.get(market);
      if (mo) {
        for (const o of mo.bids) this.accOrder(o, q);
        for (const o of mo.asks) this.accOrder(o, q);
        for (const o of mo.others) this.accOrder(o, q);
      }
      const ub = this.bk.unbookedFillsCenti(market, BID);
      if (ub > 0) accRisk(acc, BID, ONE_DOLLAR, ub);
      const ua = this.bk.unbookedFillsCenti(market, kmm.v1.BookSide.ASK);
      if (ua > 0) accRisk(acc, kmm.v1.BookSide.ASK, 0, ua);
      for (const c of q.creates) if (c.market === market && c.countCenti > 0) accRisk(acc, c.side, c.price, c.countCenti);
      if (g.exclusive) {
        noneAll += acc.none;
        if (acc.d > maxD) maxD = acc.d;
      } else indep += acc.none + Math.max(0, acc.d);
    }
    return g.exclusive ? noneAll + maxD : indep;
  }

  /** scratch of worstPc: one leg's loss under "none" and its own outcome's difference */
  private readonly acc = { none: 0, d: 0 };

  /** One live order into `acc`, counted as legs() counts it (riskOrderOf, a queued amend covered). */
  private accOrder(o: WorkingOrder | null, q: Queued): void {
    if (!o || o.status === OrderStatus.DONE) return;
    const rem = Math.max(0, o.totalCenti - o.filledCenti);
    let side = o.side;
    let price = o.price;
    let remCenti = rem;
    if (o.pendingPrice > 0 || o.pendingTotalCenti > 0) {
      const p2 = o.pendingPrice > 0 ? o.pendingPrice : o.price;
      const r2 = Math.max(0, (o.pendingTotalCenti > 0 ? o.pendingTotalCenti : o.totalCenti) - o.filledCenti);
      price = side === BID ? Math.max(o.price, p2) : Math.min(o.price, p2);
      remCenti = Math.max(rem, r2);
    }
    if (remCenti <= 0) return;
    const a = q.amends.size > 0 ? q.amends.get(o) : undefined;
    if (a) {
      price = side === BID ? Math.max(price, a.price) : Math.min(price, a.price);
      remCenti = Math.max(remCenti, a.remCenti);
      side = o.side;
    }
    if (remCenti > 0) accRisk(this.acc, side, price, remCenti);
  }

  /** Sum of every event's worst case (pc); an event with a sure gain counts 0 (it cannot fund another). */
  totalPc(groups = this.groups()): number {
    const q = this.queued();
    if (this.inPump && groups === this.pumpGroups) return this.pumpTotalPc(groups, q);
    let sum = 0;
    for (const g of groups.values()) sum += Math.max(0, this.worstPc(g, q));
    return sum;
  }

  /**
   * The gate for one new order (or an amend of `exclude` to this price and remaining size):
   * refused when it raises the event's worst case above MM_MAX_EVENT_LOSS_USD or the event's
   * allowance, or the total above MM_MAX_TOTAL_LOSS_USD. Caps in money; 0 = off.
   */
  check(maxEventMoney: number, maxTotalMoney: number, order: QueuedOrder, exclude?: WorkingOrder): EventCheck {
    const key = this.keyOf(order.market).key;
    const allowance = this.allowanceOf(key);
    if (maxEventMoney <= 0 && maxTotalMoney <= 0 && allowance === undefined) return PASS;
    const groups = this.inPump ? (this.pumpGroups ??= this.groups()) : this.groups();
    const g = groups.get(key)!;
    const before = eventWorstPc(this.legs(g), g.exclusive);
    // an amend is counted as it will be while in flight: covering the old and the new state
    const old = exclude ? riskOrderOf(exclude) : null;
    const added = old ? { ...order, ...coverOf(order.side, old.price, old.remCenti, order.price, order.countCenti), countCenti: Math.max(old.remCenti, order.countCenti) } : order;
    const after = eventWorstPc(this.legs(g, exclude, added), g.exclusive);
    if (after <= before) return PASS;
    const usd = (pc: number) => `$${(pc / 100 / 10_000).toFixed(2)}`;
    if (maxEventMoney > 0 && after > maxEventMoney * 100) {
      return { ok: false, reason: `EVENT_LOSS_OVER_CAP (event ${g.key} worst case ${usd(after)} > max ${usd(maxEventMoney * 100)})` };
    }
    if (allowance !== undefined && after > allowance * 100) {
      return { ok: false, overAllowance: true, reason: `EVENT_LOSS_OVER_ALLOWANCE (event ${g.key} worst case ${usd(after)} > allowance ${usd(allowance * 100)})` };
    }
    if (maxTotalMoney > 0) {
      const total = this.totalPc(groups) - Math.max(0, before) + Math.max(0, after);
      if (total > maxTotalMoney * 100) return { ok: false, reason: `TOTAL_LOSS_OVER_CAP (all events ${usd(total)} > max ${usd(maxTotalMoney * 100)})` };
    }
    return PASS;
  }

  /**
   * Room (centi) for a new order on one side of a market at `price` under both caps and the
   * event's allowance: what `check` would accept. Infinity when all are off.
   */
  room(maxEventMoney: number, maxTotalMoney: number, market: string, side: number, price: number, groups = this.groups(), totalPc?: number): number {
    const key = this.keyOf(market).key;
    const allowance = this.allowanceOf(key);
    if (maxEventMoney <= 0 && maxTotalMoney <= 0 && allowance === undefined) return Infinity;
    const g = groups.get(key);
    if (!g) return Infinity;
    const legs = this.legs(g);
    const before = eventWorstPc(legs, g.exclusive);
    let limit = Infinity;
    if (maxEventMoney > 0) limit = Math.max(maxEventMoney * 100, before);
    if (allowance !== undefined) limit = Math.min(limit, Math.max(allowance * 100, before));
    if (maxTotalMoney > 0) {
      const total = totalPc ?? this.totalPc(groups);
      // check: after <= before, or total - max(0, before) + max(0, after) <= cap
      limit = Math.min(limit, Math.max(before, maxTotalMoney * 100 - total + Math.max(0, before)));
    }
    return roomCenti(legs, g.exclusive, g.markets.indexOf(market), side, price, limit);
  }
}
