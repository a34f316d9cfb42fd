/**
 * Venue reports that come late or describe an earlier moment (position-truth property, seeds 30
 * and 49): a cancel that removed less than we thought rested (the order filled more before it
 * landed, fills still on their way), and a user_order update sent before an amend that arrives
 * after the amend's answer.
 */
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { kmm, Signer } from '@kmm/shared';
import { RestClient, RestGateway, runCommand, type ExecCommand } from '../src/index.js';
import { ackAll, cmds, MKT, readyCore, target } from './helpers.js';

const BID = kmm.v1.BookSide.BID;
const CK = kmm.v1.CommandKind;

/** A core with cap 6 and a resting bid of 3 at 48 (order id from the ack). */
function restingBid() {
  const r = readyCore({ longCapCenti: 600, shortCapCenti: 600 });
  const c = cmds(r.core.onTargets(target(4800, 0, 300), 10));
  expect(c.map((x) => x.op)).toEqual(['create']);
  r.core.onCommandResult(ackAll(c[0]), 11);
  const coid = c[0].orders[0].clientOrderId!;
  const o = r.core.bk.get(coid)!;
  return { ...r, coid, o, orderId: o.orderId };
}

/** The cancel's answer: the venue removed `reducedCenti` (Kalshi's reduced_by). */
function cancelAnswer(c: ExecCommand, reducedCenti: number | null) {
  return {
    cmdId: c.id,
    acks: c.orders.map((o) => ({ kind: CK.CANCEL, market: o.market, clientOrderId: o.clientOrderId, orderId: o.orderId, side: o.side, price: o.price, remainingCenti: 0, status: kmm.v1.OrderStatus.CANCELED, reducedCenti: reducedCenti ?? 0, hasReduced: reducedCenti !== null })),
    rejects: [],
    rateLimited: false,
    latencyUs: 100,
  };
}

describe("a cancel's reduced_by (seed 30)", () => {
  it('the part of the order the cancel did not remove counts as fills on their way until they arrive', () => {
    const { core, o, orderId } = restingBid();
    core.onFill({ tradeId: 'F1', orderId, market: MKT, side: BID, yesPrice: 4800, countCenti: 100, postPositionCenti: 100, tsMs: 100 }, 100);
    // strategy pulls the bid; at the venue 0.5 more fill before the cancel lands: it removes 1.5
    const c = cmds(core.onTargets(target(0, 0), 200));
    expect(c.map((x) => x.op)).toEqual(['batch_cancel']);
    core.onCommandResult(cancelAnswer(c[0], 150), 210);
    expect(o.status).toBe(4); // DONE
    expect(o.filledCenti).toBe(150);
    expect(core.bk.unbookedFillsCenti(MKT, BID)).toBe(50);
    // a new bid of 5: position 1 + 0.5 on the way + 5 passes the cap of 6; without the 0.5 it fits exactly
    const n = cmds(core.onTargets(target(4700, 0, 500), 300));
    const created = n.filter((x) => x.op === 'create').reduce((s, x) => s + (x.orders[0].countCenti ?? 0), 0);
    expect(100 + 50 + created).toBeLessThanOrEqual(600);
    // the late fill arrives: booked, nothing left on the way
    core.onFill({ tradeId: 'F2', orderId, market: MKT, side: BID, yesPrice: 4800, countCenti: 50, postPositionCenti: 150, tsMs: 190 }, 400);
    expect(core.bk.unbookedFillsCenti(MKT, BID)).toBe(0);
    expect(core.bk.position(MKT).positionCenti).toBe(150);
    core.bk.checkInvariants();
  });

  it('a cancel that removed everything we thought rested, or did not say, leaves nothing on the way', () => {
    for (const reduced of [200, null]) {
      const { core, o, orderId } = restingBid();
      core.onFill({ tradeId: 'F1', orderId, market: MKT, side: BID, yesPrice: 4800, countCenti: 100, postPositionCenti: 100, tsMs: 100 }, 100);
      const c = cmds(core.onTargets(target(0, 0), 200));
      core.onCommandResult(cancelAnswer(c[0], reduced), 210);
      expect(o.status).toBe(4);
      expect(o.filledCenti).toBe(100);
      expect(core.bk.unbookedFillsCenti(MKT, BID)).toBe(0);
    }
  });
});

