/**
 * Reconnect delays: exponential with "equal jitter" (half fixed, half random) so many clients
 * do not reconnect in lock-step, capped at maxMs, and bounded in attempts. Randomness comes
 * from the injected Rng, so a seeded run reconnects at the same delays every time.
 */
import type { Rng } from '@kmm/shared';

export class ReconnectBackoff {
  /** failed attempts since the last success */
  attempt = 0;
  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    readonly maxAttempts: number,
    private readonly rng: Rng,
  ) {}

  /** Delay before the next attempt, or null once maxAttempts have failed. */
  nextDelayMs(): number | null {
    if (this.attempt >= this.maxAttempts) return null;
    // 2^attempt overflows past ~1000; the cap applies long before that.
    const exp = this.attempt < 30 ? this.baseMs * 2 ** this.attempt : this.maxMs;
    const capMs = Math.min(this.maxMs, exp);
    this.attempt++;
    return Math.round(capMs / 2 + this.rng.next() * (capMs / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}
