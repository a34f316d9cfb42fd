/**
 * Periodic timers on the wall-clock grid: a timer of period P fires at the wall times that are
 * whole multiples of P (…, k·P, (k+1)·P, …), whenever the actor started. Both drivers use it —
 * worker threads (real time, re-armed after each firing, so a late firing never shifts the next)
 * and the LocalKernel (virtual time) — so a live run, its replay and its backtest see an actor's
 * timers at the same wall phases: a strategy started 173 ms earlier, or an event loop that fired
 * a tick late, no longer moves every later decision (found comparing a demo run with its
 * `kmm backtest --like`).
 */

/** Milliseconds from `wallMs` to the next whole multiple of `periodMs` (never 0: a full period when on it). */
export function msToNextGridPoint(wallMs: number, periodMs: number): number {
  const into = ((wallMs % periodMs) + periodMs) % periodMs;
  return periodMs - into;
}
