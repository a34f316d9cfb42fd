/**
 * ManualScheduler: a minimal virtual-time Scheduler over a SimClock, for tests and small
 * drivers of MemoryExchange (the DST kernel implements Scheduler itself).
 *
 * Events are ordered by (time, insertion order); running one moves the clock to its time.
 * `runUntil` runs synchronous work only; `runUntilAsync` also lets promise continuations
 * (e.g. RestClient awaiting a transport) finish after each event, through the caller's
 * `settle` (a function that resolves once pending microtasks have run), so async clients stay
 * in virtual time and in a deterministic order.
 */
import type { SimClock } from '@kmm/shared';
import type { Scheduler } from '../server/timers.js';

interface Ev {
  tNs: number;
  seq: number;
  fn: () => void;
}

export class ManualScheduler implements Scheduler {
  private readonly heap: Ev[] = [];
  private seq = 0;
  /** events run so far */
  ran = 0;

  constructor(readonly clock: SimClock) {}

  at(tMonoNs: number, fn: () => void): void {
    if (!Number.isFinite(tMonoNs)) throw new Error(`scheduler: event time must be finite (got ${tMonoNs})`);
    // never in the past: an event for "now or earlier" runs after the current one
    const tNs = Math.max(tMonoNs, this.clock.monoNs());
    this.push({ tNs, seq: this.seq++, fn });
  }

  /** ms from now (a convenience for drivers). */
  after(delayMs: number, fn: () => void): void {
    this.at(this.clock.monoNs() + Math.round(delayMs * 1e6), fn);
  }

  get pending(): number {
    return this.heap.length;
  }
  /** time of the next event, or null */
  nextAt(): number | null {
    return this.heap.length > 0 ? this.heap[0].tNs : null;
  }

  /** Runs every event due at or before tMonoNs, then leaves the clock at tMonoNs. */
  runUntil(tMonoNs: number): void {
    for (;;) {
      const e = this.popDue(tMonoNs);
      if (!e) break;
      e.fn();
    }
    this.moveTo(tMonoNs);
  }

  /** As runUntil, awaiting `settle()` after each event so promise continuations run in order. */
  async runUntilAsync(tMonoNs: number, settle: () => Promise<void>): Promise<void> {
    await settle();
    for (;;) {
      const e = this.popDue(tMonoNs);
      if (!e) break;
      e.fn();
      await settle();
    }
    this.moveTo(tMonoNs);
  }

  private moveTo(tNs: number): void {
    const now = this.clock.monoNs();
    if (tNs > now) this.clock.advanceNs(tNs - now);
  }

  private popDue(limitNs: number): Ev | null {
    if (this.heap.length === 0 || this.heap[0].tNs > limitNs) return null;
    const top = this.heap[0];
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    this.moveTo(top.tNs);
    this.ran++;
    return top;
  }

  private less(a: Ev, b: Ev): boolean {
    return a.tNs < b.tNs || (a.tNs === b.tNs && a.seq < b.seq);
  }
  private push(e: Ev): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l], h[m])) m = l;
      if (r < h.length && this.less(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}
