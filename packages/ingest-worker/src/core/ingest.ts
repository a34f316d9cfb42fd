/**
 * The ingest core: everything the websocket connector decides, as a pure synchronous state
 * machine. The shell feeds it socket events and raw frames with their receive time; the core
 * answers through an `IngestSink` (messages to peers, commands to the exchange, a request to
 * drop the socket, logs and counters). No clock, timer, randomness or I/O inside: time comes
 * in as `nowNs` arguments and the reconnect jitter from the injected Rng.
 *
 * In:  onConnected / onDisconnected / onHeartbeat (socket), onFrame (raw text), onTick (timer),
 *      addMarkets / removeMarkets (Control from strategy), requestResync (MarketTrust from a
 *      book shard whose apply failed).
 * Out: book.k  <- BookSnapshot, BookDelta, PublicTrade, Lifecycle, MarketTrust, MarketInfo,
 *                 Control REMOVE_MARKETS
 *      exec    <- ConnectionEvent (always first), Fill, OrderAck (user_order), Position,
 *                 MarketTrust, Lifecycle
 *      strategy<- ConnectionEvent, MarketTrust, Lifecycle
 *      ws      <- subscribe / unsubscribe / update_subscription (add_markets, delete_markets,
 *                 get_snapshot)
 *
 * Trust (ingest owns it): a market is TRUSTED only between a snapshot and the next anomaly.
 * A seq gap (all markets of the sid), a duplicate or out-of-order frame (that market), a
 * malformed orderbook frame, a disconnect or a resubscribe make it UNTRUSTED; deltas for an
 * untrusted market are dropped (the coming snapshot replaces the book). Resync asks for
 * `get_snapshot`; if no snapshot comes within resyncTimeout, the market is deleted from and
 * added back to the subscription (the whole orderbook channel is unsubscribed and subscribed
 * again when every market is overdue, or when get_snapshot is refused). After resyncMaxAttempts
 * rounds a market waits a cool-down (10 timeouts) and starts over; only when every market is
 * exhausted is the socket dropped.
 * No data for staleWindow makes a TRUSTED market STALE; any data makes it TRUSTED again.
 * Every trust change goes to the market's book shard, strategy and exec.
 */
import { kmm, shardOf, type Causation, type EnvelopeBody, type Rng } from '@kmm/shared';
import { ReconnectBackoff } from './backoff.js';
import type { IngestParams } from './params.js';
import { parseFrame, type Frame } from './parse.js';
import { SeqTracker } from './seq.js';

const TrustState = kmm.v1.TrustState;
type TrustState = kmm.v1.TrustState;
const ConnKind = kmm.v1.ConnectionEvent.Kind;

export const BOOK_CHANNEL = 'orderbook_delta';
export const TRADE_CHANNEL = 'trade';
/** Channels filtered by our market list, then account-wide and exchange-wide ones. */
export const MARKET_CHANNELS: readonly string[] = [BOOK_CHANNEL, TRADE_CHANNEL];
export const OTHER_CHANNELS: readonly string[] = ['fill', 'user_orders', 'market_positions', 'market_lifecycle_v2'];

/** A command to the exchange websocket (JSON-encoded by the shell). */
export interface WsCommand {
  id: number;
  cmd: 'subscribe' | 'unsubscribe' | 'update_subscription';
  params: Record<string, unknown>;
}

export type LogLevel = 'info' | 'warn' | 'error';

export interface IngestSink {
  send(peer: string, body: EnvelopeBody, cause?: Causation): void;
  wsSend(command: WsCommand): void;
  /** Ask the shell to drop the socket; it reports back through onDisconnected. */
  dropConnection(reason: string): void;
  log(level: LogLevel, event: string, fields: Record<string, unknown>): void;
  stat(name: string, delta?: number): void;
}

interface MarketState {
  readonly market: string;
  /** its book shard's peer name */
  readonly peer: string;
  trust: TrustState;
  reason: string;
  sinceNs: number;
  lastDataNs: number;
  /** a snapshot has been asked for (get_snapshot or (re)subscribe) and not yet seen */
  resyncPending: boolean;
  resyncDeadlineNs: number;
  resyncAttempts: number;
}

