/**
 * The ingest actor's descriptor: the websocket connector around IngestCore. Run by `runActor`
 * (worker thread, shell/main.ts: a real `ws` socket and the capture file) and by `LocalKernel`
 * (deterministic simulation: the simulator's in-memory websocket; backtests feed recorded
 * frames straight into the core).
 *
 * In:  Timer 'ingest.tick' (liveness, resync deadlines), 'ingest.ping' (client ping),
 *      one-shot 'ingest.reconnect' (backoff delay chosen by the core), 'ingest.giveup';
 *      Control ADD_MARKETS / REMOVE_MARKETS (json = MarketInfo list) from strategy or sup;
 *      Control RECONCILE from a (re)started exec or strategy: the connection and trust state again;
 *      MarketTrust UNTRUSTED from a book shard (its apply failed): resync that market.
 *      Socket events (open, frame, ping/pong, close) enter through the environment's callbacks.
 * Out: market data to the book shards (routed by market), account events (fills, orders,
 *      positions) to exec, trust/connection/lifecycle to strategy and exec.
 * Every raw frame is written to the capture (with its receive time) BEFORE it is parsed.
 * When reconnect attempts are exhausted it reports an ops error and crashes on purpose, so the
 * supervisor restarts it through the cold-start path.
 */
import { kmm, SeededRng, type ActorDescriptor, type ActorIo, type EnvelopeBody, type KmmConfig } from '@kmm/shared';
import { IngestCore, type IngestSink, type WsCommand } from '../core/ingest.js';
import { ingestParamsOf } from '../core/params.js';

export const INGEST_TICK_MS = 250;
export const INGEST_PING_MS = 10_000;

/** What the environment tells the actor about its socket. */
export interface WsEvents {
  open(): void;
  /**
   * One frame. `turn` (live only): frames of one socket read share it (the websocket delivers them
   * back to back, before any microtask runs, so their envelopes leave ingest as one batch and the
   * book shard sees them in one drain); the capture keeps it, so a backtest plays them as one burst.
   */
  message(text: string, turn?: number): void;
  /** a ping or pong from the exchange */
  heartbeat(): void;
  close(code: number, reason: string): void;
}

/** One websocket connection, as the actor uses it. */
export interface IngestSocket {
  /** false when the socket is not open (the command is counted as unsent) */
  send(text: string): boolean;
  ping(): void;
  /** drop at once, no close handshake; `close` is reported through WsEvents */
  terminate(): void;
  close(): void;
}

export interface IngestEnv {
  connect(events: WsEvents): IngestSocket;
  capture: { write(recvMonoNs: number, recvWallMs: number, text: string, turn?: number): void; readonly dropped: number; close(): Promise<void> } | null;
}

export interface IngestActorState {
  readonly core: IngestCore;
  readonly env: IngestEnv;
  socket: IngestSocket | null;
  /** which connection's events are current (a late event of an old socket is ignored) */
  connection: number;
  stopping: boolean;
}

function sinkOf(state: () => IngestActorState, io: ActorIo, paper: boolean): IngestSink {
  return {
    send(peer: string, body: EnvelopeBody, cause): void {
      if (io.hasPeer(peer)) io.send(peer, body, cause);
      else io.stat('sends_no_peer');
      // paper mode: exec's simulated venue fills our orders from the live book, so it gets book data too
      if (paper && (body.bookSnapshot || body.bookDelta || body.publicTrade) && io.hasPeer('exec')) io.send('exec', body, cause);
    },
    wsSend(command: WsCommand): void {
      const s = state().socket;
      if (s === null || !s.send(JSON.stringify(command))) io.stat('ws_commands_unsent');
    },
    dropConnection(reason: string): void {
      io.log('warn', 'ws_drop', { reason });
      state().socket?.terminate();
    },
    log(level, event, fields): void {
      io.log(level, event, fields);
      if (level === 'error') io.ops(event, typeof fields.market === 'string' ? fields.market : '', level, fields);
    },
    stat(name: string, delta?: number): void {
      io.stat(name, delta);
    },
  };
}

