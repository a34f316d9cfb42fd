import { describe, expect, it } from 'vitest';
import { assert, InvariantError } from '../src/index.js';

describe('assert', () => {
  it('passes on a true condition and builds no values', () => {
    let built = 0;
    assert(1 + 1 === 2, 'arithmetic', () => {
      built++;
      return {};
    });
    expect(built).toBe(0);
  });
  it('throws InvariantError naming the invariant and the values', () => {
    let err: unknown;
    try {
      assert(false, 'fill counts never shrink', { coid: 'c1', beforeCenti: 300, afterCenti: 200 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvariantError);
    const e = err as InvariantError;
    expect(e.message).toBe('invariant violated: fill counts never shrink (coid="c1", beforeCenti=300, afterCenti=200)');
    expect(e.invariant).toBe('fill counts never shrink');
    expect(e.values).toEqual({ coid: 'c1', beforeCenti: 300, afterCenti: 200 });
  });
  it('takes lazily built values', () => {
    expect(() => assert(0, 'x is set', () => ({ x: 0 }))).toThrow('invariant violated: x is set (x=0)');
  });
});