interface ChannelSub {
  readonly channel: string;
  /** -1 until the `subscribed` ack */
  sid: number;
  /** market channels: the tickers the exchange has for this sid */
  readonly markets: Set<string>;
}

type PendingKind = 'subscribe' | 'unsubscribe' | 'add' | 'delete' | 'get_snapshot';
interface PendingCommand {
  readonly kind: PendingKind;
  readonly channel: string;
  readonly markets: readonly string[];
}

/** A market whose resync rounds are exhausted is retried after this many resync timeouts. */
const RESYNC_COOLDOWN_FACTOR = 10;
/** Malformed-frame logs: the first ones always, then one in every N, so a bad feed cannot flood the log. */
const INVALID_LOG_FIRST = 100;
const INVALID_LOG_EVERY = 1000;

export interface IngestCounters {
  frames: number;
  invalid: number;
  other: number;
  gaps: number;
  duplicates: number;
  outOfOrder: number;
  resyncRequests: number;
  resubscribes: number;
  droppedUntrusted: number;
  unrouted: number;
}

export class IngestCore {
  private readonly markets = new Map<string, MarketState>();
  private readonly subs = new Map<string, ChannelSub>();
  private readonly sidChannel = new Map<number, string>();
  /** sids we unsubscribed from: their late frames are ignored (cleared on reconnect) */
  private readonly deadSids = new Set<number>();
  private readonly pending = new Map<number, PendingCommand>();
  private readonly seq = new SeqTracker();
  private readonly backoff: ReconnectBackoff;
  /** markets made untrusted in the current step and not yet asked for a snapshot */
  private readonly resyncQueue = new Set<string>();
  private connected = false;
  private awaitingResubscribed = false;
  private subscribeFailures = 0;
  private nextCommandId = 1;
  private lastSocketNs = 0;
  private frameId = 0;
  readonly counters: IngestCounters = {
    frames: 0,
    invalid: 0,
    other: 0,
    gaps: 0,
    duplicates: 0,
    outOfOrder: 0,
    resyncRequests: 0,
    resubscribes: 0,
    droppedUntrusted: 0,
    unrouted: 0,
  };

  constructor(
    private readonly params: IngestParams,
    private readonly shardCount: number,
    rng: Rng,
    private readonly sink: IngestSink,
    initialMarkets: readonly kmm.v1.IMarketInfo[] = [],
  ) {
    if (!(shardCount >= 1)) throw new Error(`IngestCore: shardCount must be >= 1, got ${shardCount}`);
    this.backoff = new ReconnectBackoff(params.reconnectBaseMs, params.reconnectMaxMs, params.reconnectMaxAttempts, rng);
    for (const info of initialMarkets) if (info.market) this.track(info.market, 0);
  }

  // ---------------------------------------------------------------- queries

  isConnected(): boolean {
    return this.connected;
  }
  trustOf(market: string): TrustState {
    return this.markets.get(market)?.trust ?? TrustState.TRUST_STATE_UNSPECIFIED;
  }
  trackedMarkets(): string[] {
    return [...this.markets.keys()];
  }
  bookPeerOf(market: string): string {
    return `book.${shardOf(market, this.shardCount)}`;
  }
  /** sid of the orderbook subscription (-1 when none) */
  bookSid(): number {
    return this.subs.get(BOOK_CHANNEL)?.sid ?? -1;
  }
  reconnectAttempt(): number {
    return this.backoff.attempt;
  }

  // ---------------------------------------------------------------- socket events

  onConnected(nowNs: number): void {
    this.connected = true;
    this.lastSocketNs = nowNs;
    this.nextCommandId = 1;
    this.subscribeFailures = 0;
    const ev: EnvelopeBody = { connection: { kind: ConnKind.CONNECTED, attempt: this.backoff.attempt, reason: '' } };
    this.sink.send('exec', ev);
    this.sink.send('strategy', ev);
    this.sink.log('info', 'ws_connected', { attempt: this.backoff.attempt, markets: this.markets.size });
    this.awaitingResubscribed = true;
    this.subscribeAll(nowNs);
  }

