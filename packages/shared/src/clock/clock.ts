/**
 * Injected time. Cores never read clocks: shells pass `now` in, or deliver Timer messages.
 * LiveClock reads the process clocks; SimClock only moves when told (tests, backtests).
 */
export interface Clock {
  /** Monotonic nanoseconds (comparable across the process's worker threads). */
  monoNs(): number;
  /** Wall clock, ms since the Unix epoch. */
  wallMs(): number;
}

export class LiveClock implements Clock {
  monoNs(): number {
    return Number(process.hrtime.bigint());
  }
  wallMs(): number {
    return Date.now();
  }
}

export class SimClock implements Clock {
  private monoNsNow: number;
  private wallMsAtZero: number;
  constructor(startWallMs = 1_767_225_600_000 /* 2026-01-01T00:00:00Z */, startMonoNs = 0) {
    this.wallMsAtZero = startWallMs - startMonoNs / 1e6;
    this.monoNsNow = startMonoNs;
  }
  monoNs(): number {
    return this.monoNsNow;
  }
  wallMs(): number {
    return Math.floor(this.wallMsAtZero + this.monoNsNow / 1e6);
  }
  /** Moves time forward; never backwards. */
  advanceNs(deltaNs: number): void {
    if (!(deltaNs >= 0)) throw new Error(`SimClock cannot move backwards (${deltaNs} ns)`);
    this.monoNsNow += deltaNs;
  }
  advanceMs(deltaMs: number): void {
    this.advanceNs(deltaMs * 1e6);
  }
  /** Jumps to a later wall time (replay of a capture). */
  setWallMs(wallMs: number): void {
    const target = (wallMs - this.wallMsAtZero) * 1e6;
    if (target > this.monoNsNow) this.monoNsNow = target;
  }
}

export const NS_PER_MS = 1_000_000;
export const NS_PER_S = 1_000_000_000;
