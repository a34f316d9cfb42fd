/**
 * Edge parsing of Kalshi REST JSON (kalshi-api.md section 2) into our integer types, and the
 * mapping of venue errors to kmm.v1.RejectCode. Venue JSON is untrusted: every field is checked,
 * a malformed item raises VenueFormatError naming the field (the caller skips or fails the read),
 * nothing here throws anything else. Decimal strings go through the exact unit parsers.
 */
import { kmm, parseCount, parsePrice, parseMoney, bandsFromVenue, UnitError } from '@kmm/shared';
import type { VenueOrder, VenuePosition } from '../core/types.js';

const RC = kmm.v1.RejectCode;
const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;

export class VenueFormatError extends Error {
  constructor(
    readonly what: string,
    readonly field: string,
    why: string,
  ) {
    super(`${what}: ${field} ${why}`);
    this.name = 'VenueFormatError';
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function s(o: Obj, k: string, what: string, required = true): string {
  const v = o[k];
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) {
    if (!required) return '';
    throw new VenueFormatError(what, k, 'is missing');
  }
  throw new VenueFormatError(what, k, `is a ${typeof v}, expected a string`);
}
function wrap<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof UnitError) throw new VenueFormatError(what, e.field, e.why);
    throw e;
  }
}
/** Dollar amounts with up to 6 dp where sub-centicent digits may be non-zero: truncated to 1/10,000 $. */
export function parseMoneyTrunc(v: unknown, field: string): number {
  if (v === undefined || v === null || v === '') return 0;
  if (typeof v === 'string') {
    const dot = v.indexOf('.');
    const t = dot >= 0 && v.length - dot - 1 > 4 ? v.slice(0, dot + 5) : v;
    return parseMoney(t, field);
  }
  return parseMoney(v, field);
}

function sideOf(o: Obj, what: string): number {
  const b = o.book_side ?? o.side;
  if (b === 'bid') return BID;
  if (b === 'ask') return ASK;
  // legacy shape: side yes/no + action buy/sell
  const side = o.side;
  const action = o.action ?? 'buy';
  if (side === 'yes') return action === 'buy' ? BID : ASK;
  if (side === 'no') return action === 'buy' ? ASK : BID;
  throw new VenueFormatError(what, 'book_side', `unknown value ${JSON.stringify(b)}`);
}

export function parseVenueOrder(o: unknown): VenueOrder {
  const what = 'order';
  if (!isObj(o)) throw new VenueFormatError(what, '(item)', 'is not an object');
  return wrap(what, () => {
    const status = s(o, 'status', what);
    if (status !== 'resting' && status !== 'canceled' && status !== 'executed') throw new VenueFormatError(what, 'status', `unknown value ${status}`);
    return {
      orderId: s(o, 'order_id', what),
      clientOrderId: s(o, 'client_order_id', what, false),
      market: s(o, 'ticker', what),
      side: sideOf(o, what),
      price: parsePrice(o.yes_price_dollars, 'yes_price_dollars'),
      remainingCenti: parseCount(o.remaining_count_fp, 'remaining_count_fp', false),
      filledCenti: o.fill_count_fp === undefined ? 0 : parseCount(o.fill_count_fp, 'fill_count_fp', false),
      status,
      orderGroupId: s(o, 'order_group_id', what, false),
    };
  });
}

export function parseVenuePosition(o: unknown): VenuePosition {
  const what = 'market_position';
  if (!isObj(o)) throw new VenueFormatError(what, '(item)', 'is not an object');
  return wrap(what, () => ({
    market: s(o, 'ticker', what),
    positionCenti: parseCount(o.position_fp, 'position_fp'),
    exposureMoney: parseMoneyTrunc(o.market_exposure_dollars, 'market_exposure_dollars'),
    realizedPnlMoney: parseMoneyTrunc(o.realized_pnl_dollars, 'realized_pnl_dollars'),
    feesPaidMoney: parseMoneyTrunc(o.fees_paid_dollars, 'fees_paid_dollars'),
    lastUpdatedMs: typeof o.last_updated_ts === 'string' ? Date.parse(o.last_updated_ts) || 0 : 0,
  }));
}

export function parseVenueFill(o: unknown): kmm.v1.IFill {
  const what = 'fill';
  if (!isObj(o)) throw new VenueFormatError(what, '(item)', 'is not an object');
  return wrap(what, () => {
    const tradeId = s(o, 'trade_id', what, false) || s(o, 'fill_id', what);
    const ts = o.ts;
    // ms precision first: REST fills carry `ts` in whole seconds, `created_time` to the microsecond
    const created = typeof o.created_time === 'string' ? Date.parse(o.created_time) : NaN;
    const tsMs = typeof o.ts_ms === 'number' ? o.ts_ms : Number.isFinite(created) ? created : typeof ts === 'number' ? ts * 1000 : 0;
    return {
      tradeId,
      orderId: s(o, 'order_id', what),
      clientOrderId: s(o, 'client_order_id', what, false),
      market: s(o, 'market_ticker', what, false) || s(o, 'ticker', what),
      side: sideOf(o, what),
      yesPrice: parsePrice(o.yes_price_dollars, 'yes_price_dollars'),
      countCenti: parseCount(o.count_fp, 'count_fp', false),
      isTaker: o.is_taker === true,
      feeMoney: parseMoneyTrunc(o.fee_cost, 'fee_cost'),
      postPositionCenti: o.post_position_fp === undefined ? 0 : parseCount(o.post_position_fp, 'post_position_fp'),
      tsMs: Number.isFinite(tsMs) ? tsMs : 0,
    };
  });
}