  /** Returns the delay before the next connection attempt, or null when attempts are exhausted. */
  onDisconnected(nowNs: number, reason: string): number | null {
    const wasConnected = this.connected;
    this.connected = false;
    this.awaitingResubscribed = false;
    // exec first: it must treat every resting order as unknown before anything else arrives (003).
    const ev: EnvelopeBody = { connection: { kind: ConnKind.DISCONNECTED, attempt: this.backoff.attempt, reason } };
    this.sink.send('exec', ev);
    this.sink.send('strategy', ev);
    for (const st of this.markets.values()) {
      st.resyncPending = false;
      st.resyncAttempts = 0;
      this.setTrust(st, TrustState.UNTRUSTED, 'disconnected', nowNs);
    }
    this.resyncQueue.clear();
    this.subs.clear();
    this.sidChannel.clear();
    this.deadSids.clear();
    this.pending.clear();
    this.seq.clear();
    const delayMs = this.backoff.nextDelayMs();
    this.sink.stat('ws_disconnects');
    this.sink.log(delayMs === null ? 'error' : 'warn', 'ws_disconnected', {
      reason,
      wasConnected,
      attempt: this.backoff.attempt,
      reconnectInMs: delayMs,
    });
    return delayMs;
  }

  /** Socket-level liveness (ws ping from the server, or our pong). */
  onHeartbeat(nowNs: number): void {
    this.lastSocketNs = nowNs;
  }

  // ---------------------------------------------------------------- frames

  /** One raw text frame, already written to the capture. */
  onFrame(text: string, recvNs: number, recvMs: number): void {
    this.onParsedFrame(parseFrame(text), recvNs, recvMs);
  }

  onParsedFrame(f: Frame, recvNs: number, _recvMs: number): void {
    this.lastSocketNs = recvNs;
    this.counters.frames++;
    const fid = ++this.frameId;
    switch (f.kind) {
      case 'snapshot': {
        if (!this.seqAccept(f.sid, f.seq, f.market, recvNs)) break;
        const st = this.markets.get(f.market);
        if (st === undefined) {
          this.counters.unrouted++;
          break;
        }
        this.sink.send(st.peer, { bookSnapshot: f.body }, cause(fid, recvNs, f.tsMs));
        st.lastDataNs = recvNs;
        st.resyncPending = false;
        st.resyncAttempts = 0;
        this.resyncQueue.delete(f.market);
        this.setTrust(st, TrustState.TRUSTED, 'snapshot', recvNs);
        break;
      }
      case 'delta': {
        if (!this.seqAccept(f.sid, f.seq, f.market, recvNs)) break;
        const st = this.markets.get(f.market);
        if (st === undefined) {
          this.counters.unrouted++;
          break;
        }
        if (st.trust === TrustState.UNTRUSTED) {
          this.counters.droppedUntrusted++;
          break;
        }
        this.sink.send(st.peer, { bookDelta: f.body }, cause(fid, recvNs, f.tsMs));
        st.lastDataNs = recvNs;
        if (st.trust === TrustState.STALE) this.setTrust(st, TrustState.TRUSTED, 'data_resumed', recvNs);
        break;
      }
      case 'trade': {
        const st = this.markets.get(f.market);
        if (st === undefined) {
          this.counters.unrouted++;
          break;
        }
        this.sink.send(st.peer, { publicTrade: f.body }, cause(fid, recvNs, f.tsMs));
        st.lastDataNs = recvNs;
        if (st.trust === TrustState.STALE) this.setTrust(st, TrustState.TRUSTED, 'data_resumed', recvNs);
        break;
      }
      case 'fill':
        this.sink.send('exec', { fill: f.body }, cause(fid, recvNs, f.tsMs));
        break;
      case 'user_order':
        this.sink.send('exec', { orderAck: f.body }, cause(fid, recvNs, f.tsMs));
        break;
      case 'market_position':
        this.sink.send('exec', { position: f.body }, cause(fid, recvNs, f.tsMs));
        break;
      case 'lifecycle': {
        const c = cause(fid, recvNs, f.tsMs);
        const body: EnvelopeBody = { lifecycle: f.body };
        // strategy sees every market's lifecycle (market selection); shard and exec only ours.
        this.sink.send('strategy', body, c);
        const st = this.markets.get(f.market);
        if (st !== undefined) {
          this.sink.send(st.peer, body, c);
          this.sink.send('exec', body, c);
        }
        break;
      }
      case 'subscribed':
        this.onSubscribed(f.id, f.channel, f.sid, recvNs);
        break;
      case 'ok':
        if (f.sid >= 0 && f.seq >= 0 && this.sidChannel.get(f.sid) === BOOK_CHANNEL) this.seqAccept(f.sid, f.seq, '', recvNs);
        this.onOk(f.id, f.sid);
        break;
      case 'unsubscribed':
        this.pending.delete(f.id);
        if (f.sid >= 0) {
          this.seq.close(f.sid);
          this.sidChannel.delete(f.sid);
        }
        break;
      case 'error':
        this.onError(f.id, f.code, f.message, recvNs);
        break;
      case 'other':
        this.counters.other++;
        break;
      case 'invalid':
        this.onInvalid(f, recvNs);
        break;
    }
    this.flushResync(recvNs);
  }

