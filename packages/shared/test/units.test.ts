import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatCount, formatPrice, formatMoney, parseCount, parseMoney, parsePrice, UnitError, PriceGrid, tradeFee, orderFeeCents } from '../src/index.js';

describe('units: price', () => {
  it('parses Kalshi price strings exactly', () => {
    expect(parsePrice('0.4700')).toBe(4700);
    expect(parsePrice('0.47')).toBe(4700);
    expect(parsePrice('0.07')).toBe(700);
    expect(parsePrice('0.0001')).toBe(1);
    expect(parsePrice('1.0000')).toBe(10000);
    expect(parsePrice('0.520000')).toBe(5200);
    expect(parsePrice(0.47)).toBe(4700);
  });
  it('round-trips every valid 4-dp price string', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10000 }), (p) => parsePrice(formatPrice(p)) === p && formatPrice(parsePrice(formatPrice(p))) === formatPrice(p)));
  });
  it('rejects malformed input with a message naming it', () => {
    for (const bad of ['', '.5', '1.', 'abc', '0.4x', '1e-4', '0.00001', '-0.10', ' 0.1', '0.1 ', '--1']) {
      expect(() => parsePrice(bad, 'yes_price')).toThrow(UnitError);
    }
    expect(() => parsePrice('0.00005', 'yes_price')).toThrow(/yes_price.*0\.00005/);
    expect(() => parsePrice(null)).toThrow(/null/);
    expect(() => parsePrice(1e-7)).toThrow(UnitError);
  });
  it('rejects arbitrary non-decimal strings', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const valid = /^[+]?\d+(\.\d{1,6})?$/.test(s) && (!s.includes('.') || /^0*$/.test(s.split('.')[1].slice(4)));
        let ok = true;
        try {
          parsePrice(s);
        } catch (e) {
          ok = false;
          expect(e).toBeInstanceOf(UnitError);
        }
        return ok === valid || (valid && !Number.isSafeInteger(Number(s.split('.')[0]) * 10000));
      }),
    );
  });
});

describe('units: count and money', () => {
  it('parses signed fractional counts', () => {
    expect(parseCount('3.00')).toBe(300);
    expect(parseCount('-1.84')).toBe(-184);
    expect(parseCount('1406474.86')).toBe(140647486);
    expect(parseCount('5')).toBe(500);
    expect(() => parseCount('1.234')).toThrow(UnitError);
    expect(() => parseCount('-1', 'count', false)).toThrow(/negative/);
  });
  it('round-trips every count', () => {
    fc.assert(fc.property(fc.integer({ min: -1e12, max: 1e12 }), (c) => parseCount(formatCount(c)) === c));
  });
  it('round-trips money, accepting 6-dp venue strings', () => {
    expect(parseMoney('0.017500')).toBe(175);
    expect(parseMoney('-12.3400')).toBe(-123400);
    expect(() => parseMoney('0.017472')).toThrow(UnitError);
    fc.assert(fc.property(fc.integer({ min: -1e13, max: 1e13 }), (m) => parseMoney(formatMoney(m)) === m));
  });
});

describe('units: fees (kalshi-api.md section 6 worked examples)', () => {
  it('taker fee per order, rounded up to the cent', () => {
    expect(orderFeeCents(true, 5000, 100 * 100)).toBe(175 * 100); // 100 @ $0.50 -> $1.75
    expect(orderFeeCents(true, 5000, 1 * 100)).toBe(2 * 100); // 1 @ $0.50 -> $0.02
    expect(orderFeeCents(true, 100, 100 * 100)).toBe(7 * 100); // 100 @ $0.01 -> $0.07
  });
  it('per-fill fee_cost rounded up to $0.0001', () => {
    expect(tradeFee(true, 5200, 100)).toBe(175); // 0.017472 -> 0.0175
    expect(tradeFee(true, 9900, 100)).toBe(7); // 0.000693 -> 0.0007
  });
  it('makers pay only on quadratic_with_maker_fees series', () => {
    expect(tradeFee(false, 5000, 10000)).toBe(0);
    expect(orderFeeCents(false, 5000, 10000, { feeType: 'quadratic_with_maker_fees', multiplierMilli: 1000 })).toBe(44 * 100); // 0.4375 -> 0.44
  });
});

describe('units: price grid', () => {
  it('handles tapered deci-cent grids', () => {
    const g = new PriceGrid([
      { startPrice: 0, endPrice: 1000, stepPrice: 10 },
      { startPrice: 1000, endPrice: 9000, stepPrice: 100 },
      { startPrice: 9000, endPrice: 10000, stepPrice: 10 },
    ]);
    expect(g.isValid(10)).toBe(true);
    expect(g.isValid(1050)).toBe(false);
    expect(g.floor(1050)).toBe(1000);
    expect(g.ceil(1050)).toBe(1100);
    expect(g.minPrice).toBe(10);
    expect(g.maxPrice).toBe(9990);
    expect(g.step(1000, 1)).toBe(1100);
    expect(g.step(1000, -1)).toBe(990);
  });
});
