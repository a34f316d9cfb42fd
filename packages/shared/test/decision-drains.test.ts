import { describe, expect, it } from 'vitest';
import { DECISION_DRAINS_HEADER, formatDecisionDrain, parseDecisionDrains } from '../src/index.js';

describe('decision-drains file', () => {
  it('round trip: the recv_ns of each line, in order', () => {
    const text = DECISION_DRAINS_HEADER + formatDecisionDrain(10_792_399_602_260, 10_792_430_500_213) + formatDecisionDrain(10_792_453_754_948, 10_792_456_467_934);
    expect(parseDecisionDrains(text, 'x.csv')).toEqual([
      { recvNs: 10_792_399_602_260, drainNs: 10_792_430_500_213 },
      { recvNs: 10_792_453_754_948, drainNs: 10_792_456_467_934 },
    ]);
    expect(parseDecisionDrains(DECISION_DRAINS_HEADER, 'x.csv')).toEqual([]);
  });
  it('a torn last line (a run stopped hard) is skipped; a bad line elsewhere or a wrong header is an error naming file and line', () => {
    expect(parseDecisionDrains(DECISION_DRAINS_HEADER + '5,6\n7,', 'x.csv')).toEqual([{ recvNs: 5, drainNs: 6 }]);
    expect(() => parseDecisionDrains(DECISION_DRAINS_HEADER + '9,6\n1,2\n', 'x.csv')).toThrow(/line 2: a drain cannot end/);
    expect(() => parseDecisionDrains(DECISION_DRAINS_HEADER + '5,6\nnope\n8,9\n', 'run/x.csv')).toThrow(/run\/x\.csv: line 3 is not "recv_ns,drain_ns"/);
    expect(() => parseDecisionDrains('a,b\n5,6\n', 'run/x.csv')).toThrow(/run\/x\.csv: not a decision-drains file/);
    expect(() => parseDecisionDrains(DECISION_DRAINS_HEADER + '-5,6\n1,2\n', 'x.csv')).toThrow(/line 2/);
  });
});
