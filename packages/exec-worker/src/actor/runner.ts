/**
 * ExecRunner: the effect interpreter around ExecCore, the state of the exec actor in every
 * driver (worker thread, LocalKernel) and of the benchmark. It carries out the core's effects - REST commands through the OrderGateway (async;
 * results come back into the core), reads (reconcile snapshots, queue positions, market lists,
 * order-group reset), messages to peers, ops events, journal records and tape rows - and
 * measures target-to-wire and tick-to-wire latency per command (perf_hooks histograms, ns).
 *
 * Nothing here blocks message handling: every I/O is a promise whose result is fed back through
 * a synchronous core call. `pending` counts outstanding I/O; `idle()` waits for zero (tests,
 * shutdown). Shutdown (bounded): Cancel All plus per-order cancels, then asks the exchange what
 * still rests and cancels that too until nothing does (by a read asked at least the reconcile
 * grace after the last create: reads lag writes), then reads the last fills (see shutdown()).
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { kmm, type EnvelopeBody } from '@kmm/shared';
import type { ExecCore } from '../core/exec-core.js';
import type { Effects, ExecCommand, ReadRequest, TapeRow, VenueOrder } from '../core/types.js';
import { ENDPOINT_COST } from '../core/rate-limiter.js';
import type { JournalRecord } from '../core/journal-record.js';
import { readSnapshot, runCommand, type OrderGateway, type RestError, type RestResult } from './gateway.js';

/** Where journal records go (live: the journal file; kernel: memory). */
export interface JournalSink {
  append(rec: JournalRecord): void;
  close(): Promise<void>;
}
/** Where tape rows go. */
export interface TapeSink {
  write(rows: readonly TapeRow[]): void;
  close(): Promise<void>;
}

/** Shutdown bound when the config gives none (kmm_shutdown_timeout_s default). */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;
/** The end of the shutdown window kept for the final fills read (at most a fifth of it). */
export const SHUTDOWN_FILLS_RESERVE_MS = 5_000;
/** Backoff of failed shutdown reads: doubling from base to max (a 429 waits the pause). */
export const SHUTDOWN_RETRY_BASE_MS = 250;
export const SHUTDOWN_RETRY_MAX_MS = 2_000;
/** Shortest wait between verification rounds. */
export const SHUTDOWN_ROUND_MIN_MS = 50;
/** Orders named in the shutdown report at most. */
export const SHUTDOWN_LIST_MAX = 50;
const SHUTDOWN_ERRORS_MAX = 4;
/** Without a journal, a start-up reconcile backfills fills this far back. */
export const DEFAULT_FILL_BACKFILL_MS = 24 * 3600 * 1000;
/** The final fills read at shutdown looks back this far before the runner started (clock skew, restarts). */
export const SHUTDOWN_FILL_LOOKBACK_MS = 60_000;
/** While the start-up reconcile is pending, the core's retry timer is ticked this often. */
export const STARTUP_TICK_MS = 200;

export interface ExecRunnerOptions {
  core: ExecCore;
  gateway: OrderGateway;
  journal?: JournalSink | null;
  tape?: TapeSink | null;
  /** the driver's clocks (live: process clocks; kernel: the simulated clock) */
  monoNs: () => number;
  wallMs: () => number;
  /** the driver's time: resolves after ms (live: a timer; kernel: a virtual-time event) */
  sleep: (ms: number) => Promise<void>;
  /** a continuation of an asynchronous call threw (a broken invariant): crash the actor */
  fail?: (err: Error) => void;
  send?: (peer: string, body: EnvelopeBody) => void;
  ops?: (event: string, market: string, level: 'info' | 'warn' | 'error', fields: Record<string, unknown>) => void;
  /** kmm_order_group_contracts_limit (contracts); 0 = no order group */
  orderGroupContractsLimit: number;
  /** journal the wire time of each command (one extra record per command) */
  journalWire?: boolean;
  /** called when a command's request was handed to the socket (benchmarks, metrics) */
  onWire?: (cmd: ExecCommand, wireMonoNs: number) => void;
  /**
   * live: schedules the pump's WorkingOrders reports after the requests reached their sockets
   * (setImmediate), so neither their computation nor their encoding delays the write; absent
   * (virtual time, tests): the reports follow the commands at once
   */
  afterWrites?: (fn: () => void) => void;
}

