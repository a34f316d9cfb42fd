/**
 * MemoryExchange: the simulator's venue (matching engine, catalogue, synthetic flow, auth, rate
 * limits, REST pipeline, websocket hub, faults; assembled by the same code as `startSim`) with
 * the sockets replaced by in-memory messages, for deterministic simulation testing in one thread.
 *
 * Time: all of it from the injected clock (the kernel's SimClock); all deferred work (network
 * latency, the REST and websocket fault delays) through the injected Scheduler. No real timer,
 * no Date.now, no socket. Periodic work is the kernel's: it calls `step()` every `stepPeriodMs`
 * (engine tick, flow up to now, server heartbeat pings when due).
 *
 * REST: `request()` is the synchronous server side (the exact status and body text the HTTP
 * server would write, or "no reply" for the timeout fault); `restTransport()` is the client
 * side for RestClient: seeded one-way latency each way, the fault delays, and for a timed-out
 * request a connection reset after `restTimeoutMs` (ECONNRESET, as node:http reports it).
 *
 * Websocket: `connect()` returns a MemoryWsConn whose callbacks get the exact frame text the
 * hub would write on a real socket, in order (one FIFO per direction, seeded latency per
 * message), the server's heartbeat pings (onPing), pongs to the client's pings (onPong), and
 * one onClose(code, reason) at the end: 1006 when the server drops the connection (fault or
 * dropWebSockets) or the client terminates, 1008 'buffer overflow', the echoed code when the
 * client closes, 1006 after an error for a refused upgrade (bad auth: onError first).
 * Callbacks never run inside the call that caused them; each runs as its own scheduler event.
 *
 * Determinism: every random draw (flow, fault draws, latency) comes from forks of the seed, in
 * call order; the same seed and the same sequence of calls at the same virtual times give the
 * same frames and replies.
 */
import { SeededRng, type Clock, type Rng } from '@kmm/shared';
import type { Engine, MarketState } from '../engine/engine.js';
import type { EngineError } from '../engine/types.js';
import type { FlowDriver } from '../flow/flow.js';
import type { ReplayDriver } from '../replay/replay.js';
import { assembleVenue, DEMO_USER, type SimFaults, type SimRecords, type Venue, type VenueOptions } from '../server/assemble.js';
import type { RestOutcome } from '../server/rest.js';
import { afterOn, type Scheduler } from '../server/timers.js';
import { orderbookFp } from '../server/wire.js';
import { Conn, type WsSocket } from '../server/ws.js';

export const MEMORY_REST_BASE_URL = 'http://kmm-memory-exchange/trade-api/v2';
export const MEMORY_WS_PATH = '/trade-api/ws/v2';
/** close code of a connection that ended without a close frame (ws reports 1006) */
export const WS_ABNORMAL_CLOSE = 1006;

export interface MemoryExchangeOptions extends VenueOptions {
  /** the kernel's clock (a SimClock) */
  clock: Clock;
  scheduler: Scheduler;
  /** server heartbeat ping interval (default 10,000 ms) */
  wsPingMs?: number;
  /** period at which the kernel should call step() (default 50 ms, as the socket sim) */
  stepMs?: number;
  /** one-way network latency, drawn per message uniformly in [minMs, maxMs] (default 1..3 ms) */
  netLatencyMs?: { minMs: number; maxMs: number };
}

/** What RestClient hands its transport. `url` is absolute; header names in any case. */
export interface MemoryRestRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}
export interface MemoryRestResponse {
  status: number;
  bodyText: string;
}

export interface MemoryWsHandlers {
  /** the upgrade succeeded */
  onOpen?(): void;
  /** one text frame, exactly as the sim writes it on a socket */
  onFrame(text: string): void;
  /** server heartbeat ping (payload "heartbeat") */
  onPing?(): void;
  /** answer to our ping() */
  onPong?(): void;
  /** before onClose when the upgrade is refused (e.g. "Unexpected server response: 401") */
  onError?(message: string): void;
  /** last callback of the connection */
  onClose(code: number, reason: string): void;
}

export type MemoryWsState = 'connecting' | 'open' | 'closing' | 'closed';

export interface MemoryWsConn {
  readonly state: MemoryWsState;
  /** sends a text frame to the server; dropped unless the connection is open */
  send(text: string): void;
  /** close handshake: the server echoes the code, onClose(code, reason) follows */
  close(code?: number, reason?: string): void;
  /** drops the connection without a handshake (ws terminate()): onClose(1006, '') */
  terminate(): void;
  /** websocket ping; the server answers with a pong (onPong) */
  ping(): void;
}

export interface MemoryExchangeStats {
  wsFramesSent: number;
  restRequests: number;
  rest429: number;
  wsConnections: number;
  /** messages (frames, pings, pongs, closes) delivered to clients */
  wsDelivered: number;
}

function lowerHeaders(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(h)) out[k.toLowerCase()] = h[k];
  return out;
}

/** The path with its query of an absolute or relative URL, as written on the request line. */
function requestTarget(url: string): string {
  const scheme = url.indexOf('://');
  if (scheme < 0) return url;
  const slash = url.indexOf('/', scheme + 3);
  return slash < 0 ? '/' : url.slice(slash);
}

