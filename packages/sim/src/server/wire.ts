/**
 * Venue wire shapes (current fixed-point generation, kalshi-api.md sections 2-3) built from
 * engine records. REST bodies are serialised with sorted keys, as the recorded responses are;
 * websocket frames keep the field order of the recorded frames and are built by string
 * concatenation on the hot path (orderbook deltas).
 */
import { formatCount, formatFixed, formatPrice, ONE_DOLLAR } from '@kmm/shared';
import type { Engine, MarketState } from '../engine/engine.js';
import type { Account, FillRec, OrderRec, PositionRec, SettlementRec, TradeRec } from '../engine/types.js';

/** micro-dollars -> "0.017500" */
export function micro6(micro: number): string {
  return formatFixed(Math.round(micro), 6);
}
/** 1/10,000 $ money -> "0.017500" (6 dp, portfolio style) */
export function money6(money: number): string {
  return formatFixed(money * 100, 6);
}
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** JSON with object keys sorted recursively (REST responses are key-sorted on the wire). */
export function sortedJson(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) if (o[k] !== undefined) out[k] = sortKeys(o[k]);
    return out;
  }
  return v;
}

const STATUS_FILTER: Record<string, string[]> = {
  unopened: ['initialized'],
  open: ['active'],
  paused: ['inactive'],
  closed: ['closed', 'determined'],
  settled: ['finalized'],
};
export function statusMatches(filter: string, status: string): boolean {
  return (STATUS_FILTER[filter] ?? [filter]).includes(status);
}

/**
 * Top of book as the venue reports it (REST market object and WS ticker), with Kalshi's
 * missing-side sentinels (kalshi-api.md section 0): no asks -> yes_ask 1.0000 (so no_bid
 * 0.0000); no bids -> yes_bid 0.0000 (so no_ask 1.0000). A book empty on both sides reports
 * yes_bid = yes_ask = 0.0000 and no_bid = no_ask = 1.0000, as recorded on an initialized market.
 */
export function topOfBook(m: MarketState): { yesBid: number; yesAsk: number; noBid: number; noAsk: number } {
  const b = m.book;
  const yesBid = b.bestBid();
  const empty = b.bestBidIdx < 0 && b.bestAskIdx < 0;
  const yesAsk = b.bestAskIdx >= 0 ? b.bestAsk() : empty ? 0 : ONE_DOLLAR;
  return { yesBid, yesAsk, noBid: empty ? ONE_DOLLAR : ONE_DOLLAR - yesAsk, noAsk: ONE_DOLLAR - yesBid };
}

/** The ticker's dollar_volume: whole dollars traded at YES prices. */
export function dollarVolume(m: MarketState): number {
  return Math.floor(m.notionalMicro / 1_000_000);
}
/** The ticker's dollar_open_interest: open interest valued at the last price, whole dollars. */
export function dollarOpenInterest(m: MarketState): number {
  return Math.floor((m.openInterestCenti * m.lastPrice) / 1_000_000);
}