  // ---------------------------------------------------------------- timers

  onTick(nowNs: number): void {
    if (this.connected && nowNs - this.lastSocketNs > this.params.heartbeatTimeoutNs) {
      this.sink.log('warn', 'ws_heartbeat_timeout', { silentMs: Math.round((nowNs - this.lastSocketNs) / 1e6) });
      this.sink.stat('ws_heartbeat_timeouts');
      this.sink.dropConnection('heartbeat_timeout');
      return;
    }
    const overdue: string[] = [];
    const exhausted: string[] = [];
    for (const st of this.markets.values()) {
      if (st.trust === TrustState.TRUSTED && nowNs - st.lastDataNs > this.params.staleWindowNs) {
        this.setTrust(st, TrustState.STALE, 'no_data', nowNs);
        this.sink.stat('stale_events');
      }
      if (this.connected && st.resyncPending && nowNs > st.resyncDeadlineNs) {
        if (st.resyncAttempts >= this.params.resyncMaxAttempts) exhausted.push(st.market);
        else overdue.push(st.market);
      }
    }
    if (!this.connected) return;
    if (exhausted.length > 0) {
      if (exhausted.length === this.markets.size) {
        // Nothing comes back for any market: the session is broken.
        this.sink.log('error', 'resync_exhausted', { attempts: this.params.resyncMaxAttempts, markets: exhausted.length });
        this.sink.dropConnection('resync_exhausted');
        return;
      }
      // Only some markets stay silent: keep the session (the others are fine), keep those
      // markets UNTRUSTED and try them again after a cool-down.
      for (const m of exhausted) {
        const st = this.markets.get(m)!;
        st.resyncAttempts = 0;
        st.resyncDeadlineNs = nowNs + RESYNC_COOLDOWN_FACTOR * this.params.resyncTimeoutNs;
        this.sink.stat('resync_cooldowns');
      }
      this.sink.log('error', 'resync_failed', { markets: exhausted, market: exhausted[0], retryInMs: Math.round((RESYNC_COOLDOWN_FACTOR * this.params.resyncTimeoutNs) / 1e6) });
    }
    if (overdue.length > 0) {
      if (overdue.length === this.markets.size) this.resubscribeBook(nowNs, 'snapshot_timeout');
      else this.readdMarkets(overdue, nowNs);
    }
    if (this.subs.size < this.wantedChannelCount()) this.subscribeAll(nowNs);
    this.flushResync(nowNs);
  }

  // ---------------------------------------------------------------- market selection

  /** Starts tracking markets (Control ADD_MARKETS). Returns the tickers actually added. */
  addMarkets(infos: readonly kmm.v1.IMarketInfo[], nowNs: number): string[] {
    const added: string[] = [];
    for (const info of infos) {
      const t = info.market;
      if (!t || this.markets.has(t)) continue;
      if (this.markets.size >= this.params.marketsMax) {
        this.sink.log('error', 'markets_limit', { market: t, limit: this.params.marketsMax });
        this.sink.stat('markets_refused');
        continue;
      }
      const st = this.track(t, nowNs);
      this.sink.send(st.peer, { marketInfo: info });
      this.sendTrust(st);
      added.push(t);
    }
    if (added.length > 0 && this.connected) {
      for (const ch of MARKET_CHANNELS) {
        const sub = this.subs.get(ch);
        if (sub === undefined) this.subscribe(ch, nowNs);
        else if (sub.sid >= 0) this.update(sub, 'add', added);
        // a pending subscribe is reconciled when its ack arrives
      }
      this.expectSnapshots(added, nowNs);
    }
    return added;
  }