export class MemoryExchange {
  readonly keyId: string;
  /** empty when the exchange was made with a caller's publicKeyPem */
  readonly privateKeyPem: string;
  readonly userId = DEMO_USER;
  readonly stepPeriodMs: number;
  /** for RestClient's baseUrl: requests to it go to this exchange through restTransport() */
  readonly restBaseUrl = MEMORY_REST_BASE_URL;
  readonly wsPath = MEMORY_WS_PATH;
  readonly engine: Engine;
  readonly flow: FlowDriver | null;
  /** the replay market's driver (opts.replay), else null */
  readonly replay: ReplayDriver | null;
  readonly faults: SimFaults;
  private readonly venue: Venue;
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly netRng: Rng;
  private readonly latMinNs: number;
  private readonly latSpanNs: number;
  private readonly pingPeriodNs: number;
  private nextPingNs: number;
  private wsDelivered = 0;

  constructor(opts: MemoryExchangeOptions) {
    const lat = opts.netLatencyMs ?? { minMs: 1, maxMs: 3 };
    if (!(lat.minMs >= 0 && lat.maxMs >= lat.minMs)) throw new Error(`netLatencyMs must have 0 <= minMs <= maxMs (got ${lat.minMs}..${lat.maxMs})`);
    const stepMs = opts.stepMs ?? 50;
    if (!(stepMs > 0)) throw new Error(`stepMs must be positive (got ${stepMs})`);
    const pingMs = opts.wsPingMs ?? 10_000;
    if (!(pingMs > 0)) throw new Error(`wsPingMs must be positive (got ${pingMs})`);
    this.clock = opts.clock;
    this.scheduler = opts.scheduler;
    this.venue = assembleVenue(opts, opts.clock, afterOn(opts.scheduler, opts.clock));
    this.netRng = new SeededRng(opts.seed ?? 1).fork('net');
    this.latMinNs = Math.round(lat.minMs * 1e6);
    this.latSpanNs = Math.round((lat.maxMs - lat.minMs) * 1e6);
    this.stepPeriodMs = stepMs;
    this.pingPeriodNs = Math.round(pingMs * 1e6);
    this.nextPingNs = this.clock.monoNs() + this.pingPeriodNs;
    this.keyId = this.venue.keyId;
    this.privateKeyPem = this.venue.privateKeyPem;
    this.engine = this.venue.engine;
    this.flow = this.venue.flow;
    this.replay = this.venue.replay;
    this.faults = this.venue.faults;
  }

  // ---------------------------------------------------------------- time

  /** Engine tick and flow up to the clock's now; heartbeat pings when due. Call every stepPeriodMs. */
  step(): void {
    this.venue.step();
    const now = this.clock.monoNs();
    if (now >= this.nextPingNs) {
      this.venue.hub.pingAll();
      this.nextPingNs = now + this.pingPeriodNs;
    }
  }

  /** One-way network latency of the next message (seeded). */
  private latencyNs(): number {
    return this.latMinNs + (this.latSpanNs > 0 ? Math.floor(this.netRng.next() * (this.latSpanNs + 1)) : 0);
  }

  private at(tNs: number, fn: () => void): void {
    this.scheduler.at(tNs, fn);
  }

  // ---------------------------------------------------------------- REST

  /**
   * Server side of one request, synchronous: the same pipeline as HTTP (faults -> auth -> rate
   * limit -> handler). `pathWithQuery` e.g. '/trade-api/v2/portfolio/orders?status=resting'.
   * A reply is meant to reach the client `delayMs` later (REST latency fault) plus the network;
   * 'no_reply' (timeout fault): nothing comes back, the server resets the connection after
   * `resetAfterMs`.
   */
  request(method: string, pathWithQuery: string, headers: Record<string, string>, bodyText: string): RestOutcome {
    return this.venue.rest.respond(method, pathWithQuery, lowerHeaders(headers), bodyText);
  }

