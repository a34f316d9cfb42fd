/**
 * The risk aggregator's arithmetic (pure): what each gateway reports, and what the aggregator
 * makes of all reports together.
 *
 * In:  GatewayFigures, one per exchange shard's active gateway: per market the position, its cost
 *      basis, the resting orders (as exec's event caps count them), realised P&L (fees already
 *      subtracted, as exec's bookkeeping keeps it), fees paid and the marked (unrealised) P&L.
 * Out: RiskView: account P&L (realised + marked), its peak and drawdown, each event's worst-case
 *      loss (exec's event-risk.ts `eventWorstPc` over the event's legs, whichever gateways
 *      report them), and the allowances:
 *        budget     = MM_MAX_TOTAL_LOSS_USD - the loss already taken (max(0, -P&L))
 *        free       = max(0, budget - sum of the events' worst cases)
 *        gateway g  = its events' worst cases + free / number of gateways (the cluster's shard
 *                     count when the reports give it: a gateway that has not reported yet keeps
 *                     its share of the free budget unspent by the others)
 *        event e    = min(MM_MAX_EVENT_LOSS_USD, e's worst case + the free share of its gateway)
 *      A gateway's allowance is the MM_MAX_TOTAL_LOSS_USD its exec checks locally, an event's
 *      the cap exec's pre-flight puts on that event (with MM_MAX_EVENT_LOSS_USD, the lower); the
 *      allowances never add up to more than the budget, so the account cap holds across shards
 *      without a network hop on the hot path. An allowance is never 0 (0 means "off" to exec):
 *      at least ALLOWANCE_FLOOR_MONEY, which admits only orders that do not raise the worst case.
 *      breach     = the account loss cap (P&L <= -kmm_cluster_max_loss_usd) or the drawdown
 *                   limit (peak - P&L >= kmm_cluster_max_drawdown_usd): the aggregator trips the
 *                   kill switch. 0 turns either off.
 * Units: money = 1/10,000 USD (@kmm/shared ONE_DOLLAR); "pc" = price x centi-contracts = money x 100.
 */
import { ONE_DOLLAR } from '@kmm/shared';
import { eventWorstPc, riskOrderOf, type EventLeg, type OrderBookkeeping, type RiskOrder } from '@kmm/exec-worker/core';

export interface FigureMarket {
  market: string;
  /** event ticker ('' = the market is an event of its own) */
  event: string;
  exclusive: boolean;
  positionCenti: number;
  costPriceCenti: number;
  /** realised P&L, fees subtracted (money) */
  realizedMoney: number;
  feesMoney: number;
  /** marked P&L of the open position at the last mid exec saw (money; 0 when no mid) */
  markedMoney: number;
  orders: RiskOrder[];
}

export interface GatewayFigures {
  shard: number;
  /** the gateway's lease epoch (a report of an older epoch than one already heard is stale) */
  epoch: number;
  wallMs: number;
  /** exchange shards of the cluster's market list (each has one gateway); 0/absent = unknown */
  shards?: number;
  markets: FigureMarket[];
}

/** Reads exec's bookkeeping into a report (the gateway worker calls it on each tape write). */
export function figuresOf(
  bk: OrderBookkeeping,
  meta: { shard: number; epoch: number; wallMs: number; shards?: number },
  eventOf: (market: string) => { event: string; exclusive: boolean },
  markedOf: (market: string) => number,
): GatewayFigures {
  const names = new Set<string>([...bk.positions.keys(), ...bk.markets.keys()]);
  const markets: FigureMarket[] = [];
  for (const market of [...names].sort()) {
    const p = bk.positions.get(market);
    const orders: RiskOrder[] = [];
    const mo = bk.markets.get(market);
    if (mo) {
      for (const o of [...mo.bids, ...mo.asks, ...mo.others]) {
        const r = o ? riskOrderOf(o) : null;
        if (r) orders.push(r);
      }
    }
    if (!p && orders.length === 0) continue;
    const ev = eventOf(market);
    markets.push({
      market,
      event: ev.event,
      exclusive: ev.exclusive,
      positionCenti: p?.positionCenti ?? 0,
      costPriceCenti: p?.costPriceCenti ?? 0,
      realizedMoney: p ? Math.round(p.realizedPriceCenti / 100) : 0,
      feesMoney: p?.feesMoney ?? 0,
      markedMoney: p && p.positionCenti !== 0 ? markedOf(market) : 0,
      orders,
    });
  }
  return { shard: meta.shard, epoch: meta.epoch, wallMs: meta.wallMs, shards: meta.shards ?? 0, markets };
}