  /** Stops tracking markets (Control REMOVE_MARKETS). Returns the tickers actually removed. */
  removeMarkets(tickers: readonly string[], nowNs: number): string[] {
    const removed: string[] = [];
    for (const t of tickers) {
      const st = this.markets.get(t);
      if (st === undefined) continue;
      this.markets.delete(t);
      this.resyncQueue.delete(t);
      st.trust = TrustState.UNTRUSTED;
      st.reason = 'removed';
      st.sinceNs = nowNs;
      this.sendTrust(st);
      this.sink.send(st.peer, { control: { kind: kmm.v1.ControlKind.REMOVE_MARKETS, markets: [t], reason: 'removed' } });
      removed.push(t);
    }
    if (removed.length > 0 && this.connected) {
      for (const ch of MARKET_CHANNELS) {
        const sub = this.subs.get(ch);
        if (sub !== undefined && sub.sid >= 0) this.update(sub, 'delete', removed);
      }
    }
    return removed;
  }

  /**
   * A book shard found the book inconsistent (an apply failed: negative size, off-grid price):
   * distrust the market and ask for a snapshot like after a seq anomaly.
   */
  /**
   * Tells one peer the current state it would otherwise only learn on the next change: the
   * connection (when up) and every market's trust. A restarted exec or strategy asks for it
   * (Control RECONCILE): those events are sent once per change, so without this a restarted
   * actor would wait for the next change, e.g. with every market untrusted.
   */
  replayStateTo(peer: string): void {
    if (this.connected) this.sink.send(peer, { connection: { kind: ConnKind.CONNECTED, attempt: this.backoff.attempt, reason: 'state_replay' } });
    for (const st of this.markets.values()) this.sink.send(peer, { marketTrust: { market: st.market, state: st.trust, reason: st.reason, sinceMonoNs: st.sinceNs } });
  }

  requestResync(market: string, reason: string, nowNs: number): void {
    const st = this.markets.get(market);
    if (st === undefined || st.trust === TrustState.UNTRUSTED) return;
    this.sink.stat('resync_book_requests');
    this.sink.log('warn', 'book_resync_request', { market, reason });
    this.markUntrusted(market, reason, nowNs);
    this.flushResync(nowNs);
  }

  // ---------------------------------------------------------------- internals

  private track(market: string, nowNs: number): MarketState {
    const st: MarketState = {
      market,
      peer: this.bookPeerOf(market),
      trust: TrustState.UNTRUSTED,
      reason: 'awaiting_snapshot',
      sinceNs: nowNs,
      lastDataNs: nowNs,
      resyncPending: false,
      resyncDeadlineNs: 0,
      resyncAttempts: 0,
    };
    this.markets.set(market, st);
    return st;
  }

  private setTrust(st: MarketState, trust: TrustState, reason: string, nowNs: number): void {
    if (st.trust === trust) return;
    st.trust = trust;
    st.reason = reason;
    st.sinceNs = nowNs;
    if (trust === TrustState.TRUSTED) st.lastDataNs = nowNs;
    this.sendTrust(st);
  }

  private sendTrust(st: MarketState): void {
    const body: EnvelopeBody = { marketTrust: { market: st.market, state: st.trust, reason: st.reason, sinceMonoNs: st.sinceNs } };
    this.sink.send(st.peer, body);
    this.sink.send('strategy', body);
    this.sink.send('exec', body);
  }

  private markUntrusted(market: string, reason: string, nowNs: number): void {
    const st = this.markets.get(market);
    if (st === undefined) return;
    this.setTrust(st, TrustState.UNTRUSTED, reason, nowNs);
    if (!st.resyncPending) this.resyncQueue.add(market);
  }