/** One order still resting at shutdown (what the operator must see). */
export interface RestingOrderLeft {
  market: string;
  orderId: string;
  clientOrderId: string;
  side: 'bid' | 'ask';
  price: number;
  remainingCenti: number;
}

export interface ShutdownReport {
  /** the exchange showed nothing of ours resting AND the final fills read succeeded */
  verified: boolean;
  rounds: number;
  /** orders resting at the last successful read (-1: never read) */
  restingLeft: number;
  /** those orders (at most SHUTDOWN_LIST_MAX); when the exchange was never read, what exec believes may rest */
  resting: RestingOrderLeft[];
  /** where `resting` comes from: the exchange's answer, or exec's own book (never read) */
  restingSource: 'exchange' | 'kmm';
  fillsRead: boolean;
  /** fills first learnt during shutdown (journaled) */
  fillsAtShutdown: number;
  /** the exchange's Cancel All: done; failed (every attempt); not_sent (no tokens before nothing rested); unsupported by the gateway */
  cancelAll: 'done' | 'failed' | 'not_sent' | 'unsupported';
  elapsedMs: number;
  /** why the stop could not confirm (unverified only) */
  error?: string;
  /** calls that failed and were retried (verified stops) */
  retried?: number;
  /**
   * kmm_order_expiry_s: every order of ours that rests carries an exchange expiration at most
   * this far after it was placed (renewed), so what an unverified stop leaves dies by itself
   */
  orderExpiryS: number;
}

function restingEntry(o: VenueOrder): RestingOrderLeft {
  return { market: o.market, orderId: o.orderId, clientOrderId: o.clientOrderId, side: o.side === kmm.v1.BookSide.BID ? 'bid' : 'ask', price: o.price, remainingCenti: o.remainingCenti };
}

export class ExecRunner {
  readonly core: ExecCore;
  readonly gw: OrderGateway;
  private readonly journal: JournalSink | null;
  private readonly tape: TapeSink | null;
  readonly monoNs: () => number;
  private readonly wallMs: () => number;
  private readonly sendFn: (peer: string, body: EnvelopeBody) => void;
  private readonly opsFn: NonNullable<ExecRunnerOptions['ops']>;
  pending = 0;
  /** when the last create was sent (monotonic ns; 0: none): a read younger than the venue's lag may not show it yet */
  private lastCreateMonoNs = 0;
  private idleWaiters: Array<() => void> = [];
  private stateWaiters: Array<{ pred: () => boolean; resolve: () => void }> = [];
  /** target arrival in exec -> request written to the socket (ns) */
  readonly targetToWire: RecordableHistogram = createHistogram();
  /** venue frame receive (header.recv_mono_ns) -> request written (ns) */
  readonly tickToWire: RecordableHistogram = createHistogram();
  readonly counters = { commands: 0, reads: 0, readFailures: 0, sent: 0 };
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly fail: (err: Error) => void;

  private readonly startedWallMs: number;

  constructor(private readonly o: ExecRunnerOptions) {
    this.core = o.core;
    this.gw = o.gateway;
    this.journal = o.journal ?? null;
    this.tape = o.tape ?? null;
    this.monoNs = o.monoNs;
    this.wallMs = o.wallMs;
    this.sleep = o.sleep;
    this.fail =
      o.fail ??
      ((err) => {
        throw err;
      });
    this.sendFn = o.send ?? (() => {});
    this.opsFn = o.ops ?? (() => {});
    this.startedWallMs = this.wallMs();
    // commands first: the pump's WorkingOrders reports are computed after its requests started
    this.core.deferReports = true;
  }

  /** Core time: monotonic ms. */
  nowMs(): number {
    return this.monoNs() / 1e6;
  }

