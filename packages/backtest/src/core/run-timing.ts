/**
 * The recorded run's timing as `kmm backtest --like` replays it: which of the backtest's own
 * events (its fills, the book's reports of its orders) are the run's, and when the run had them.
 *
 * A backtest that decides what the run decided sends the same orders and gets the same fills, but
 * its cores take no time and its venue answers at once; live, each of these reached the strategy
 * or the book some ms later, and the market moved meanwhile. Where the run's record dates the same
 * event, the backtest delivers its own then:
 *   - a fill: when the live strategy's drain that handled the same fill ended (strategy-drains.csv
 *     `fill` events with the capture's fill frames): RecordedFills;
 *   - a change to one of our orders in the book: with the capture line where the run's feed
 *     reported the same change (the venue's own websocket delta): ReportLines.
 * (Ticks and decision drains: engine decisionTicks / decisionDrains; command latencies:
 * command-latency.ts.)
 */
import type { kmm } from '@kmm/shared';

/** A backtest fill is a recorded one when their frames' times are at most this far apart (ms). */
export const FILL_MATCH_MS = 20;
/** A report of our order's change may be matched to a capture line received this long before the venue's change (ms) ... */
export const OWN_REPORT_EARLY_MS = 1;
/** ... or this long after it (ms; live: the venue's websocket delta follows its REST answer by 0.3-2 ms). */
export const OWN_REPORT_LATE_MS = 20;

/** One recorded strategy tick: when it fired and when the drain that handled it ended (capture timeline, ns); `afterEarlier`: that drain handled something (book features, a fill) before it. */
export interface DecisionTick {
  firedNs: number;
  drainNs: number;
  afterEarlier: boolean;
}

/** A recorded fill of one of ours and the drain that handled it; times on the capture's timeline (ns); `afterEarlier` as DecisionTick's. */
export interface DecisionFill {
  market: string;
  side: number;
  yesPrice: number;
  countCenti: number;
  recvNs: number;
  drainNs: number;
  afterEarlier: boolean;
}

/** The run's fills as its strategy got them; each taken by at most one backtest fill. */
export class RecordedFills {
  private readonly taken: boolean[];
  matched = 0;
  unmatched = 0;

  constructor(private readonly fills: readonly DecisionFill[]) {
    this.taken = fills.map(() => false);
  }

  /** The recorded fill a backtest fill at `nowNs` is (same market, side, price and size, the nearest within FILL_MATCH_MS not taken), or null (counted). */
  take(f: kmm.v1.IFill, nowNs: number): DecisionFill | null {
    let best = -1;
    for (let i = 0; i < this.fills.length; i++) {
      const r = this.fills[i];
      if (this.taken[i] || r.market !== f.market || r.side !== f.side || r.yesPrice !== f.yesPrice || r.countCenti !== Number(f.countCenti ?? 0)) continue;
      if (Math.abs(r.recvNs - nowNs) > FILL_MATCH_MS * 1e6) continue;
      if (best < 0 || Math.abs(r.recvNs - nowNs) < Math.abs(this.fills[best].recvNs - nowNs)) best = i;
    }
    if (best < 0) {
      this.unmatched++;
      return null;
    }
    this.taken[best] = true;
    this.matched++;
    return this.fills[best];
  }
}

/** The capture's book deltas by what they change (others-book deltaKey), for the line that reported a change of the run's order. */
export class ReportLines {
  private readonly byKey = new Map<string, number[]>();
  private readonly taken = new Set<number>();
  matched = 0;

  /** `keys`: each capture line's deltaKey (null: not a book delta); `tNs`: its time on the capture's timeline */
  constructor(private readonly captured: { keys: readonly (string | null)[]; tNs: Float64Array } | undefined) {
    captured?.keys.forEach((key, i) => {
      if (key === null) return;
      const at = this.byKey.get(key);
      if (at) at.push(i);
      else this.byKey.set(key, [i]);
    });
  }

  /** The first line not taken yet with this key, received from OWN_REPORT_EARLY_MS before to OWN_REPORT_LATE_MS after `nowNs`; -1 when none. */
  take(key: string, nowNs: number): number {
    const lines = this.byKey.get(key);
    const times = this.captured?.tNs;
    if (!lines || !times) return -1;
    // the first line at or after the window's start (the lines are in time order)
    let lo = 0;
    let hi = lines.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (times[lines[mid]] < nowNs - OWN_REPORT_EARLY_MS * 1e6) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < lines.length; i++) {
      const j = lines[i];
      if (this.taken.has(j)) continue;
      if (times[j] > nowNs + OWN_REPORT_LATE_MS * 1e6) break;
      this.taken.add(j);
      this.matched++;
      return j;
    }
    return -1;
  }
}
