import { describe, expect, it } from 'vitest';
import { GridCache } from '../src/index.js';

const bands = (step: number) => [{ startPrice: 100, endPrice: 9900, stepPrice: step }];

describe('GridCache', () => {
  it('shares one grid per band layout', () => {
    const c = new GridCache(4);
    expect(c.get(bands(100))).toBe(c.get(bands(100)));
    expect(c.get(bands(100))).not.toBe(c.get(bands(200)));
    expect(c.size).toBe(2);
  });
  it('is bounded: past the limit the least recently used layout is dropped', () => {
    const c = new GridCache(2);
    const a = c.get(bands(100));
    const b = c.get(bands(200));
    expect(c.get(bands(100))).toBe(a); // a is now the most recently used
    c.get(bands(300)); // evicts 200
    expect(c.size).toBe(2);
    expect(c.get(bands(100))).toBe(a);
    const b2 = c.get(bands(200)); // rebuilt (was dropped), evicts 300
    expect(b2).not.toBe(b);
    expect(b2.isValid(300)).toBe(true);
    expect(c.size).toBe(2);
  });
});
