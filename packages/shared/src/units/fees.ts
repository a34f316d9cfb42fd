/**
 * Kalshi's trading fees, exactly (kalshi-api.md section 6):
 *   taker: roundUp(0.07   * m * C * P * (1 - P))
 *   maker: roundUp(0.0175 * m * C * P * (1 - P))  only for fee_type quadratic_with_maker_fees
 * The fee schedule rounds up to the cent per order; per fill the venue rounds the trade fee up
 * to $0.0001 (what a fill's fee_cost shows). Both are computed in integers: with P in
 * 1/10,000 dollar and C in 1/100 contract, P*(1-P)*C*coef is an exact integer product.
 */
import { ONE_CENT, ONE_DOLLAR } from './fixed.js';

export type FeeType = 'quadratic' | 'quadratic_with_maker_fees' | 'quadratic_with_combo_maker_fees' | 'flat' | 'none';

/** Coefficients in 1/10,000: taker 0.07 = 700, maker 0.0175 = 175. */
const TAKER_COEF = 700n;
const MAKER_COEF = 175n;

/**
 * Raw fee in units of 1e-4 $ * 1e-4 (coef) * 1e-4 (P) * 1e-4 (1-P) * 1e-2 (C) * 1e-3 (m) ...
 * Kept as a bigint numerator over a fixed denominator so rounding is exact.
 */
function feeNumerator(coef: bigint, priceYes: number, countCenti: number, multiplierMilli: number): bigint {
  const p = BigInt(priceYes);
  const q = BigInt(ONE_DOLLAR - priceYes);
  return coef * p * q * BigInt(countCenti) * BigInt(multiplierMilli);
}
// value in dollars = numerator / (1e4 coef * 1e4 p * 1e4 q * 1e2 count * 1e3 m) = numerator / 1e17
// value in 1/10,000 dollar = numerator / 1e13
const DENOM_MONEY = 10n ** 13n;

function ceilDiv(a: bigint, b: bigint): bigint {
  return a <= 0n ? 0n : (a + b - 1n) / b;
}

/** Rounds a money amount (1/10,000 $) up to a whole cent. */
export function ceilToCent(money: number): number {
  return Math.ceil(money / ONE_CENT) * ONE_CENT;
}

export interface FeeParams {
  feeType: FeeType | string;
  /** fee multiplier x 1000 (1.0 -> 1000, 0.5 -> 500) */
  multiplierMilli: number;
}

export const DEFAULT_FEES: FeeParams = { feeType: 'quadratic', multiplierMilli: 1000 };

function makerCharged(feeType: string): boolean {
  return feeType === 'quadratic_with_maker_fees';
}

/** Fee per fill as the venue reports it (fee_cost): rounded up to $0.0001. */
export function tradeFee(isTaker: boolean, priceYes: number, countCenti: number, fees: FeeParams = DEFAULT_FEES): number {
  if (fees.feeType === 'none' || fees.multiplierMilli === 0) return 0;
  if (!isTaker && !makerCharged(fees.feeType)) return 0;
  const coef = isTaker ? TAKER_COEF : MAKER_COEF;
  return Number(ceilDiv(feeNumerator(coef, priceYes, countCenti, fees.multiplierMilli), DENOM_MONEY));
}

/** Fee for a whole order per the published schedule: rounded up to the cent. */
export function orderFeeCents(isTaker: boolean, priceYes: number, countCenti: number, fees: FeeParams = DEFAULT_FEES): number {
  if (fees.feeType === 'none' || fees.multiplierMilli === 0) return 0;
  if (!isTaker && !makerCharged(fees.feeType)) return 0;
  const coef = isTaker ? TAKER_COEF : MAKER_COEF;
  const DENOM_CENT = 10n ** 15n;
  return Number(ceilDiv(feeNumerator(coef, priceYes, countCenti, fees.multiplierMilli), DENOM_CENT)) * ONE_CENT;
}
