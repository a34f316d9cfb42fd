/**
 * Issue 17: a v2 queue decision reaches the exchange within one decision. The strategy core
 * (grid model, the kalshi profile) steps one tick inside a 2c book when the queue ahead of its
 * resting bid grows long; the target's touch level carries queue_move; the exec core turns that
 * target into an amend at once, although the move is one tick and MM_MIN_REPRICE_TICKS is 2 and
 * the order changed within MM_MIN_REPRICE_INTERVAL_S (both at their defaults). The same target
 * without the flag is skipped by those gates (the old behaviour: the move waited for the
 * max-age reprice).
 */
import { describe, expect, it } from 'vitest';
import { kmm, resolveConfig } from '@kmm/shared';
import { StrategyCore, strategyParamsOf } from '@kmm/strategy-worker';
import { ExecCore, execParamsOf, type CommandResult, type ExecCommand } from '@kmm/exec-worker';
import { M, T0, info } from './fixtures/core-market.js';

const BID = kmm.v1.BookSide.BID;
const CFG = {
  MM_MARKET_PROFILE: 'kalshi',
  QUEUE_OPTIMIZATION_ENABLED: true,
  kmm_ofi_fair_ticks: 0,
  MM_IMBALANCE_PAUSE_THRESHOLD: 0,
  volume_spike_pause: false,
  min_liquidity: 0,
  kmm_shards: 1,
  MM_JOURNAL_REPRICE_DECISIONS: false,
};


/**
 * A 2c book 48 / 50c, microprice 49.8c (a tick inside still leaves 0.8c of edge); `bidAheadCenti`:
 * our resting bid's queue estimate (null: no order of ours), `othersBidCenti`: the others' size at 48c.
 */
function book(bidAheadCenti: number | null, othersBidCenti: number, ourBid = 0): kmm.v1.IBookFeatures {
  return {
    market: M,
    bestBid: ourBid > 4800 ? ourBid : 4800,
    bestAsk: 5000,
    othersBestBid: 4800,
    othersBestAsk: 5000,
    othersBestBidCenti: othersBidCenti,
    othersBestAskCenti: 20_000,
    bestBidCenti: othersBidCenti,
    bestAskCenti: 20_000,
    mid: 4900,
    microprice: 4980,
    spread: 200,
    spreadEma: 200,
    trust: kmm.v1.TrustState.TRUSTED,
    queue: bidAheadCenti === null ? [] : [{ side: BID, price: ourBid || 4800, aheadCenti: bidAheadCenti, exchangeAheadCenti: -1 }],
  };
}

function ackAll(cmd: ExecCommand): CommandResult {
  let n = 0;
  return {
    cmdId: cmd.id,
    acks: cmd.orders.map((o) => ({
      kind: o.kind, market: o.market, clientOrderId: o.clientOrderId, orderId: o.orderId || `oid-${cmd.id}-${n++}`,
      side: o.side, price: o.price, remainingCenti: o.countCenti, filledCenti: 0, status: kmm.v1.OrderStatus.RESTING,
    })),
    rejects: [],
    rateLimited: false,
    latencyUs: 100,
  };
}

function setup(): { strat: StrategyCore; exec: ExecCore } {
  const cfg = resolveConfig(CFG);
  const strat = new StrategyCore(strategyParamsOf(cfg), [info], { startMs: T0 });
  strat.onControl({ kind: kmm.v1.ControlKind.RECONCILE, reason: 'exec_started' }, T0);
  strat.onTimer(T0 + 100_000);
  const exec = new ExecCore(execParamsOf(cfg), { runId: 'r1', markets: [info], nowMs: T0 });
  exec.start(T0);
  exec.onSnapshot({ requestedAtMs: T0, orders: [], positions: [], fills: [] }, T0);
  exec.onOrderGroup('og-1', T0);
  exec.onTrust({ market: M, state: kmm.v1.TrustState.TRUSTED }, T0);
  return { strat, exec };
}

describe('a queue move reaches the exchange within one decision (issue 17)', () => {
  it('step inside on a long queue: one decision -> one target flagged queue_move -> an amend to 49c at once', () => {
    const { strat, exec } = setup();
    let now = T0 + 200_000;
    // 1. a short queue at 48c (500 contracts): join it (a create at 48c)
    const t1 = strat.onBookFeatures(book(null, 50_000), now).targets[0];
    expect(t1.levels?.find((l) => l.side === BID)).toMatchObject({ price: 4800, queueMove: true });
    const c1 = exec.onTargets(JSON.parse(JSON.stringify(t1)), now).commands.slice();
    const created = c1.flatMap((c) => c.orders).find((o) => o.side === BID);
    expect(created?.price).toBe(4800);
    for (const c of c1) exec.onCommandResult(ackAll(c), now + 1);
    // 2. 100 ms later the estimate says 1,800 contracts are ahead of our bid (> MAX_QUEUE_DEPTH 1,000)
    now += 100;
    const t2 = strat.onBookFeatures(book(180_000, 200_000), now).targets[0];
    expect(t2.reason).toBe('quote');
    const lv = t2.levels?.find((l) => l.side === BID);
    expect(lv).toMatchObject({ price: 4900, queueMove: true });
    const c2 = exec.onTargets(JSON.parse(JSON.stringify(t2)), now).commands.slice();
    const amend = c2.flatMap((c) => c.orders).find((o) => o.side === BID);
    expect(amend).toMatchObject({ kind: kmm.v1.CommandKind.AMEND, price: 4900 });
  });

  it('the same one-tick move without the flag waits for the reprice gates (MM_MIN_REPRICE_TICKS 2)', () => {
    const { strat, exec } = setup();
    const now = T0 + 200_000;
    const t1 = strat.onBookFeatures(book(null, 50_000), now).targets[0];
    for (const c of exec.onTargets(JSON.parse(JSON.stringify(t1)), now).commands.slice()) exec.onCommandResult(ackAll(c), now + 1);
    const t2 = JSON.parse(JSON.stringify(strat.onBookFeatures(book(180_000, 200_000), now + 100).targets[0])) as kmm.v1.ITargetQuotes;
    for (const l of t2.levels ?? []) delete l.queueMove;
    const c2 = exec.onTargets(t2, now + 100).commands;
    expect(c2.flatMap((c) => c.orders).filter((o) => o.side === BID)).toEqual([]);
  });
});
