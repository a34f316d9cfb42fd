/**
 * Event allowances (a cluster's risk aggregator, issue 19): exec's pre-flight caps an event's
 * worst case at min(MM_MAX_EVENT_LOSS_USD, the event's allowance), set by a Control
 * CONFIG_UPDATE with reason 'risk_event_allowances' (json {event: usd}, the whole set).
 *  - past the allowance: refused with its own code EVENT_LOSS_OVER_ALLOWANCE and a reason;
 *  - up to the allowance: sent; orders that lower the worst case always pass;
 *  - the static cap still binds when it is the lower one (RISK, EVENT_LOSS_OVER_CAP);
 *  - the room exec reports follows the allowance; events without one are unaffected;
 *  - a malformed set is refused (ops error) and the previous set stays.
 */
import { describe, expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import { ExecCore, EVENT_ALLOWANCES_REASON, parseEventAllowances, type Effects } from '../src/index.js';
import { ackAll, cmds, params } from './helpers.js';

const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;
const RC = kmm.v1.RejectCode;
const EVENT = 'KXALW-26JAN01';
const [A, B] = [`${EVENT}-A`, `${EVENT}-B`];
const SOLO = 'KXSOLO-26JAN01-T50';
const USD = 10_000;

function core(maxEventUsd: number): ExecCore {
  const p = params({ maxEventLossMoney: maxEventUsd * USD, maxTotalLossMoney: 0, maxTotalNotionalMoney: 0, maxPositionNotionalMoney: 1e12, maxOrderNotionalMoney: 1e12 });
  const grid = { status: kmm.v1.MarketStatus.MARKET_ACTIVE, priceRanges: [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }] };
  const infos = [...[A, B].map((market) => ({ market, eventTicker: EVENT, mutuallyExclusive: true, ...grid })), { market: SOLO, ...grid }];
  const c = new ExecCore(p, { runId: 'al', markets: infos, nowMs: 0 });
  c.start(0);
  c.onSnapshot({ requestedAtMs: 0, orders: [], positions: [], fills: [] }, 0);
  c.onOrderGroup('og-1', 0);
  for (const m of [A, B, SOLO]) c.onTrust({ market: m, state: kmm.v1.TrustState.TRUSTED }, 0);
  return c;
}

const allowances = (c: ExecCore, json: string, t: number): Effects => c.onControl({ kind: kmm.v1.ControlKind.CONFIG_UPDATE, markets: [], reason: EVENT_ALLOWANCES_REASON, json }, t);
const bid = (market: string, price: number, centi: number) => ({ market, levels: [{ side: BID, level: 0, price, countCenti: centi }], bestBid: price, bestAsk: price + 100 });
const rejectOf = (fx: Effects) => fx.out.find((o) => o.body.orderReject)?.body.orderReject;