  /**
   * Client side for RestClient (`RestClientOptions.transport`): the request reaches the server
   * after the network latency, the answer comes back after the fault delay and the latency.
   * A timed-out request rejects with ECONNRESET after the server's restTimeoutMs (a client
   * timeout that is shorter fires first).
   */
  restTransport(): (req: MemoryRestRequest) => Promise<MemoryRestResponse> {
    return (req) =>
      new Promise<MemoryRestResponse>((resolve, reject) => {
        const target = requestTarget(req.url);
        this.at(this.clock.monoNs() + this.latencyNs(), () => {
          const out = this.request(req.method, target, req.headers, req.body ?? '');
          if (out.kind === 'reply') {
            this.at(this.clock.monoNs() + Math.round(out.delayMs * 1e6) + this.latencyNs(), () => resolve({ status: out.status, bodyText: out.bodyText }));
          } else {
            this.at(this.clock.monoNs() + Math.round(out.resetAfterMs * 1e6) + this.latencyNs(), () =>
              reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })),
            );
          }
        });
      });
  }

  // ---------------------------------------------------------------- websocket

  /**
   * Opens a websocket as a client would: `headers` are the upgrade's (signed GET of
   * /trade-api/ws/v2). Auth is checked when the upgrade reaches the server.
   */
  connect(headers: Record<string, string>, handlers: MemoryWsHandlers): MemoryWsConn {
    const hub = this.venue.hub;
    const keys = this.venue.keys;
    let state: MemoryWsState = 'connecting';
    let conn: Conn | null = null;
    /** the server side has gone (dropped, closed or told of the client's close) */
    let serverGone = false;
    /** the client terminated: nothing more is delivered to it */
    let terminated = false;
    let downNs = 0;
    let upNs = 0;
    // One FIFO per direction: a message never overtakes an earlier one.
    const down = (fn: () => void) => {
      downNs = Math.max(downNs, this.clock.monoNs() + this.latencyNs());
      this.at(downNs, () => {
        if (state === 'closed' || terminated) return;
        this.wsDelivered++;
        fn();
      });
    };
    const up = (fn: () => void) => {
      upNs = Math.max(upNs, this.clock.monoNs() + this.latencyNs());
      this.at(upNs, fn);
    };
    const closeClient = (code: number, reason: string) => {
      if (state === 'closed') return;
      state = 'closed';
      handlers.onClose(code, reason);
    };
    const serverClose = (code: number, reason: string) => {
      if (serverGone) return;
      serverGone = true;
      if (conn) hub.remove(conn);
      down(() => closeClient(code, reason));
    };
    const socket: WsSocket = {
      bufferedAmount: 0,
      send: (frame) => {
        if (!serverGone) down(() => handlers.onFrame(frame));
      },
      close: (code, reason) => serverClose(code, reason),
      terminate: () => serverClose(WS_ABNORMAL_CLOSE, ''),
      ping: () => {
        if (!serverGone && handlers.onPing) down(() => handlers.onPing!());
      },
    };
    const userHeaders = lowerHeaders(headers);
    up(() => {
      if (state !== 'connecting') return; // the client gave up before the upgrade arrived
      const a = keys.check(userHeaders, 'GET', MEMORY_WS_PATH, this.clock.wallMs());
      if (!a.ok) {
        serverGone = true;
        down(() => {
          handlers.onError?.('Unexpected server response: 401');
          closeClient(WS_ABNORMAL_CLOSE, '');
        });
        return;
      }
      conn = new Conn(socket, a.userId);
      hub.add(conn);
      down(() => {
        if (state !== 'connecting') return;
        state = 'open';
        handlers.onOpen?.();
      });
    });
    const terminate = () => {
      if (state === 'closed' || terminated) return;
      terminated = true;
      state = 'closing';
      // the client's close event comes at once; the server notices the closed socket later
      this.at(this.clock.monoNs(), () => closeClient(WS_ABNORMAL_CLOSE, ''));
      up(() => {
        if (serverGone) return;
        serverGone = true;
        if (conn) hub.remove(conn);
      });
    };
    return {
      get state() {
        return state;
      },
      send: (text) => {
        if (state !== 'open') return;
        up(() => {
          if (!serverGone && conn) hub.handle(conn, text);
        });
      },
      close: (code = 1000, reason = '') => {
        if (state === 'connecting') return terminate(); // ws: closed before the connection was established
        if (state === 'closing' || state === 'closed') return;
        state = 'closing';
        up(() => {
          if (serverGone) return;
          serverGone = true;
          if (conn) hub.remove(conn);
          // the server echoes the close frame
          down(() => closeClient(code, reason));
        });
      },
      terminate,
      ping: () => {
        if (state !== 'open') return;
        up(() => {
          if (!serverGone && handlers.onPong) down(() => handlers.onPong!());
        });
      },
    };
  }

  // ---------------------------------------------------------------- control and checks

  pauseExchange(): void {
    this.faults.set({ exchangePaused: true });
  }
  resumeExchange(): void {
    this.faults.set({ exchangePaused: false });
  }
  settleMarket(ticker: string, result: 'yes' | 'no'): EngineError | { ok: true } {
    return this.engine.settleMarket(ticker, result);
  }
  /** Drops every websocket now (each client gets onClose(1006) after the latency). */
  dropWebSockets(): void {
    this.venue.hub.dropAll();
  }
  /** The demo user's orders, fills, positions, client order ids and cap checks (as SimHandle.records). */
  records(): SimRecords {
    return this.venue.records();
  }
  markets(): MarketState[] {
    return [...this.engine.markets.values()];
  }
  book(ticker: string): { yes_dollars: string[][]; no_dollars: string[][] } | null {
    const m = this.engine.markets.get(ticker);
    return m ? orderbookFp(m) : null;
  }
  stats(): MemoryExchangeStats {
    const hub = this.venue.hub;
    const rest = this.venue.rest;
    return { wsFramesSent: hub.framesSent, restRequests: rest.stats.requests, rest429: rest.stats.rejected429, wsConnections: hub.conns.size, wsDelivered: this.wsDelivered };
  }
}
