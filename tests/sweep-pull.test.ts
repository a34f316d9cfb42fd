/**
 * Issue 17: a sweep pulls the quotes before the next trade. The strategy core quotes a 48 / 52c
 * book; exec places both quotes and the venue acks them. A public buy then goes through three
 * ask levels (52, 53, 54c): the book update that carries it makes the strategy emit an empty
 * target (reason sweep_pull), and exec turns that target into cancels of both resting orders in
 * the same call, before any later market event. Book updates inside kmm_sweep_pull_ms place
 * nothing; the first one after it quotes again. The same sweep with kmm_sweep_levels 0 and
 * kmm_jump_cents 0 (protection off) cancels nothing.
 */
import { describe, expect, it } from 'vitest';
import { kmm, resolveConfig } from '@kmm/shared';
import { StrategyCore, strategyParamsOf } from '@kmm/strategy-worker';
import { ExecCore, execParamsOf, type CommandResult, type ExecCommand } from '@kmm/exec-worker';
import { M, T0, info } from './fixtures/core-market.js';

// the recommended settings (off by default: README "Jump and schedule protection")
const CFG = { kmm_sweep_levels: 3, kmm_jump_cents: 3, MM_IMBALANCE_PAUSE_THRESHOLD: 0, volume_spike_pause: false, min_liquidity: 0, kmm_shards: 1, MM_JOURNAL_REPRICE_DECISIONS: false };


const lv = (...prices: number[]): kmm.v1.IPriceLevel[] => prices.map((price) => ({ price, countCenti: 20_000 }));

function book(bid: number, ask: number, trades: number, lastTradePrice: number, bids: number[], asks: number[]): kmm.v1.IBookFeatures {
  return {
    market: M, bestBid: bid, bestAsk: ask, othersBestBid: bid, othersBestAsk: ask, bestBidCenti: 20_000, bestAskCenti: 20_000,
    othersBestBidCenti: 20_000, othersBestAskCenti: 20_000, mid: (bid + ask) / 2, microprice: (bid + ask) / 2, spread: ask - bid,
    spreadEma: ask - bid, trust: kmm.v1.TrustState.TRUSTED, volMediumWindowS: 60, tradeCount: trades, lastTradePrice,
    bidsTop: lv(...bids), asksTop: lv(...asks),
  };
}

function ackAll(cmd: ExecCommand): CommandResult {
  let n = 0;
  return {
    cmdId: cmd.id,
    acks: cmd.orders.map((o) => ({
      kind: o.kind, market: o.market, clientOrderId: o.clientOrderId, orderId: o.orderId || `oid-${cmd.id}-${n++}`, side: o.side, price: o.price,
      remainingCenti: o.kind === kmm.v1.CommandKind.CANCEL ? 0 : o.countCenti, filledCenti: 0,
      status: o.kind === kmm.v1.CommandKind.CANCEL ? kmm.v1.OrderStatus.CANCELED : kmm.v1.OrderStatus.RESTING,
    })),
    rejects: [],
    rateLimited: false,
    latencyUs: 100,
  };
}

/** Strategy and exec cores wired by hand: every target goes to exec, every command is acked. */
function world(set: Record<string, unknown>) {
  const cfg = resolveConfig({ ...CFG, ...set });
  const strat = new StrategyCore(strategyParamsOf(cfg), [info], { startMs: T0 });
  strat.onControl({ kind: kmm.v1.ControlKind.RECONCILE, reason: 'exec_started' }, T0);
  strat.onTimer(T0 + 100_000);
  const exec = new ExecCore(execParamsOf(cfg), { runId: 'r1', markets: [info], nowMs: T0 });
  exec.start(T0);
  exec.onSnapshot({ requestedAtMs: T0, orders: [], positions: [], fills: [] }, T0);
  exec.onOrderGroup('og-1', T0);
  exec.onTrust({ market: M, state: kmm.v1.TrustState.TRUSTED }, T0);
  /** one book update through both cores: the target's reason and the venue orders exec sent at once */
  const onBook = (f: kmm.v1.IBookFeatures, now: number): { reason: string | null; orders: ExecCommand['orders'] } => {
    const t = strat.onBookFeatures(f, now).targets[0];
    if (t === undefined) return { reason: null, orders: [] };
    const cmds = exec.onTargets(JSON.parse(JSON.stringify(t)), now).commands.slice();
    for (const c of cmds) exec.onCommandResult(ackAll(c), now + 1);
    return { reason: t.reason ?? '', orders: cmds.flatMap((c) => c.orders) };
  };
  return onBook;
}

const CREATE = kmm.v1.CommandKind.PLACE;
const CANCEL = kmm.v1.CommandKind.CANCEL;

describe('a sweep pulls the quotes before the next trade (issue 17)', () => {
  it('the book update of a three-level sweep cancels both resting quotes at once; none is placed until kmm_sweep_pull_ms has passed', () => {
    const onBook = world({});
    let now = T0 + 200_000;
    const placed = onBook(book(4800, 5200, 7, 5000, [4800, 4700, 4600], [5200, 5300, 5400]), now);
    expect(placed.orders.filter((o) => o.kind === CREATE).map((o) => o.side).sort()).toEqual([kmm.v1.BookSide.BID, kmm.v1.BookSide.ASK].sort());
    // the sweep: a buy through 52, 53 and 54c; the ask is now 55c
    now += 40;
    const swept = onBook(book(4800, 5500, 8, 5400, [4800, 4700, 4600], [5500]), now);
    expect(swept.reason).toBe('sweep_pull');
    expect(swept.orders.filter((o) => o.kind === CANCEL)).toHaveLength(2);
    expect(swept.orders.filter((o) => o.kind === CREATE)).toEqual([]);
    // the next public trade, 1 s later: nothing of ours rests, and nothing is placed
    now += 1000;
    const next = onBook(book(5100, 5500, 9, 5500, [5100, 5000], [5500, 5600]), now);
    expect(next.orders.filter((o) => o.kind === CREATE)).toEqual([]);
    // after the pull (2 s) the market is quoted again
    now += 1100;
    const again = onBook(book(5100, 5500, 9, 5500, [5100, 5000], [5500, 5600]), now);
    expect(again.reason).toMatch(/^quote/);
    expect(again.orders.filter((o) => o.kind === CREATE).length).toBeGreaterThan(0);
  });

  it('with the protection off the same sweep cancels nothing', () => {
    const onBook = world({ kmm_sweep_levels: 0, kmm_jump_cents: 0 });
    const now = T0 + 200_000;
    onBook(book(4800, 5200, 7, 5000, [4800, 4700, 4600], [5200, 5300, 5400]), now);
    const swept = onBook(book(4800, 5500, 8, 5400, [4800, 4700, 4600], [5500]), now + 40);
    expect(swept.reason).not.toBe('sweep_pull');
    expect(swept.orders.filter((o) => o.kind === CANCEL)).toEqual([]);
  });
});
