/**
 * Pre-flight (fat-finger) checks run on every order that would add exposure (place, amend)
 * before it may reach the wire (003: "Fat Finger: Size > max -> Reject: pre-flight check before
 * API call"). A failure is a typed result (RejectCode PREFLIGHT or RISK with a reason), never a
 * request and never an exception.
 *
 * Checks: market known and tradable (status ACTIVE); price an integer on the market's grid and
 * inside its range; count a positive integer number of 1/100 contracts and <= the size cap;
 * notional <= MM_MAX_ORDER_NOTIONAL_USD; projected position against the side's cap with the
 * exchange position (000 fixes 1 and 2: BID adds +size, ASK adds -size; hard block when already at
 * the cap and the order would not reduce) and against MM_MAX_POSITION_NOTIONAL_USD. The side's cap
 * is the long cap for a long (positive) exposure and the short cap for a short one (both from
 * `positionCapsOf`, @kmm/shared config/caps.ts: MM_MAX_POS unless a side cap is set). Last, the
 * portfolio: the worst case of all markets together (portfolio.ts) plus this order's notional
 * against MM_MAX_TOTAL_NOTIONAL_USD. Orders that reduce a position pass every exposure cap.
 * After these, the event caps (event-risk.ts: MM_MAX_EVENT_LOSS_USD, MM_MAX_TOTAL_LOSS_USD): the
 * worst-case loss of the order's whole event, refused (RISK) when the order raises it past a cap,
 * or (EVENT_LOSS_OVER_ALLOWANCE) past the event's allowance from a cluster's risk aggregator.
 */
import { kmm, type PriceGrid } from '@kmm/shared';

const RC = kmm.v1.RejectCode;
const BID = kmm.v1.BookSide.BID;

export interface PreflightParams {
  maxOrderCenti: number;
  maxOrderNotionalMoney: number;
  /** cap on a long (positive) position, centi-contracts */
  longCapCenti: number;
  /** cap on |a short (negative) position|, centi-contracts */
  shortCapCenti: number;
  maxPositionNotionalMoney: number;
  /** all markets together, money (1/10,000 $); 0 = off */
  maxTotalNotionalMoney: number;
}

/** The cap that bounds a signed position: long cap above zero, short cap below (0: either, both bound 0). */
export function capForCenti(p: Pick<PreflightParams, 'longCapCenti' | 'shortCapCenti'>, signedCenti: number): number {
  return signedCenti >= 0 ? p.longCapCenti : p.shortCapCenti;
}

export interface PreflightMarket {
  grid: PriceGrid;
  status: number; // kmm.v1.MarketStatus
}

export interface PreflightResult {
  ok: boolean;
  code: number; // kmm.v1.RejectCode
  reason: string;
}

const OK: PreflightResult = Object.freeze({ ok: true, code: 0, reason: '' }) as PreflightResult;

function fail(code: number, reason: string): PreflightResult {
  return { ok: false, code, reason };
}

/**
 * The event caps' verdict (event-risk.ts EventExposure.check) as a pre-flight result: RISK, or
 * EVENT_LOSS_OVER_ALLOWANCE past a cluster allowance (the strategy and the reports tell a
 * cluster-wide budget running out from a static cap).
 */
export function preflightEvent(c: { ok: boolean; reason: string; overAllowance?: boolean }): PreflightResult {
  return c.ok ? OK : fail(c.overAllowance ? RC.EVENT_LOSS_OVER_ALLOWANCE : RC.RISK, c.reason);
}

/** Notional of an order in money units (1/10,000 $): price x contracts. */
export function notionalMoney(price: number, countCenti: number): number {
  return Math.floor((price * countCenti) / 100);
}

/**
 * @param addCenti the size whose risk is judged: the whole order for a place, the increase for an amend
 * @param positionCenti the exchange position (source of truth, 000 fix 1)
 * @param reduceOnly taker orders that only reduce the position skip the hard block at the cap,
 *   never the worst case with our resting same-side orders
 * @param exchangePositionCenti the exchange position alone, when `positionCenti` also counts
 *   resting orders (gating position): the refusal message then shows position, resting and
 *   projected separately, so a log line never passes resting orders off as the position
 * @param portfolioMoney the worst case of all markets before this order (portfolio.ts
 *   totalExposureMoney plus orders queued to go out), for MM_MAX_TOTAL_NOTIONAL_USD
 */
