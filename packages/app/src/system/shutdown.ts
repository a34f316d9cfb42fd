/**
 * One shutdown path for `kmm run` and `kmm demo` (issue 14): every way of stopping - Ctrl-C
 * (SIGINT), SIGTERM, SIGHUP (closed terminal, SSH drop), the end of --duration, an actor that
 * gave up, an uncaught error in this process - only *requests* the shutdown; the command then
 * runs the one graceful stop (cancel all, verify with the exchange, last fills, summary, report).
 *
 * Signals after the first are reported ("shutdown in progress, N orders resting; press Ctrl-C 2
 * more times within 2 s to force exit") and otherwise ignored. FORCE_AFTER later signals within
 * FORCE_WINDOW_MS force an exit, but only after printing what is left resting (as far as we know).
 *
 * `SignalPolicy` is the pure decision (time passed in); `ShutdownController` wires it to the
 * process. Inputs: signals, request(reason). Output: `requested` (resolves once, with the first
 * reason), messages through `print`, and a forced exit through `exit`.
 */

export const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** Later signals (after the one that started the shutdown) within the window that force an exit. */
export const FORCE_AFTER = 3;
export const FORCE_WINDOW_MS = 2000;
/** Exit code of a forced exit (128 + SIGINT, as a shell reports Ctrl-C). */
export const FORCED_EXIT_CODE = 130;

export type SignalAction = { action: 'start' } | { action: 'report'; pressesLeft: number } | { action: 'force' };

/** What a stop signal means now: the first starts the shutdown, later ones count towards a forced exit. */
export class SignalPolicy {
  private started = false;
  private later: number[] = [];
  constructor(
    private readonly forceAfter = FORCE_AFTER,
    private readonly windowMs = FORCE_WINDOW_MS,
  ) {}

  /** The shutdown was started by something other than a signal (duration, error). */
  markStarted(): void {
    this.started = true;
  }

  onSignal(nowMs: number): SignalAction {
    if (!this.started) {
      this.started = true;
      return { action: 'start' };
    }
    this.later = this.later.filter((t) => nowMs - t < this.windowMs);
    this.later.push(nowMs);
    if (this.later.length >= this.forceAfter) return { action: 'force' };
    return { action: 'report', pressesLeft: this.forceAfter - this.later.length };
  }
}

/** Where signals and uncaught errors come from: the process, or an EventEmitter. */
export interface SignalSource {
  on(event: string, fn: (...args: any[]) => void): unknown;
  off(event: string, fn: (...args: any[]) => void): unknown;
}

export interface ShutdownControllerOptions {
  print: (line: string) => void;
  /** our orders resting now as far as this process knows (null: unknown) */
  restingNow: () => number | null;
  /** lines naming what is left resting, printed before a forced exit */
  describeLeft: () => string[];
  /** ends the process (process.exit) */
  exit: (code: number) => void;
  nowMs?: () => number;
  /** the process to listen on (the simulation and tests pass an EventEmitter) */
  proc?: SignalSource;
  /** kmm_order_expiry_s, named in the forced exit's message: what is left expires by itself */
  orderExpiryS?: number;
}

export class ShutdownController {
  readonly policy = new SignalPolicy();
  /** resolves with the first reason a shutdown was requested */
  readonly requested: Promise<string>;
  /** the first reason (null: not requested yet) */
  reason: string | null = null;
  /** the shutdown was requested by an error (the command then exits non-zero) */
  failed = false;
  private resolveRequested!: (reason: string) => void;
  private readonly handlers = new Map<string, (...args: unknown[]) => void>();
  private readonly proc: SignalSource;
  private readonly nowMs: () => number;

  constructor(private readonly o: ShutdownControllerOptions) {
    this.requested = new Promise((resolve) => {
      this.resolveRequested = resolve;
    });
    this.proc = o.proc ?? (process as unknown as SignalSource);
    this.nowMs = o.nowMs ?? Date.now;
  }

  /** Listens for SIGINT, SIGTERM, SIGHUP and uncaught errors until uninstall(). */
  install(): void {
    for (const sig of SHUTDOWN_SIGNALS) this.listen(sig, () => this.onSignal(sig));
    // after SIGHUP the terminal is gone: a write to it must not crash the shutdown
    this.listen('uncaughtException', (err) => this.onError(err));
    this.listen('unhandledRejection', (err) => this.onError(err));
  }

  uninstall(): void {
    for (const [ev, fn] of this.handlers) this.proc.off(ev, fn);
    this.handlers.clear();
  }

  /** Requests the shutdown (the first request wins; later ones are ignored). */
  request(reason: string, failed = false): void {
    if (this.reason !== null) return;
    this.policy.markStarted();
    this.reason = reason;
    this.failed = failed;
    this.resolveRequested(reason);
  }

