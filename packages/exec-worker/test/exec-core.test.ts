import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { kmm, resolveConfig } from '@kmm/shared';
import { ExecCore, execParamsOf, OrderStatus } from '../src/index.js';
import { MKT, ackAll, cmds, marketInfo, params, readyCore, rejectAll, target } from './helpers.js';

const CK = kmm.v1.CommandKind;
const RC = kmm.v1.RejectCode;
const BID = kmm.v1.BookSide.BID;

describe('ExecCore start-up', () => {
  it('places nothing before the start-up reconcile and the order group', () => {
    const core = new ExecCore(params(), { runId: 'r', markets: [marketInfo()], nowMs: 0 });
    const fx = core.start(0);
    expect(fx.reads).toEqual([expect.objectContaining({ kind: 'reconcile', reason: 'startup' })]);
    core.onTrust({ market: MKT, state: kmm.v1.TrustState.TRUSTED }, 0);
    expect(core.onTargets(target(4800, 5200), 0).commands).toHaveLength(0);
    core.onSnapshot({ requestedAtMs: 0, orders: [], positions: [], fills: [] }, 1);
    expect(core.ready).toBe(false);
    const fx2 = core.onOrderGroup('og', 2);
    expect(fx2.commands).toHaveLength(1);
    expect(fx2.commands[0].op).toBe('batch_create');
    expect(fx2.commands[0].orders.every((o) => o.orderGroupId === 'og' && o.postOnly)).toBe(true);
  });
  it('cancels unknown resting orders, adopts ours when configured, and blocks on a start-up cap breach', () => {
    const venue = {
      requestedAtMs: 0,
      orders: [
        { orderId: 'v1', clientOrderId: 'manual-1', market: MKT, side: BID, price: 4000, remainingCenti: 100, filledCenti: 0, status: 'resting' as const, orderGroupId: '' },
        { orderId: 'v2', clientOrderId: 'kmm-old-1', market: MKT, side: BID, price: 4100, remainingCenti: 100, filledCenti: 0, status: 'resting' as const, orderGroupId: '' },
      ],
      positions: [{ market: MKT, positionCenti: 900, exposureMoney: 0, realizedPnlMoney: 0, feesPaidMoney: 0 }],
      fills: [],
    };
    const core = new ExecCore(params({ adoptOrdersOnStart: true, longCapCenti: 500, shortCapCenti: 500 }), { runId: 'r', markets: [marketInfo()], nowMs: 0 });
    core.start(0);
    const fx = core.onSnapshot(venue, 1);
    expect(fx.ops.map((o) => o.event)).toContain('startup_position_cap_breach');
    expect(fx.out.some((o) => o.peer === 'strategy' && o.body.position?.positionCenti === 900)).toBe(true);
    // trading disabled: every resting order goes (the unknown one and the adopted one), right away
    const cancelled = fx.commands.flatMap((c) => c.orders.map((o) => o.orderId));
    expect(cancelled.sort()).toEqual(['v1', 'v2']);
    expect(core.tradingEnabled).toBe(false);
  });
  it('adopted orders are amended to the target instead of being replaced', () => {
    const core = new ExecCore(params({ adoptOrdersOnStart: true }), { runId: 'r', markets: [marketInfo()], nowMs: 0 });
    core.start(0);
    core.onSnapshot(
      { requestedAtMs: 0, orders: [{ orderId: 'v2', clientOrderId: 'kmm-old-1', market: MKT, side: BID, price: 4100, remainingCenti: 500, filledCenti: 0, status: 'resting', orderGroupId: '' }], positions: [], fills: [] },
      1,
    );
    core.onOrderGroup('og', 1);
    core.onTrust({ market: MKT, state: kmm.v1.TrustState.TRUSTED }, 1);
    const c = cmds(core.onTargets(target(4500, 0), 2));
    expect(c).toHaveLength(1);
    expect(c[0]).toMatchObject({ op: 'amend' });
    expect(c[0].orders[0]).toMatchObject({ orderId: 'v2', price: 4500 });
  });
});