export interface RiskLimits {
  /** MM_MAX_TOTAL_LOSS_USD in money (0 = no allowances written) */
  maxTotalLossMoney: number;
  /** MM_MAX_EVENT_LOSS_USD in money (0 = off) */
  maxEventLossMoney: number;
  /** kmm_cluster_max_loss_usd in money: the account's P&L may not fall to -this (0 = off) */
  maxAccountLossMoney: number;
  /** kmm_cluster_max_drawdown_usd in money: P&L may not fall this far below its peak (0 = off) */
  maxDrawdownMoney: number;
}

export const ALLOWANCE_FLOOR_MONEY = 1;

export interface EventRisk {
  event: string;
  shard: number;
  worstMoney: number;
  allowanceMoney: number;
}

export interface GatewayRisk {
  shard: number;
  pnlMoney: number;
  worstMoney: number;
  allowanceMoney: number;
}

export interface RiskView {
  realizedMoney: number;
  markedMoney: number;
  feesMoney: number;
  pnlMoney: number;
  peakPnlMoney: number;
  drawdownMoney: number;
  totalWorstMoney: number;
  gateways: GatewayRisk[];
  events: EventRisk[];
  /** why the kill switch must trip ('' = no breach) */
  breach: string;
}

const usd = (money: number): string => `$${(money / ONE_DOLLAR).toFixed(2)}`;

/**
 * The account's risk from every gateway's latest report. `peakPnlMoney` is the peak so far (the
 * aggregator keeps it; a new one starts from the stored peak). Deterministic: sorted outputs.
 */
