/**
 * Venue frame parser: one Kalshi websocket text frame -> one typed frame, or a typed error.
 *
 * In:  the raw frame text (or an already-decoded JSON value, for capture files that nest it).
 * Out: a `Frame` whose market-data bodies are already in kmm.v1 shapes with integer units
 *      (BookSnapshot, BookDelta, PublicTrade, Fill, OrderAck, Position, Lifecycle), so venue
 *      strings are converted exactly once, here.
 *
 * Defensive by contract: prices and sizes may be strings or JSON numbers, snapshot sides may be
 * missing, legacy integer-cent shapes are accepted, unknown message types are returned as
 * `other`. Anything malformed comes back as `{ kind: 'invalid', reason, ... }` carrying whatever
 * envelope fields (type, sid, seq, market) could still be read, so the caller can keep its seq
 * accounting right and distrust exactly the affected book. This function never throws.
 *
 * NO-leg prices stay NO-leg prices (BookSnapshot.no_bids, BookDelta with leg NO): the book
 * derives YES asks as $1 - NO bid. We never subscribe with use_yes_price, so that is the wire
 * convention (kalshi-api.md 3.5).
 */
import { kmm, parseCount, parseFixed, parsePrice, ONE_DOLLAR, ONE_CENT, ONE_CONTRACT, UnitError } from '@kmm/shared';

const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;
const YES = kmm.v1.LegSide.YES;
const NO = kmm.v1.LegSide.NO;

export interface SnapshotFrame {
  kind: 'snapshot';
  sid: number;
  seq: number;
  tsMs: number;
  market: string;
  body: kmm.v1.IBookSnapshot;
}
export interface DeltaFrame {
  kind: 'delta';
  sid: number;
  seq: number;
  tsMs: number;
  market: string;
  body: kmm.v1.IBookDelta;
}
export interface TradeFrame {
  kind: 'trade';
  sid: number;
  tsMs: number;
  market: string;
  body: kmm.v1.IPublicTrade;
}
export interface FillFrame {
  kind: 'fill';
  sid: number;
  tsMs: number;
  market: string;
  body: kmm.v1.IFill;
}
export interface UserOrderFrame {
  kind: 'user_order';
  sid: number;
  tsMs: number;
  market: string;
  body: kmm.v1.IOrderAck;
}
export interface PositionFrame {
  kind: 'market_position';
  sid: number;
  tsMs: number;
  market: string;
  body: kmm.v1.IPosition;
}
export interface LifecycleFrame {
  kind: 'lifecycle';
  sid: number;
  tsMs: number;
  market: string;
  body: kmm.v1.ILifecycle;
}
export interface SubscribedFrame {
  kind: 'subscribed';
  id: number;
  channel: string;
  sid: number;
}
/** `ok` ack: update_subscription (has sid/seq and market_tickers) or list_subscriptions. */
export interface OkFrame {
  kind: 'ok';
  id: number;
  sid: number;
  seq: number;
  marketTickers: string[];
}
export interface UnsubscribedFrame {
  kind: 'unsubscribed';
  id: number;
  sid: number;
  seq: number;
}
export interface ErrorFrame {
  kind: 'error';
  id: number;
  code: number;
  message: string;
}
/** A well-formed frame of a type we do not use (event_lifecycle, ticker, ...). */
export interface OtherFrame {
  kind: 'other';
  type: string;
  sid: number;
  seq: number;
}
/** Malformed input. sid/seq are -1 and market '' when they could not be read. */
export interface InvalidFrame {
  kind: 'invalid';
  reason: string;
  type: string;
  sid: number;
  seq: number;
  market: string;
}

export type Frame =
  | SnapshotFrame
  | DeltaFrame
  | TradeFrame
  | FillFrame
  | UserOrderFrame
  | PositionFrame
  | LifecycleFrame
  | SubscribedFrame
  | OkFrame
  | UnsubscribedFrame
  | ErrorFrame
  | OtherFrame
  | InvalidFrame;

