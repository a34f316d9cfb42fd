/**
 * A market's price grid from Kalshi `price_ranges` ({start, end, step} bands, in price units).
 * Valid prices are start + k*step inside each band; the whole grid lies strictly inside (0, $1).
 * Built once per market; lookups are allocation-free.
 */
import { ONE_CENT, ONE_DOLLAR } from './fixed.js';

export interface PriceBand {
  startPrice: number;
  endPrice: number;
  stepPrice: number;
}

export const LINEAR_CENT: PriceBand[] = [{ startPrice: ONE_CENT, endPrice: ONE_DOLLAR - ONE_CENT, stepPrice: ONE_CENT }];

export class PriceGrid {
  /** Every valid price, ascending. */
  readonly prices: Int32Array;
  readonly minPrice: number;
  readonly maxPrice: number;
  /** index of each price in `prices`, by price; -1 when off-grid */
  private readonly indexByPrice: Int32Array;

  constructor(readonly bands: readonly PriceBand[] = LINEAR_CENT) {
    const set = new Set<number>();
    for (const b of bands) {
      if (b.stepPrice <= 0 || b.startPrice > b.endPrice) throw new Error(`invalid price band ${JSON.stringify(b)}`);
      for (let p = b.startPrice; p <= b.endPrice; p += b.stepPrice) if (p > 0 && p < ONE_DOLLAR) set.add(p);
    }
    if (set.size === 0) throw new Error('empty price grid');
    this.prices = Int32Array.from([...set].sort((a, b) => a - b));
    this.minPrice = this.prices[0];
    this.maxPrice = this.prices[this.prices.length - 1];
    this.indexByPrice = new Int32Array(ONE_DOLLAR + 1).fill(-1);
    for (let i = 0; i < this.prices.length; i++) this.indexByPrice[this.prices[i]] = i;
  }

  get size(): number {
    return this.prices.length;
  }
  isValid(price: number): boolean {
    return Number.isInteger(price) && price > 0 && price < ONE_DOLLAR && this.indexByPrice[price] >= 0;
  }
  /** Index of a valid price, or -1. */
  indexOf(price: number): number {
    return price > 0 && price < ONE_DOLLAR ? this.indexByPrice[price] : -1;
  }
  /** Largest grid price <= price (clamped to the grid). */
  floor(price: number): number {
    if (price <= this.minPrice) return this.minPrice;
    if (price >= this.maxPrice) return this.maxPrice;
    let p = Math.floor(price);
    while (this.indexByPrice[p] < 0) p--;
    return p;
  }
  /** Smallest grid price >= price (clamped to the grid). */
  ceil(price: number): number {
    if (price <= this.minPrice) return this.minPrice;
    if (price >= this.maxPrice) return this.maxPrice;
    let p = Math.ceil(price);
    while (this.indexByPrice[p] < 0) p++;
    return p;
  }
  /** Moves `ticks` grid steps from a valid price (clamped). */
  step(price: number, ticks: number): number {
    const i = this.indexOf(price);
    if (i < 0) throw new Error(`price ${price} is not on the grid`);
    const j = Math.min(this.prices.length - 1, Math.max(0, i + ticks));
    return this.prices[j];
  }
  /** Grid steps between two valid prices (b - a). */
  ticksBetween(a: number, b: number): number {
    return this.indexOf(b) - this.indexOf(a);
  }
  /** The tick size at a price (the step of the band it falls in). */
  tickAt(price: number): number {
    for (const b of this.bands) if (price >= b.startPrice && price <= b.endPrice) return b.stepPrice;
    return ONE_CENT;
  }
}

/** Parses Kalshi price_ranges [{start:"0.0000", end:"1.0000", step:"0.0100"}] given a price parser. */
export function bandsFromVenue(
  ranges: ReadonlyArray<{ start: unknown; end: unknown; step: unknown }>,
  parse: (v: unknown, field: string) => number,
): PriceBand[] {
  return ranges.map((r, i) => ({
    startPrice: Math.max(parse(r.start, `price_ranges[${i}].start`), 0),
    endPrice: parse(r.end, `price_ranges[${i}].end`),
    stepPrice: parse(r.step, `price_ranges[${i}].step`),
  }));
}
