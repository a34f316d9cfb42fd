/**
 * Order group usage: the contracts our order group has matched over Kalshi's rolling 15 s window,
 * counted from our own fills, and the early warning before the exchange kill switch trips.
 *
 * Inputs: each newly booked fill of an order in the group (count in centi, exec's clock in ms).
 * Output: true from `onFill` when the window's total first reaches ORDER_GROUP_ALERT_FRACTION of
 * the limit; then not again until a full window has passed (one `order_group_near_limit` event
 * per window). Invariant: `matchedCenti` is the sum of the fills of the last 15 s.
 */
import { ORDER_GROUP_ALERT_FRACTION, ORDER_GROUP_WINDOW_MS } from '@kmm/shared';

export class OrderGroupWindow {
  private readonly atMs: number[] = [];
  private readonly centi: number[] = [];
  private head = 0;
  private sumCenti = 0;
  private quietUntilMs = -Infinity;

  /** @param limitContracts the group's contracts limit; 0 = no group (never alerts) */
  constructor(private limitContracts: number) {}

  setLimit(limitContracts: number): void {
    this.limitContracts = limitContracts;
  }

  /** Contracts (centi) matched in the window ending at nowMs. */
  matchedCenti(nowMs: number): number {
    this.expire(nowMs);
    return this.sumCenti;
  }

  /** Book a fill; true when this fill takes the window to the alert threshold (once per window). */
  onFill(countCenti: number, nowMs: number): boolean {
    if (this.limitContracts <= 0 || countCenti <= 0) return false;
    this.expire(nowMs);
    this.atMs.push(nowMs);
    this.centi.push(countCenti);
    this.sumCenti += countCenti;
    if (nowMs < this.quietUntilMs) return false;
    if (this.sumCenti < ORDER_GROUP_ALERT_FRACTION * this.limitContracts * 100) return false;
    this.quietUntilMs = nowMs + ORDER_GROUP_WINDOW_MS;
    return true;
  }

  private expire(nowMs: number): void {
    const from = nowMs - ORDER_GROUP_WINDOW_MS;
    while (this.head < this.atMs.length && this.atMs[this.head] <= from) {
      this.sumCenti -= this.centi[this.head];
      this.head++;
    }
    // compact now and then so the arrays do not grow without bound
    if (this.head > 1024 && this.head * 2 > this.atMs.length) {
      this.atMs.splice(0, this.head);
      this.centi.splice(0, this.head);
      this.head = 0;
    }
  }
}
