/**
 * Per-subscription sequence check. Kalshi numbers every orderbook frame (and the `ok` /
 * `unsubscribed` acks) of one `sid` 1, 2, 3, ... across all markets of that subscription
 * (kalshi-api.md 3.7), so one counter per sid is enough.
 *
 * Verdicts: ok (seq == expected), gap (seq > expected: frames were lost), duplicate
 * (seq == last seen), out_of_order (seq older than the last seen). After a gap the counter
 * follows the stream (expected = seq + 1) so one loss is reported once; duplicates and old
 * frames do not move it. The caller decides which books to distrust.
 */

export type SeqVerdict = 'ok' | 'gap' | 'duplicate' | 'out_of_order';

/** Limit on tracked subscriptions; we open a handful (one per channel), so more is a bug. */
export const SEQ_TRACKER_SIDS_MAX = 256;

export class SeqTracker {
  /** sid -> next expected seq */
  private readonly expected = new Map<number, number>();
  /** frames missing in the last gap (for logs) */
  lastGapFrames = 0;

  /** Starts tracking a sid whose first frame is seq 1 (a fresh subscription). */
  open(sid: number): void {
    if (!this.expected.has(sid) && this.expected.size >= SEQ_TRACKER_SIDS_MAX) {
      throw new Error(`SeqTracker: more than ${SEQ_TRACKER_SIDS_MAX} subscriptions tracked`);
    }
    this.expected.set(sid, 1);
  }
  close(sid: number): void {
    this.expected.delete(sid);
  }
  isOpen(sid: number): boolean {
    return this.expected.has(sid);
  }
  /** Next expected seq for a sid (1 when unknown). */
  next(sid: number): number {
    return this.expected.get(sid) ?? 1;
  }
  clear(): void {
    this.expected.clear();
  }

  check(sid: number, seq: number): SeqVerdict {
    let exp = this.expected.get(sid);
    if (exp === undefined) {
      this.open(sid);
      exp = 1;
    }
    if (seq === exp) {
      this.expected.set(sid, exp + 1);
      return 'ok';
    }
    if (seq > exp) {
      this.lastGapFrames = seq - exp;
      this.expected.set(sid, seq + 1);
      return 'gap';
    }
    return seq === exp - 1 ? 'duplicate' : 'out_of_order';
  }
}