  /** Anomaly on the orderbook sid: it carries every tracked market, so all are suspect. */
  private markSidUntrusted(_sid: number, reason: string, nowNs: number): void {
    for (const m of this.markets.keys()) this.markUntrusted(m, reason, nowNs);
  }

  /** The seq check for one orderbook-sid frame. Returns whether the frame may be applied. */
  private seqAccept(sid: number, seq: number, market: string, nowNs: number): boolean {
    if (this.deadSids.has(sid)) {
      this.sink.stat('frames_dead_sid');
      return false;
    }
    if (!this.sidChannel.has(sid)) {
      // Orderbook data on a sid we were never told about: adopt it rather than lose data.
      this.sidChannel.set(sid, BOOK_CHANNEL);
      this.sink.log('warn', 'unknown_sid', { sid, seq, market });
    }
    const verdict = this.seq.check(sid, seq);
    if (verdict === 'ok') return true;
    if (verdict === 'gap') {
      this.counters.gaps++;
      this.sink.stat('seq_gaps');
      this.sink.log('warn', 'seq_gap', { sid, seq, missing: this.seq.lastGapFrames, market });
      this.markSidUntrusted(sid, 'seq_gap', nowNs);
      // The frame itself is intact: a snapshot still restores its market; a delta is dropped
      // because its market is now untrusted.
      return true;
    }
    if (verdict === 'duplicate') {
      this.counters.duplicates++;
      this.sink.stat('seq_duplicates');
    } else {
      this.counters.outOfOrder++;
      this.sink.stat('seq_out_of_order');
    }
    this.sink.log('warn', verdict === 'duplicate' ? 'seq_duplicate' : 'seq_out_of_order', { sid, seq, expected: this.seq.next(sid), market });
    if (market !== '') this.markUntrusted(market, verdict, nowNs);
    else this.markSidUntrusted(sid, verdict, nowNs);
    return false;
  }

  private onInvalid(f: Extract<Frame, { kind: 'invalid' }>, nowNs: number): void {
    this.counters.invalid++;
    this.sink.stat('frames_invalid');
    const n = this.counters.invalid;
    if (n <= INVALID_LOG_FIRST || n % INVALID_LOG_EVERY === 0) {
      this.sink.log('warn', 'frame_invalid', { reason: f.reason, type: f.type, sid: f.sid, seq: f.seq, market: f.market, count: n });
    }
    const isBook = f.type === 'orderbook_delta' || f.type === 'orderbook_snapshot';
    const onBookSid = f.sid >= 0 && (this.sidChannel.get(f.sid) === BOOK_CHANNEL || (isBook && !this.sidChannel.has(f.sid)));
    if (onBookSid && f.seq >= 0) {
      // Keep the seq accounting right (the frame did arrive), then distrust what it touched.
      if (!this.deadSids.has(f.sid)) {
        if (!this.sidChannel.has(f.sid)) this.sidChannel.set(f.sid, BOOK_CHANNEL);
        const v = this.seq.check(f.sid, f.seq);
        if (v === 'gap') {
          this.counters.gaps++;
          this.markSidUntrusted(f.sid, 'seq_gap', nowNs);
        }
      }
    }
    if (isBook || onBookSid) {
      if (f.market !== '' && this.markets.has(f.market)) this.markUntrusted(f.market, 'malformed_frame', nowNs);
      else if (f.sid >= 0) this.markSidUntrusted(f.sid, 'malformed_frame', nowNs);
      else for (const m of this.markets.keys()) this.markUntrusted(m, 'malformed_frame', nowNs);
    }
  }

  private wantedChannelCount(): number {
    return OTHER_CHANNELS.length + (this.markets.size > 0 ? MARKET_CHANNELS.length : 0);
  }

  private subscribeAll(nowNs: number): void {
    if (this.markets.size > 0) {
      const bookNew = !this.subs.has(BOOK_CHANNEL);
      for (const ch of MARKET_CHANNELS) if (!this.subs.has(ch)) this.subscribe(ch, nowNs);
      if (bookNew) this.expectSnapshots(this.markets.keys(), nowNs);
    }
    for (const ch of OTHER_CHANNELS) if (!this.subs.has(ch)) this.subscribe(ch, nowNs);
  }

