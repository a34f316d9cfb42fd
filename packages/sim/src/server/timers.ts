/**
 * Deferred work in the simulator goes through one small seam, so the same REST and websocket
 * code runs on real timers (the socket server, `startSim`) or in virtual time (MemoryExchange
 * driven by a single-thread kernel).
 *
 * - `Scheduler`: what a kernel implements: run `fn` at monotonic time `tMonoNs` (never earlier
 *   than now); events at equal times run in the order they were scheduled.
 * - `After`: what the sim's components take: run `fn` after `delayMs` (0 = later in this turn,
 *   after the current work, never re-entrantly).
 */
import type { Clock } from '@kmm/shared';

export interface Scheduler {
  at(tMonoNs: number, fn: () => void): void;
}

export type After = (delayMs: number, fn: () => void) => void;

/** `After` on a scheduler and the clock it runs on (virtual time). */
export function afterOn(scheduler: Scheduler, clock: Clock): After {
  return (delayMs, fn) => scheduler.at(clock.monoNs() + Math.max(0, Math.round(delayMs * 1e6)), fn);
}

/** `After` on Node's timers (the socket server): setImmediate for 0, setTimeout otherwise. */
export const realAfter: After = (delayMs, fn) => {
  if (delayMs <= 0) setImmediate(fn);
  else setTimeout(fn, delayMs);
};