describe('ExecCore diffing', () => {
  it('amends instead of cancel/replace, decreases on size-down, cancels on side removal', () => {
    const { core } = readyCore();
    let c = cmds(core.onTargets(target(4800, 5200), 10));
    expect(c).toHaveLength(1);
    core.onCommandResult(ackAll(c[0]), 11);
    c = cmds(core.onTargets(target(4600, 5200), 20));
    expect(c.map((x) => x.op)).toEqual(['amend']);
    core.onCommandResult(ackAll(c[0]), 21);
    c = cmds(core.onTargets(target(4600, 5200, 300), 30));
    expect(c.map((x) => x.op)).toEqual(['decrease', 'decrease']);
    for (const x of c) core.onCommandResult(ackAll(x), 31);
    c = cmds(core.onTargets(target(0, 5200, 300), 40));
    expect(c.map((x) => x.op)).toEqual(['batch_cancel']);
    core.onCommandResult(ackAll(c[0]), 41);
    expect(core.bk.liveCount).toBe(1);
  });
  it('skips small moves with a skip_same_quote event, once per new price', () => {
    const { core } = readyCore();
    const c = cmds(core.onTargets(target(4800, 5200), 10));
    core.onCommandResult(ackAll(c[0]), 11);
    const fx = core.onTargets(target(4900, 5200), 20);
    expect(fx.commands).toHaveLength(0);
    const ev = fx.ops.find((o) => o.event === 'skip_same_quote');
    expect(ev?.fields).toMatchObject({ old_price_cents: 48, new_price_cents: 49, price_diff_cents: 1, min_reprice_cents: 2 });
    expect(core.onTargets(target(4900, 5200), 21).ops.filter((o) => o.event === 'skip_same_quote')).toHaveLength(0);
  });
  it('a new target re-prices at once (MM_QUOTE_REFRESH_MS is strategy\'s); only the per-slot interval defers, and the timer releases it', () => {
    const { core } = readyCore({ minRepriceIntervalMs: 5000 });
    let c = cmds(core.onTargets(target(4500, 5500), 10));
    core.onCommandResult(ackAll(c[0]), 11);
    c = cmds(core.onTargets(target(4700, 5500), 5100));
    expect(c.map((x) => x.op)).toEqual(['amend']); // 5 s after placing: the interval has passed
    core.onCommandResult(ackAll(c[0]), 5101);
    expect(core.onTargets(target(4900, 5500), 5200).commands).toHaveLength(0); // 0.1 s after the last change
    expect(core.onTimer(10_000).commands).toHaveLength(0);
    c = cmds(core.onTimer(10_101));
    expect(c.map((x) => x.op)).toEqual(['amend']);
    expect(c[0].orders[0].price).toBe(4900);
  });
  it('applies the post-only safety against the book top of the decision', () => {
    const { core } = readyCore({ postOnlySafetyTicks: 2 });
    const c = cmds(core.onTargets(target(5000, 5100, 500, MKT, 4900, 5000), 10));
    const prices = c[0].orders.map((o) => [o.side, o.price]);
    expect(prices).toEqual([[BID, 4800], [kmm.v1.BookSide.ASK, 5100]]);
  });
});