/** Thrown only inside this module and turned into an InvalidFrame at the edge. */
class FrameError extends Error {}

/** Limits on untrusted input; a frame beyond them is refused, not truncated. */
export const PARSE_LIMITS = {
  /** levels per snapshot side (the finest Kalshi grid has 9,999 prices) */
  snapshotLevelsMax: 10_000,
  frameBytesMax: 8 * 1024 * 1024,
} as const;

/** Parses one raw text frame. Never throws. */
export function parseFrame(text: string): Frame {
  if (text.length > PARSE_LIMITS.frameBytesMax) return invalid(`frame longer than ${PARSE_LIMITS.frameBytesMax} chars`, '', -1, -1, '');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return invalid(`not JSON (${(err as Error).message})`, '', -1, -1, '');
  }
  return parseFrameValue(value);
}

/** Parses an already-decoded frame value. Never throws. */
export function parseFrameValue(value: unknown): Frame {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return invalid('frame is not a JSON object', '', -1, -1, '');
  const env = value as Record<string, unknown>;
  const type = typeof env.type === 'string' ? env.type : '';
  const sid = optUint(env.sid);
  const seq = optUint(env.seq);
  const msg = env.msg;
  const market = msg !== null && typeof msg === 'object' && !Array.isArray(msg) ? marketOf(msg as Record<string, unknown>) : '';
  if (type === '') return invalid('missing "type"', '', sid, seq, market);
  if (sid === -2 || seq === -2) return invalid('"sid"/"seq" is not a non-negative integer', type, sid < 0 ? -1 : sid, seq < 0 ? -1 : seq, market);
  try {
    switch (type) {
      case 'orderbook_snapshot':
        return snapshot(obj(msg, 'msg'), sid, seq);
      case 'orderbook_delta':
        return delta(obj(msg, 'msg'), sid, seq);
      case 'trade':
        return trade(obj(msg, 'msg'), sid);
      case 'fill':
        return fill(obj(msg, 'msg'), sid);
      case 'user_order':
        return userOrder(obj(msg, 'msg'), sid);
      case 'market_position':
        return position(obj(msg, 'msg'), sid);
      case 'market_lifecycle_v2':
        return lifecycle(obj(msg, 'msg'), sid);
      case 'subscribed': {
        const m = obj(msg, 'msg');
        return { kind: 'subscribed', id: optUint(env.id), channel: str(m.channel, 'msg.channel'), sid: uint(m.sid, 'msg.sid') };
      }
      case 'ok': {
        const tickers: string[] = [];
        if (msg !== null && typeof msg === 'object' && !Array.isArray(msg)) {
          const t = (msg as Record<string, unknown>).market_tickers;
          if (Array.isArray(t)) for (let i = 0; i < t.length; i++) if (typeof t[i] === 'string') tickers.push(t[i] as string);
        }
        return { kind: 'ok', id: optUint(env.id), sid, seq, marketTickers: tickers };
      }
      case 'unsubscribed':
        return { kind: 'unsubscribed', id: optUint(env.id), sid, seq };
      case 'error': {
        const m = msg !== null && typeof msg === 'object' ? (msg as Record<string, unknown>) : {};
        return {
          kind: 'error',
          id: optUint(env.id),
          code: typeof m.code === 'number' ? m.code : -1,
          message: typeof m.msg === 'string' ? m.msg : '',
        };
      }
      default:
        return { kind: 'other', type, sid, seq };
    }
  } catch (err) {
    if (err instanceof FrameError || err instanceof UnitError) return invalid(err.message, type, sid, seq, market);
    return invalid(`unexpected ${(err as Error).name}: ${(err as Error).message}`, type, sid, seq, market);
  }
}

function invalid(reason: string, type: string, sid: number, seq: number, market: string): InvalidFrame {
  return { kind: 'invalid', reason, type, sid, seq, market };
}

// ---- field readers (throw FrameError naming the field) ----

