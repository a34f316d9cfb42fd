/**
 * Exact conversions between Kalshi's fixed-point strings and our integer units.
 *
 *   price  "0.4700"  -> 4700       (1/10,000 dollar; one cent = 100)
 *   count  "3.00"    -> 300        (1/100 contract; may be fractional and signed for deltas)
 *   money  "0.017500"-> 175        (1/10,000 dollar; venue emits up to 6 dp)
 *
 * Never parseFloat: parsing walks the characters and builds the integer exactly, so
 * "0.07" is 700 and not 699.99999. Digits beyond our unit must be zeros, otherwise the
 * value is not representable and we refuse it rather than round silently.
 * Hot path: no regex, no allocation on success.
 */

export class UnitError extends Error {
  constructor(
    readonly field: string,
    readonly input: unknown,
    readonly why: string,
  ) {
    super(`${field}: cannot parse ${JSON.stringify(input)} (${why})`);
    this.name = 'UnitError';
  }
}

const CH_0 = 48;
const CH_9 = 57;
const CH_DOT = 46;
const CH_MINUS = 45;
const CH_PLUS = 43;

/**
 * Parses a plain decimal string into an integer scaled by 10^scaleDigits.
 * Accepts an optional sign, digits, an optional '.' and up to maxFracDigits fraction digits
 * (those past scaleDigits must be '0'). Rejects empty strings, exponents, spaces, "1.", ".5".
 */
export function parseFixed(
  text: string,
  scaleDigits: number,
  maxFracDigits: number,
  field: string,
  allowNegative: boolean,
): number {
  const n = text.length;
  if (n === 0) throw new UnitError(field, text, 'empty');
  let i = 0;
  let negative = false;
  const c0 = text.charCodeAt(0);
  if (c0 === CH_MINUS || c0 === CH_PLUS) {
    if (c0 === CH_MINUS) {
      if (!allowNegative) throw new UnitError(field, text, 'negative not allowed');
      negative = true;
    }
    i = 1;
  }
  let intDigits = 0;
  let value = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === CH_DOT) break;
    if (c < CH_0 || c > CH_9) throw new UnitError(field, text, `unexpected character '${text[i]}'`);
    value = value * 10 + (c - CH_0);
    intDigits++;
  }
  if (intDigits === 0) throw new UnitError(field, text, 'no integer digits');
  let fracDigits = 0;
  if (i < n) {
    i++; // the dot
    if (i === n) throw new UnitError(field, text, 'no digits after the decimal point');
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c < CH_0 || c > CH_9) throw new UnitError(field, text, `unexpected character '${text[i]}'`);
      fracDigits++;
      if (fracDigits > maxFracDigits) throw new UnitError(field, text, `more than ${maxFracDigits} decimal places`);
      if (fracDigits <= scaleDigits) value = value * 10 + (c - CH_0);
      else if (c !== CH_0) throw new UnitError(field, text, `not a multiple of 1e-${scaleDigits}`);
    }
  }
  for (let k = Math.min(fracDigits, scaleDigits); k < scaleDigits; k++) value *= 10;
  if (!Number.isSafeInteger(value)) throw new UnitError(field, text, 'out of range');
  return negative ? -value : value;
}

/** Formats a scaled integer as a decimal string with exactly `digits` fraction digits. */
export function formatFixed(value: number, digits: number): string {
  if (!Number.isSafeInteger(value)) throw new UnitError('format', value, 'not a safe integer');
  const negative = value < 0;
  const abs = negative ? -value : value;
  const scale = 10 ** digits;
  const whole = Math.floor(abs / scale);
  const frac = abs - whole * scale;
  const fracText = digits === 0 ? '' : '.' + String(frac).padStart(digits, '0');
  return (negative ? '-' : '') + String(whole) + fracText;
}

/** A venue value that may arrive as a string or (defensively) a JSON number. */
function asText(input: unknown, field: string): string {
  if (typeof input === 'string') return input;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new UnitError(field, input, 'not finite');
    // Shortest round-trip representation: 0.47 -> "0.47". Exponent forms are refused below.
    const s = String(input);
    if (s.includes('e') || s.includes('E')) throw new UnitError(field, input, 'exponent notation');
    return s;
  }
  throw new UnitError(field, input, `expected a decimal string, got ${input === null ? 'null' : typeof input}`);
}

export const PRICE_SCALE = 10_000; // 1/10,000 dollar
export const COUNT_SCALE = 100; // 1/100 contract
export const MONEY_SCALE = 10_000;
export const ONE_DOLLAR = 10_000;
export const ONE_CENT = 100;
export const ONE_CONTRACT = 100;

/** "0.4700" -> 4700. Up to 6 dp accepted when the extra digits are zero. Range 0..$1 is not checked here. */
export function parsePrice(input: unknown, field = 'price'): number {
  return parseFixed(asText(input, field), 4, 6, field, false);
}
/** 4700 -> "0.4700" (Kalshi request format, 4 dp). */
export function formatPrice(price: number): string {
  return formatFixed(price, 4);
}
/** "3.00" -> 300; signed ("-1.84" -> -184) for deltas and positions. */
export function parseCount(input: unknown, field = 'count', allowNegative = true): number {
  return parseFixed(asText(input, field), 2, 2, field, allowNegative);
}
/** 300 -> "3.00" */
export function formatCount(countCenti: number): string {
  return formatFixed(countCenti, 2);
}
/** "0.017500" -> 175 (1/10,000 dollar). Signed (P&L). */
export function parseMoney(input: unknown, field = 'money'): number {
  return parseFixed(asText(input, field), 4, 6, field, true);
}
/** 175 -> "0.0175" */
export function formatMoney(money: number): string {
  return formatFixed(money, 4);
}
/** 175 -> "0.017500" (portfolio responses use 6 dp). */
export function formatMoney6(money: number): string {
  return formatFixed(money, 4) + '00';
}
/** Integer cents (legacy fields) -> price units. */
export function centsToPrice(cents: number): number {
  return cents * ONE_CENT;
}
/** Dollars as a display number (never used in state). */
export function priceToDollars(price: number): number {
  return price / PRICE_SCALE;
}