export function preflight(
  p: PreflightParams,
  m: PreflightMarket | undefined,
  side: number,
  price: number,
  countCenti: number,
  addCenti: number,
  positionCenti: number,
  reduceOnly: boolean,
  exchangePositionCenti: number = positionCenti,
  portfolioMoney = 0,
): PreflightResult {
  const c = (centi: number): number => centi / 100;
  const held = (projectedCenti: number, capCenti: number): string =>
    `position=${c(exchangePositionCenti)}, resting=${c(positionCenti - exchangePositionCenti)}, projected=${c(projectedCenti)}, max=${c(capCenti)}`;
  if (!m) return fail(RC.PREFLIGHT, 'unknown_market');
  if (m.status !== kmm.v1.MarketStatus.MARKET_ACTIVE) return fail(RC.MARKET_INACTIVE, 'market_not_active');
  if (!Number.isInteger(price) || !m.grid.isValid(price)) return fail(RC.PREFLIGHT, `price_off_grid(${price})`);
  if (price < m.grid.minPrice || price > m.grid.maxPrice) return fail(RC.PREFLIGHT, `price_out_of_range(${price})`);
  if (!Number.isInteger(countCenti) || countCenti <= 0) return fail(RC.PREFLIGHT, `bad_count(${countCenti})`);
  if (countCenti > p.maxOrderCenti) return fail(RC.PREFLIGHT, `size_over_cap(${countCenti}>${p.maxOrderCenti})`);
  // an ASK at p risks (1 - p) per contract: the NO leg is what we pay for
  const legPrice = side === BID ? price : 10_000 - price;
  if (notionalMoney(legPrice, countCenti) > p.maxOrderNotionalMoney) return fail(RC.PREFLIGHT, 'order_notional_over_cap');
  const delta = side === BID ? addCenti : -addCenti;
  if (delta === 0) return OK;
  if (reduceOnly) {
    // A reducing taker skips the hard block (a breached position must be reducible), but not the
    // worst case: `positionCenti` counts our resting orders on the same side, and if the taker and
    // all of them filled the position must not end beyond the cap on the other side (found by
    // deterministic simulation: a bailout sold into resting asks, -6 against a cap of 5).
    const worst = positionCenti + delta;
    const worstAbs = worst < 0 ? -worst : worst;
    const nowAbs = positionCenti < 0 ? -positionCenti : positionCenti;
    const worstCap = capForCenti(p, worst);
    if (worstAbs > worstCap && worstAbs > nowAbs) return fail(RC.RISK, `TAKER_WOULD_EXCEED_CAP (${held(worst, worstCap)})`);
    return OK;
  }
  const abs = positionCenti < 0 ? -positionCenti : positionCenti;
  const reduces = (positionCenti > 0 && delta < 0) || (positionCenti < 0 && delta > 0);
  // not reducing: the exposure grows in the order's direction, so that side's cap applies
  const addCap = capForCenti(p, delta);
  if (abs >= addCap && !reduces) return fail(RC.RISK, `AT_OR_OVER_CAP (${held(positionCenti + delta, addCap)})`);
  const projected = positionCenti + delta;
  const projAbs = projected < 0 ? -projected : projected;
  const projCap = capForCenti(p, projected);
  if (projAbs > projCap) return fail(RC.RISK, `WOULD_EXCEED_CAP (${held(projected, projCap)})`);
  const projLeg = projected > 0 ? price : 10_000 - price;
  if (!reduces && notionalMoney(projLeg, projAbs) > p.maxPositionNotionalMoney) return fail(RC.RISK, 'position_notional_over_cap');
  if (!reduces && p.maxTotalNotionalMoney > 0) {
    const totalMoney = portfolioMoney + notionalMoney(legPrice, addCenti);
    if (totalMoney > p.maxTotalNotionalMoney) {
      return fail(RC.RISK, `TOTAL_NOTIONAL_OVER_CAP (all markets $${(totalMoney / 10_000).toFixed(2)} > max $${(p.maxTotalNotionalMoney / 10_000).toFixed(2)})`);
    }
  }
  return OK;
}
