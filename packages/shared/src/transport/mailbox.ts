/**
 * A bounded mailbox with an explicit overflow policy (style.md rule 7):
 *
 *  - conflatable state (book features, target quotes, working orders, positions, health,
 *    timers): a newer message for the same key replaces the pending one in place; counted
 *    as `conflated`. Never grows the queue — unless another message for the same market was
 *    queued after the pending one: then replacing it in place would make the newer state
 *    overtake that message (a position that already includes a fill handled before the fill:
 *    counted twice), so the newer one is queued behind it instead.
 *  - commands (order commands, taker intents, controls from peers): rejected when the queue
 *    holds `capacity` messages; the runtime answers the sender with a typed reject
 *    (RejectCode.MAILBOX_FULL); counted as `dropped`.
 *  - market-data events (book deltas/snapshots, public trades): dropped when full, counted,
 *    and reported to the actor (`onOverflow`) so the book can mark the market untrusted and
 *    resync — a dropped delta must never silently corrupt a book.
 *  - critical events (fills, acks, rejects, trust, connection, lifecycle, control from the
 *    supervisor): admitted up to `criticalCapacity` (4x); beyond that the mailbox throws,
 *    which crashes the worker: the supervisor restarts it and reconciliation recovers.
 */
import type { kmm } from '../gen/proto.js';

export type Admission = 'queued' | 'conflated' | 'rejected' | 'dropped';
export type MessageClass = 'state' | 'command' | 'market_data' | 'critical';

export function classify(env: kmm.v1.Envelope): MessageClass {
  switch (env.body) {
    case 'bookFeatures':
    case 'targetQuotes':
    case 'workingOrders':
    case 'position':
    case 'health':
    case 'timer':
      return 'state';
    case 'orderCommand':
    case 'takerIntent':
      return 'command';
    case 'bookDelta':
    case 'bookSnapshot':
    case 'publicTrade':
      return 'market_data';
    default:
      return 'critical';
  }
}

/** Key under which a state message conflates (latest wins), or null. */
export function conflationKey(env: kmm.v1.Envelope): string | null {
  switch (env.body) {
    case 'bookFeatures':
      return 'bf:' + env.bookFeatures!.market;
    case 'targetQuotes':
      return 'tq:' + env.targetQuotes!.market;
    case 'workingOrders':
      return 'wo:' + env.workingOrders!.market;
    case 'position':
      return 'pos:' + env.position!.market;
    case 'health':
      return 'health:' + env.health!.actor;
    case 'timer':
      return 'timer:' + env.timer!.name;
    default:
      return null;
  }
}

export interface MailboxEntry {
  env: kmm.v1.Envelope;
  from: string;
  /** admission sequence number (order of arrival) */
  seq: number;
}

/** The market a message is about ('' when none): the key of the no-overtaking rule. */
export function marketOf(env: kmm.v1.Envelope): string {
  const body = env.body;
  if (body === undefined) return '';
  const b = env[body] as { market?: string | null } | null | undefined;
  return (b && typeof b.market === 'string' && b.market) || '';
}

/** Slots a mailbox starts with; it doubles when full, up to its hard limit (criticalCapacity). */
export const MAILBOX_INITIAL_SLOTS = 64;

export class Mailbox {
  // grown on demand: a mailbox of capacity 65,536 must not allocate 262,144 slots up front (the
  // kernel creates one per actor per backtest run, and most never hold more than a few messages)
  private ring: Array<MailboxEntry | undefined>;
  private keys: Array<string | null>;
  private head = 0;
  private length = 0;
  private readonly slotByKey = new Map<string, number>();
  /** per market: admission sequence of the last message queued for it (cleared when the mailbox empties) */
  private readonly lastSeqByMarket = new Map<string, number>();
  private seq = 0;
  readonly criticalCapacity: number;
  conflated = 0;
  dropped = 0;
  depthMax = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error(`mailbox capacity must be >= 1, got ${capacity}`);
    this.criticalCapacity = capacity * 4;
    const slots = Math.min(MAILBOX_INITIAL_SLOTS, this.criticalCapacity);
    this.ring = new Array(slots);
    this.keys = new Array<string | null>(slots).fill(null);
  }

  /** Doubles the ring (up to the hard limit), keeping the order; conflation slots move with it. */
  private grow(): void {
    const size = Math.min(this.ring.length * 2, this.criticalCapacity);
    const ring = new Array<MailboxEntry | undefined>(size);
    const keys = new Array<string | null>(size).fill(null);
    this.slotByKey.clear();
    for (let i = 0; i < this.length; i++) {
      const from = (this.head + i) % this.ring.length;
      ring[i] = this.ring[from];
      const key = this.keys[from];
      keys[i] = key;
      if (key !== null) this.slotByKey.set(key, i);
    }
    this.ring = ring;
    this.keys = keys;
    this.head = 0;
  }

  get depth(): number {
    return this.length;
  }

  push(env: kmm.v1.Envelope, from: string): Admission {
    const cls = classify(env);
    if (cls === 'state') {
      const key = conflationKey(env);
      if (key !== null) {
        const slot = this.slotByKey.get(key);
        const market = marketOf(env);
        if (slot !== undefined) {
          const entry = this.ring[slot]!;
          // in place only if nothing about this market was queued after the pending one
          if (market === '' || (this.lastSeqByMarket.get(market) ?? -1) <= entry.seq) {
            entry.env = env;
            entry.from = from;
            this.conflated++;
            return 'conflated';
          }
        }
        if (this.length >= this.criticalCapacity) throw new Error(`mailbox hard limit ${this.criticalCapacity} exceeded`);
        this.slotByKey.set(key, this.enqueue(env, from, key));
        return 'queued';
      }
    }
    if (cls === 'command' || cls === 'market_data') {
      if (this.length >= this.capacity) {
        this.dropped++;
        return cls === 'command' ? 'rejected' : 'dropped';
      }
    } else if (this.length >= this.criticalCapacity) {
      throw new Error(`mailbox hard limit ${this.criticalCapacity} exceeded by a ${env.body} message`);
    }
    this.enqueue(env, from, null);
    return 'queued';
  }

  shift(): MailboxEntry | undefined {
    if (this.length === 0) return undefined;
    const slot = this.head;
    const entry = this.ring[slot];
    const key = this.keys[slot];
    this.ring[slot] = undefined;
    if (key !== null) {
      // a newer message of the same key may be queued further back: keep pointing at it
      if (this.slotByKey.get(key) === slot) this.slotByKey.delete(key);
      this.keys[slot] = null;
    }
    this.head = (slot + 1) % this.ring.length;
    this.length--;
    if (this.length === 0) this.lastSeqByMarket.clear();
    return entry;
  }

  private enqueue(env: kmm.v1.Envelope, from: string, key: string | null): number {
    if (this.length === this.ring.length) this.grow();
    const slot = (this.head + this.length) % this.ring.length;
    const seq = ++this.seq;
    this.ring[slot] = { env, from, seq };
    this.keys[slot] = key;
    const market = marketOf(env);
    if (market !== '') this.lastSeqByMarket.set(market, seq);
    this.length++;
    if (this.length > this.depthMax) this.depthMax = this.length;
    return slot;
  }
}