  private subscribe(channel: string, _nowNs: number): void {
    const isMarketChannel = channel === BOOK_CHANNEL || channel === TRADE_CHANNEL;
    const tickers = isMarketChannel ? [...this.markets.keys()] : [];
    if (isMarketChannel && tickers.length === 0) return; // orderbook_delta requires tickers
    const id = this.issue({ kind: 'subscribe', channel, markets: tickers });
    this.subs.set(channel, { channel, sid: -1, markets: new Set(tickers) });
    const params: Record<string, unknown> = { channels: [channel] };
    if (isMarketChannel) params.market_tickers = tickers;
    this.sink.wsSend({ id, cmd: 'subscribe', params });
  }

  private update(sub: ChannelSub, kind: 'add' | 'delete' | 'get_snapshot', tickers: string[]): void {
    const id = this.issue({ kind, channel: sub.channel, markets: tickers });
    const action = kind === 'add' ? 'add_markets' : kind === 'delete' ? 'delete_markets' : 'get_snapshot';
    this.sink.wsSend({ id, cmd: 'update_subscription', params: { sids: [sub.sid], market_tickers: tickers, action } });
  }

  private issue(p: PendingCommand): number {
    const id = this.nextCommandId++;
    if (this.pending.size >= this.params.pendingCommandsMax) {
      // Overflow policy: forget the oldest unanswered command (its answer will be ignored).
      const oldest = this.pending.keys().next().value as number;
      this.pending.delete(oldest);
      this.sink.stat('ws_pending_overflow');
    }
    this.pending.set(id, p);
    return id;
  }

  private expectSnapshots(tickers: Iterable<string>, nowNs: number): void {
    for (const t of tickers) {
      const st = this.markets.get(t);
      if (st === undefined) continue;
      st.resyncPending = true;
      st.resyncDeadlineNs = nowNs + this.params.resyncTimeoutNs;
      this.resyncQueue.delete(t);
    }
  }

  /** Sends one get_snapshot for every market made untrusted since the last flush. */
  private flushResync(nowNs: number): void {
    if (this.resyncQueue.size === 0) return;
    const sub = this.subs.get(BOOK_CHANNEL);
    if (!this.connected || sub === undefined || sub.sid < 0) {
      // No live subscription: the (re)subscribe in flight brings snapshots for every market.
      this.resyncQueue.clear();
      return;
    }
    const tickers = [...this.resyncQueue];
    this.resyncQueue.clear();
    for (const t of tickers) {
      const st = this.markets.get(t);
      if (st !== undefined) st.resyncAttempts++;
    }
    this.counters.resyncRequests++;
    this.sink.stat('resync_requests');
    this.update(sub, 'get_snapshot', tickers);
    this.expectSnapshots(tickers, nowNs);
  }

  /**
   * Fallback resync for some markets: take them out of the orderbook subscription and add them
   * back (unsubscribe + subscribe at market granularity), which brings a fresh snapshot without
   * disturbing the other markets.
   */
  private readdMarkets(tickers: string[], nowNs: number): void {
    const sub = this.subs.get(BOOK_CHANNEL);
    if (sub === undefined || sub.sid < 0) return;
    this.counters.resubscribes++;
    this.sink.stat('resubscribes');
    this.sink.log('warn', 'resubscribe_markets', { markets: tickers, market: tickers[0] });
    for (const t of tickers) {
      const st = this.markets.get(t);
      if (st !== undefined) st.resyncAttempts++;
    }
    this.update(sub, 'delete', tickers);
    this.update(sub, 'add', tickers);
    this.expectSnapshots(tickers, nowNs);
  }