describe('event allowances in exec pre-flight', () => {
  it('refuses past the allowance with EVENT_LOSS_OVER_ALLOWANCE, passes up to it and passes reducing orders', () => {
    const c = core(20);
    const fx0 = allowances(c, JSON.stringify({ [EVENT]: 5 }), 1);
    expect(fx0.ops.find((o) => o.event === 'exec_event_allowances')?.fields).toEqual({ events: 1 });

    // 20 YES of A at $0.50: $10 lost if A does not win > the $5 allowance (the static $20 cap would pass it)
    const fx1 = c.onTargets(bid(A, 5000, 2000), 2);
    expect(cmds(fx1)).toHaveLength(0);
    const rej = rejectOf(fx1)!;
    expect(rej.code).toBe(RC.EVENT_LOSS_OVER_ALLOWANCE);
    expect(rej.message).toBe(`EVENT_LOSS_OVER_ALLOWANCE (event ${EVENT} worst case $10.00 > allowance $5.00)`);
    expect(fx1.ops.some((o) => o.event === 'risk_block_bid_side')).toBe(true);

    // 10 at $0.50 is exactly $5: sent; it rests and fills
    const fx2 = c.onTargets(bid(A, 5000, 1000), 3);
    const sent = cmds(fx2);
    expect(sent).toHaveLength(1);
    c.onCommandResult(ackAll(sent[0]), 4);
    const o = c.bk.marketOrders(A).bids[0]!;
    c.onFill({ tradeId: 'F1', orderId: o.orderId, market: A, side: BID, yesPrice: 5000, countCenti: 1000, postPositionCenti: 1000 }, 5, 'ws');

    // at the allowance: one more contract of B is refused (it loses if neither wins) ...
    const fx3 = c.onTargets(bid(B, 3000, 100), 6);
    expect(cmds(fx3)).toHaveLength(0);
    expect(rejectOf(fx3)?.code).toBe(RC.EVENT_LOSS_OVER_ALLOWANCE);
    // ... and selling A (it lowers the worst case) passes, allowance or not
    const fx4 = c.onTargets({ market: A, levels: [{ side: ASK, level: 0, price: 5100, countCenti: 1000 }], bestBid: 5000, bestAsk: 5100 }, 7);
    expect(cmds(fx4)).toHaveLength(1);
    expect(rejectOf(fx4)).toBeUndefined();
  });

  it('the static MM_MAX_EVENT_LOSS_USD binds when lower (RISK); events without an allowance keep the static cap only', () => {
    const c = core(20);
    allowances(c, JSON.stringify({ [EVENT]: 50 }), 1);
    // $30 > the $20 cap, < the $50 allowance: the cap's refusal
    const fx1 = c.onTargets(bid(A, 5000, 6000), 2);
    expect(rejectOf(fx1)).toMatchObject({ code: RC.RISK, message: `EVENT_LOSS_OVER_CAP (event ${EVENT} worst case $30.00 > max $20.00)` });
    // SOLO has no allowance: $15 passes under the $20 cap
    expect(cmds(c.onTargets(bid(SOLO, 5000, 3000), 3))).toHaveLength(1);
  });

  it('with both static caps off an allowance still binds, and the room exec reports follows it', () => {
    const c = core(0);
    allowances(c, JSON.stringify({ [EVENT]: 2 }), 1);
    // B's touch first (no order); then one contract of A at $0.01 rests: its ack reports the
    // event's markets, B's room priced at B's opposite touch ($0.41): floor(($2 - $0.01) / $0.41) = 4.85
    c.onTargets({ market: B, levels: [], bestBid: 4000, bestAsk: 4100 }, 2);
    const sent = cmds(c.onTargets(bid(A, 100, 100), 2));
    const fx = c.onCommandResult(ackAll(sent[0]), 2);
    const wo = fx.out.filter((x) => x.peer === 'strategy' && x.body.workingOrders?.market === B).at(-1)?.body.workingOrders;
    expect(wo?.roomBidCenti).toBe(485);
    // the gate agrees: 4.97 contracts at $0.40 fit ($0.01 + $1.99), 5 do not ($2.01)
    expect(rejectOf(c.onTargets(bid(B, 4000, 500), 3))?.code).toBe(RC.EVENT_LOSS_OVER_ALLOWANCE);
    const placed = cmds(c.onTargets(bid(B, 4000, 497), 4));
    expect(placed).toHaveLength(1);
    c.onCommandResult(ackAll(placed[0]), 5);
    // an empty set lifts it (both static caps are off here): 20 contracts of B go out
    allowances(c, '{}', 6);
    const fx6 = c.onTargets(bid(B, 4000, 2000), 7);
    expect(rejectOf(fx6)).toBeUndefined();
    expect(cmds(fx6)).toHaveLength(1);
  });

  it('a malformed set is refused with the reason and the previous set stays', () => {
    const c = core(20);
    allowances(c, JSON.stringify({ [EVENT]: 5 }), 1);
    for (const [json, why] of [
      ['not json', /invalid JSON/],
      ['[1]', /expected a JSON object of event -> USD/],
      [JSON.stringify({ [EVENT]: 0 }), /KXALW-26JAN01=0: expected a USD amount of at least 0.0001/],
      [JSON.stringify({ [EVENT]: 'x' }), /KXALW-26JAN01="x"/],
    ] as const) {
      const fx = allowances(c, json, 2);
      expect(String(fx.ops.find((o) => o.event === 'exec_config_rejected')?.fields.error)).toMatch(why);
    }
    expect(rejectOf(c.onTargets(bid(A, 5000, 2000), 3))?.code).toBe(RC.EVENT_LOSS_OVER_ALLOWANCE);
    expect(parseEventAllowances(JSON.stringify({ E: 1.5, 'market:M': 0.0001 }))).toEqual({ ok: true, money: new Map([['E', 15_000], ['market:M', 1]]) });
  });
});
