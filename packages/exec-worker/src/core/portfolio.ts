/**
 * The portfolio-wide notional cap (MM_MAX_TOTAL_NOTIONAL_USD): the money all markets together
 * could lose, checked by pre-flight before an order that adds exposure goes out.
 *
 * A market's worst case is the larger of its two directions, each counted as if every resting
 * order of that direction filled: long = what the long position cost (average YES price x
 * contracts) + every resting bid at its price; short = what the short position risks (1 - average
 * YES price per contract) + every resting ask at 1 - its price (the NO leg). An order that reduces
 * is counted as opening the other side: conservative, and a reducing order is never refused by
 * this cap anyway (pre-flight exempts it, as with every other cap).
 * Units: money = 1/10,000 $ (price units x contracts); positions and sizes in 1/100 contract.
 */
import { kmm, ONE_DOLLAR } from '@kmm/shared';
import type { MarketOrders, OrderBookkeeping, PositionState } from './bookkeeping.js';
import { OrderStatus, type WorkingOrder } from './types.js';

const BID = kmm.v1.BookSide.BID;

/** Money at risk of one resting order's remaining size (its leg: YES for a bid, NO for an ask). */
function restingMoney(o: WorkingOrder | null, side: number): number {
  if (!o || o.status === OrderStatus.DONE || o.side !== side) return 0;
  const remCenti = Math.max(0, Math.max(o.totalCenti, o.pendingTotalCenti) - o.filledCenti);
  const leg = side === BID ? o.price : ONE_DOLLAR - o.price;
  return (leg * remCenti) / 100;
}

/** The worst-case money of one market: the larger of its long and short directions. */
export function marketExposureMoney(pos: PositionState | undefined, mo: MarketOrders | undefined): number {
  let longMoney = 0;
  let shortMoney = 0;
  if (pos && pos.positionCenti > 0) longMoney += pos.costPriceCenti / 100;
  if (pos && pos.positionCenti < 0) shortMoney += (ONE_DOLLAR * -pos.positionCenti - pos.costPriceCenti) / 100;
  if (mo) {
    for (const o of mo.bids) longMoney += restingMoney(o, BID);
    for (const o of mo.asks) shortMoney += restingMoney(o, kmm.v1.BookSide.ASK);
    for (const o of mo.others) {
      longMoney += restingMoney(o, BID);
      shortMoney += restingMoney(o, kmm.v1.BookSide.ASK);
    }
  }
  return Math.max(longMoney, shortMoney);
}

/** Sum of every market's worst case (markets with a position or an order). O(markets + orders). */
export function totalExposureMoney(bk: OrderBookkeeping): number {
  let sum = 0;
  for (const [market, mo] of bk.markets) sum += marketExposureMoney(bk.positions.get(market), mo);
  for (const [market, pos] of bk.positions) if (!bk.markets.has(market)) sum += marketExposureMoney(pos, undefined);
  return sum;
}
