/**
 * Order expiry (kmm_order_expiry_s): every resting order exec places carries an expiration; exec
 * re-places it (cancel, then a fresh create) after 80% of its lifetime, an amend keeps the
 * schedule (the exchange keeps the expiration across amends), and an expiry reported by the
 * exchange is bookkept like a cancel (the slot is placed again, nothing phantom rests).
 */
import { describe, expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import { RestClient } from '../src/index.js';
import { ackAll, cmds, MKT, readyCore, target } from './helpers.js';

const CK = kmm.v1.CommandKind;
// max-age refresh off: these tests are about the expiry schedule alone
const EXPIRY = { orderExpiryMs: 300_000, orderRenewAfterMs: 240_000, maxOrderAgeMs: 0 };

describe('order expiry', () => {
  it('creates carry expiresInS; orders are re-placed once 80% of the lifetime has passed, amends keep the schedule', () => {
    const { core } = readyCore(EXPIRY);
    const placed = cmds(core.onTargets(target(4800, 5200), 0));
    expect(placed).toHaveLength(1);
    expect(placed[0].orders.map((o) => o.expiresInS)).toEqual([300, 300]);
    core.onCommandResult(ackAll(placed[0]), 10);
    // a reprice at 100 s is an amend: no expiration on the wire, the renewal time stays
    const amend = cmds(core.onTargets(target(4500, 5200), 100_000));
    expect(amend.map((c) => c.op)).toEqual(['amend']);
    expect(amend[0].orders[0].expiresInS ?? 0).toBe(0);
    core.onCommandResult(ackAll(amend[0]), 100_010);
    expect(cmds(core.onTimer(239_999))).toHaveLength(0);
    const renew = cmds(core.onTimer(240_000));
    expect(renew.map((c) => c.op)).toEqual(['batch_cancel']);
    expect(renew[0].orders).toHaveLength(2);
    expect(core.stats.renewals).toBe(2);
    // the cancel's answer frees the slots: both are placed again at once, with a fresh expiration
    const again = cmds(core.onCommandResult(ackAll(renew[0]), 240_020));
    expect(again.map((c) => c.op)).toEqual(['batch_create']);
    expect(again[0].orders.map((o) => [o.price, o.expiresInS])).toEqual([[4500, 300], [5200, 300]]);
    core.onCommandResult(ackAll(again[0]), 240_030);
    // the new orders are renewed 240 s after their placement, not before
    expect(cmds(core.onTimer(479_999))).toHaveLength(0);
    expect(cmds(core.onTimer(480_020)).map((c) => c.op)).toEqual(['batch_cancel']);
  });

  it('an expiry reported by the exchange is a cancel: the order is done and its slot is placed again', () => {
    const { core } = readyCore(EXPIRY);
    const placed = cmds(core.onTargets(target(4800, 0), 0));
    core.onCommandResult(ackAll(placed[0]), 10);
    const o = [...core.bk.live()][0];
    expect(core.bk.liveCount).toBe(1);
    // user_order: status canceled (last_update_reason Expired), as the exchange sends it
    const fx = core.onAck({ kind: CK.COMMAND_KIND_UNSPECIFIED, market: MKT, clientOrderId: o.clientOrderId, orderId: o.orderId, side: o.side, price: o.price, remainingCenti: 0, filledCenti: 0, status: kmm.v1.OrderStatus.CANCELED }, 200_000);
    const replaced = cmds(fx);
    expect(replaced.map((c) => c.op)).toEqual(['create']);
    expect(replaced[0].orders[0].clientOrderId).not.toBe(o.clientOrderId);
    expect(core.bk.find(o.clientOrderId, o.orderId)?.status).toBe(4 /* DONE */);
    expect(core.bk.liveCount).toBe(1);
  });

  it('MM_MAX_ORDER_AGE_S re-places an unchanged order once it is that old (cancel, then the same quote placed again)', () => {
    const { core } = readyCore({ ...EXPIRY, maxOrderAgeMs: 60_000 });
    const placed = cmds(core.onTargets(target(4800, 0), 0));
    core.onCommandResult(ackAll(placed[0]), 10);
    const first = [...core.bk.live()][0];
    // the same target again before the age: nothing; the core asks to be looked at again at 60 s
    expect(cmds(core.onTargets(target(4800, 0), 30_000))).toHaveLength(0);
    expect(cmds(core.onTimer(59_999))).toHaveLength(0);
    const refresh = cmds(core.onTimer(60_000));
    expect(refresh.map((c) => c.op)).toEqual(['batch_cancel']);
    expect(refresh[0].orders[0].clientOrderId).toBe(first.clientOrderId);
    expect(core.stats.ageRefreshes).toBe(1);
    const again = cmds(core.onCommandResult(ackAll(refresh[0]), 60_020));
    expect(again.map((c) => c.op)).toEqual(['create']);
    expect(again[0].orders.map((o) => [o.price, o.countCenti])).toEqual([[4800, 500]]);
    expect(again[0].orders[0].clientOrderId).not.toBe(first.clientOrderId);
  });

  it('immediate-or-cancel takers carry no expiration (Kalshi refuses IOC with one)', () => {
    const { core } = readyCore(EXPIRY);
    const fx = cmds(core.onTakerIntent({ market: MKT, side: kmm.v1.BookSide.BID, limitPrice: 5000, countCenti: 100, tif: kmm.v1.TimeInForce.IMMEDIATE_OR_CANCEL }, 0));
    expect(fx).toHaveLength(1);
    expect(fx[0].orders[0].expiresInS ?? 0).toBe(0);
  });

  it('the REST body turns expiresInS into expiration_time (Unix seconds, rounded down), for good_till_canceled only', () => {
    const rest = new RestClient({ baseUrl: 'http://127.0.0.1:9/trade-api/v2', wallMs: () => 1_767_225_600_900, transport: () => new Promise(() => {}) });
    const gtc = rest.orderBody({ market: MKT, side: kmm.v1.BookSide.BID, price: 4800, countCenti: 100, tif: kmm.v1.TimeInForce.GOOD_TILL_CANCELED, clientOrderId: 'c1', expiresInS: 300 });
    expect(gtc.expiration_time).toBe(1_767_225_600 + 300);
    const ioc = rest.orderBody({ market: MKT, side: kmm.v1.BookSide.BID, price: 4800, countCenti: 100, tif: kmm.v1.TimeInForce.IMMEDIATE_OR_CANCEL, clientOrderId: 'c2', expiresInS: 300 });
    expect(ioc.expiration_time).toBeUndefined();
    const none = rest.orderBody({ market: MKT, side: kmm.v1.BookSide.BID, price: 4800, countCenti: 100, tif: kmm.v1.TimeInForce.GOOD_TILL_CANCELED, clientOrderId: 'c3' });
    expect(none.expiration_time).toBeUndefined();
  });
});
