/**
 * Types shared by the exec core modules and its shell: working orders, the REST commands the
 * core asks the shell to send, read requests, venue snapshots for reconciliation and the
 * effects a core call returns. Message bodies are the generated kmm.v1 types.
 */
import type { kmm, EnvelopeBody } from '@kmm/shared';
import type { JournalRecord } from './journal-record.js';

/** Lifecycle of one of our orders as we know it. */
export const OrderStatus = {
  PENDING_NEW: 1, // create sent, no result yet
  RESTING: 2,
  UNCERTAIN: 3, // a result was lost (timeout, 409, 404 on amend): only a reconcile can tell
  DONE: 4, // canceled, executed or never created
} as const;

/** Which operation is in flight on an order (kmm.v1.CommandKind values; 0 = none). */
export type PendingKind = 0 | 1 | 2 | 3 | 4;

export interface WorkingOrder {
  clientOrderId: string;
  orderId: string;
  market: string;
  side: number; // kmm.v1.BookSide
  level: number; // quote slot level, -1 for taker/adopted orders
  taker: boolean;
  postOnly: boolean;
  price: number;
  totalCenti: number; // max fillable = filled + remaining
  /** max of the venue's cumulative filled count (acks, user_order updates, snapshots) and fillsBookedCenti */
  filledCenti: number;
  /**
   * sum of the fills booked on this order (websocket fills, REST backfills). A cumulative report
   * may run ahead of the fill messages it includes: adding each fill on top of it counted those
   * twice (found by the position-truth property: a user_order update before its fill).
   */
  fillsBookedCenti: number;
  status: number; // OrderStatus
  pendingKind: PendingKind;
  pendingCmdId: number;
  pendingSinceMs: number;
  pendingPrice: number;
  pendingTotalCenti: number;
  placedAtMs: number;
  lastChangeMs: number;
  doneAtMs: number;
  edgeBpsMilli: number;
  adopted: boolean;
  /** the core wants this order gone (unknown, slot removed, safety) */
  wantCancel: boolean;
  /** target price of the last skip_same_quote event (events are emitted once per new price) */
  lastSkipPrice: number;
  /**
   * when (core ms) to re-place this order before its exchange expiration passes (0 = never: an
   * order without expiry, or one we only cancel). Set at placement and at adoption; an amend
   * keeps it (the exchange keeps the expiration across amends).
   */
  renewAtMs: number;
  /**
   * when (core ms) a cancel, amend or decrease of this order answered not_found (0/undefined:
   * never). Kalshi's 404 is the same for cancelled, executed and unknown orders, and its order
   * reads lag: a snapshot requested within the reconcile grace after it may still list the order
   * resting, so only the fills and a later order list decide.
   */
  notFoundAtMs?: number;
  /**
   * the last amend's answer: our filled count when it arrived and the venue's time in it (0: not
   * sent). A user_order update sent before the amend but delivered after its answer is told by
   * them (OrderBookkeeping.olderThanAmend).
   */
  amendAnswer?: { filledCenti: number; venueTsMs: number };
  /**
   * requestedAtMs of the first snapshot that did not list this live order (0/undefined: listed
   * or not judged). One stale read never declares an order lost: a second snapshot, requested
   * at least the grace later, must miss it too.
   */
  missingSinceMs?: number;
}

export type CommandOp = 'create' | 'batch_create' | 'amend' | 'decrease' | 'cancel' | 'batch_cancel';

/** One REST call to make. `orders` has one element for single operations. */
export interface ExecCommand {
  id: number;
  op: CommandOp;
  orders: kmm.v1.IOrderCommand[];
  /** header recv_mono_ns of the venue frame that caused it (0 unknown) */
  causeRecvMonoNs: number;
  /** when the causing message arrived in exec (shell mono ns; 0 unknown) */
  arrivalMonoNs: number;
  issuedMs: number;
  tokens: number;
}

export type ReadRequest =
  | { kind: 'reconcile'; id: number; reason: string; minFillTsMs: number }
  | { kind: 'queue_positions'; markets: string[] }
  | { kind: 'markets' }
  | { kind: 'order_group_reset' };

export interface VenueOrder {
  orderId: string;
  clientOrderId: string;
  market: string;
  side: number;
  price: number;
  remainingCenti: number;
  filledCenti: number;
  status: 'resting' | 'canceled' | 'executed';
  orderGroupId: string;
}

export interface VenuePosition {
  market: string;
  positionCenti: number;
  exposureMoney: number;
  realizedPnlMoney: number;
  feesPaidMoney: number;
  /**
   * the venue's last_updated_ts of this position (exchange wall ms; 0/undefined: not sent).
   * Kalshi's positions read lags its fills (~1 s): a listed fill with a later exchange time is
   * not in this position yet.
   */
  lastUpdatedMs?: number;
}

/** What the exchange said at one moment: resting orders, positions, recent fills. */
export interface VenueSnapshot {
  /** core time (ms) when the reads were started; local changes after it are not judged */
  requestedAtMs: number;
  orders: VenueOrder[];
  positions: VenuePosition[];
  /** our fills, read after the positions: every fill a position includes is listed here */
  fills: kmm.v1.IFill[];
  /**
   * trade ids of a fills read made before the positions read (absent: not read): a fill listed
   * in `fills` but not here happened around the positions read, so the position may or may not
   * include it
   */
  fillsBeforePositions?: string[];
}

/** A message to another actor. */
export interface Outbound {
  peer: string;
  body: EnvelopeBody;
}

export interface OpsOut {
  event: string;
  market: string;
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
}


export interface TapeRow {
  ticker: string;
  midPrice: number; // 0 unknown
  myBid: number; // 0 none
  myAsk: number;
  inventoryCenti: number;
  unrealizedPnlMoney: number;
  realizedPnlMoney: number;
  /**
   * the tape's latency_ms (003: "processing latency"): the last tick-to-wire time, from the venue
   * frame that caused a command to the command's request being written (us, -1 unknown). Not
   * the REST round trip: that is the venue's and the network's time (high_latency warns on it).
   */
  processingLatencyUs: number;
}

/** Everything one core call wants done. Reused between calls: read it, then call the core again. */
export interface Effects {
  commands: ExecCommand[];
  reads: ReadRequest[];
  out: Outbound[];
  ops: OpsOut[];
  journal: JournalRecord[];
  tape: TapeRow[];
}

export function newEffects(): Effects {
  return { commands: [], reads: [], out: [], ops: [], journal: [], tape: [] };
}

export function clearEffects(e: Effects): void {
  e.commands.length = 0;
  e.reads.length = 0;
  e.out.length = 0;
  e.ops.length = 0;
  e.journal.length = 0;
  e.tape.length = 0;
}