  /** Carries out one batch of effects (read them now: the core reuses the object). */
  handle(fx: Effects): void {
    for (let i = 0; i < fx.journal.length; i++) this.journal?.append(fx.journal[i]);
    for (let i = 0; i < fx.commands.length; i++) this.dispatch(fx.commands[i]);
    for (let i = 0; i < fx.reads.length; i++) this.read(fx.reads[i]);
    for (let i = 0; i < fx.out.length; i++) {
      const o = fx.out[i];
      this.counters.sent++;
      if (o.peer === 'strategy' && o.body.orderAck && o.body.orderAck.orderId) {
        if (o.body.orderAck.status === kmm.v1.OrderStatus.RESTING) this.gw.orderResting?.(o.body.orderAck.orderId);
        else this.gw.orderGone?.(o.body.orderAck.orderId);
      }
      this.sendFn(o.peer, o.body);
    }
    for (let i = 0; i < fx.ops.length; i++) {
      const e = fx.ops[i];
      this.opsFn(e.event, e.market, e.level, e.fields);
    }
    if (fx.tape.length > 0) this.tape?.write(fx.tape);
    // the reports of the pump whose commands were just started (fx is read in full: the core reuses it)
    if (this.core.reportsDue) {
      if (!this.o.afterWrites) this.handle(this.core.flushReports());
      else if (!this.reportsScheduled) {
        this.reportsScheduled = true;
        this.o.afterWrites(this.flushReportsLater);
      }
    }
    this.checkWaiters();
  }

  private reportsScheduled = false;
  /** the scheduled reports (a later pump's are included: the core keeps one due time, its latest) */
  private readonly flushReportsLater = (): void => {
    this.reportsScheduled = false;
    this.guard(() => {
      if (this.core.reportsDue) this.handle(this.core.flushReports());
    });
  };

  private dispatch(cmd: ExecCommand): void {
    this.pending++;
    this.counters.commands++;
    if (cmd.op === 'create' || cmd.op === 'batch_create') this.lastCreateMonoNs = this.monoNs();
    // exec's own share of tick-to-order ends here; from here to `wire` is the request write
    const writeNs = cmd.arrivalMonoNs > 0 ? this.monoNs() : 0;
    const onWire = (wire: number): void => {
      if (cmd.arrivalMonoNs > 0 && wire > cmd.arrivalMonoNs) this.targetToWire.record(wire - cmd.arrivalMonoNs);
      if (cmd.causeRecvMonoNs > 0 && wire > cmd.causeRecvMonoNs) {
        this.tickToWire.record(wire - cmd.causeRecvMonoNs);
        this.core.noteWireLatency(Math.round((wire - cmd.causeRecvMonoNs) / 1000));
      }
      if (this.o.onWire) this.o.onWire(cmd, wire);
      if (this.o.journalWire) this.journal?.append({ k: 'wire', id: cmd.id, wireMonoNs: wire, targetToWireUs: cmd.arrivalMonoNs > 0 ? Math.round((wire - cmd.arrivalMonoNs) / 1000) : -1, ...(writeNs > 0 ? { writeMonoNs: writeNs } : {}) });
    };
    void runCommand(this.gw, cmd, onWire).then((res) =>
      this.guard(() => {
        this.pending--;
        this.handle(this.core.onCommandResult(res, this.nowMs()));
      }),
    );
  }

