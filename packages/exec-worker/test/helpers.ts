import { kmm, resolveConfig } from '@kmm/shared';
import { ExecCore, execParamsOf, type ExecParams, type Effects, type CommandResult, type ExecCommand } from '../src/index.js';

export const MKT = 'KXTEST-26JAN01-T50';
export const MKT2 = 'KXTEST-26JAN01-T60';

export function marketInfo(market = MKT): kmm.v1.IMarketInfo {
  return { market, status: kmm.v1.MarketStatus.MARKET_ACTIVE, priceRanges: [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }] };
}

export function params(over: Partial<ExecParams> = {}): ExecParams {
  return {
    ...execParamsOf(resolveConfig({ kmm_shards: 1 })),
    longCapCenti: 1000_00, shortCapCenti: 1000_00,
    minRepriceIntervalMs: 0,
    repriceTolerancePermille: 0,
    minRepriceEdgeDeltaBpsMilli: 0,
    postOnlySafetyTicks: 1,
    reconcileIntervalMs: 0,
    queuePositionPollMs: 0,
    marketsPollMs: 0,
    tapeIntervalMs: 0,
    ...over,
  };
}

/** A core that has done its start-up reconcile (empty venue), has an order group and a trusted market. */
export function readyCore(over: Partial<ExecParams> = {}, markets = [MKT]): { core: ExecCore; now: { ms: number } } {
  const now = { ms: 0 };
  const core = new ExecCore(params(over), { runId: 'r1', markets: markets.map((m) => marketInfo(m)), nowMs: now.ms });
  core.start(now.ms);
  core.onSnapshot({ requestedAtMs: now.ms, orders: [], positions: [], fills: [] }, now.ms);
  core.onOrderGroup('og-1', now.ms);
  for (const m of markets) core.onTrust({ market: m, state: kmm.v1.TrustState.TRUSTED }, now.ms);
  return { core, now };
}

export function target(bid: number, ask: number, sizeCenti = 500, market = MKT, bestBid = 0, bestAsk = 0): kmm.v1.ITargetQuotes {
  const levels: kmm.v1.IQuoteLevel[] = [];
  if (bid > 0) levels.push({ side: kmm.v1.BookSide.BID, level: 0, price: bid, countCenti: sizeCenti });
  if (ask > 0) levels.push({ side: kmm.v1.BookSide.ASK, level: 0, price: ask, countCenti: sizeCenti });
  return { market, levels, bestBid, bestAsk };
}

let oidSeq = 0;
/** Acks every order of a command as the venue would (all rest, nothing fills). */
export function ackAll(cmd: ExecCommand): CommandResult {
  const acks: kmm.v1.IOrderAck[] = [];
  for (const o of cmd.orders) {
    const kind = o.kind ?? 0;
    acks.push({
      kind,
      market: o.market,
      clientOrderId: o.clientOrderId,
      orderId: o.orderId || `oid-${++oidSeq}`,
      side: o.side,
      price: o.price,
      remainingCenti: kind === kmm.v1.CommandKind.CANCEL ? 0 : kind === kmm.v1.CommandKind.DECREASE ? o.countCenti : o.countCenti,
      filledCenti: 0,
      status: kind === kmm.v1.CommandKind.CANCEL ? kmm.v1.OrderStatus.CANCELED : kmm.v1.OrderStatus.RESTING,
    });
  }
  return { cmdId: cmd.id, acks, rejects: [], rateLimited: false, latencyUs: 100 };
}

export function rejectAll(cmd: ExecCommand, code: number, rateLimited = false): CommandResult {
  return {
    cmdId: cmd.id,
    acks: [],
    rejects: cmd.orders.map((o) => ({ kind: o.kind, market: o.market, clientOrderId: o.clientOrderId, orderId: o.orderId, code, side: o.side, price: o.price })),
    rateLimited,
    latencyUs: 100,
  };
}

/** Copies the commands out of a reused Effects object. */
export function cmds(fx: Effects): ExecCommand[] {
  return fx.commands.slice();
}
