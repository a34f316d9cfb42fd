/**
 * `--like` gives each command the recorded run's own latency: per recorded command, its
 * decision -> wire time (from the end of the last strategy drain before exec got the target to
 * the request write) plus half its own acknowledged round trip (the next ack with a latency of
 * its first order). Commands without a cause, a wire record or an ack give none; without the
 * drains file there are none. A backtest command the run wrote soon after (same first order,
 * written within [-MATCH_EARLY_MS, +MATCH_LATE_MS] of it) takes that one's timing instead: it
 * reaches the venue where the capture shows the venue's report of the run's order, and exec has
 * the answer when the run's exec had it.
 */
import { describe, expect, it } from 'vitest';
import { CommandLatencyMatcher, MATCH_EARLY_MS, MATCH_LATE_MS, orderKey, recordedCommandLatenciesMs, recordedCommands, recordedDecisionToWireMs, VENUE_REPORT_MAX_MS } from '../src/index.js';

const MS = 1e6;
const drains = [{ kind: 'book' as const, atNs: 900 * MS, drainNs: 1000 * MS }, { kind: 'tick' as const, atNs: 1999 * MS, drainNs: 2000 * MS }];
const order = (coid: string) => ({ clientOrderId: coid, market: 'KXT-26-A', kind: 1, side: 1, price: 4500, countCenti: 200 });
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
  it("each command's decision -> wire plus half its own round trip, in journal order (the draws)", () => {
    expect(recordedCommandLatenciesMs(journal, drains)).toEqual([1 + 0.75, 3 + 2]);
    expect(recordedDecisionToWireMs(journal, drains)).toBe(3);
  });
  it('none to draw without the drains file', () => {
    expect(recordedCommandLatenciesMs(journal, null)).toEqual([]);
    expect(recordedCommandLatenciesMs(journal, [])).toEqual([]);
  });
  it('every acknowledged command, caused or not, with its orders, wire time, the venue report of it and its answer, on the capture timeline (the matches)', () => {
    // the capture: its first line at 1000 ms; the venue's report of order o1 (created by command 1)
    // 0.9 ms after its wire time; one of o2 (cancelled by command 3) 80 ms after its wire time
    const report = (ms: number, orderId: string) => ({ recvNs: ms * MS, recvMs: 0, frame: { kind: 'user_order', sid: 2, tsMs: 0, market: 'KXT-26-A', body: { orderId } } });
    const lines = [{ recvNs: 1000 * MS, recvMs: 0, frame: { kind: 'delta', market: 'KXT-26-A', body: {} } }, report(1001.9, 'o1'), report(2580, 'o2')] as never[];
    // the create's answer names its order o1; the cancel names o2
    const acked = journal.map((r) => ((r as { k: string; kind?: number }).k === 'ack' && (r as { kind?: number }).kind === 1 ? { ...(r as object), oid: 'o1' } : r)) as never[];
    acked[7] = { ...(acked[7] as object), orders: [{ ...order('c2'), orderId: 'o2' }] } as never;
    expect(recordedCommands(acked, lines)).toEqual([
      // the venue took it at its report's line (1)
      { keys: [orderKey(order('c1'))], wireNs: 1 * MS, venueNs: 1.9 * MS, answeredNs: 2.5 * MS, venueLine: 1 },
      // no report of its order: half-way through its round trip
      { keys: [orderKey(order('c1'))], wireNs: 1003 * MS, venueNs: 1005 * MS, answeredNs: 1007 * MS, venueLine: -1 },
      // its order's report came too late to be its own (VENUE_REPORT_MAX_MS): half-way too
      { keys: [orderKey({ ...order('c2'), orderId: 'o2' })], wireNs: 1500 * MS, venueNs: 1500.45 * MS, answeredNs: 1500.9 * MS, venueLine: -1 },
    ]);
    expect(80).toBeGreaterThan(VENUE_REPORT_MAX_MS);
  });
});