  private read(r: ReadRequest): void {
    this.pending++;
    this.counters.reads++;
    const done = (fx: () => Effects): void =>
      this.guard(() => {
        this.pending--;
        this.handle(fx());
      });
    const failed = (kind: ReadRequest['kind'], msg: string): void => {
      this.counters.readFailures++;
      done(() => this.core.onReadFailed(kind, this.nowMs(), msg));
    };
    switch (r.kind) {
      case 'reconcile': {
        const requestedAtMs = this.nowMs();
        const minFill = r.minFillTsMs > 0 ? r.minFillTsMs : this.wallMs() - DEFAULT_FILL_BACKFILL_MS;
        void readSnapshot(this.gw, minFill, requestedAtMs).then((s) => (s.ok ? done(() => this.core.onSnapshot(s.value, this.nowMs())) : failed('reconcile', s.error.message)));
        break;
      }
      case 'queue_positions':
        void this.gw.queuePositions(r.markets).then((q) => (q.ok ? done(() => this.core.onQueuePositions(q.value, this.nowMs())) : failed('queue_positions', q.error.message)));
        break;
      case 'markets':
        void this.gw.markets().then((m) => (m.ok ? done(() => this.core.onMarkets(m.value, this.nowMs())) : failed('markets', m.error.message)));
        break;
      case 'order_group_reset': {
        const id = this.core.orderGroupId;
        if (!id) {
          this.pending--;
          break;
        }
        void this.gw.resetOrderGroup(id).then((x) => {
          this.pending--;
          this.opsFn(x.ok ? 'order_group_reset' : 'order_group_reset_failed', '', x.ok ? 'info' : 'error', x.ok ? { order_group_id: id } : { order_group_id: id, error: x.error.message });
          this.checkWaiters();
        });
        break;
      }
    }
  }

