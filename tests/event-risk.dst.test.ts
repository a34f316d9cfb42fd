/**
 * The event cap under faults (MM_MAX_EVENT_LOSS_USD, exec event-risk.ts), as a deterministic
 * simulation (runDst): 13 synthetic markets, among them two S&P ranges of one mutually exclusive
 * event (KXINXY-26DEC31), the seeded fault schedule (websocket drops, seq gaps, 429s, 5xx,
 * timeouts, crashes), a small cap. Every OBSERVE_MS the EXCHANGE's side of our account (resting
 * orders, positions and their cost, realized P&L) is turned into the event's payoff table: the
 * worst case of the open position and resting orders may exceed the cap only by the P&L fills
 * have banked (a fill moves an order into the position at its price; a reducing fill's gain
 * leaves the open table). The run's own invariants hold too (runDst problems empty).
 * Also: the run reaches the cap (exec refuses orders for it), and without the cap the same
 * world passes it (the check can fail).
 */
import { describe, expect, it } from 'vitest';
import { kmm, ONE_DOLLAR, parseCount, parsePrice } from '@kmm/shared';
import { eventWorstPc, type EventLeg } from '@kmm/exec-worker';
import { runDst, type DstView } from '@kmm/app';

const EVENT = 'KXINXY-26DEC31';
const CAP_USD = 2;
const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;

/** The event's legs and banked P&L (pc) from the exchange's records of our account. */
function exchangeEvent(v: DstView, markets: readonly string[]): { legs: EventLeg[]; bankedPc: number } {
  const rec = v.exchange.records();
  let bankedPc = 0;
  const legs = markets.map((market): EventLeg => {
    const p = rec.positions.find((x) => x.ticker === market);
    const q = p ? parseCount(String(p.position_fp), 'position_fp') : 0;
    // the exchange's exposure is the cost of the side held (NO for a short); the table wants the YES basis
    const exposurePc = p ? Math.round(Number(p.market_exposure_dollars) * 1e6) : 0;
    if (p) bankedPc += Math.round(Number(p.realized_pnl_dollars) * 1e6);
    const orders = rec.orders
      .filter((o) => o.ticker === market && o.status === 'resting' && o.user_id === rec.userId)
      .map((o) => ({ side: o.book_side === 'bid' ? BID : ASK, price: parsePrice(String(o.yes_price_dollars)), remCenti: parseCount(String(o.remaining_count_fp), 'remaining_count_fp') }));
    return { market, positionCenti: q, costPriceCenti: q >= 0 ? exposurePc : ONE_DOLLAR * -q - exposurePc, orders };
  });
  return { legs, bankedPc };
}

async function run(capUsd: number) {
  let maxExcessPc = -Infinity;
  let maxWorstPc = -Infinity;
  let markets: string[] = [];
  let refused = 0;
  const r = await runDst({
    seed: 11,
    simMinutes: 3,
    markets: 13,
    set: { MM_MAX_EVENT_LOSS_USD: capUsd, MM_MAX_TOTAL_LOSS_USD: 0 },
    observeEveryMs: 100,
    observe: (v) => {
      if (markets.length === 0) markets = [...v.exchange.engine.markets.values()].filter((m) => m.spec.eventTicker === EVENT).map((m) => m.spec.ticker);
      const { legs, bankedPc } = exchangeEvent(v, markets);
      const worst = eventWorstPc(legs, true);
      maxWorstPc = Math.max(maxWorstPc, worst);
      maxExcessPc = Math.max(maxExcessPc, worst - Math.max(0, bankedPc) - capUsd * 1e6);
    },
    hooks: {
      ops: (_actor, event, _market, _level, fields) => {
        if (/^risk_block_/.test(event) && /EVENT_LOSS_OVER_CAP/.test(String(fields.reason ?? ''))) refused++;
      },
    },
  });
  return { r, maxExcessPc, maxWorstPc, markets, refused };
}

describe('event cap under faults (DST)', () => {
  it(`the exclusive event's worst case stays within MM_MAX_EVENT_LOSS_USD=$${CAP_USD} (plus banked P&L) through the seeded faults`, async () => {
    const { r, maxExcessPc, maxWorstPc, markets, refused } = await run(CAP_USD);
    expect(r.problems, r.problems.join('; ')).toEqual([]);
    expect(markets.length).toBe(2);
    expect(r.faults.length).toBeGreaterThan(0);
    // the cap binds: the table reaches most of it (exec's room keeps strategy under it, so few refusals)
    expect(maxWorstPc).toBeGreaterThan(0.8 * CAP_USD * 1e6);
    // and exec's gate acted: a room strategy read before a fill or a fault is stale at times
    expect(refused).toBeGreaterThan(0);
    expect(maxExcessPc).toBeLessThanOrEqual(0);
  }, 120_000);
});