export function marketJson(m: MarketState): Record<string, unknown> {
  const s = m.spec;
  const b = m.book;
  const { yesBid, yesAsk, noBid, noAsk } = topOfBook(m);
  return {
    can_close_early: true,
    close_time: iso(s.closeTimeMs),
    created_time: iso(s.createdTimeMs),
    early_close_condition: null,
    event_ticker: s.eventTicker,
    exchange_index: s.exchangeIndex,
    expected_expiration_time: iso(s.closeTimeMs + 3_600_000),
    expiration_time: iso(s.closeTimeMs + 7 * 86_400_000),
    expiration_value: '',
    fee_waiver_expiration_time: null,
    last_price_dollars: formatPrice(m.lastPrice),
    latest_expiration_time: iso(s.closeTimeMs + 7 * 86_400_000),
    liquidity_dollars: '0.0000',
    market_type: 'binary',
    no_ask_dollars: formatPrice(noAsk),
    no_bid_dollars: formatPrice(noBid),
    no_sub_title: s.yesSubTitle,
    notional_value_dollars: '1.0000',
    open_interest_fp: formatCount(m.openInterestCenti),
    open_time: iso(s.openTimeMs),
    previous_price_dollars: '0.0000',
    previous_yes_ask_dollars: '0.0000',
    previous_yes_bid_dollars: '0.0000',
    price_level_structure: s.priceLevelStructure,
    price_ranges: priceRanges(m),
    result: m.result,
    rules_primary: `If ${s.title} resolves Yes, the market resolves to Yes.`,
    rules_secondary: '',
    settlement_timer_seconds: s.settlementTimerS,
    ...(m.result ? { settlement_value_dollars: m.result === 'yes' ? '1.0000' : '0.0000', settlement_ts: m.settledMs ? iso(m.settledMs) : null } : {}),
    status: m.status,
    strike_type: 'custom',
    subtitle: '',
    ticker: s.ticker,
    title: s.title,
    updated_time: iso(m.updatedMs),
    volume_24h_fp: formatCount(m.volumeCenti),
    volume_fp: formatCount(m.volumeCenti),
    yes_ask_dollars: formatPrice(yesAsk),
    yes_ask_size_fp: formatCount(b.bestAskSize()),
    yes_bid_dollars: formatPrice(yesBid),
    yes_bid_size_fp: formatCount(b.bestBidSize()),
    yes_sub_title: s.yesSubTitle,
  };
}

export function priceRanges(m: MarketState): Array<{ start: string; end: string; step: string }> {
  return m.spec.bands.map((band) => ({
    start: formatPrice(band.startPrice === band.stepPrice ? 0 : band.startPrice),
    end: formatPrice(band.endPrice === ONE_DOLLAR - band.stepPrice ? ONE_DOLLAR : band.endPrice),
    step: formatPrice(band.stepPrice),
  }));
}

/** REST orderbook_fp: bids per leg, ascending by price (best = last); NO side in NO-leg prices. */
export function orderbookFp(m: MarketState, depth = 0): { yes_dollars: string[][]; no_dollars: string[][] } {
  const yes = m.book.levels('bid').map(([p, c]) => [formatPrice(p), formatCount(c)]);
  const no = m.book
    .levels('ask')
    .reverse()
    .map(([p, c]) => [formatPrice(ONE_DOLLAR - p), formatCount(c)]);
  const cut = (a: string[][]) => (depth > 0 && a.length > depth ? a.slice(a.length - depth) : a);
  return { yes_dollars: cut(yes), no_dollars: cut(no) };
}

export function orderJson(o: OrderRec): Record<string, unknown> {
  const isBid = o.side === 'bid';
  return {
    action: 'buy',
    book_side: o.side,
    cancel_order_on_pause: o.cancelOnPause,
    client_order_id: o.clientOrderId || undefined,
    created_time: iso(o.createdMs),
    exchange_index: o.exchangeIndex,
    expiration_time: o.expirationMs != null ? iso(o.expirationMs) : null,
    fill_count_fp: formatCount(o.filledCenti),
    initial_count_fp: formatCount(o.initialCenti),
    last_update_time: iso(o.updatedMs),
    maker_fees_dollars: money6(o.makerFeesMoney),
    maker_fill_cost_dollars: micro6(o.makerFillCostMicro),
    no_price_dollars: formatPrice(ONE_DOLLAR - o.price),
    order_group_id: o.orderGroupId,
    order_id: o.orderId,
    outcome_side: isBid ? 'yes' : 'no',
    remaining_count_fp: formatCount(o.remainingCenti),
    self_trade_prevention_type: o.stp,
    side: isBid ? 'yes' : 'no',
    status: o.status,
    subaccount_number: o.subaccount,
    taker_fees_dollars: money6(o.takerFeesMoney),
    taker_fill_cost_dollars: micro6(o.takerFillCostMicro),
    ticker: o.ticker,
    type: 'limit',
    user_id: o.userId,
    yes_price_dollars: formatPrice(o.price),
  };
}