function connect(s: IngestActorState, io: ActorIo): void {
  if (s.stopping) return;
  const id = ++s.connection;
  const c = s.core;
  s.socket = s.env.connect({
    open() {
      if (s.connection === id) c.onConnected(io.now().monoNs);
    },
    message(text: string, turn?: number) {
      if (s.connection !== id) return;
      const t = io.now();
      s.env.capture?.write(t.monoNs, t.wallMs, text, turn);
      c.onFrame(text, t.monoNs, t.wallMs);
    },
    heartbeat() {
      if (s.connection === id) c.onHeartbeat(io.now().monoNs);
    },
    close(code: number, reason: string) {
      if (s.connection !== id) return;
      s.socket = null;
      if (s.stopping) return;
      const delayMs = c.onDisconnected(io.now().monoNs, `close_${code}${reason.length > 0 ? ':' + reason : ''}`);
      if (delayMs === null) {
        io.ops('ws_reconnect_exhausted', '', 'error', { attempts: c.reconnectAttempt() });
        io.after('ingest.giveup', 0);
      } else {
        io.stat('ws_reconnects');
        io.after('ingest.reconnect', delayMs);
      }
    },
  });
}

/** MarketInfo list of an ADD_MARKETS control (json), else its tickers. Bad JSON is an error naming the control. */
export function marketInfosOf(control: kmm.v1.IControl): kmm.v1.IMarketInfo[] {
  const out: kmm.v1.IMarketInfo[] = [];
  if (control.json) {
    let v: unknown;
    try {
      v = JSON.parse(control.json);
    } catch (err) {
      throw new Error(`Control ${control.kind}: json is not JSON (${(err as Error).message})`);
    }
    const list = Array.isArray(v) ? v : [v];
    for (const item of list) {
      if (item !== null && typeof item === 'object' && typeof (item as { market?: unknown }).market === 'string') out.push(item as kmm.v1.IMarketInfo);
    }
  }
  if (out.length === 0 && control.markets) for (const m of control.markets) out.push({ market: m });
  return out;
}

export const ingestActor: ActorDescriptor<IngestActorState, IngestEnv> = {
  kind: kmm.v1.ActorKind.INGEST,
  start(init) {
    const cfg = init.config as KmmConfig & Record<string, unknown>;
    const seed = Number(cfg.kmm_seed ?? 1) ^ init.restartCount;
    let state: IngestActorState | undefined;
    const core = new IngestCore(ingestParamsOf(init.config), init.shardCount, new SeededRng(seed >>> 0).fork('ingest.backoff'), sinkOf(() => state!, init.io, init.extra.paper === true), init.markets);
    state = { core, env: init.env, socket: null, connection: 0, stopping: false };
    connect(state, init.io);
    return state;
  },
  handlers: {
    marketTrust(s, m, t, io, from) {
      if (from.startsWith('book.') && m.state === kmm.v1.TrustState.UNTRUSTED) s.core.requestResync(m.market ?? '', m.reason ?? 'book_invalid', t.monoNs);
      else io.stat('ignored_marketTrust');
    },
    control(s, c, t, io, from) {
      // a (re)started peer asks for the state it missed (connection, every market's trust)
      if (c.kind === kmm.v1.ControlKind.RECONCILE) s.core.replayStateTo(from);
      else if (c.kind === kmm.v1.ControlKind.ADD_MARKETS) io.log('info', 'markets_added', { markets: s.core.addMarkets(marketInfosOf(c), t.monoNs) });
      else if (c.kind === kmm.v1.ControlKind.REMOVE_MARKETS) io.log('info', 'markets_removed', { markets: s.core.removeMarkets(c.markets ?? [], t.monoNs) });
    },
  },
  timers: [
    {
      name: 'ingest.tick',
      periodMs: INGEST_TICK_MS,
      fire(s, t, io) {
        s.core.onTick(t.monoNs);
        if (s.env.capture !== null) io.setStat('capture_dropped', s.env.capture.dropped);
      },
    },
    { name: 'ingest.ping', periodMs: INGEST_PING_MS, fire: (s) => s.socket?.ping() },
    { name: 'ingest.reconnect', periodMs: 0, fire: (s, _t, io) => connect(s, io) },
    {
      name: 'ingest.giveup',
      periodMs: 0,
      fire() {
        throw new Error('ingest: websocket reconnect attempts exhausted');
      },
    },
  ],
  async stop(s) {
    s.stopping = true;
    s.socket?.close();
    s.socket = null;
    await s.env.capture?.close();
  },
};