describe('ExecCore faults', () => {
  it('on 429: pauses creates for the pause time, keeps cancelling', () => {
    const { core } = readyCore({ rateLimitPauseMs: 2000 });
    const c = cmds(core.onTargets(target(4800, 5200), 10));
    const fx = core.onCommandResult(rejectAll(c[0], RC.RATE_LIMITED, true), 11);
    expect(fx.commands).toHaveLength(0);
    expect(core.bk.liveCount).toBe(0);
    expect(core.onTimer(1000).commands).toHaveLength(0);
    const again = cmds(core.onTimer(2100));
    expect(again).toHaveLength(1);
    core.onCommandResult(ackAll(again[0]), 2101);
    core.onCommandResult({ cmdId: 999, acks: [], rejects: [], rateLimited: true, latencyUs: 1 }, 2200);
    const cx = cmds(core.onTargets(target(0, 0), 2300));
    expect(cx.map((x) => x.op)).toEqual(['batch_cancel']);
  });
  it('post-only rejection widens the buffer and cools the side down', () => {
    const { core } = readyCore({ postOnlySafetyTicks: 1, pofCooldownMs: 1000 });
    const c = cmds(core.onTargets(target(4900, 0, 500, MKT, 4800, 5000), 10));
    expect(c[0].orders[0].price).toBe(4900);
    const fx = core.onCommandResult(rejectAll(c[0], RC.POST_ONLY_CROSS), 11);
    expect(fx.commands).toHaveLength(0);
    expect(fx.ops.find((o) => o.event === 'post_only_rejected')?.fields.safety_ticks).toBe(2);
    const later = cmds(core.onTimer(1011));
    expect(later[0].orders[0].price).toBe(4800);
  });
  it('consecutive server errors open the breaker; cancels still go out', () => {
    const { core } = readyCore({ breakerMaxFailures: 3, breakerCooldownMs: 10_000 });
    let now = 10;
    let c = cmds(core.onTargets(target(4800, 5200), now));
    core.onCommandResult(ackAll(c[0]), now); // two resting quotes
    c = cmds(core.onTargets(target(4500, 0), now));
    expect(c.map((x) => x.op)).toEqual(['batch_cancel', 'amend']);
    core.onCommandResult(ackAll(c[0]), now);
    let amend = c[1];
    for (let i = 0; i < 3; i++) {
      const fx = core.onCommandResult(rejectAll(amend, RC.BAD_REQUEST), now);
      expect(fx.commands).toHaveLength(0); // reject hold: no hot loop
      now += 1000;
      const t = cmds(core.onTimer(now));
      if (i < 2) {
        expect(t.map((x) => x.op)).toEqual(['amend']);
        amend = t[0];
      } else expect(t).toHaveLength(0);
    }
    expect(core.breakers.isOpen(now)).toBe(true);
    const cx = cmds(core.onTargets(target(0, 0), now));
    expect(cx.map((x) => x.op)).toEqual(['batch_cancel']);
  });
  it('timeout on create: slot blocked (uncertain) until a reconcile resolves it', () => {
    const { core } = readyCore();
    const c = cmds(core.onTargets(target(4800, 0), 10));
    const fx = core.onCommandResult(rejectAll(c[0], RC.TIMEOUT), 11);
    expect(fx.reads.some((r) => r.kind === 'reconcile')).toBe(false); // min gap since start
    const coid = c[0].orders[0].clientOrderId!;
    expect(core.bk.get(coid)?.status).toBe(OrderStatus.UNCERTAIN);
    expect(core.onTargets(target(4800, 0), 12).commands).toHaveLength(0);
    const t = core.onTimer(1100);
    expect(t.reads.some((r) => r.kind === 'reconcile')).toBe(true);
    core.onSnapshot(
      { requestedAtMs: 1100, orders: [{ orderId: 'x1', clientOrderId: coid, market: MKT, side: BID, price: 4800, remainingCenti: 500, filledCenti: 0, status: 'resting', orderGroupId: '' }], positions: [], fills: [] },
      1200,
    );
    expect(core.bk.get(coid)).toMatchObject({ status: OrderStatus.RESTING, orderId: 'x1' });
  });
  it('disconnect cancels everything and places nothing until reconnected and trusted', () => {
    const { core } = readyCore();
    const c = cmds(core.onTargets(target(4800, 5200), 10));
    core.onCommandResult(ackAll(c[0]), 11);
    const fx = core.onConnection({ kind: kmm.v1.ConnectionEvent.Kind.DISCONNECTED }, 20);
    expect(fx.commands.flatMap((x) => x.orders).every((o) => o.kind === CK.CANCEL)).toBe(true);
    expect(fx.commands.flatMap((x) => x.orders)).toHaveLength(2);
    for (const x of cmds(fx)) core.onCommandResult(ackAll(x), 21);
    expect(core.onTargets(target(4800, 5200), 30).commands).toHaveLength(0);
    const rc = core.onConnection({ kind: kmm.v1.ConnectionEvent.Kind.CONNECTED }, 40);
    expect(rc.reads.some((r) => r.kind === 'reconcile' && r.reason === 'reconnect')).toBe(true);
    expect(rc.commands).toHaveLength(0);
    core.onSnapshot({ requestedAtMs: 40, orders: [], positions: [], fills: [] }, 50);
    // trusted again after a gap: fills of the gap may never come on the websocket, so the venue
    // is read once more before the market trades (await_reconcile), then the quotes go out
    const back = core.onTrust({ market: MKT, state: kmm.v1.TrustState.TRUSTED }, 60);
    expect(back.commands).toHaveLength(0);
    expect(back.reads.some((r) => r.kind === 'reconcile' && r.reason === 'market_resynced')).toBe(true);
    expect(core.onSnapshot({ requestedAtMs: 60, orders: [], positions: [], fills: [] }, 70).commands).toHaveLength(1);
  });
  it('stale book (no ticks for stale_data_s 5 s): pulled at once with the default 3 s grace, which counts from the last tick (003 "No ticks 5s")', () => {
    const { core } = readyCore({ staleCancelGraceMs: 3000, staleBookCancelAfterMs: 0 });
    const c = cmds(core.onTargets(target(4800, 5200), 10));
    core.onCommandResult(ackAll(c[0]), 11);
    const fx = core.onTrust({ market: MKT, state: kmm.v1.TrustState.STALE }, 5010);
    expect(fx.commands.flatMap((x) => x.orders).map((o) => o.kind)).toEqual([CK.CANCEL, CK.CANCEL]);
  });
  it('stale book with a grace longer than stale_data_s: the rest of the grace after the STALE report, then cancelled', () => {
    const p = execParamsOf(resolveConfig({ MM_STALE_CANCEL_GRACE_S: 8, stale_data_s: 5 }));
    expect([p.staleCancelGraceMs, p.staleBookCancelAfterMs]).toEqual([8000, 3000]);
    expect(execParamsOf(resolveConfig({})).staleBookCancelAfterMs).toBe(0);
    const { core } = readyCore({ staleCancelGraceMs: 8000, staleBookCancelAfterMs: 3000 });
    const c = cmds(core.onTargets(target(4800, 5200), 10));
    core.onCommandResult(ackAll(c[0]), 11);
    expect(core.onTrust({ market: MKT, state: kmm.v1.TrustState.STALE }, 100).commands).toHaveLength(0);
    expect(core.onTimer(3000).commands).toHaveLength(0);
    const fx = core.onTimer(3100);
    expect(fx.commands.flatMap((x) => x.orders).map((o) => o.kind)).toEqual([CK.CANCEL, CK.CANCEL]);
  });
  it('untrusted book (gap, resync): quotes stay through MM_STALE_CANCEL_GRACE_S from the report, then are cancelled', () => {
    const { core } = readyCore({ staleCancelGraceMs: 3000, staleBookCancelAfterMs: 0 });
    const c = cmds(core.onTargets(target(4800, 5200), 10));
    core.onCommandResult(ackAll(c[0]), 11);
    expect(core.onTrust({ market: MKT, state: kmm.v1.TrustState.UNTRUSTED }, 100).commands).toHaveLength(0);
    expect(core.onTimer(3000).commands).toHaveLength(0);
    const fx = core.onTimer(3100);
    expect(fx.commands.flatMap((x) => x.orders).map((o) => o.kind)).toEqual([CK.CANCEL, CK.CANCEL]);
  });
  it('fills are applied once, by trade id, from WS and REST backfill alike', () => {
    const { core } = readyCore();
    const c = cmds(core.onTargets(target(4800, 0), 10));
    core.onCommandResult(ackAll(c[0]), 11);
    const o = c[0].orders[0];
    const fill = { tradeId: 'T1', orderId: core.bk.get(o.clientOrderId!)!.orderId, market: MKT, side: BID, yesPrice: 4800, countCenti: 200, postPositionCenti: 200 };
    core.onFill(fill, 20, 'ws');
    core.onFill(fill, 21, 'ws');
    core.onSnapshot({ requestedAtMs: 5000, orders: [], positions: [{ market: MKT, positionCenti: 200, exposureMoney: 960, realizedPnlMoney: 0, feesPaidMoney: 0 }], fills: [fill, { ...fill, tradeId: 'T2', countCenti: 100 }] }, 5001);
    expect(core.stats.duplicateFills).toBe(1); // the WS repeat; the REST copy of T1 is filtered by the reconciler
    expect(core.stats.fills).toBe(2);
    // venue position wins over the local sum after the backfill
    expect(core.bk.position(MKT).positionCenti).toBe(200);
  });
});