export function fillJson(f: FillRec): Record<string, unknown> {
  const isBid = f.side === 'bid';
  return {
    action: 'buy',
    book_side: f.side,
    count_fp: formatCount(f.countCenti),
    created_time: iso(f.tsMs),
    exchange_index: f.exchangeIndex,
    fee_cost: money6(f.feeMoney),
    fill_id: f.tradeId,
    is_taker: f.isTaker,
    market_ticker: f.ticker,
    no_price_dollars: formatPrice(ONE_DOLLAR - f.price),
    order_id: f.orderId,
    outcome_side: isBid ? 'yes' : 'no',
    side: isBid ? 'yes' : 'no',
    subaccount_number: f.subaccount,
    ticker: f.ticker,
    trade_id: f.tradeId,
    ts: Math.floor(f.tsMs / 1000),
    yes_price_dollars: formatPrice(f.price),
  };
}

export function tradeJson(t: TradeRec): Record<string, unknown> {
  return {
    count_fp: formatCount(t.countCenti),
    created_time: iso(t.tsMs),
    is_block_trade: false,
    no_price_dollars: formatPrice(ONE_DOLLAR - t.price),
    taker_book_side: t.takerSide,
    taker_outcome_side: t.takerSide === 'bid' ? 'yes' : 'no',
    taker_side: t.takerSide === 'bid' ? 'yes' : 'no',
    ticker: t.ticker,
    trade_id: t.tradeId,
    yes_price_dollars: formatPrice(t.price),
  };
}

export function positionJson(p: PositionRec): Record<string, unknown> {
  return {
    exchange_index: p.exchangeIndex,
    fees_paid_dollars: money6(p.feesPaidMoney),
    last_updated_ts: iso(p.lastUpdatedMs),
    market_exposure_dollars: micro6(p.costMicro),
    position_fp: formatCount(p.positionCenti),
    realized_pnl_dollars: micro6(p.realizedPnlMicro),
    ticker: p.ticker,
    total_traded_dollars: micro6(p.totalTradedMicro),
  };
}

export function eventPositions(engine: Engine, a: Account): Array<Record<string, unknown>> {
  const byEvent = new Map<string, { cost: number; shares: number; exposure: number; pnl: number; fees: number }>();
  for (const p of a.positions.values()) {
    const m = engine.markets.get(p.ticker);
    if (!m) continue;
    const e = byEvent.get(m.spec.eventTicker) ?? { cost: 0, shares: 0, exposure: 0, pnl: 0, fees: 0 };
    e.cost += p.totalTradedMicro;
    e.shares += p.volumeCenti;
    e.exposure += p.costMicro;
    e.pnl += p.realizedPnlMicro;
    e.fees += p.feesPaidMoney;
    byEvent.set(m.spec.eventTicker, e);
  }
  const out: Array<Record<string, unknown>> = [];
  for (const [ev, e] of byEvent) {
    out.push({
      event_exposure_dollars: micro6(e.exposure),
      event_ticker: ev,
      fees_paid_dollars: money6(e.fees),
      realized_pnl_dollars: micro6(e.pnl),
      total_cost_dollars: micro6(e.cost),
      total_cost_shares_fp: formatCount(e.shares),
    });
  }
  return out;
}

export function settlementJson(s: SettlementRec): Record<string, unknown> {
  return {
    event_ticker: s.eventTicker,
    exchange_index: s.exchangeIndex,
    fee_cost: money6(s.feeCostMoney),
    market_result: s.result,
    no_count_fp: formatCount(s.noCountCenti),
    no_total_cost_dollars: micro6(s.noTotalCostMicro),
    revenue: Math.floor(s.revenueMicro / 10_000),
    settled_time: iso(s.settledMs),
    ticker: s.ticker,
    value: s.result === 'yes' ? 100 : 0,
    yes_count_fp: formatCount(s.yesCountCenti),
    yes_total_cost_dollars: micro6(s.yesTotalCostMicro),
  };
}

/** Average fill price / fee per contract as 4-dp dollar strings (V2 create/amend summaries). */
export function avgPrice(costMicro: number, centi: number): string {
  return formatPrice(Math.round(costMicro / centi));
}
export function avgFee(feeMoney: number, centi: number): string {
  return formatPrice(Math.round((feeMoney * 100) / centi));
}
