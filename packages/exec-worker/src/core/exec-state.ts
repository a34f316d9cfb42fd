/**
 * The state the exec core's parts share by reference: parameters, the bookkeeping and the
 * gates (rate limiter, breakers, post-only adaptor, differ), the global flags (connected,
 * start-up, order group, trading enabled, paused, shutting down), counters, and the Effects
 * object every part writes into (commands, reads, messages, ops events, journal records, tape).
 * Only ExecCore creates one; it is not public API.
 */
import { shardOf, type EnvelopeBody, type kmm } from '@kmm/shared';
import { Breakers } from './breakers.js';
import { OrderBookkeeping } from './bookkeeping.js';
import { OrderDiffer } from './differ.js';
import { OrderGroupWindow } from './order-group-window.js';
import type { JournalRecord } from './journal-record.js';
import type { ExecParams } from './params.js';
import { PostOnlyAdaptor } from './post-only.js';
import { RateLimiter } from './rate-limiter.js';
import { newEffects, type Effects } from './types.js';

export interface Cause {
  /** header.recv_mono_ns of the message being handled (venue frame receive time; 0 unknown) */
  recvMonoNs: number;
  /** when the message arrived in exec (shell mono ns; 0 unknown) */
  arrivalMonoNs: number;
  /** exec's pump number when the target arrived (set by the core) */
  pumpSeq?: number;
  /**
   * the causing message's header (kept by reference, not copied): its stage stamps are
   * journaled with the command for the per-hop breakdown (kmm bench latency); never read by decisions
   */
  header?: kmm.v1.IHeader | null;
}
export const NO_CAUSE: Cause = { recvMonoNs: 0, arrivalMonoNs: 0 };

export interface ExecStats {
  commands: number;
  ordersPlaced: number;
  amends: number;
  decreases: number;
  cancels: number;
  skips: number;
  /** orders cancelled to be re-placed before their exchange expiration (kmm_order_expiry_s) */
  renewals: number;
  /** unchanged orders cancelled to be re-placed because they passed MM_MAX_ORDER_AGE_S */
  ageRefreshes: number;
  rateHeld: number;
  /** markets x ms spent waiting for rate-limit tokens (ended waits: from the first hold to the pump that got everything out; ExecCore.tokenWaitMarketsMs adds the ones still going) */
  tokenWaitMarketsMs: number;
  preflightRejects: number;
  /** pre-flight refusals identical to the previous one of the same market and side (not re-sent) */
  repeatedRejects: number;
  rejects: number;
  fills: number;
  duplicateFills: number;
  divergences: number;
  tokensWrite: number;
  /** commands issued later than the target that caused them (churn gates, rate limits, timers) */
  deferredCommands: number;
  /** venue reports that would have broken an invariant (see OrderBookkeeping.venueAnomalies) */
  venueAnomalies: number;
}

export class ExecState {
  params: ExecParams;
  readonly bk: OrderBookkeeping;
  readonly limiter: RateLimiter;
  readonly breakers: Breakers;
  readonly pof: PostOnlyAdaptor;
  readonly differ: OrderDiffer;
  /** contracts our order group matched in the rolling window (the kill switch's early warning) */
  readonly orderGroupWindow: OrderGroupWindow;
  readonly fx: Effects = newEffects();
  readonly stats: ExecStats = {
    commands: 0,
    ordersPlaced: 0,
    amends: 0,
    decreases: 0,
    cancels: 0,
    skips: 0,
    renewals: 0,
    ageRefreshes: 0,
    rateHeld: 0,
    tokenWaitMarketsMs: 0,
    preflightRejects: 0,
    repeatedRejects: 0,
    rejects: 0,
    fills: 0,
    duplicateFills: 0,
    divergences: 0,
    tokensWrite: 0,
    deferredCommands: 0,
    venueAnomalies: 0,
  };

  // global state
  connected = true;
  startupReconciled = false;
  startupReconciledAtMs = 0;
  orderGroupId = '';
  orderGroupSettled = false;
  orderGroupTriggered = false;
  tradingEnabled = true;
  globalPaused = false;
  shuttingDown = false;
  /** last tick-to-wire time (us, -1 unknown): the tape's latency_ms (TapeRow.processingLatencyUs) */
  lastProcessingLatencyUs = -1;
  /** newest fill time seen (ms), for the next reconcile's fill window */
  maxFillTsMs = 0;
  /** incremented at the end of every pump: tells fresh commands from deferred ones */
  pumpSeq = 0;

  constructor(
    params: ExecParams,
    readonly runId: string,
    readonly paper: boolean,
    nowMs: number,
  ) {
    this.params = params;
    this.bk = new OrderBookkeeping(params.maxLevelsPerSide, params.fillDedupMax, (a) => {
      this.stats.venueAnomalies++;
      this.ops('venue_anomaly', a.market, 'warn', { kind: a.kind, client_order_id: a.clientOrderId, order_id: a.orderId, local_centi: a.localCenti, venue_centi: a.venueCenti });
    });
    this.limiter = new RateLimiter(params.tier, params.rateBudgetPermille, params.rateLimitPauseMs, nowMs, params.readShare, params.venueTimeScale);
    this.breakers = new Breakers(params);
    this.pof = new PostOnlyAdaptor(params);
    this.differ = new OrderDiffer(params);
    this.orderGroupWindow = new OrderGroupWindow(params.orderGroupContractsLimit);
  }

  get ready(): boolean {
    return this.startupReconciled && (this.orderGroupSettled || this.paper);
  }

  setParams(p: ExecParams): void {
    this.params = p;
    this.breakers.setParams(p);
    this.pof.setParams(p);
    this.differ.setParams(p);
    this.orderGroupWindow.setLimit(p.orderGroupContractsLimit);
  }

  bookPeer(market: string): string {
    return 'book.' + shardOf(market, this.params.shardCount);
  }

  send(peer: string, body: EnvelopeBody): void {
    this.fx.out.push({ peer, body });
  }

  ops(event: string, market: string, level: 'info' | 'warn' | 'error', fields: Record<string, unknown>): void {
    this.fx.ops.push({ event, market, level, fields });
  }

  journal(r: JournalRecord): void {
    this.fx.journal.push(r);
  }
}

/** min of two times where 0 means "not set". */
export function minPos(a: number, b: number): number {
  if (a <= 0) return b;
  if (b <= 0) return a;
  return a < b ? a : b;
}