function obj(v: unknown, field: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new FrameError(`${field}: expected an object`);
  return v as Record<string, unknown>;
}
function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new FrameError(`${field}: expected a non-empty string`);
  return v;
}
function optStr(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
function uint(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new FrameError(`${field}: expected a non-negative integer`);
  return v;
}
/** -1 when absent, -2 when present but not a non-negative integer. */
function optUint(v: unknown): number {
  if (v === undefined || v === null) return -1;
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : -2;
}
function optTsMs(m: Record<string, unknown>): number {
  const ms = m.ts_ms;
  if (typeof ms === 'number' && Number.isSafeInteger(ms) && ms >= 0) return ms;
  // Legacy `ts` is unix seconds (integer); the ISO string form is not needed when ts_ms exists.
  const ts = m.ts;
  if (typeof ts === 'number' && Number.isSafeInteger(ts) && ts >= 0) return ts * 1000;
  return 0;
}
function marketOf(m: Record<string, unknown>): string {
  const t = m.market_ticker;
  if (typeof t === 'string') return t;
  const t2 = m.ticker;
  return typeof t2 === 'string' ? t2 : '';
}
function ticker(m: Record<string, unknown>): string {
  const t = marketOf(m);
  if (t.length === 0) throw new FrameError('msg.market_ticker: expected a non-empty string');
  return t;
}
/** A leg price strictly inside (0, $1). */
function legPrice(v: unknown, field: string): number {
  const p = parsePrice(v, field);
  if (p <= 0 || p >= ONE_DOLLAR) throw new FrameError(`${field}: price ${String(v)} outside (0, 1)`);
  return p;
}
/** Legacy integer cents (1..99). */
function centsPrice(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0 || v >= 100) throw new FrameError(`${field}: expected integer cents in 1..99`);
  return v * ONE_CENT;
}
/** Legacy integer contract count. */
function wholeCount(v: unknown, field: string, allowNegative: boolean): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || (!allowNegative && v < 0)) throw new FrameError(`${field}: expected an integer count`);
  return v * ONE_CONTRACT;
}
/**
 * Money ("0.017500"): venue emits up to 6 dp; we keep 1/10,000 dollar. A non-zero 5th/6th digit
 * is rounded half away from zero instead of refused, because dropping a fill over a sub-cent fee
 * digit would be worse than a 1/10,000 dollar rounding.
 */
function money(v: unknown, field: string): number {
  if (v === undefined || v === null) return 0;
  const text = typeof v === 'number' ? numText(v, field) : v;
  if (typeof text !== 'string') throw new FrameError(`${field}: expected a decimal string`);
  const micro = parseFixed(text, 6, 6, field, true);
  const q = Math.trunc(micro / 100);
  const r = micro - q * 100;
  return r >= 50 ? q + 1 : r <= -50 ? q - 1 : q;
}
function numText(v: number, field: string): string {
  const s = String(v);
  if (!Number.isFinite(v) || s.includes('e')) throw new FrameError(`${field}: unusable number ${s}`);
  return s;
}
function bookSide(m: Record<string, unknown>, field: string): kmm.v1.BookSide {
  const b = m.book_side;
  if (b === 'bid') return BID;
  if (b === 'ask') return ASK;
  // Deprecated legacy pair (kalshi-api.md 8): buy yes / sell no = bid; buy no / sell yes = ask.
  const side = m.side;
  const action = m.action;
  if ((side === 'yes' || side === 'no') && (action === 'buy' || action === 'sell')) {
    return (side === 'yes') === (action === 'buy') ? BID : ASK;
  }
  if (m.is_yes === true || side === 'yes') return BID;
  if (m.is_yes === false || side === 'no') return ASK;
  throw new FrameError(`${field}: no book_side (or side/action)`);
}

