/**
 * Risk gates (seed 000): per-side gating of maker quotes against the position caps, and the
 * start-up cap check.
 *
 * The exchange position is the source of truth; a local estimate (exchange value + fills
 * seen since) only ever makes a gate stricter: the bid is gated with the larger of the two,
 * the ask with the smaller. Caps: contracts (MM_MAX_POS, MM_MAX_LONG_POS/SHORT_POS,
 * MM_MAX_POSITION_SIZE, max_position_size, max_inventory) and dollars (position notional
 * at the touch's leg price); the tighter wins.
 *
 * Invariant (property-tested): after gating, for each side,
 *   |position| + unrelatedResting + targetTotal <= cap
 * where unrelatedResting = max(0, restingSame - previousTarget) is resting same-direction
 * size that is not part of our current target (in flight, being cancelled). Exec keeps a
 * side's resting size at the target, so a top-up order never takes
 * |position + resting same-direction + order| past the cap. A side is "increasing" when it
 * grows |position| (bid when long or flat, ask when short or flat); at or over the cap it is
 * hard-blocked (AT_OR_OVER_CAP). The reducing side is never blocked by a long cap: the seed
 * blocked both, which would stop a position at the cap from ever being worked off.
 *
 * Two more limits tighten the configured cap (issue 13):
 *  - the bailout cap: with impulse control on, the maker adds to a position only up to
 *    (1 - kmm_bailout_hysteresis) x the bailout threshold q* (taker.ts), so the bailout taker is
 *    not triggered by our own maker fills and the band between the two is the hysteresis;
 *  - exec's gating state: exec's position joins the conservative choice (it may have booked a
 *    fill strategy has not seen yet), and a side never asks for more than exec's cap check
 *    accepts (its resting size plus its room), so a target needs no local reject.
 */
import { PRICE_ONE } from './pricing.js';

const CENTI = 100;

export interface SideGateInput {
  isBid: boolean;
  exchangePositionCenti: number;
  localPositionCenti: number;
  restingSameCenti: number;
  prevTargetCenti: number;
  /** contract cap in this direction (long cap for the bid, short cap for the ask), centi */
  capCenti: number;
  positionNotionalMoney: number;
  /** maker cap from the bailout threshold in this direction, centi (Infinity: none) */
  bailoutCapCenti: number;
  /** exec's gating position (NaN: not known yet) */
  execPositionCenti: number;
  /** the total size exec's cap check accepts on this side now (resting + room; Infinity: unknown) */
  execAcceptsCenti: number;
}

export interface SideGateResult {
  /** the gating position (signed centi) */
  positionCenti: number;
  /** desired total before gating, centi */
  intendedCenti: number;
  /** allowed total after gating, centi */
  allowedCenti: number;
  effectiveCapCenti: number;
  blocked: boolean;
  hardBlock: boolean;
  /** the bailout cap (not the configured one) is what limits this side */
  bailoutCap: boolean;
  reason: string;
}

/** Contracts cap implied by a notional cap at a leg price (whole contracts, centi). */
export function notionalCapCenti(notionalMoney: number, legPrice: number): number {
  if (notionalMoney <= 0 || legPrice <= 0) return Number.MAX_SAFE_INTEGER;
  return Math.floor((notionalMoney * CENTI) / legPrice / CENTI) * CENTI;
}

function contracts(centi: number): number {
  return centi / CENTI;
}

/**
 * Gates one side's levels in place (sizes clipped from the far level inwards so the touch
 * keeps its size longest). Returns what was decided. `n` levels in prices/sizes.
 */
export function gateSide(inp: SideGateInput, prices: Int32Array, sizes: Float64Array, n: number, out: SideGateResult): number {
  let pos = inp.isBid ? Math.max(inp.exchangePositionCenti, inp.localPositionCenti) : Math.min(inp.exchangePositionCenti, inp.localPositionCenti);
  const ex = inp.execPositionCenti;
  if (ex === ex) pos = inp.isBid ? Math.max(pos, ex) : Math.min(pos, ex); // NaN: unknown
  // exposure in this side's direction: long for the bid, short for the ask
  const dirPos = inp.isBid ? pos : -pos;
  let intended = 0;
  for (let i = 0; i < n; i++) intended += sizes[i];
  const touchLeg = n > 0 ? (inp.isBid ? prices[0] : PRICE_ONE - prices[0]) : 0;
  const hardCap = Math.min(inp.capCenti, notionalCapCenti(inp.positionNotionalMoney, touchLeg));
  const bailoutCap = inp.bailoutCapCenti < hardCap;
  const cap = bailoutCap ? Math.max(0, inp.bailoutCapCenti) : hardCap;
  const what = bailoutCap ? 'AT_BAILOUT_THRESHOLD' : 'AT_OR_OVER_CAP';
  const unrelated = Math.max(0, inp.restingSameCenti - inp.prevTargetCenti);
  out.positionCenti = pos;
  out.intendedCenti = intended;
  out.effectiveCapCenti = cap;
  out.blocked = false;
  out.hardBlock = false;
  out.bailoutCap = bailoutCap;
  out.reason = '';
  if (n === 0) {
    out.allowedCenti = 0;
    return 0;
  }
  if (dirPos >= cap) {
    out.blocked = true;
    out.hardBlock = true;
    out.allowedCenti = 0;
    out.reason = `${what} (pos=${contracts(pos)}, max=${contracts(cap)})`;
    return 0;
  }
  // The reducing side (dirPos < 0) answers to the bailout cap only for what it would add past
  // flat, and in centi: resting orders being replaced must not block the quote that works the
  // position off, and a fractional position (0.37) gets a fractional reducing quote
  const reducing = dirPos < 0;
  const roomRaw = reducing
    ? Math.min(hardCap - dirPos - unrelated, cap - dirPos, inp.execAcceptsCenti)
    : Math.min(cap - dirPos - unrelated, inp.execAcceptsCenti);
  const room = roomRaw <= 0 ? 0 : reducing && roomRaw < intended ? Math.floor(roomRaw) : Math.floor(roomRaw / CENTI) * CENTI;
  if (intended <= room) {
    out.allowedCenti = intended;
    return n;
  }
  if (room <= 0) {
    out.blocked = true;
    out.allowedCenti = 0;
    const delta = inp.isBid ? intended : -intended;
    const why = inp.execAcceptsCenti < cap - dirPos - unrelated ? 'EXEC_ROOM' : bailoutCap ? 'WOULD_PASS_BAILOUT_THRESHOLD' : 'WOULD_EXCEED_CAP';
    out.reason = `${why} (pos=${contracts(pos)}, delta=${contracts(delta)}, max=${contracts(cap)})`;
    return 0;
  }
  // clip: keep the touch first
  let left = room;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const s = Math.min(sizes[i], left);
    if (s <= 0) break;
    sizes[i] = s;
    left -= s;
    m++;
  }
  out.allowedCenti = room - left;
  return m;
}

export interface BreachedMarket {
  ticker: string;
  position: number;
}

/** Start-up check (seed 000 fix 3): markets whose exchange position is over its cap. */
export function startupBreaches(
  positions: Iterable<[string, number]>,
  longCapCenti: number,
  shortCapCenti: number,
): BreachedMarket[] {
  const out: BreachedMarket[] = [];
  for (const [ticker, posCenti] of positions) {
    if (posCenti > longCapCenti || -posCenti > shortCapCenti) out.push({ ticker, position: contracts(posCenti) });
  }
  out.sort((a, b) => (a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : 0));
  return out;
}
