/**
 * MM_MAX_TOTAL_NOTIONAL_USD: the worst case of all markets together (portfolio.ts) bounds what
 * exec lets out. Orders that would pass it are refused by pre-flight (reason
 * TOTAL_NOTIONAL_OVER_CAP), an order that reduces a position always passes, and the room exec
 * reports to strategy per side shrinks with the portfolio's headroom.
 */
import { describe, expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import { marketExposureMoney, totalExposureMoney } from '../src/core/portfolio.js';
import { ackAll, cmds, MKT, MKT2, readyCore, target } from './helpers.js';

const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;
const usd = (x: number): number => Math.round(x * 10_000);

describe('portfolio notional cap (MM_MAX_TOTAL_NOTIONAL_USD)', () => {
  it('a market counts its larger direction: position cost plus the resting orders of that direction', () => {
    const { core } = readyCore({}, [MKT]);
    // bid 5 @ 0.48 (long: $2.40) and ask 5 @ 0.52 (short, NO leg: 5 x 0.48 = $2.40)
    core.onCommandResult(ackAll(cmds(core.onTargets(target(4800, 5200, 500), 10))[0]), 11);
    expect(totalExposureMoney(core.bk)).toBe(usd(2.4));
    // a fill of 2 on the bid: long 2 cost $0.96 + 3 resting bids $1.44 = $2.40; short side 5 x 0.48 = $2.40
    const oid = core.bk.marketOrders(MKT).bids[0]!.orderId;
    core.onFill({ tradeId: 'T1', orderId: oid, market: MKT, side: BID, yesPrice: 4800, countCenti: 200, postPositionCenti: 200 }, 20, 'ws');
    expect(marketExposureMoney(core.bk.position(MKT), core.bk.marketOrders(MKT))).toBe(usd(2.4));
  });

  it('refuses an order that would pass the cap, across markets; a reducing order still goes out', () => {
    // cap $4: market 1 bids 5 @ 0.48 ($2.40); market 2 then may add $1.60 at most
    const { core } = readyCore({ maxTotalNotionalMoney: usd(4) }, [MKT, MKT2]);
    core.onCommandResult(ackAll(cmds(core.onTargets(target(4800, 0, 500, MKT), 10))[0]), 11);
    const fx = core.onTargets(target(4000, 0, 500, MKT2), 12); // 5 x 0.40 = $2.00 > $1.60
    expect(cmds(fx)).toHaveLength(0);
    const reject = fx.out.find((o) => o.body.orderReject)?.body.orderReject;
    expect(reject?.message).toMatch(/^TOTAL_NOTIONAL_OVER_CAP \(all markets \$4\.40 > max \$4\.00\)$/);
    // 4 contracts ($1.60) fit exactly
    expect(cmds(core.onTargets(target(4000, 0, 400, MKT2), 13))).toHaveLength(1);
    // long 5 on market 1 after a fill: selling it reduces, and passes although the cap is full
    const oid = core.bk.marketOrders(MKT).bids[0]!.orderId;
    core.onFill({ tradeId: 'T1', orderId: oid, market: MKT, side: BID, yesPrice: 4800, countCenti: 500, postPositionCenti: 500 }, 20, 'ws');
    const sell = cmds(core.onTargets(target(0, 5000, 500, MKT), 21));
    expect(sell).toHaveLength(1);
    expect(sell[0].orders[0]).toMatchObject({ side: ASK, price: 5000, countCenti: 500 });
  });

  it("exec's room per side shrinks with the portfolio's headroom (strategy never asks for what pre-flight refuses)", () => {
    const { core } = readyCore({ maxTotalNotionalMoney: usd(4) }, [MKT, MKT2]);
    core.onCommandResult(ackAll(cmds(core.onTargets(target(4800, 0, 500, MKT), 10))[0]), 11);
    // market 2 (book 0.40 / 0.42) quotes 1 contract a side: the orders just sent count in the total,
    // $2.40 + max($0.40 bid, $0.58 NO leg of the ask) = $2.98; the $1.02 left is the room: 2.55
    // contracts at 0.40 on the bid, 1.75 at 0.58 on the ask
    const fx = core.onTargets(target(4000, 4200, 100, MKT2, 4000, 4200), 12);
    const wo = fx.out.filter((o) => o.peer === 'strategy' && o.body.workingOrders?.market === MKT2).at(-1)!.body.workingOrders!;
    expect([wo.roomBidCenti, wo.roomAskCenti]).toEqual([255, 175]);
    // the cap off: only the contract caps bound the room
    const off = readyCore({ maxTotalNotionalMoney: 0 }, [MKT2]).core.onTargets(target(4000, 4200, 100, MKT2, 4000, 4200), 12);
    const woOff = off.out.filter((o) => o.peer === 'strategy' && o.body.workingOrders).at(-1)!.body.workingOrders!;
    expect([woOff.roomBidCenti, woOff.roomAskCenti]).toEqual([1000_00 - 100, 1000_00 - 100]);
  });
});