describe('CommandLatencyMatcher', () => {
  const a = order('x');
  it('the same order (ids aside) has the same key; another price, side, size, kind or market another', () => {
    expect(orderKey(order('c1'))).toBe(orderKey({ ...order('c9'), orderId: 'venue-7' }));
    for (const d of [{ price: 4600 }, { side: 2 }, { countCenti: 100 }, { kind: 2 }, { market: 'KXT-26-B' }]) expect(orderKey({ ...order('c1'), ...d })).not.toBe(orderKey(a));
  });
  it("a command the run wrote soon after: it reaches the venue when the run's did and is answered when the run's was", () => {
    const m = new CommandLatencyMatcher([{ keys: [orderKey(a)], wireNs: 101 * MS, venueNs: 102.5 * MS, answeredNs: 104 * MS, venueLine: 7 }]);
    // sent at 100 ms: the run's left at 101, the venue took it at 102.5 (capture line 7), exec had the answer at 104
    expect(m.take(a, 100 * MS)).toEqual({ outMs: 2.5, backMs: 1.5, answeredAtNs: 104 * MS, venueLine: 7 });
    // each recorded order once
    expect(m.take(a, 100 * MS)).toBeNull();
    expect([m.matched, m.unmatched]).toEqual([1, 1]);
  });
  it('the earliest not taken in the window [-MATCH_EARLY_MS, +MATCH_LATE_MS]; any order of a recorded batch matches; nothing else', () => {
    const b = { ...a, price: 4600 };
    const at = (wireMs: number, venueMs: number, answeredMs: number) => ({ wireNs: wireMs * MS, venueNs: venueMs * MS, answeredNs: answeredMs * MS, venueLine: -1 });
    const m = new CommandLatencyMatcher([
      { keys: [orderKey(b), orderKey(a)], ...at(100, 101, 102) },
      { keys: [orderKey(a)], ...at(100.2, 100.25, 106) },
      { keys: [orderKey(a)], ...at(300, 301, 302) },
    ]);
    // the run wrote it 0.3 ms before (within MATCH_EARLY_MS): to the venue in what is left, back in the rest
    expect(m.take(a, 100.3 * MS)).toMatchObject({ outMs: 0.7, backMs: 1, answeredAtNs: 102 * MS });
    // its venue time is past: at once, answered when the run's was
    expect(m.take(a, 100.3 * MS)).toMatchObject({ outMs: 0, backMs: 5.7, answeredAtNs: 106 * MS });
    expect(m.take(a, 100.3 * MS)).toBeNull();
    expect(m.take(b, 100.3 * MS)).toMatchObject({ outMs: 0.7, backMs: 1 });
    // outside the window
    expect(m.take(a, (300 - MATCH_LATE_MS - 0.01) * MS)).toBeNull();
    expect(m.take(a, (300 + MATCH_EARLY_MS + 0.01) * MS)).toBeNull();
    expect(m.take(a, (300 - MATCH_LATE_MS + 0.01) * MS)).not.toBeNull();
    expect(m.take({ ...a, side: 2 }, 100 * MS)).toBeNull();
  });
});

describe('recorded commands refused by the venue', () => {
  it('an amend of an order a print had just filled (not found): answered when exec journaled the refusal, taken at the order\'s next report', () => {
    // capture: first line at 1000 ms (wall 1,790,000,000,000), the order's "executed" report 2 ms after the amend's wire time
    const report = (ms: number) => ({ recvNs: ms * MS, recvMs: 0, frame: { kind: 'user_order', sid: 2, tsMs: 0, market: 'KXT-26-A', body: { orderId: 'o9' } } });
    const lines = [{ recvNs: 1000 * MS, recvMs: 1_790_000_000_000, frame: { kind: 'delta', market: 'KXT-26-A', body: {}, tsMs: 1_790_000_000_000 } }, report(1012)] as never[];
    const amend = { ...order('c9'), kind: 2, orderId: 'o9' };
    const refused = [
      { k: 'cmd', id: 9, op: 'amend', orders: [amend], arrivalMonoNs: 1009 * MS },
      { k: 'wire', id: 9, wireMonoNs: 1010 * MS },
      { k: 'rej', kind: 2, coid: 'c9', oid: 'o9', code: 4, message: 'not_found', t: 1_790_000_000_015 },
    ] as never[];
    expect(recordedCommands(refused, lines)).toEqual([{ keys: [orderKey(amend)], wireNs: 10 * MS, venueNs: 12 * MS, answeredNs: 15 * MS, venueLine: 1 }]);
    // no round trip to draw from
    expect(recordedCommandLatenciesMs(refused, [{ kind: 'book', atNs: 1008 * MS, drainNs: 1009 * MS }])).toEqual([]);
  });
});