  onSignal(sig: string): void {
    const a = this.policy.onSignal(this.nowMs());
    if (a.action === 'start') {
      this.safePrint(`${sig}: stopping: cancel all, verify with the exchange, read the last fills (${sig} again only reports progress)`);
      this.request(sig);
      return;
    }
    const resting = this.o.restingNow();
    const restingText = resting === null ? 'orders resting unknown' : `${resting} orders resting`;
    if (a.action === 'report') {
      this.safePrint(`${sig}: shutdown in progress, ${restingText}; press Ctrl-C ${a.pressesLeft} more time${a.pressesLeft === 1 ? '' : 's'} within ${FORCE_WINDOW_MS / 1000} s to force exit`);
      return;
    }
    this.safePrint(`${sig}: forced exit during shutdown; ${restingText}. Left as far as KMM knows:`);
    for (const l of this.o.describeLeft()) this.safePrint(`  ${l}`);
    this.safePrint('check the exchange and cancel these by hand (the next `kmm run` on this run folder also reconciles them)');
    if (this.o.orderExpiryS) this.safePrint(`unless cancelled, each expires on the exchange by itself within kmm_order_expiry_s (${this.o.orderExpiryS} s) of its placement`);
    this.o.exit(FORCED_EXIT_CODE);
  }

  private onError(err: unknown): void {
    const msg = err instanceof Error ? err.message : String(err);
    // EPIO/EPIPE on a terminal that went away: nothing to report to, keep shutting down
    const code = (err as { code?: string } | null)?.code;
    if (code === 'EIO' || code === 'EPIPE') {
      this.request('terminal closed', false);
      return;
    }
    this.safePrint(`error: ${msg}; stopping through the graceful shutdown`);
    this.request(`error: ${msg}`, true);
  }

  private listen(ev: string, fn: (...args: unknown[]) => void): void {
    this.handlers.set(ev, fn);
    this.proc.on(ev, fn);
  }

  private safePrint(line: string): void {
    try {
      this.o.print(line);
    } catch {
      /* the terminal is gone (SIGHUP): keep going */
    }
  }
}

/** Lines describing exec's shutdown report (null: exec never reported). */
export function describeShutdown(rep: ShutdownReportView | null): { ok: boolean; lines: string[] } {
  if (!rep) {
    return { ok: false, lines: ['error: shutdown NOT verified: exec did not report its shutdown (it was stopped by force or crashed); check the exchange for resting orders'] };
  }
  if (rep.verified) {
    return { ok: true, lines: [`shutdown verified: nothing of ours rests on the exchange (cancel all: ${rep.cancelAll}; ${rep.rounds} round(s), ${(rep.elapsedMs / 1000).toFixed(1)} s; ${rep.fillsAtShutdown} fill(s) first learnt during shutdown, journaled)`] };
  }
  const lines = [`error: shutdown NOT verified within kmm_shutdown_timeout_s: ${rep.error ?? 'unknown reason'}`];
  if (rep.restingLeft < 0) {
    lines.push(`  the exchange never answered what rests: check it and cancel our orders by hand; KMM last knew of ${rep.resting.length} order(s):`);
    for (const o of rep.resting) lines.push(`    ${o.market} ${o.side} ${o.price} x ${(o.remainingCenti / 100).toFixed(2)} order ${o.orderId} (${o.clientOrderId})`);
  }
  else if (rep.restingLeft > 0) {
    lines.push(`  ${rep.restingLeft} order(s) of ours still rest at the last read:`);
    for (const o of rep.resting) lines.push(`    ${o.market} ${o.side} ${o.price} x ${(o.remainingCenti / 100).toFixed(2)} order ${o.orderId} (${o.clientOrderId})`);
    if (rep.resting.length < rep.restingLeft) lines.push(`    ... and ${rep.restingLeft - rep.resting.length} more`);
  }
  if (rep.restingLeft !== 0 && rep.orderExpiryS) lines.push(`  unless cancelled, each expires on the exchange by itself within kmm_order_expiry_s (${rep.orderExpiryS} s) of its placement`);
  if (!rep.fillsRead) lines.push('  the last fills could not be read: fills made during shutdown may be missing from the journal (the next run back-fills them)');
  return { ok: false, lines };
}

/** The fields of exec's ShutdownReport this module reads. */
export interface ShutdownReportView {
  verified: boolean;
  rounds: number;
  restingLeft: number;
  resting: Array<{ market: string; side: string; price: number; remainingCenti: number; orderId: string; clientOrderId: string }>;
  fillsRead: boolean;
  fillsAtShutdown: number;
  cancelAll: string;
  elapsedMs: number;
  error?: string;
  /** kmm_order_expiry_s (absent from reports of older builds) */
  orderExpiryS?: number;
}

/** Lines naming our working orders (for a forced exit). */
export function describeWorking(orders: ReadonlyArray<{ market: string; side: string; price: string; size: string }>): string[] {
  if (orders.length === 0) return ['no working order known to KMM'];
  return orders.map((o) => `${o.market} ${o.side} ${o.price} x ${o.size}`);
}

/**
 * Waits until the shutdown is requested or `durationS` passes (0: no limit), calling `tick`
 * every `tickMs`. Returns the reason.
 */
export async function waitForStop(ctl: ShutdownController, durationS: number, tick: (() => void) | null, tickMs: number): Promise<string> {
  const timers: NodeJS.Timeout[] = [];
  if (tick) timers.push(setInterval(tick, tickMs));
  if (durationS > 0) timers.push(setTimeout(() => ctl.request(`--duration ${durationS} s reached`), durationS * 1000));
  try {
    return await ctl.requested;
  } finally {
    for (const t of timers) clearTimeout(t);
  }
}