function levels(v: unknown, field: string, legacyCents: boolean): kmm.v1.IPriceLevel[] {
  const out: kmm.v1.IPriceLevel[] = [];
  if (v === undefined || v === null) return out; // a missing side is an empty side
  if (!Array.isArray(v)) throw new FrameError(`${field}: expected an array of [price, size]`);
  if (v.length > PARSE_LIMITS.snapshotLevelsMax) throw new FrameError(`${field}: more than ${PARSE_LIMITS.snapshotLevelsMax} levels`);
  for (let i = 0; i < v.length; i++) {
    const lv = v[i];
    if (!Array.isArray(lv) || lv.length < 2) throw new FrameError(`${field}[${i}]: expected [price, size]`);
    const price = legacyCents ? centsPrice(lv[0], `${field}[${i}][0]`) : legPrice(lv[0], `${field}[${i}][0]`);
    const countCenti = legacyCents ? wholeCount(lv[1], `${field}[${i}][1]`, false) : parseCount(lv[1], `${field}[${i}][1]`, false);
    if (countCenti === 0) continue; // an empty level is the same as no level
    out.push({ price, countCenti });
  }
  return out;
}

function sideLevels(m: Record<string, unknown>, leg: 'yes' | 'no'): kmm.v1.IPriceLevel[] {
  const fp = m[`${leg}_dollars_fp`];
  if (fp !== undefined) return levels(fp, `msg.${leg}_dollars_fp`, false);
  const dollars = m[`${leg}_dollars`];
  if (dollars !== undefined) {
    // Transitional shape: [["0.080", qty]] with qty an integer count or an _fp string.
    return levels(dollars, `msg.${leg}_dollars`, false);
  }
  return levels(m[leg], `msg.${leg}`, true);
}

function needSeq(sid: number, seq: number): void {
  if (sid < 0 || seq < 0) throw new FrameError('orderbook frame without "sid"/"seq"');
}

function snapshot(m: Record<string, unknown>, sid: number, seq: number): SnapshotFrame {
  needSeq(sid, seq);
  const market = ticker(m);
  const body: kmm.v1.IBookSnapshot = { market, yesBids: sideLevels(m, 'yes'), noBids: sideLevels(m, 'no'), sid, seq };
  return { kind: 'snapshot', sid, seq, tsMs: optTsMs(m), market, body };
}

function delta(m: Record<string, unknown>, sid: number, seq: number): DeltaFrame {
  needSeq(sid, seq);
  const market = ticker(m);
  const side = m.side;
  if (side !== 'yes' && side !== 'no') throw new FrameError('msg.side: expected "yes" or "no"');
  let price: number;
  if (m.price_dollars !== undefined) price = legPrice(m.price_dollars, 'msg.price_dollars');
  else price = centsPrice(m.price, 'msg.price');
  let deltaCenti: number;
  if (m.delta_fp !== undefined) deltaCenti = parseCount(m.delta_fp, 'msg.delta_fp', true);
  else deltaCenti = wholeCount(m.delta, 'msg.delta', true);
  if (deltaCenti === 0) throw new FrameError('msg.delta_fp: zero delta');
  const body: kmm.v1.IBookDelta = {
    market,
    leg: side === 'yes' ? YES : NO,
    price,
    deltaCenti,
    clientOrderId: optStr(m.client_order_id),
    sid,
    seq,
  };
  return { kind: 'delta', sid, seq, tsMs: optTsMs(m), market, body };
}

function trade(m: Record<string, unknown>, sid: number): TradeFrame {
  const market = ticker(m);
  const yesPrice = m.yes_price_dollars !== undefined ? legPrice(m.yes_price_dollars, 'msg.yes_price_dollars') : centsPrice(m.yes_price, 'msg.yes_price');
  const countCenti = m.count_fp !== undefined ? parseCount(m.count_fp, 'msg.count_fp', false) : wholeCount(m.count, 'msg.count', false);
  let taker = kmm.v1.BookSide.BOOK_SIDE_UNSPECIFIED;
  const tb = m.taker_book_side;
  if (tb === 'bid') taker = BID;
  else if (tb === 'ask') taker = ASK;
  else if (m.taker_side === 'yes') taker = BID; // deprecated field: the taker bought YES
  else if (m.taker_side === 'no') taker = ASK;
  const tsMs = optTsMs(m);
  const body: kmm.v1.IPublicTrade = { market, tradeId: optStr(m.trade_id), yesPrice, countCenti, takerBookSide: taker, tsMs };
  return { kind: 'trade', sid, tsMs, market, body };
}