const STATUS: Record<string, number> = {
  initialized: kmm.v1.MarketStatus.MARKET_INITIALIZED,
  unopened: kmm.v1.MarketStatus.MARKET_INITIALIZED,
  active: kmm.v1.MarketStatus.MARKET_ACTIVE,
  open: kmm.v1.MarketStatus.MARKET_ACTIVE,
  inactive: kmm.v1.MarketStatus.MARKET_INACTIVE,
  paused: kmm.v1.MarketStatus.MARKET_INACTIVE,
  closed: kmm.v1.MarketStatus.MARKET_CLOSED,
  determined: kmm.v1.MarketStatus.MARKET_DETERMINED,
  disputed: kmm.v1.MarketStatus.MARKET_DETERMINED,
  amended: kmm.v1.MarketStatus.MARKET_DETERMINED,
  finalized: kmm.v1.MarketStatus.MARKET_FINALIZED,
  settled: kmm.v1.MarketStatus.MARKET_FINALIZED,
};

export function parseVenueMarket(o: unknown): kmm.v1.IMarketInfo {
  const what = 'market';
  if (!isObj(o)) throw new VenueFormatError(what, '(item)', 'is not an object');
  return wrap(what, () => {
    const ticker = s(o, 'ticker', what);
    const eventTicker = s(o, 'event_ticker', what, false);
    const ranges = Array.isArray(o.price_ranges) ? (o.price_ranges as Array<{ start: unknown; end: unknown; step: unknown }>) : [];
    const bands = ranges.length > 0 ? bandsFromVenue(ranges, (v, f) => parsePrice(v, f)) : [];
    const status = STATUS[s(o, 'status', what)] ?? kmm.v1.MarketStatus.MARKET_STATUS_UNSPECIFIED;
    const t = (k: string): number => (typeof o[k] === 'string' ? Date.parse(o[k] as string) || 0 : 0);
    return {
      market: ticker,
      eventTicker,
      seriesTicker: eventTicker.split('-')[0] ?? '',
      status,
      priceRanges: bands.map((b) => ({ startPrice: b.startPrice, endPrice: b.endPrice, stepPrice: b.stepPrice })),
      openTimeMs: t('open_time'),
      closeTimeMs: t('close_time'),
      volume24hCenti: o.volume_24h_fp === undefined ? 0 : parseCount(o.volume_24h_fp, 'volume_24h_fp', false),
      result: typeof o.result === 'string' ? o.result : '',
    };
  });
}

export interface VenueError {
  code: number; // kmm.v1.RejectCode
  http: number;
  venueCode: string;
  message: string;
}

/** Reads a venue error body (nested, flat, 429 string, parameter validation) into a RejectCode. */
export function mapVenueError(http: number, bodyText: string): VenueError {
  let venueCode = '';
  let message = '';
  let details = '';
  try {
    const b = JSON.parse(bodyText) as unknown;
    if (isObj(b)) {
      const e = isObj(b.error) ? b.error : b;
      venueCode = typeof e.code === 'string' ? e.code : '';
      message = typeof e.message === 'string' ? e.message : typeof b.error === 'string' ? b.error : typeof b.msg === 'string' ? b.msg : '';
      details = typeof e.details === 'string' ? e.details : '';
    }
  } catch {
    message = bodyText.slice(0, 200);
  }
  return { code: codeFor(http, venueCode, details), http, venueCode, message: details ? `${message} (${details})` : message };
}

export function codeFor(http: number, venueCode: string, details: string): number {
  if (http === 429) return RC.RATE_LIMITED;
  if (http >= 500) return RC.SERVER_ERROR;
  if (http === 401 || http === 403) return RC.AUTH;
  if (http === 404) return RC.NOT_FOUND;
  if (http === 409 || venueCode === 'order_already_exists') return RC.DUPLICATE_CLIENT_ORDER_ID;
  const c = venueCode.toLowerCase();
  if (c === 'invalid_order' && /post.only/i.test(details)) return RC.POST_ONLY_CROSS;
  if (c === 'post_only_cross') return RC.POST_ONLY_CROSS;
  if (c === 'invalid_price') return RC.INVALID_PRICE;
  if (c === 'insufficient_balance' || c === 'available_balance_too_low') return RC.INSUFFICIENT_BALANCE;
  if (c === 'market_inactive' || c === 'market_closed' || c === 'trading_is_paused' || c === 'exchange_closed') return RC.MARKET_INACTIVE;
  if (c === 'order_group_triggered') return RC.ORDER_GROUP_TRIGGERED;
  if (c === 'not_found') return RC.NOT_FOUND;
  if (http >= 400) return RC.BAD_REQUEST;
  return RC.OTHER;
}