export function aggregateRisk(figs: readonly GatewayFigures[], limits: RiskLimits, peakPnlMoney: number): RiskView {
  let realized = 0;
  let marked = 0;
  let fees = 0;
  const pnlOf = new Map<number, number>();
  // event key -> its legs (an event lives on one exchange shard, so on one gateway)
  const events = new Map<string, { shard: number; exclusive: boolean; legs: EventLeg[] }>();
  for (const f of figs) {
    let g = 0;
    for (const m of f.markets) {
      realized += m.realizedMoney;
      marked += m.markedMoney;
      fees += m.feesMoney;
      g += m.realizedMoney + m.markedMoney;
      const key = eventKeyOf(m.market, m.event);
      let e = events.get(key);
      if (!e) events.set(key, (e = { shard: f.shard, exclusive: m.event !== '' && m.exclusive, legs: [] }));
      else e.exclusive = e.exclusive && m.exclusive;
      e.legs.push({ market: m.market, positionCenti: m.positionCenti, costPriceCenti: m.costPriceCenti, orders: m.orders });
    }
    pnlOf.set(f.shard, (pnlOf.get(f.shard) ?? 0) + g);
  }
  const pnl = realized + marked;
  const peak = Math.max(peakPnlMoney, pnl, 0);
  const drawdown = peak - pnl;
  const worstOf = new Map<string, number>();
  const worstByShard = new Map<number, number>();
  let totalWorst = 0;
  for (const [key, e] of events) {
    // an event with a sure gain counts 0 (it cannot fund another), as exec's totalPc
    const w = Math.max(0, Math.ceil(eventWorstPc(e.legs, e.exclusive) / 100));
    worstOf.set(key, w);
    totalWorst += w;
    worstByShard.set(e.shard, (worstByShard.get(e.shard) ?? 0) + w);
  }
  const shards = [...new Set(figs.map((f) => f.shard))].sort((a, b) => a - b);
  const budget = limits.maxTotalLossMoney - Math.max(0, -pnl);
  const free = Math.max(0, budget - totalWorst);
  const gatewayCount = Math.max(shards.length, ...figs.map((f) => f.shards ?? 0));
  const share = gatewayCount > 0 ? Math.floor(free / gatewayCount) : 0;
  const gateways: GatewayRisk[] = shards.map((shard) => ({
    shard,
    pnlMoney: pnlOf.get(shard) ?? 0,
    worstMoney: worstByShard.get(shard) ?? 0,
    allowanceMoney: limits.maxTotalLossMoney > 0 ? Math.max(ALLOWANCE_FLOOR_MONEY, (worstByShard.get(shard) ?? 0) + share) : 0,
  }));
  const eventsOut: EventRisk[] = [...events.keys()].sort().map((key) => {
    const w = worstOf.get(key)!;
    let allowance = w + share;
    if (limits.maxEventLossMoney > 0) allowance = Math.min(allowance, Math.max(w, limits.maxEventLossMoney));
    return { event: key, shard: events.get(key)!.shard, worstMoney: w, allowanceMoney: Math.max(ALLOWANCE_FLOOR_MONEY, allowance) };
  });
  let breach = '';
  if (limits.maxAccountLossMoney > 0 && pnl <= -limits.maxAccountLossMoney) breach = `ACCOUNT_LOSS_CAP (P&L ${usd(pnl)} <= -${usd(limits.maxAccountLossMoney)})`;
  else if (limits.maxDrawdownMoney > 0 && drawdown >= limits.maxDrawdownMoney) breach = `DRAWDOWN_LIMIT (P&L ${usd(pnl)} is ${usd(drawdown)} below its peak ${usd(peak)}, limit ${usd(limits.maxDrawdownMoney)})`;
  return { realizedMoney: realized, markedMoney: marked, feesMoney: fees, pnlMoney: pnl, peakPnlMoney: peak, drawdownMoney: drawdown, totalWorstMoney: totalWorst, gateways, events: eventsOut, breach };
}

/** An event's key as exec's event risk keys it (event-risk.ts keyOf): the event ticker, or `market:<ticker>` for a market without one. */
export function eventKeyOf(market: string, eventTicker?: string | null): string {
  return eventTicker ? eventTicker : `market:${market}`;
}

/** KV key tokens allow [-/_=.A-Za-z0-9]; everything outside [A-Za-z0-9_-] is escaped as '=' + hex. */
export function kvToken(name: string): string {
  if (!name) throw new Error('a KV key token needs a non-empty name');
  return name.replace(/[^A-Za-z0-9_-]/g, (ch) => {
    const c = ch.charCodeAt(0);
    if (c > 0xff) throw new Error(`name '${name}' has a character outside Latin-1`);
    return '=' + c.toString(16).padStart(2, '0');
  });
}

/** Control-bucket keys the aggregator writes (JSON {allowanceUsd, worstUsd, wallMs, epoch}). */
export function gatewayAllowanceKey(shard: number): string {
  if (!Number.isInteger(shard) || shard < 0) throw new Error(`exchange shard must be an integer >= 0, got ${shard}`);
  return `allowance.gateway.${shard}`;
}
export function eventAllowanceKey(event: string): string {
  return `allowance.event.${kvToken(event)}`;
}
/** The aggregator's last view (peak P&L survives a takeover through it). */
export const RISK_STATE_KEY = 'risk.state';

/** Where gateways publish their figures. */
export function figuresSubject(cluster: string, shard: number): string {
  return `kmm.${cluster}.risk.figures.${shard}`;
}
export function allFiguresSubject(cluster: string): string {
  return `kmm.${cluster}.risk.figures.*`;
}
