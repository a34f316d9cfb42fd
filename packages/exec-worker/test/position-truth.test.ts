/**
 * Never trade on a position exec could not confirm (issue 14): a back-filled fill is matched by
 * trade id against the venue's position (never added on top of a position that includes it),
 * our own fills newer than a snapshot stay counted on top of it, a not_found on an order we
 * thought live holds its market until a reconcile has read the venue, and a reconcile that
 * back-fills fills but cannot decide the position (read lag) holds the market until one does.
 */
import { describe, expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import { BlockReason, OrderStatus } from '../src/index.js';
import { ackAll, cmds, MKT, readyCore, rejectAll, target } from './helpers.js';

const BID = kmm.v1.BookSide.BID;
const CK = kmm.v1.CommandKind;
const RC = kmm.v1.RejectCode;

function pos(positionCenti: number) {
  return { market: MKT, positionCenti, exposureMoney: 0, realizedPnlMoney: 0, feesPaidMoney: 0 };
}

/** A resting bid of 500 at 48 (order id from the ack). */
function withRestingBid() {
  const r = readyCore({ reconcileGraceMs: 3000 });
  const c = cmds(r.core.onTargets(target(4800, 0), 10));
  r.core.onCommandResult(ackAll(c[0]), 11);
  const coid = c[0].orders[0].clientOrderId!;
  const orderId = r.core.bk.get(coid)!.orderId;
  return { ...r, coid, orderId };
}

describe('position truth after a gap (issue 14)', () => {
  it('a back-filled fill the position already includes is not added again (a websocket fill after the gap carried the post-fill position)', () => {
    const { core, orderId } = withRestingBid();
    const x = { tradeId: 'X', orderId, market: MKT, side: BID, yesPrice: 4800, countCenti: 200, tsMs: 1000 };
    const y = { tradeId: 'Y', orderId, market: MKT, side: BID, yesPrice: 4800, countCenti: 100, tsMs: 1100, postPositionCenti: 300 };
    // X was lost in the silence; Y arrives with the exchange's position after both
    core.onFill(y, 1150, 'ws');
    expect(core.bk.position(MKT).positionCenti).toBe(300);
    // the reconcile, inside the grace of Y, lists both fills and the position that includes them
    const fx = core.onSnapshot({ requestedAtMs: 1200, orders: [], positions: [pos(300)], fills: [x, y] }, 1210);
    expect(core.stats.fills).toBe(2);
    expect(core.bk.position(MKT).positionCenti).toBe(300);
    expect(fx.journal.filter((j) => j.k === 'fill').map((j) => (j as { tradeId: string }).tradeId)).toEqual(['X']);
    // strategy gets the back-filled fill and then the position that includes it
    const toStrategy = fx.out.filter((o) => o.peer === 'strategy' && o.body.position).map((o) => o.body.position!.positionCenti);
    expect(toStrategy[toStrategy.length - 1]).toBe(300);
    core.bk.checkInvariants();
  });

  it('our fill newer than the snapshot (not listed in it) stays counted on top of the venue position', () => {
    const { core, orderId } = withRestingBid();
    core.onFill({ tradeId: 'A', orderId, market: MKT, side: BID, yesPrice: 4800, countCenti: 100, tsMs: 900, postPositionCenti: 100 }, 1000);
    // Z happened after the venue answered the read: the snapshot has neither Z nor its effect
    core.onFill({ tradeId: 'Z', orderId, market: MKT, side: BID, yesPrice: 4800, countCenti: 200, tsMs: 1250, postPositionCenti: 300 }, 1260);
    core.onSnapshot({ requestedAtMs: 1200, orders: [], positions: [pos(100)], fills: [{ tradeId: 'A', orderId, market: MKT, side: BID, yesPrice: 4800, countCenti: 100, tsMs: 900 }] }, 1270);
    expect(core.bk.position(MKT).positionCenti).toBe(300);
    core.bk.checkInvariants();
    // the next snapshot lists Z: the venue's value alone
    core.onSnapshot({ requestedAtMs: 9000, orders: [], positions: [pos(300)], fills: [] }, 9010);
    expect(core.bk.position(MKT).positionCenti).toBe(300);
  });

  it('a fill listed after the positions read but not before it leaves the venue position undecided: our own count stands this round', () => {
    const { core, orderId } = withRestingBid();
    const a = { tradeId: 'A', orderId, market: MKT, side: BID, yesPrice: 4800, countCenti: 100, tsMs: 900, postPositionCenti: 100 };
    const b = { tradeId: 'B', orderId, market: MKT, side: BID, yesPrice: 4800, countCenti: 200, tsMs: 1205, postPositionCenti: 300 };
    core.onFill(a, 1000, 'ws');
    core.onFill(b, 1206, 'ws');
    // B happened around the positions read: the venue answered 300 (with B) — or could have
    // answered 100; neither may be combined with B on top of it
    core.onSnapshot({ requestedAtMs: 1200, orders: [], positions: [pos(100)], fills: [a, b], fillsBeforePositions: ['A'] }, 1210);
    expect(core.bk.position(MKT).positionCenti).toBe(300);
    core.onSnapshot({ requestedAtMs: 1200, orders: [], positions: [pos(300)], fills: [a, b], fillsBeforePositions: ['A'] }, 1211);
    expect(core.bk.position(MKT).positionCenti).toBe(300);
    // both lists agree: the venue's word again
    core.onSnapshot({ requestedAtMs: 9000, orders: [], positions: [pos(300)], fills: [a, b], fillsBeforePositions: ['A', 'B'] }, 9010);
    expect(core.bk.position(MKT).positionCenti).toBe(300);
    core.bk.checkInvariants();
  });

  it('a cancel answered not_found holds the market (no new order, no amend) until a reconcile requested after it is applied', () => {
    const { core, coid, orderId } = withRestingBid();
    // a reconcile is in flight already (requested before what follows)
    expect(core.onControl({ kind: kmm.v1.ControlKind.RECONCILE }, 1500).reads.filter((r) => r.kind === 'reconcile')).toHaveLength(1);
    // strategy pulls the bid: the cancel meets not_found (it had filled during a silence)
    const cancel = cmds(core.onTargets(target(0, 0), 2000));
    expect(cancel.flatMap((c) => c.orders).map((o) => o.kind)).toEqual([CK.CANCEL]);
    const fx = core.onCommandResult(rejectAll(cancel[0], RC.NOT_FOUND), 2010);
    expect(fx.ops.some((e) => e.event === 'market_held_for_reconcile')).toBe(true);
    expect(fx.out.find((o) => o.body.workingOrders)?.body.workingOrders?.blockReason).toBe(BlockReason.AWAIT_RECONCILE);
    expect(core.bk.get(coid)?.status).toBe(OrderStatus.UNCERTAIN);
    // a new target: nothing goes out; nor does a taker
    expect(core.onTargets(target(4700, 5300), 2100).commands).toHaveLength(0);
    const ti = core.onTakerIntent({ market: MKT, side: kmm.v1.BookSide.ASK, limitPrice: 4700, countCenti: 100, reduceOnly: true }, 2110);
    expect(ti.commands).toHaveLength(0);
    expect(ti.out.find((o) => o.body.orderReject)?.body.orderReject?.message).toBe('await_reconcile');
    // the answer to the read requested before the not_found does not lift the hold; it asks again
    const early = core.onSnapshot({ requestedAtMs: 1500, orders: [{ orderId, clientOrderId: coid, market: MKT, side: BID, price: 4800, remainingCenti: 500, filledCenti: 0, status: 'resting', orderGroupId: '' }], positions: [], fills: [] }, 2200);
    expect(early.commands.flatMap((c) => c.orders).some((o) => o.kind === CK.PLACE)).toBe(false);
    expect(core.onTimer(2500).commands).toHaveLength(0);
    expect(core.onTimer(3200).reads.filter((r) => r.kind === 'reconcile')).toHaveLength(1);
    // its answer: the order filled; the position is read; trading resumes
    const fill = { tradeId: 'F', orderId, market: MKT, side: BID, yesPrice: 4800, countCenti: 500, tsMs: 1500 };
    const after = core.onSnapshot({ requestedAtMs: 3200, orders: [], positions: [pos(500)], fills: [fill] }, 3300);
    expect(core.bk.position(MKT).positionCenti).toBe(500);
    expect(after.commands.flatMap((c) => c.orders).some((o) => o.kind === CK.PLACE)).toBe(true);
  });

  // found by truth.dst (websocket silence, a sweep at 32 s): a reconcile 0.75 s later listed the
  // missed fills but no position row yet (younger than the read lag grace); exec traded the
  // market again at once on its own count of a stream that had just shown a gap
  it('a reconcile that back-fills a fill the websocket missed but cannot decide the position holds the market until a second read decides it', () => {
    const { core, orderId } = withRestingBid();
    // the bid filled during a silence: the snapshot lists the fill, the positions read has no row yet
    const fill = { tradeId: 'S', orderId, market: MKT, side: BID, yesPrice: 4800, countCenti: 500, tsMs: 1900 };
    const fx = core.onSnapshot({ requestedAtMs: 2000, orders: [], positions: [], fills: [fill] }, 2010);
    expect(core.bk.position(MKT).positionCenti).toBe(500);
    expect(fx.ops.find((e) => e.event === 'market_held_for_reconcile')?.fields).toMatchObject({ why: 'position_undecided', trade_id: 'S' });
    expect(fx.out.some((o) => o.peer === 'strategy' && o.body.position?.fromExchange)).toBe(false);
    expect(fx.out.filter((o) => o.body.workingOrders).pop()?.body.workingOrders?.blockReason).toBe(BlockReason.AWAIT_RECONCILE);
    // strategy requotes on the back-filled fill: nothing goes out, nor a taker
    expect(core.onTargets(target(4700, 5300), 2100).commands).toHaveLength(0);
    expect(core.onTakerIntent({ market: MKT, side: kmm.v1.BookSide.ASK, limitPrice: 4700, countCenti: 100, reduceOnly: true }, 2110).commands).toHaveLength(0);
    // the second read, a grace (3 s) after the first, is asked for by itself
    expect(core.onTimer(4000).reads.filter((r) => r.kind === 'reconcile')).toHaveLength(0);
    expect(core.onTimer(5010).reads.filter((r) => r.kind === 'reconcile')).toHaveLength(1);
    // its answer has the row: the venue's word, strategy told, trading resumes
    const after = core.onSnapshot({ requestedAtMs: 5010, orders: [], positions: [pos(500)], fills: [fill] }, 5020);
    expect(after.out.find((o) => o.peer === 'strategy' && o.body.position)?.body.position).toMatchObject({ positionCenti: 500, fromExchange: true });
    expect(after.commands.flatMap((c) => c.orders).some((o) => o.kind === CK.PLACE)).toBe(true);
    core.bk.checkInvariants();
  });

  it('a not_found hold is not lifted by a reconcile that leaves the market position undecided', () => {
    const { core, coid, orderId } = withRestingBid();
    const cancel = cmds(core.onTargets(target(0, 0), 2000));
    core.onCommandResult(rejectAll(cancel[0], RC.NOT_FOUND), 2010);
    // a read requested after the not_found: the fill is listed, the position row not yet
    const fill = { tradeId: 'F', orderId, market: MKT, side: BID, yesPrice: 4800, countCenti: 500, tsMs: 1990 };
    const first = core.onSnapshot({ requestedAtMs: 2020, orders: [], positions: [], fills: [fill] }, 2030);
    expect(core.bk.get(coid)?.status).not.toBe(OrderStatus.RESTING);
    expect(first.commands.flatMap((c) => c.orders).some((o) => o.kind === CK.PLACE)).toBe(false);
    expect(core.onTargets(target(4700, 5300), 2100).commands).toHaveLength(0);
    // the second read decides: the hold ends
    expect(core.onTimer(5030).reads.filter((r) => r.kind === 'reconcile')).toHaveLength(1);
    const after = core.onSnapshot({ requestedAtMs: 5030, orders: [], positions: [pos(500)], fills: [fill] }, 5040);
    expect(after.commands.flatMap((c) => c.orders).some((o) => o.kind === CK.PLACE)).toBe(true);
  });

  it('an undecided position with no fill missed by the websocket (read lag alone) does not hold the market', () => {
    const { core, orderId } = withRestingBid();
    // the websocket delivered the fill with the exchange's position; the positions read has no row yet
    const fill = { tradeId: 'W', orderId, market: MKT, side: BID, yesPrice: 4800, countCenti: 200, tsMs: 1900, postPositionCenti: 200 };
    core.onFill(fill, 1950, 'ws');
    const fx = core.onSnapshot({ requestedAtMs: 2000, orders: [{ orderId, clientOrderId: core.bk.live()[0].clientOrderId, market: MKT, side: BID, price: 4800, remainingCenti: 300, filledCenti: 200, status: 'resting', orderGroupId: '' }], positions: [], fills: [fill] }, 2010);
    expect(fx.ops.some((e) => e.event === 'market_held_for_reconcile')).toBe(false);
    expect(core.onTargets(target(4700, 5300), 2100).commands.flatMap((c) => c.orders).length).toBeGreaterThan(0);
  });
});
