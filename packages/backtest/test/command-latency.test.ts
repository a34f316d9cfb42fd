/**
 * `--like` draws each command's latency from the recorded run's own: per recorded command, its
 * decision -> wire time (from the end of the last strategy drain before exec got the target to
 * the request write) plus half its own acknowledged round trip (the next ack with a latency of
 * its first order). Commands without a cause, a wire record or an ack give none; without the
 * drains file there are none.
 */
import { describe, expect, it } from 'vitest';
import { recordedCommandLatenciesMs, recordedDecisionToWireMs } from '../src/index.js';

const MS = 1e6;
const drains = [{ recvNs: 900 * MS, drainNs: 1000 * MS }, { recvNs: 1900 * MS, drainNs: 2000 * MS }];
const order = (coid: string) => ({ clientOrderId: coid, market: 'KXT-26-A' });
const journal = [
  // decided at 1000 ms, exec got it at 1000.2, wrote it at 1001: 1 ms decision -> wire; acked after 1.5 ms
  { k: 'cmd', id: 1, op: 'create', orders: [order('c1')], arrivalMonoNs: 1000.2 * MS },
  { k: 'wire', id: 1, wireMonoNs: 1001 * MS },
  { k: 'ack', kind: 1, coid: 'c1', latencyUs: 1500 },
  // an amend of the same order decided at 2000, written 3 ms later, acked after 4 ms
  { k: 'cmd', id: 2, op: 'amend', orders: [order('c1')], arrivalMonoNs: 2001 * MS },
  { k: 'wire', id: 2, wireMonoNs: 2003 * MS },
  { k: 'ack', kind: 0, coid: 'c1', latencyUs: 0 },
  { k: 'ack', kind: 2, coid: 'c1', latencyUs: 4000 },
  // a command with no cause (a timer's): none
  { k: 'cmd', id: 3, op: 'cancel', orders: [order('c2')], arrivalMonoNs: 0 },
  { k: 'wire', id: 3, wireMonoNs: 2500 * MS },
  { k: 'ack', kind: 4, coid: 'c2', latencyUs: 900 },
] as never[];

describe('recorded command latencies', () => {
  it("each command's decision -> wire plus half its own round trip, in journal order", () => {
    expect(recordedCommandLatenciesMs(journal, drains)).toEqual([1 + 0.75, 3 + 2]);
    expect(recordedDecisionToWireMs(journal, drains)).toBe(3);
  });
  it('none without the drains file', () => {
    expect(recordedCommandLatenciesMs(journal, null)).toEqual([]);
    expect(recordedCommandLatenciesMs(journal, [])).toEqual([]);
  });
});
