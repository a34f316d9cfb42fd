/**
 * Engine data model. Units (see @kmm/shared units): price = 1/10,000 $ on the YES leg,
 * count = 1/100 contract ("centi"), fees = 1/10,000 $ ("money"). Cash and costs are kept in
 * micro-dollars (1e-6 $) because price x count (1e-4 $ x 1e-2) is exact only at that scale;
 * the venue prints those amounts with 6 decimals, so nothing is lost on the wire.
 */
import type { PriceBand } from '@kmm/shared';

export type BookSide = 'bid' | 'ask';
export type TimeInForce = 'good_till_canceled' | 'immediate_or_cancel' | 'fill_or_kill';
export type StpType = 'taker_at_cross' | 'maker';
export type OrderStatus = 'resting' | 'canceled' | 'executed';
export type MarketStatus = 'initialized' | 'active' | 'inactive' | 'closed' | 'determined' | 'disputed' | 'amended' | 'finalized';

export interface SeriesSpec {
  ticker: string;
  title: string;
  category: string;
  feeType: string;
  /** fee multiplier x 1000 */
  feeMultiplierMilli: number;
}

export interface MarketSpec {
  ticker: string;
  marketId: string;
  eventTicker: string;
  seriesTicker: string;
  title: string;
  yesSubTitle: string;
  priceLevelStructure: string;
  bands: PriceBand[];
  openTimeMs: number;
  closeTimeMs: number;
  createdTimeMs: number;
  settlementTimerS: number;
  exchangeIndex: number;
  /**
   * The market's event is mutually exclusive (at most one of its markets settles YES: a game's
   * winner, a range of a value); the REST event object's `mutually_exclusive`. Absent = false.
   */
  mutuallyExclusive?: boolean;
}

export interface OrderRec {
  orderId: string;
  userId: string;
  /** '' when the member sent none (the venue never invents one) */
  clientOrderId: string;
  /** the market's exchange shard */
  exchangeIndex: number;
  ticker: string;
  side: BookSide;
  price: number;
  initialCenti: number;
  filledCenti: number;
  remainingCenti: number;
  status: OrderStatus;
  tif: TimeInForce;
  postOnly: boolean;
  reduceOnly: boolean;
  stp: StpType;
  cancelOnPause: boolean;
  orderGroupId: string | null;
  expirationMs: number | null;
  createdMs: number;
  updatedMs: number;
  /** time priority: lower = earlier; renewed when an amend loses priority */
  prioritySeq: number;
  takerFillCostMicro: number;
  makerFillCostMicro: number;
  takerFeesMoney: number;
  makerFeesMoney: number;
  /** balance held for this order while it rests (micro $) */
  reservedMicro: number;
  /** over-rounding owed back to the member (micro $), refunded in whole cents */
  roundingMicro: number;
  subaccount: number;
  lastUpdateReason: string;
}

export interface FillRec {
  tradeId: string;
  orderId: string;
  userId: string;
  /** '' when the order was sent without one */
  clientOrderId: string;
  exchangeIndex: number;
  ticker: string;
  side: BookSide;
  price: number;
  countCenti: number;
  isTaker: boolean;
  feeMoney: number;
  tsMs: number;
  postPositionCenti: number;
  subaccount: number;
  /**
   * Sim-only truth, never on the venue's wire (fillJson leaves it out): for a maker fill, the
   * contracts ahead of the order at its price when the taker that filled it arrived (FIFO: what
   * that taker took or self-trade-cancelled at the level before reaching it); -1 for a taker fill.
   */
  queueAheadCenti: number;
}

export interface TradeRec {
  tradeId: string;
  ticker: string;
  price: number;
  countCenti: number;
  takerSide: BookSide;
  tsMs: number;
}

export interface PositionRec {
  ticker: string;
  exchangeIndex: number;
  positionCenti: number;
  /** cost basis of the open position (micro $) */
  costMicro: number;
  realizedPnlMicro: number;
  feesPaidMoney: number;
  totalTradedMicro: number;
  volumeCenti: number;
  lastUpdatedMs: number;
}

export interface SettlementRec {
  ticker: string;
  exchangeIndex: number;
  eventTicker: string;
  result: 'yes' | 'no';
  yesCountCenti: number;
  noCountCenti: number;
  yesTotalCostMicro: number;
  noTotalCostMicro: number;
  revenueMicro: number;
  feeCostMoney: number;
  settledMs: number;
}

export interface Account {
  userId: string;
  /** total over the shards (micro $) */
  cashMicro: number;
  reservedMicro: number;
  /** per exchange shard (index = exchange_index): balances are per shard, orders reserve on their market's */
  shardCashMicro: number[];
  shardReservedMicro: number[];
  /** balance granularity in micro $: 10,000 = whole cents (normal members), 1 = exact */
  precisionMicro: number;
  /** whether fills, orders and settlements are kept for reads (the API user) or dropped (synthetic flow) */
  keepHistory: boolean;
  positions: Map<string, PositionRec>;
  fills: FillRec[];
  settlements: SettlementRec[];
  updatedMs: number;
}

export interface OrderGroupRec {
  id: string;
  userId: string;
  contractsLimitCenti: number;
  triggered: boolean;
  /** fills in the rolling window: [tsMs, countCenti] pairs */
  windowTsMs: number[];
  windowCenti: number[];
  subaccount: number;
}

/** Typed operating errors: mapped to HTTP by the server. */
export interface EngineError {
  ok: false;
  http: number;
  code: string;
  message: string;
  details?: string;
}

export function err(http: number, code: string, message: string, details?: string): EngineError {
  return details === undefined ? { ok: false, http, code, message } : { ok: false, http, code, message, details };
}

export interface Caused {
  userId: string;
  clientOrderId: string;
  subaccount: number;
}

/** Everything the engine reports; the server turns these into websocket messages. */
export interface EngineListener {
  /** side 'yes' = YES bids at priceLeg; 'no' = NO bids at priceLeg (= 1 - YES ask price) */
  onBookDelta(ticker: string, side: 'yes' | 'no', priceLeg: number, deltaCenti: number, tsMs: number, caused: Caused | null): void;
  onTrade(trade: TradeRec): void;
  onFill(fill: FillRec): void;
  onOrderUpdate(order: OrderRec): void;
  onPosition(userId: string, pos: PositionRec, subaccount: number): void;
  onLifecycle(ticker: string, eventType: string, extra: Record<string, unknown>, tsMs: number): void;
  onOrderGroup(userId: string, groupId: string, eventType: string, contractsLimitCenti: number | null, tsMs: number): void;
  onTicker(ticker: string, tsMs: number): void;
}

export const NULL_LISTENER: EngineListener = {
  onBookDelta() {},
  onTrade() {},
  onFill() {},
  onOrderUpdate() {},
  onPosition() {},
  onLifecycle() {},
  onOrderGroup() {},
  onTicker() {},
};
