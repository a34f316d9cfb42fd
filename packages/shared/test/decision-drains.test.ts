import { describe, expect, it } from 'vitest';
import { DECISION_DRAINS_HEADER, formatDecisionDrain, parseDecisionDrains } from '../src/index.js';

describe('decision-drains file', () => {
  it('round trip: each event of each line, in order', () => {
    const text = DECISION_DRAINS_HEADER + formatDecisionDrain('book', 10_792_399_602_260, 10_792_430_500_213) + formatDecisionDrain('tick', 10_792_450_001_000, 10_792_456_467_934) + formatDecisionDrain('book', 10_792_453_754_948, 10_792_456_467_934) + formatDecisionDrain('fill', 10_792_460_000_000, 10_792_462_000_000);
    expect(parseDecisionDrains(text, 'x.csv')).toEqual([
      { kind: 'book', atNs: 10_792_399_602_260, drainNs: 10_792_430_500_213 },
      { kind: 'tick', atNs: 10_792_450_001_000, drainNs: 10_792_456_467_934 },
      { kind: 'book', atNs: 10_792_453_754_948, drainNs: 10_792_456_467_934 },
      { kind: 'fill', atNs: 10_792_460_000_000, drainNs: 10_792_462_000_000 },
    ]);
    expect(parseDecisionDrains(DECISION_DRAINS_HEADER, 'x.csv')).toEqual([]);
  });
  it('reads the first version (book drains only)', () => {
    expect(parseDecisionDrains('recv_ns,drain_ns\n5,6\n7,9\n', 'x.csv')).toEqual([
      { kind: 'book', atNs: 5, drainNs: 6 },
      { kind: 'book', atNs: 7, drainNs: 9 },
    ]);
    expect(() => parseDecisionDrains('recv_ns,drain_ns\ntick,5,6\n7,9\n', 'run/x.csv')).toThrow(/run\/x\.csv: line 2 is not "recv_ns,drain_ns"/);
  });
  it('a torn last line (a run stopped hard) is skipped; a bad line elsewhere or a wrong header is an error naming file and line', () => {
    expect(parseDecisionDrains(DECISION_DRAINS_HEADER + 'book,5,6\nbook,7,', 'x.csv')).toEqual([{ kind: 'book', atNs: 5, drainNs: 6 }]);
    expect(() => parseDecisionDrains(DECISION_DRAINS_HEADER + 'book,9,6\nbook,1,2\n', 'x.csv')).toThrow(/line 2: a drain cannot end .* before the frame it decided on was received/);
    expect(() => parseDecisionDrains(DECISION_DRAINS_HEADER + 'tick,9,6\nbook,1,2\n', 'x.csv')).toThrow(/line 2: a drain cannot end .* before the tick it handled fired/);
    expect(() => parseDecisionDrains(DECISION_DRAINS_HEADER + 'fill,9,6\nbook,1,2\n', 'x.csv')).toThrow(/line 2: a drain cannot end .* before the fill it handled was received/);
    expect(() => parseDecisionDrains(DECISION_DRAINS_HEADER + 'book,5,6\nnope\nbook,8,9\n', 'run/x.csv')).toThrow(/run\/x\.csv: line 3 is not "book\|tick\|fill,at_ns,drain_ns"/);
    expect(() => parseDecisionDrains(DECISION_DRAINS_HEADER + 'timer,5,6\nbook,8,9\n', 'run/x.csv')).toThrow(/line 2 is not/);
    expect(() => parseDecisionDrains('a,b\n5,6\n', 'run/x.csv')).toThrow(/run\/x\.csv: not a decision-drains file/);
    expect(() => parseDecisionDrains(DECISION_DRAINS_HEADER + 'book,-5,6\nbook,1,2\n', 'x.csv')).toThrow(/line 2/);
  });
});