  /** Runs a continuation of an asynchronous call; a throw (a broken invariant) crashes the actor. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private checkWaiters(): void {
    if (this.stateWaiters.length > 0) {
      const keep: typeof this.stateWaiters = [];
      for (const w of this.stateWaiters) (w.pred() ? w.resolve() : keep.push(w));
      this.stateWaiters = keep;
    }
    if (this.pending === 0 && this.idleWaiters.length > 0) {
      const ws = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of ws) w();
    }
  }

  /** Resolves when no command or read is outstanding. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Resolves when `pred` holds after some effects were handled (or now). */
  until(pred: () => boolean): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve) => this.stateWaiters.push({ pred, resolve }));
  }

  /**
   * Start-up: reconcile first (orders, positions, fills), create the order group, then the
   * core is ready. `minFillTsMs` comes from the journal (0: DEFAULT_FILL_BACKFILL_MS).
   * The caller supplies the timer that retries a failed reconcile (core.onTimer).
   */
  async startup(minFillTsMs = 0): Promise<void> {
    this.handle(this.core.start(this.nowMs(), minFillTsMs));
    // a failed start-up read is retried from core timers: the actor's timers run once it is
    // ready, so tick here meanwhile
    while (!this.core.startupReconciled) {
      await Promise.race([this.until(() => this.core.startupReconciled), this.sleep(STARTUP_TICK_MS)]);
      if (!this.core.startupReconciled) this.tick();
    }
    let groupId = '';
    if (this.o.orderGroupContractsLimit > 0) {
      const g = await this.gw.createOrderGroup(this.o.orderGroupContractsLimit);
      if (g.ok) groupId = g.value;
      else this.opsFn('order_group_create_failed', '', 'error', { error: g.error.message, code: g.error.code });
    }
    this.handle(this.core.onOrderGroup(groupId, this.nowMs()));
  }

  tick(): void {
    this.handle(this.core.onTimer(this.nowMs()));
  }

  /**
   * Shutdown, bounded by `timeoutMs` (kmm_shutdown_timeout_s): stop placing; the exchange's
   * Cancel All (where the gateway has one) plus per-order cancels of everything we track, both
   * through the rate limiter (a 429 holds cancels for the pause: no retry every tick); then, round
   * after round, read what still rests and cancel it, until the exchange shows nothing. Then read
   * the fills once more (retrying) so every fill, including those made while the cancels were in
   * flight, is journaled exactly once. Failed reads back off (doubling, or the 429 pause).
   * `verified` only when the exchange showed nothing resting AND the final fills were read; else
   * the report lists what was left at the last read. Flushes journal and tape either way.
   */
  async shutdown(timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS): Promise<ShutdownReport> {
    const startNs = this.monoNs();
    const deadline = startNs + timeoutMs * 1e6;
    // the last part of the window is kept for the final fills read
    const verifyDeadline = deadline - Math.min(SHUTDOWN_FILLS_RESERVE_MS, timeoutMs / 5) * 1e6;
    const leftMs = (until: number): number => (until - this.monoNs()) / 1e6;
    const before = <T>(p: Promise<T>, until: number): Promise<T | 'timeout'> => {
      const left = Math.max(1, leftMs(until));
      return Promise.race([p, this.sleep(left).then(() => 'timeout' as const)]);
    };
    const limiter = this.core.limiter;
    let backoffMs = SHUTDOWN_RETRY_BASE_MS;
    /** after a failed call: the 429 pause (cancels held too) or a doubling backoff */
    const waitAfterFailure = async (err: RestError, until: number): Promise<void> => {
      if (err.code === kmm.v1.RejectCode.RATE_LIMITED) limiter.on429(this.nowMs(), true);
      const waitMs = Math.max(backoffMs, limiter.cancelWaitMs(0, this.nowMs()));
      backoffMs = Math.min(SHUTDOWN_RETRY_MAX_MS, backoffMs * 2);
      await before(this.sleep(Math.min(waitMs, Math.max(1, leftMs(until)))), until);
      this.tick();
    };
    const fillsBefore = this.core.stats.fills;
    const report: ShutdownReport = { verified: false, rounds: 0, restingLeft: -1, resting: [], restingSource: 'exchange', fillsRead: false, fillsAtShutdown: 0, cancelAll: this.gw.cancelAll ? 'not_sent' : 'unsupported', elapsedMs: 0, orderExpiryS: Math.round(this.core.params.orderExpiryMs / 1000) };
    const errors: string[] = [];
    /** one Cancel All when the bucket allows (first, before the per-order cancels take the tokens) */
    const cancelAll = (): Promise<RestResult<number>> | null => {
      if (!this.gw.cancelAll || report.cancelAll === 'done' || !limiter.tryCancel(ENDPOINT_COST.cancelAll, this.nowMs())) return null;
      return this.gw.cancelAll();
    };
    const cancelAllDone = async (p: Promise<RestResult<number>> | null): Promise<boolean> => {
      if (!p) return true;
      const c = await before(p, verifyDeadline);
      if (c === 'timeout') return false;
      if (c.ok) report.cancelAll = 'done';
      else {
        report.cancelAll = 'failed';
        errors.push(`cancel all: ${c.error.message}`);
        if (c.error.code === kmm.v1.RejectCode.RATE_LIMITED) limiter.on429(this.nowMs(), true);
      }
      return true;
    };
    let pendingCancelAll = cancelAll();
    this.handle(this.core.beginShutdown(this.nowMs()));
    let nothingRests = false;
    /** the last read showed nothing, but was asked within the grace after the last create */
    let emptyTooYoung = false;
    while (leftMs(verifyDeadline) > 0) {
      report.rounds++;
      if (!(await cancelAllDone(pendingCancelAll ?? (report.rounds > 1 ? cancelAll() : null)))) break;
      pendingCancelAll = null;
      if ((await before(this.idle(), verifyDeadline)) === 'timeout') {
        errors.push('timeout waiting for cancels');
        break;
      }
      const askedNs = this.monoNs();
      const r = await before(this.gw.restingOrders(), verifyDeadline);
      if (r === 'timeout') {
        errors.push('timeout reading resting orders');
        break;
      }
      if (!r.ok) {
        errors.push(`resting orders read: ${r.error.message}`);
        await waitAfterFailure(r.error, verifyDeadline);
        continue;
      }
      backoffMs = SHUTDOWN_RETRY_BASE_MS;
      emptyTooYoung = false;
      report.restingLeft = r.value.length;
      report.resting = r.value.slice(0, SHUTDOWN_LIST_MAX).map(restingEntry);
      if (r.value.length === 0) {
        // Reads lag writes (kalshi-api.md section 0): an order created less than the reconcile
        // grace before the read was asked may not be listed yet (its create's answer lost or
        // late, so exec cannot cancel it by id). "Nothing rests" only counts from a read asked
        // at least the grace after the last create; until then wait, and read again.
        const settleNs = this.lastCreateMonoNs + this.core.params.reconcileGraceMs * 1e6;
        if (this.lastCreateMonoNs === 0 || askedNs >= settleNs) {
          nothingRests = true;
          break;
        }
        emptyTooYoung = true;
        await before(this.sleep(Math.max(1, (settleNs - this.monoNs()) / 1e6)), verifyDeadline);
        this.tick();
        continue;
      }
      this.handle(this.core.cancelVenueOrders(r.value, this.nowMs()));
      // cancels may be held by the rate limiter (tokens, the 429 pause): let the timer release them
      const wait = Math.max(SHUTDOWN_ROUND_MIN_MS, limiter.cancelWaitMs(ENDPOINT_COST.batchCancelPerOrder * r.value.length, this.nowMs()));
      await before(this.sleep(Math.min(wait, SHUTDOWN_RETRY_MAX_MS)), verifyDeadline);
      this.tick();
    }
    // Ingest stops first, so a fill that lands while the last cancels are in flight never arrives
    // over the websocket: read the venue's fills (retrying) so every confirmed fill is journaled
    // (exactly once: the core drops trade ids it has already seen, including those of the journal).
    backoffMs = SHUTDOWN_RETRY_BASE_MS;
    while (!report.fillsRead && leftMs(deadline) > 0) {
      const f = await before(this.gw.fills(this.startedWallMs - SHUTDOWN_FILL_LOOKBACK_MS), deadline);
      if (f === 'timeout') break;
      if (f.ok) {
        for (const x of f.value) this.handle(this.core.onFill(x, this.nowMs(), 'rest'));
        report.fillsRead = true;
      } else {
        errors.push(`fills read: ${f.error.message}`);
        await waitAfterFailure(f.error, deadline);
      }
    }
    if (!report.fillsRead) errors.push('the final fills read did not succeed');
    if (!nothingRests) errors.push(report.restingLeft < 0 ? 'the exchange never answered what rests' : emptyTooYoung ? 'the exchange listed nothing resting, but not yet kmm_reconcile_grace_ms after the last create (its list lags writes)' : `${report.restingLeft} orders still rest`);
    if (report.restingLeft < 0) {
      // never read: name what exec itself believes may still rest (sent, not known gone)
      const mine = this.core.bk.live().filter((o) => o.orderId !== '');
      report.restingSource = 'kmm';
      report.resting = mine.slice(0, SHUTDOWN_LIST_MAX).map((o) => ({ market: o.market, orderId: o.orderId, clientOrderId: o.clientOrderId, side: o.side === kmm.v1.BookSide.BID ? 'bid' : 'ask', price: o.price, remainingCenti: Math.max(0, o.totalCenti - o.filledCenti) }));
    }
    report.verified = nothingRests && report.fillsRead;
    report.fillsAtShutdown = this.core.stats.fills - fillsBefore;
    report.elapsedMs = Math.round(leftMs(startNs) * -1);
    // failures the stop recovered from are history; name them only when it could not confirm
    if (!report.verified && errors.length > 0) report.error = [...new Set(errors)].slice(-SHUTDOWN_ERRORS_MAX).join('; ');
    else if (errors.length > 0) report.retried = errors.length;
    this.journal?.append({ k: 'shutdown', verified: report.verified, restingLeft: report.restingLeft, rounds: report.rounds });
    this.opsFn(report.verified ? 'shutdown_verified' : 'shutdown_unverified', '', report.verified ? 'info' : 'error', { ...report });
    await this.journal?.close();
    await this.tape?.close();
    return report;
  }

  /** p50/p99 of a histogram in microseconds (0 when empty). */
  static pctUs(h: RecordableHistogram): { count: number; p50Us: number; p99Us: number; maxUs: number } {
    if (h.count === 0) return { count: 0, p50Us: 0, p99Us: 0, maxUs: 0 };
    return { count: h.count, p50Us: h.percentile(50) / 1000, p99Us: h.percentile(99) / 1000, maxUs: h.max / 1000 };
  }
}
