/**
 * Each command's order-entry latency in `kmm backtest --like`: the recorded run's own command
 * when the backtest sends the same one at the same time, else one of the run's latencies drawn
 * at random.
 *
 * Live, a command reaches the venue after its decision -> wire time (the strategy -> exec hop,
 * exec's work) and some part of its round trip, and its answer reaches exec at the end of that
 * round trip; both vary command to command (p90 about 2x the median), and where in the venue's
 * queue an order lands, and when exec hears back (and sends what follows: the create after a
 * cancel, a retry), turns on them by the millisecond. Where the venue took the run's order is in
 * the capture: the venue's own report of it (`user_order`, after its book delta) comes in the
 * same feed as the public book, so every public change before that report line was the venue's
 * before our order, and every one after it came after (the backtest applies the command there,
 * between two lines of one socket read if need be). A backtest that decides what the run decided, when it decided it (the
 * recorded decision drains, ticks and fills), sends the same command a little before the run
 * wrote it (its cores take no time): it reaches the venue where the run's did (at that report's
 * line) and exec hears back when the run's exec did. That holds for the commands exec sends on
 * its own too (a create after a cancel's answer, a refresh of an old order on exec's tick),
 * which no strategy decision dates. A command the run did not send (the backtest decided
 * differently), or not near that time, draws one of the run's latencies.
 *
 * A command is the run's when its first order is one of the run's command's orders (kind, market,
 * side, price, size: order ids differ between a run and its backtest; the two execs may batch a
 * burst of orders differently) and the run wrote it at most MATCH_EARLY_MS before and
 * MATCH_LATE_MS after the backtest sends it; the earliest such order not taken yet is taken.
 */
import type { kmm } from '@kmm/shared';
import type { CallLatency } from './venue-gateway.js';

/** The run may have written a matching command this long before the backtest sends it (ms): its cores were faster than the backtest's, which take no time, only by chance. */
export const MATCH_EARLY_MS = 0.5;
/** ... and this long after (ms): the run's decision -> wire time (median about 1 ms, p90 2 ms on 60 s demos). */
export const MATCH_LATE_MS = 5;

/** What identifies an order of a command across a run and its backtest: its kind, market, side, price and size. */
export function orderKey(o: kmm.v1.IOrderCommand): string {
  return `${o.kind ?? 0}:${o.market ?? ''}:${o.side ?? 0}:${o.price ?? 0}:${o.countCenti ?? 0}`;
}

/**
 * One acknowledged command of the recorded run, on the capture's timeline (ns): its orders' keys,
 * when it was written, when the venue took it (the capture line of the venue's report of it;
 * without one, half-way through the round trip) and when exec had the answer.
 */
export interface RecordedCommand {
  keys: string[];
  wireNs: number;
  venueNs: number;
  answeredNs: number;
  /** the capture line (index) of the venue's report; -1 without one */
  venueLine: number;
}

export class CommandLatencyMatcher {
  /** per order key, the recorded commands with such an order, by wire time, and whether that order is taken */
  private readonly byKey = new Map<string, { at: RecordedCommand[]; taken: boolean[] }>();
  matched = 0;
  unmatched = 0;

  constructor(recorded: readonly RecordedCommand[]) {
    for (const r of recorded) {
      for (const key of r.keys) {
        let k = this.byKey.get(key);
        if (!k) this.byKey.set(key, (k = { at: [], taken: [] }));
        k.at.push(r);
        k.taken.push(false);
      }
    }
    for (const k of this.byKey.values()) k.at.sort((a, b) => a.wireNs - b.wireNs);
  }

  /**
   * The latency of a command whose first order is `first`, sent at `nowNs`, when the run wrote
   * that order near then: to the venue, the time until the run's command reached it; back, until
   * the run's exec had its answer. null when none (counted).
   */
  take(first: kmm.v1.IOrderCommand, nowNs: number): CallLatency | null {
    const k = this.byKey.get(orderKey(first));
    if (k) {
      const from = nowNs - MATCH_EARLY_MS * 1e6;
      // the first written at or after `from`
      let lo = 0;
      let hi = k.at.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (k.at[mid].wireNs < from) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < k.at.length && k.at[i].wireNs <= nowNs + MATCH_LATE_MS * 1e6; i++) {
        if (k.taken[i]) continue;
        k.taken[i] = true;
        this.matched++;
        const r = k.at[i];
        const outNs = Math.max(0, r.venueNs - nowNs);
        // with a report line the venue takes it there, among the frames of its socket read as the run's venue did
        return { outMs: outNs / 1e6, backMs: Math.max(0, r.answeredNs - nowNs - outNs) / 1e6, answeredAtNs: r.answeredNs, ...(r.venueLine >= 0 ? { venueLine: r.venueLine } : {}) };
      }
    }
    this.unmatched++;
    return null;
  }
}