describe('ExecCore rate budget (property)', () => {
  it('never spends more write tokens than the budget allows, whatever the target stream', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 20, max: 48 }), fc.integer({ min: 52, max: 80 }), fc.integer({ min: 1, max: 9 })), { minLength: 1, maxLength: 200 }),
        (steps) => {
          const { core } = readyCore({ tier: 'basic', rateBudgetPermille: 800 });
          let now = 1000;
          const start = now;
          let tokens = 0;
          for (const [dt, b, a, sz] of steps) {
            now += dt;
            const fx = core.onTargets(target(b * 100, a * 100, sz * 100), now);
            const sent = cmds(fx);
            const more = cmds(core.onTimer(now));
            for (const c of [...sent, ...more]) {
              tokens += c.tokens;
              core.onCommandResult(ackAll(c), now);
            }
          }
          // capacity 80 + 80 tokens/s
          expect(tokens).toBeLessThanOrEqual(80 + ((now - start) * 80) / 1000 + 1);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('ExecCore outputs', () => {
  it('queue positions reach the book shard as WorkingOrders with exchange_ahead_centi', () => {
    const { core } = readyCore({ shardCount: 4 });
    const c = cmds(core.onTargets(target(4800, 0), 10));
    core.onCommandResult(ackAll(c[0]), 11);
    const oid = core.bk.get(c[0].orders[0].clientOrderId!)!.orderId;
    const fx = core.onQueuePositions([{ market: MKT, orderId: oid, aheadCenti: 1234 }], 12);
    const wo = fx.out.find((o) => o.peer.startsWith('book.') && o.body.workingOrders);
    expect(wo?.peer).toMatch(/^book\.[0-3]$/);
    expect(wo?.body.workingOrders?.orders?.[0]).toMatchObject({ orderId: oid, exchangeAheadCenti: 1234 });
    expect(wo?.body.workingOrders?.restingBidCenti).toBe(500);
    // and the answer is journaled as it came (kmm backtest --like --venue-check compares the venue's queue with it)
    expect(fx.journal.find((r) => r.k === 'queue')).toMatchObject({ k: 'queue', positions: [{ market: MKT, oid, aheadCenti: 1234 }] });
  });
  it('taker intents go out as IOC non-post-only creates, or are refused with a typed reject', () => {
    const { core } = readyCore();
    const fx = core.onTakerIntent({ market: MKT, side: BID, limitPrice: 5500, countCenti: 200, tif: kmm.v1.TimeInForce.IMMEDIATE_OR_CANCEL, reason: kmm.v1.TakerReason.BAILOUT }, 10);
    expect(fx.commands[0].orders[0]).toMatchObject({ taker: true, postOnly: false, tif: kmm.v1.TimeInForce.IMMEDIATE_OR_CANCEL, price: 5500 });
    const bad = core.onTakerIntent({ market: MKT, side: BID, limitPrice: 5550, countCenti: 200 }, 11);
    expect(bad.commands).toHaveLength(0);
    expect(bad.out.find((o) => o.body.orderReject)?.body.orderReject).toMatchObject({ code: RC.PREFLIGHT });
  });
  it('tape rows carry mid, our quotes, inventory and P&L', () => {
    const { core } = readyCore({ tapeIntervalMs: 1000 });
    const c = cmds(core.onTargets(target(4800, 5200, 500, MKT, 4900, 5100), 10));
    core.onCommandResult(ackAll(c[0]), 11);
    core.onFill({ tradeId: 'T', orderId: core.bk.get(c[0].orders[0].clientOrderId!)!.orderId, market: MKT, side: BID, yesPrice: 4800, countCenti: 100, postPositionCenti: 100 }, 12, 'ws');
    const fx = core.onTimer(1100);
    expect(fx.tape[0]).toMatchObject({ ticker: MKT, midPrice: 5000, myBid: 4800, myAsk: 5200, inventoryCenti: 100, unrealizedPnlMoney: 200 });
  });
  it('the tape\'s latency_ms is processing latency (003): tick-to-wire, not the REST round trip', () => {
    const { core } = readyCore({ tapeIntervalMs: 1000 });
    const c = cmds(core.onTargets(target(4800, 5200, 500, MKT, 4900, 5100), 10));
    expect(core.onTimer(1010).tape[0].processingLatencyUs).toBe(-1); // nothing written yet
    core.noteWireLatency(850); // the shell: request written 0.85 ms after the venue frame that caused it
    core.onCommandResult({ ...ackAll(c[0]), latencyUs: 120_000 }, 1020); // a 120 ms round trip
    expect(core.onTimer(2100).tape[0].processingLatencyUs).toBe(850);
  });
  it('journal records every command, ack, reject and fill', () => {
    const { core } = readyCore();
    const kinds: string[] = [];
    const take = (fx: { journal: { k: string }[] }) => kinds.push(...fx.journal.map((r) => r.k));
    const fx0 = core.onTargets(target(4800, 5200), 10);
    const c = cmds(fx0);
    take(fx0);
    take(core.onCommandResult({ ...ackAll(c[0]), acks: ackAll(c[0]).acks.slice(0, 1), rejects: rejectAll(c[0], RC.INSUFFICIENT_BALANCE).rejects.slice(1) }, 11));
    take(core.onFill({ tradeId: 'T9', market: MKT, side: BID, yesPrice: 4800, countCenti: 100 }, 12, 'ws'));
    expect(kinds).toEqual(expect.arrayContaining(['cmd', 'ack', 'rej', 'fill']));
  });
});

describe('ExecCore high latency (high_latency_warn_ms, 003 "High latency detected")', () => {
  it('warns once per period when a round trip exceeds the threshold, with the count and worst of the slow ones', () => {
    const { core } = readyCore({ highLatencyWarnUs: 150_000 });
    const warnings = (fx: { ops: Array<{ event: string; level?: string; fields: Record<string, unknown> }> }) => fx.ops.filter((o) => o.event === 'high_latency');
    const round = (bid: number, latencyUs: number, nowMs: number) => {
      const c = cmds(core.onTargets(target(bid, 5200), nowMs));
      return warnings(core.onCommandResult({ ...ackAll(c[0]), latencyUs }, nowMs + 1));
    };
    expect(round(4800, 150_000, 10)).toEqual([]); // at the threshold: not above it
    const first = round(4600, 400_000, 20_000);
    expect(first).toHaveLength(1);
    expect(first[0].fields).toMatchObject({ latency_ms: 400, threshold_ms: 150, slow_requests: 1, worst_ms: 400, op: 'amend' });
    expect(round(4400, 900_000, 29_000)).toEqual([]); // within the 10 s period: counted, not logged
    const next = round(4200, 200_000, 31_000);
    expect(next).toHaveLength(1);
    expect(next[0].fields).toMatchObject({ latency_ms: 200, slow_requests: 2, worst_ms: 900 });
  });
});

describe('ExecCore tracked-orders limit (kmm_max_orders_tracked)', () => {
  it('counts the creates queued in the same pump: a 2-level target on both sides places at most the limit', () => {
    const { core } = readyCore({ maxOrdersTracked: 3 });
    const levels: kmm.v1.IQuoteLevel[] = [];
    for (let i = 0; i < 2; i++) {
      levels.push({ side: BID, level: i, price: 4800 - 100 * i, countCenti: 100 });
      levels.push({ side: kmm.v1.BookSide.ASK, level: i, price: 5200 + 100 * i, countCenti: 100 });
    }
    const fx = core.onTargets({ market: MKT, levels, bestBid: 4900, bestAsk: 5100 }, 10);
    const creates = cmds(fx).flatMap((c) => c.orders).filter((o) => o.kind === kmm.v1.CommandKind.PLACE);
    expect(creates).toHaveLength(3);
    expect(fx.ops.some((e) => e.event === 'orders_tracked_limit')).toBe(true);
  });
});