function fill(m: Record<string, unknown>, sid: number): FillFrame {
  const market = ticker(m);
  const tsMs = optTsMs(m);
  const body: kmm.v1.IFill = {
    tradeId: optStr(m.trade_id),
    orderId: str(m.order_id, 'msg.order_id'),
    clientOrderId: optStr(m.client_order_id),
    market,
    side: bookSide(m, 'msg.book_side'),
    yesPrice: m.yes_price_dollars !== undefined ? legPrice(m.yes_price_dollars, 'msg.yes_price_dollars') : centsPrice(m.yes_price, 'msg.yes_price'),
    countCenti: m.count_fp !== undefined ? parseCount(m.count_fp, 'msg.count_fp', false) : wholeCount(m.count, 'msg.count', false),
    isTaker: m.is_taker === true,
    feeMoney: money(m.fee_cost, 'msg.fee_cost'),
    postPositionCenti:
      m.post_position_fp !== undefined
        ? parseCount(m.post_position_fp, 'msg.post_position_fp', true)
        : m.post_position !== undefined
          ? wholeCount(m.post_position, 'msg.post_position', true)
          : 0,
    tsMs,
  };
  return { kind: 'fill', sid, tsMs, market, body };
}

const ORDER_STATUS: Record<string, kmm.v1.OrderStatus> = {
  resting: kmm.v1.OrderStatus.RESTING,
  canceled: kmm.v1.OrderStatus.CANCELED,
  cancelled: kmm.v1.OrderStatus.CANCELED,
  executed: kmm.v1.OrderStatus.EXECUTED,
};

function userOrder(m: Record<string, unknown>, sid: number): UserOrderFrame {
  const market = ticker(m);
  const statusText = str(m.status, 'msg.status');
  const status = ORDER_STATUS[statusText] ?? kmm.v1.OrderStatus.ORDER_STATUS_UNSPECIFIED;
  const tsMs = typeof m.last_updated_ts_ms === 'number' ? (m.last_updated_ts_ms as number) : typeof m.created_ts_ms === 'number' ? (m.created_ts_ms as number) : 0;
  const body: kmm.v1.IOrderAck = {
    kind: kmm.v1.CommandKind.COMMAND_KIND_UNSPECIFIED,
    market,
    clientOrderId: optStr(m.client_order_id),
    orderId: str(m.order_id, 'msg.order_id'),
    side: bookSide(m, 'msg.book_side'),
    price: legPrice(m.yes_price_dollars, 'msg.yes_price_dollars'),
    remainingCenti: m.remaining_count_fp !== undefined ? parseCount(m.remaining_count_fp, 'msg.remaining_count_fp', false) : 0,
    filledCenti: m.fill_count_fp !== undefined ? parseCount(m.fill_count_fp, 'msg.fill_count_fp', false) : 0,
    status,
    // exec places a late update against an amend's answer by it (a creation time says nothing of later state)
    venueTsMs: typeof m.last_updated_ts_ms === 'number' ? (m.last_updated_ts_ms as number) : 0,
  };
  return { kind: 'user_order', sid, tsMs, market, body };
}

