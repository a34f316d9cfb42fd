/**
 * Reconciliation under Kalshi's read-after-write lag (issue 16 item 5): a GET of orders can
 * still show `resting` ~360 ms after a 200 cancel, positions lag fills ~1 s, and a repeated
 * cancel's 404 is the same for canceled, executed and unknown orders. One stale read never
 * re-places an order nor declares it lost; a position read older than a listed fill (by its
 * last_updated_ts) gets that fill on top; a not_found is resolved by the fills and a later list.
 */
import { describe, expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import { OrderStatus } from '../src/index.js';
import { ackAll, cmds, MKT, readyCore, rejectAll, target } from './helpers.js';

const BID = kmm.v1.BookSide.BID;
const CK = kmm.v1.CommandKind;
const RC = kmm.v1.RejectCode;

/** A resting bid of 500 at 48 (order id from the ack). */
function withRestingBid() {
  const r = readyCore({ reconcileGraceMs: 3000 });
  const c = cmds(r.core.onTargets(target(4800, 0), 10));
  r.core.onCommandResult(ackAll(c[0]), 11);
  const coid = c[0].orders[0].clientOrderId!;
  const orderId = r.core.bk.get(coid)!.orderId;
  return { ...r, coid, orderId };
}

const places = (fx: { commands: Array<{ orders: kmm.v1.IOrderCommand[] }> }) => fx.commands.flatMap((c) => c.orders).filter((o) => o.kind === CK.PLACE).length;

describe('reconciliation under read lag', () => {
  it('an order missing from one stale list is neither declared lost nor re-placed; a second read a grace later decides', () => {
    const { core, coid } = withRestingBid();
    // a list older than the order (lag longer than the grace): the order is not in it
    const first = core.onSnapshot({ requestedAtMs: 5000, orders: [], positions: [], fills: [] }, 5010);
    expect(core.bk.get(coid)?.status).toBe(OrderStatus.RESTING);
    expect(places(first)).toBe(0);
    expect(first.journal.some((j) => j.k === 'div' && (j as { what: string }).what === 'order_missing_on_venue')).toBe(false);
    // the follow-up read is scheduled (a grace later), not left to the periodic one
    expect(core.onTimer(7000).reads.filter((r) => r.kind === 'reconcile')).toHaveLength(0);
    expect(core.onTimer(8100).reads.filter((r) => r.kind === 'reconcile')).toHaveLength(1);
    // a second read too soon after the first does not decide either
    core.onSnapshot({ requestedAtMs: 6000, orders: [], positions: [], fills: [] }, 6010);
    expect(core.bk.get(coid)?.status).toBe(OrderStatus.RESTING);
    // one a grace later that still misses it: gone
    const second = core.onSnapshot({ requestedAtMs: 8100, orders: [], positions: [], fills: [] }, 8110);
    expect(second.journal.some((j) => j.k === 'div' && (j as { what: string }).what === 'order_missing_on_venue')).toBe(true);
    expect(core.bk.get(coid)?.status).toBe(OrderStatus.DONE);
  });

  it('an order seen again between two misses starts over', () => {
    const { core, coid, orderId } = withRestingBid();
    const resting = { orderId, clientOrderId: coid, market: MKT, side: BID, price: 4800, remainingCenti: 500, filledCenti: 0, status: 'resting', orderGroupId: '' };
    core.onSnapshot({ requestedAtMs: 5000, orders: [], positions: [], fills: [] }, 5010);
    core.onSnapshot({ requestedAtMs: 7000, orders: [resting], positions: [], fills: [] }, 7010);
    core.onSnapshot({ requestedAtMs: 9000, orders: [], positions: [], fills: [] }, 9010);
    expect(core.bk.get(coid)?.status).toBe(OrderStatus.RESTING);
  });

  it('a stale "resting" after a cancel not_found does not re-arm the cancel; the fills resolve it', () => {
    const { core, coid, orderId } = withRestingBid();
    const cancel = cmds(core.onTargets(target(0, 0), 2000));
    core.onCommandResult(rejectAll(cancel[0], RC.NOT_FOUND), 2010);
    expect(core.bk.get(coid)?.status).toBe(OrderStatus.UNCERTAIN);
    // the list, lagging the engine, still shows the order resting; the fill is not listed yet
    const resting = { orderId, clientOrderId: coid, market: MKT, side: BID, price: 4800, remainingCenti: 500, filledCenti: 0, status: 'resting', orderGroupId: '' };
    const stale = core.onSnapshot({ requestedAtMs: 3100, orders: [resting], positions: [], fills: [] }, 3200);
    expect(core.bk.get(coid)?.status).toBe(OrderStatus.UNCERTAIN);
    expect(stale.commands.flatMap((c) => c.orders).filter((o) => o.kind === CK.CANCEL)).toHaveLength(0);
    expect(places(stale)).toBe(0);
    // the next read lists the fill: the order is done, the position the venue's
    const fill = { tradeId: 'F', orderId, market: MKT, side: BID, yesPrice: 4800, countCenti: 500, tsMs: 1900 };
    core.onSnapshot({ requestedAtMs: 6100, orders: [], positions: [{ market: MKT, positionCenti: 500, exposureMoney: 0, realizedPnlMoney: 0, feesPaidMoney: 0, lastUpdatedMs: 1900 }], fills: [fill] }, 6200);
    expect(core.bk.get(coid)?.status).toBe(OrderStatus.DONE);
    expect(core.bk.position(MKT).positionCenti).toBe(500);
  });

  it('a position read older than a listed fill (its last_updated_ts) gets that fill on top', () => {
    const { core, orderId } = withRestingBid();
    const a = { tradeId: 'A', orderId, market: MKT, side: BID, yesPrice: 4800, countCenti: 100, tsMs: 1000, postPositionCenti: 100 };
    const b = { tradeId: 'B', orderId, market: MKT, side: BID, yesPrice: 4800, countCenti: 200, tsMs: 4500, postPositionCenti: 300 };
    core.onFill(a, 1000, 'ws');
    core.onFill(b, 4500, 'ws');
    // read at 5000: the fills list has both, the position (lagging ~1 s) only A
    core.onSnapshot(
      { requestedAtMs: 5000, orders: [], positions: [{ market: MKT, positionCenti: 100, exposureMoney: 0, realizedPnlMoney: 0, feesPaidMoney: 0, lastUpdatedMs: 1000 }], fills: [a, b], fillsBeforePositions: ['A', 'B'] },
      5100,
    );
    expect(core.bk.position(MKT).positionCenti).toBe(300);
    core.bk.checkInvariants();
    // a later read whose position includes B: the venue's value alone
    core.onSnapshot(
      { requestedAtMs: 9000, orders: [], positions: [{ market: MKT, positionCenti: 300, exposureMoney: 0, realizedPnlMoney: 0, feesPaidMoney: 0, lastUpdatedMs: 4500 }], fills: [a, b], fillsBeforePositions: ['A', 'B'] },
      9100,
    );
    expect(core.bk.position(MKT).positionCenti).toBe(300);
  });
});

describe('orders route to their shard', () => {
  it("a create carries the market's exchange_index once known; unknown markets are auto-routed (none sent)", async () => {
    const { RestClient } = await import('../src/index.js');
    const rest = new RestClient({ baseUrl: 'http://127.0.0.1:9/trade-api/v2', wallMs: () => 1_767_225_600_000, transport: () => new Promise(() => {}) });
    const cmd = { market: MKT, side: BID, price: 4800, countCenti: 100, tif: kmm.v1.TimeInForce.GOOD_TILL_CANCELED, clientOrderId: 'c1' };
    expect(rest.orderBody(cmd).exchange_index).toBeUndefined();
    rest.setShard(MKT, 2);
    expect(rest.orderBody(cmd).exchange_index).toBe(2);
    expect(() => rest.setShard(MKT, -1)).toThrow(/exchange_index/);
  });
});

describe('a REST positions read older than a websocket position', () => {
  it('does not overwrite the newer websocket truth (the read was requested before it)', () => {
    const { core } = readyCore({ reconcileGraceMs: 3000 });
    // the websocket says 2.25 at t=1245 (volume 3.75); the REST read was requested at 1235 and says 3
    core.onPosition({ market: MKT, positionCenti: 225, fromExchange: true, volumeCenti: 375, hasVolume: true }, 1245);
    expect(core.bk.position(MKT).positionCenti).toBe(225);
    core.onSnapshot({ requestedAtMs: 1235, orders: [], positions: [{ market: MKT, positionCenti: 300, exposureMoney: 0, realizedPnlMoney: 0, feesPaidMoney: 0 }], fills: [] }, 1250);
    expect(core.bk.position(MKT).positionCenti).toBe(225);
    // a read requested after that truth is the venue's word again
    core.onSnapshot({ requestedAtMs: 1300, orders: [], positions: [{ market: MKT, positionCenti: 200, exposureMoney: 0, realizedPnlMoney: 0, feesPaidMoney: 0 }], fills: [] }, 1310);
    expect(core.bk.position(MKT).positionCenti).toBe(200);
  });
});