  /** Fallback resync: drop the orderbook subscription and subscribe again (fresh sid, fresh snapshots). */
  private resubscribeBook(nowNs: number, reason: string): void {
    this.counters.resubscribes++;
    this.sink.stat('resubscribes');
    this.sink.log('warn', 'resubscribe', { reason, markets: this.markets.size });
    const sub = this.subs.get(BOOK_CHANNEL);
    if (sub !== undefined && sub.sid >= 0) {
      const id = this.issue({ kind: 'unsubscribe', channel: BOOK_CHANNEL, markets: [] });
      this.sink.wsSend({ id, cmd: 'unsubscribe', params: { sids: [sub.sid] } });
      this.deadSids.add(sub.sid);
      this.seq.close(sub.sid);
      this.sidChannel.delete(sub.sid);
    }
    this.subs.delete(BOOK_CHANNEL);
    for (const st of this.markets.values()) {
      if (st.resyncPending || st.trust !== TrustState.UNTRUSTED) st.resyncAttempts++;
      this.setTrust(st, TrustState.UNTRUSTED, 'resubscribe', nowNs);
    }
    this.resyncQueue.clear();
    this.subscribe(BOOK_CHANNEL, nowNs);
    this.expectSnapshots(this.markets.keys(), nowNs);
  }

  private onSubscribed(id: number, channel: string, sid: number, nowNs: number): void {
    const p = this.pending.get(id);
    this.pending.delete(id);
    const ch = this.subs.has(channel) ? channel : p?.channel;
    const sub = ch === undefined ? undefined : this.subs.get(ch);
    if (sub === undefined || sub.sid >= 0) {
      this.sink.log('warn', 'unexpected_subscribed', { id, channel, sid });
      return;
    }
    sub.sid = sid;
    this.sidChannel.set(sid, sub.channel);
    if (sub.channel === BOOK_CHANNEL) this.seq.open(sid);
    this.sink.log('info', 'ws_subscribed', { channel: sub.channel, sid, markets: sub.markets.size });
    if (sub.channel === BOOK_CHANNEL || sub.channel === TRADE_CHANNEL) {
      // Markets added or removed while the subscribe was in flight.
      const add: string[] = [];
      for (const m of this.markets.keys()) if (!sub.markets.has(m)) add.push(m);
      const del: string[] = [];
      for (const m of sub.markets) if (!this.markets.has(m)) del.push(m);
      if (add.length > 0) this.update(sub, 'add', add);
      if (del.length > 0) this.update(sub, 'delete', del);
      if (add.length > 0 && sub.channel === BOOK_CHANNEL) this.expectSnapshots(add, nowNs);
    }
    if (this.awaitingResubscribed && this.allSubscribed()) {
      this.awaitingResubscribed = false;
      this.backoff.reset();
      const ev: EnvelopeBody = { connection: { kind: ConnKind.RESUBSCRIBED, attempt: 0, reason: '' } };
      this.sink.send('exec', ev);
      this.sink.send('strategy', ev);
    }
  }

  private allSubscribed(): boolean {
    if (this.subs.size < this.wantedChannelCount()) return false;
    for (const s of this.subs.values()) if (s.sid < 0) return false;
    return true;
  }

  private onOk(id: number, sid: number): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    const sub = this.subs.get(p.channel);
    if (sub === undefined || (sid >= 0 && sub.sid !== sid)) return;
    if (p.kind === 'add') for (const m of p.markets) sub.markets.add(m);
    else if (p.kind === 'delete') for (const m of p.markets) sub.markets.delete(m);
  }

  private onError(id: number, code: number, message: string, nowNs: number): void {
    const p = this.pending.get(id);
    this.pending.delete(id);
    this.sink.stat('ws_errors');
    this.sink.log('warn', 'ws_error', { id, code, message, command: p?.kind ?? 'unknown', channel: p?.channel ?? '' });
    if (p === undefined) return;
    if (p.kind === 'get_snapshot') {
      // get_snapshot unsupported or refused: go straight to the fallback.
      this.resubscribeBook(nowNs, `get_snapshot_error_${code}`);
    } else if (p.kind === 'subscribe') {
      this.subs.delete(p.channel);
      this.subscribeFailures++;
      if (this.subscribeFailures > this.params.resyncMaxAttempts) this.sink.dropConnection(`subscribe_failed_${code}`);
      // otherwise the next tick subscribes again
    }
  }
}

function cause(causationId: number, recvMonoNs: number, exchangeTsMs: number): Causation {
  return { causationId, recvMonoNs, exchangeTsMs };
}