function position(m: Record<string, unknown>, sid: number): PositionFrame {
  const market = ticker(m);
  const body: kmm.v1.IPosition = {
    market,
    positionCenti: parseCount(m.position_fp, 'msg.position_fp', true),
    exposureMoney: money(m.position_cost_dollars ?? m.market_exposure_dollars, 'msg.position_cost_dollars'),
    realizedPnlMoney: money(m.realized_pnl_dollars, 'msg.realized_pnl_dollars'),
    feesPaidMoney: money(m.fees_paid_dollars, 'msg.fees_paid_dollars'),
    fromExchange: true,
  };
  // the cumulative traded volume orders the message against our fills (exec): absent in old
  // data, then the position is taken as is; present but not a count: the frame is invalid
  if (m.volume_fp !== undefined && m.volume_fp !== null) {
    body.volumeCenti = parseCount(m.volume_fp, 'msg.volume_fp', false);
    body.hasVolume = true;
  }
  return { kind: 'market_position', sid, tsMs: optTsMs(m), market, body };
}

function lifecycle(m: Record<string, unknown>, sid: number): LifecycleFrame {
  const market = ticker(m);
  const ranges: kmm.v1.IPriceRange[] = [];
  const pr = m.price_ranges;
  if (Array.isArray(pr)) {
    for (let i = 0; i < pr.length; i++) {
      const r = obj(pr[i], `msg.price_ranges[${i}]`);
      ranges.push({
        startPrice: parsePrice(r.start, `msg.price_ranges[${i}].start`),
        endPrice: parsePrice(r.end, `msg.price_ranges[${i}].end`),
        stepPrice: parsePrice(r.step, `msg.price_ranges[${i}].step`),
      });
    }
  }
  const closeTs = m.close_ts;
  const body: kmm.v1.ILifecycle = {
    market,
    eventType: str(m.event_type, 'msg.event_type'),
    result: optStr(m.result),
    settlementPrice: m.settlement_value !== undefined && m.settlement_value !== null ? parsePrice(m.settlement_value, 'msg.settlement_value') : 0,
    closeTsMs: typeof closeTs === 'number' && Number.isSafeInteger(closeTs) ? closeTs * 1000 : 0,
    priceRanges: ranges,
  };
  return { kind: 'lifecycle', sid, tsMs: optTsMs(m), market, body };
}

// ---- capture files ----

/** One line of a capture file, decoded. */
export interface CaptureLine {
  /** local monotonic receive time (0 for plain session.jsonl lines, which carry none) */
  recvNs: number;
  recvMs: number;
  frame: Frame;
  /** frames of one socket read share it (live captures; absent: unknown) */
  turn?: number;
}

/**
 * Decodes one capture line. Accepts both our capture format
 * `{"recv_ns":..,"recv_ms":..,"frame":<raw frame as a JSON string or nested object>}` and the
 * plain one-frame-per-line format (session.jsonl). Blank lines give null.
 */
export function parseCaptureLine(line: string): CaptureLine | null {
  let start = 0;
  while (start < line.length && line.charCodeAt(start) <= 32) start++;
  if (start === line.length) return null;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { recvNs: 0, recvMs: 0, frame: invalid(`capture line is not JSON (${(err as Error).message})`, '', -1, -1, '') };
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'frame' in value && !('type' in value)) {
    const rec = value as Record<string, unknown>;
    const recvNs = typeof rec.recv_ns === 'number' ? rec.recv_ns : 0;
    const recvMs = typeof rec.recv_ms === 'number' ? rec.recv_ms : 0;
    const f = rec.frame;
    const frame = typeof f === 'string' ? parseFrame(f) : parseFrameValue(f);
    return typeof rec.turn === 'number' ? { recvNs, recvMs, frame, turn: rec.turn } : { recvNs, recvMs, frame };
  }
  return { recvNs: 0, recvMs: 0, frame: parseFrameValue(value) };
}

/** Formats one capture line for a raw frame (always valid JSON: the frame travels as a string). */
export function formatCaptureLine(recvNs: number, recvMs: number, rawFrame: string, turn?: number): string {
  const t = turn === undefined ? '' : `"turn":${turn},`;
  return `{"recv_ns":${recvNs},"recv_ms":${recvMs},${t}"frame":${JSON.stringify(rawFrame)}}\n`;
}
