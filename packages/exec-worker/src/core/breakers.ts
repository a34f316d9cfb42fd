/**
 * Circuit breakers over order-call outcomes (004): a consecutive-failure breaker
 * (MM_CIRCUIT_BREAKER_MAX_FAILURES, MM_CIRCUIT_BREAKER_COOLDOWN_S) and a rolling failure-rate
 * breaker (MM_FAILURE_WINDOW_S, MM_FAILURE_RATE_TRIP, MM_MIN_ATTEMPTS_FOR_BREAKER).
 * While open, new orders are refused (cancels still go out); after the cooldown both reset.
 *
 * The rolling window is a fixed ring of WINDOW_MAX outcomes (overflow: the oldest outcome is
 * overwritten, which only shortens the effective window under extreme call rates).
 * Pure: time is passed in (ms).
 */

export const BREAKER_WINDOW_MAX = 4096;

export interface BreakerParams {
  breakerMaxFailures: number;
  breakerCooldownMs: number;
  failureWindowMs: number;
  failureRateTrip: number;
  minAttemptsForBreaker: number;
}

export type BreakerTrip = 'consecutive' | 'rate' | null;

export class Breakers {
  private consecutive = 0;
  private readonly tsMs = new Float64Array(BREAKER_WINDOW_MAX);
  private readonly failed = new Uint8Array(BREAKER_WINDOW_MAX);
  private head = 0; // next write slot
  private size = 0;
  openUntilMs = 0;
  lastTrip: BreakerTrip = null;
  trips = 0;

  constructor(private p: BreakerParams) {}

  setParams(p: BreakerParams): void {
    this.p = p;
  }

  isOpen(nowMs: number): boolean {
    if (this.openUntilMs === 0) return false;
    if (nowMs < this.openUntilMs) return true;
    // cooldown over: close and start afresh
    this.openUntilMs = 0;
    this.consecutive = 0;
    this.size = 0;
    return false;
  }

  /** Records one call outcome; returns the trip reason when this outcome opened the breaker. */
  record(ok: boolean, nowMs: number): BreakerTrip {
    this.tsMs[this.head] = nowMs;
    this.failed[this.head] = ok ? 0 : 1;
    this.head = (this.head + 1) % BREAKER_WINDOW_MAX;
    if (this.size < BREAKER_WINDOW_MAX) this.size++;
    this.consecutive = ok ? 0 : this.consecutive + 1;
    if (this.isOpen(nowMs)) return null;
    let trip: BreakerTrip = null;
    if (this.consecutive >= this.p.breakerMaxFailures) trip = 'consecutive';
    else {
      const { attempts, failures } = this.windowCounts(nowMs);
      if (attempts >= this.p.minAttemptsForBreaker && failures / attempts > this.p.failureRateTrip) trip = 'rate';
    }
    if (trip) {
      this.openUntilMs = nowMs + Math.max(1, this.p.breakerCooldownMs);
      this.lastTrip = trip;
      this.trips++;
    }
    return trip;
  }

  windowCounts(nowMs: number): { attempts: number; failures: number } {
    const from = nowMs - this.p.failureWindowMs;
    let attempts = 0;
    let failures = 0;
    for (let k = 0; k < this.size; k++) {
      const i = (this.head - 1 - k + BREAKER_WINDOW_MAX) % BREAKER_WINDOW_MAX;
      if (this.tsMs[i] < from) break;
      attempts++;
      failures += this.failed[i];
    }
    return { attempts, failures };
  }

  get consecutiveFailures(): number {
    return this.consecutive;
  }
}