/** A resting bid of 3 at 48 filled 1.5, then amended to 47 at 4.5 in total (3 more): the amend's answer is in. */
function amendedBid(amendTsMs: number) {
  const r = restingBid();
  r.core.onFill({ tradeId: 'F1', orderId: r.orderId, market: MKT, side: BID, yesPrice: 4800, countCenti: 150, postPositionCenti: 150, tsMs: 100 }, 100);
  const c = cmds(r.core.onTargets(target(4700, 0, 300), 200));
  expect(c.map((x) => x.op)).toEqual(['amend']);
  expect(c[0].orders[0].countCenti).toBe(450);
  const a = c[0].orders[0];
  r.core.onCommandResult({ cmdId: c[0].id, acks: [{ kind: CK.AMEND, market: MKT, clientOrderId: a.clientOrderId, orderId: r.orderId, side: BID, price: 4700, remainingCenti: 300, filledCenti: 0, status: kmm.v1.OrderStatus.RESTING, venueTsMs: amendTsMs }], rejects: [], rateLimited: false, latencyUs: 100 }, 220);
  expect(r.o.totalCenti).toBe(450);
  return r;
}

/** A user_order update on the order. */
function update(orderId: string, coid: string, price: number, filledCenti: number, remainingCenti: number, venueTsMs = 0, status: number = kmm.v1.OrderStatus.RESTING): kmm.v1.IOrderAck {
  return { kind: 0, market: MKT, clientOrderId: coid, orderId, side: BID, price, filledCenti, remainingCenti, status, venueTsMs };
}

describe('a user_order update older than an amend (seed 49)', () => {
  it('sent before the amend, delivered after its answer: the amend stands (no venue time: by the filled count)', () => {
    const { core, o, coid, orderId } = amendedBid(0);
    core.onAck(update(orderId, coid, 4800, 150, 150), 230);
    expect(o.totalCenti).toBe(450);
    expect(o.price).toBe(4700);
    expect(core.bk.restingCenti(MKT, BID)).toBe(300);
    // the next fill of 1.5 leaves 1.5 resting (the old total of 3 would have taken the order as executed)
    core.onFill({ tradeId: 'F2', orderId, market: MKT, side: BID, yesPrice: 4700, countCenti: 150, postPositionCenti: 300, tsMs: 300 }, 300);
    expect(o.status).toBe(2); // RESTING
    expect(core.bk.restingCenti(MKT, BID)).toBe(150);
    // a new bid of 3: position 3 + 1.5 resting + 3 passes the cap of 6
    const n = cmds(core.onTargets({ market: MKT, levels: [{ side: BID, level: 0, price: 4700, countCenti: 300 }, { side: BID, level: 1, price: 4600, countCenti: 300 }] }, 400));
    const created = n.filter((x) => x.op === 'create').reduce((s, x) => s + (x.orders[0].countCenti ?? 0), 0);
    expect(300 + 150 + created).toBeLessThanOrEqual(600);
    core.bk.checkInvariants();
  });

  it('an update after the amend with a new fill, or a terminal one, still applies', () => {
    const { core, o, coid, orderId } = amendedBid(0);
    core.onAck(update(orderId, coid, 4700, 250, 200), 230);
    expect(o.filledCenti).toBe(250);
    expect(o.totalCenti).toBe(450);
    core.onAck(update(orderId, coid, 4700, 250, 0, 0, kmm.v1.OrderStatus.CANCELED), 240);
    expect(o.status).toBe(4); // DONE
  });

  it("with the venue's times: an older update is stale even with more fills, a newer one applies even without", () => {
    const { core, o, coid, orderId } = amendedBid(5000);
    // older than the amend (a fill before it): its count adds, its size does not
    core.onAck(update(orderId, coid, 4800, 200, 100, 4990), 230);
    expect(o.filledCenti).toBe(200);
    expect(o.totalCenti).toBe(450);
    expect(o.price).toBe(4700);
    // newer: the venue took 1 off without a fill
    core.onAck(update(orderId, coid, 4700, 200, 150, 5010), 240);
    expect(o.totalCenti).toBe(350);
    core.bk.checkInvariants();
  });
});

let server: Server | null = null;
afterEach(() => {
  server?.close();
  server = null;
});

describe('reduced_by on the wire', () => {
  it("the batch cancel's reduced_by reaches the cancel ack (absent: not said)", async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"orders":[{"order_id":"o1","reduced_by":"1.50","ts_ms":1},{"order_id":"o2","ts_ms":1}]}');
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/trade-api/v2`;
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const rc = new RestClient({ baseUrl: url, signer: new Signer('k', pem), cachedSignatures: false });
    const orders = ['o1', 'o2'].map((id, i) => ({ kind: CK.CANCEL, market: MKT, clientOrderId: `c${i}`, orderId: id, side: BID, price: 4800 }));
    const r = await runCommand(new RestGateway(rc), { id: 1, op: 'batch_cancel', orders } as ExecCommand);
    expect(r.acks.map((a) => [a.orderId, a.hasReduced, a.reducedCenti])).toEqual([
      ['o1', true, 150],
      ['o2', false, 0],
    ]);
    rc.close();
  });
});
