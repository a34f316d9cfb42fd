/**
 * The simulator behind sockets: the venue (assemble.ts) + HTTP (REST, admin) + websocket on
 * 127.0.0.1. The shell owns the timers (flow steps, engine ticks, pings, fault delays on real
 * timers) and the wall clock; the engine and flow stay pure. Exposes the SimHandle the app and
 * the tests use. MemoryExchange (memory/exchange.ts) is the same venue without sockets.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiveClock, makeDirsSync, type Clock } from '@kmm/shared';
import { WebSocketServer } from 'ws';
import type { Engine, MarketState } from '../engine/engine.js';
import type { EngineError } from '../engine/types.js';
import type { FlowDriver } from '../flow/flow.js';
import type { ReplayDriver } from '../replay/replay.js';
import { assembleVenue, DEMO_USER, type SimFaults, type SimQueueAtFill, type SimRecords, type VenueOptions } from './assemble.js';
import { openClientIdLog } from './clientids.js';
import { realAfter } from './timers.js';
import { orderbookFp } from './wire.js';
import { Conn } from './ws.js';

export interface SimOptions extends VenueOptions {
  /** 0 = ephemeral */
  port?: number;
  /** where the generated demo private key PEM is written (default: a temp folder) */
  keyDir?: string;
  /** websocket heartbeat ping interval (default 10,000 ms) */
  wsPingMs?: number;
  /** flow/tick timer period (default 50 ms) */
  stepMs?: number;
  /** injected clock (default LiveClock: wall time on the wire) */
  clock?: Clock;
  /**
   * folder of the sim's state across restarts: the used client order ids
   * (client-order-ids.log), refused with 409 forever as Kalshi does. Default: none (forgotten)
   */
  dataDir?: string;
}

export type { SimRecords, SimQueueAtFill, SimFaults };

export interface SimHandle {
  restBaseUrl: string;
  wsUrl: string;
  keyId: string;
  /** empty when the sim was started with a caller's publicKeyPem */
  privateKeyPem: string;
  privateKeyPath: string;
  port: number;
  /** the demo user's id (owner of keyId) */
  userId: string;
  faults: SimFaults;
  /** the matching engine (verification only: call it on the sim's thread) */
  engine: Engine;
  flow: FlowDriver | null;
  /** the replay market's driver (opts.replay), else null */
  replay: ReplayDriver | null;
  /** every market's state */
  markets(): MarketState[];
  /** a market's book in Kalshi orderbook_fp format */
  book(ticker: string): { yes_dollars: string[][]; no_dollars: string[][] } | null;
  /** the demo user's orders (all statuses), fills, positions, client_order_ids, cap checks */
  records(): SimRecords;
  pauseExchange(): void;
  resumeExchange(): void;
  settleMarket(ticker: string, result: 'yes' | 'no'): EngineError | { ok: true };
  dropWebSockets(): void;
  /** runs flow up to now immediately (tests) */
  stepNow(): void;
  /** counters: websocket frames sent, REST requests, 429s */
  stats(): { wsFramesSent: number; restRequests: number; rest429: number; wsConnections: number };
  close(): Promise<void>;
}

export { DEMO_USER };

export async function startSim(opts: SimOptions = {}): Promise<SimHandle> {
  const clock = opts.clock ?? new LiveClock();
  const venue = assembleVenue(opts, clock, realAfter);
  const { engine, flow, keys, keyId, privateKeyPem, hub, rest, records } = venue;
  if (opts.dataDir) {
    const log = openClientIdLog(opts.dataDir);
    const byUser = new Map<string, string[]>();
    for (const [u, id] of log.used) {
      const l = byUser.get(u);
      if (l) l.push(id);
      else byUser.set(u, [id]);
    }
    for (const [u, ids] of byUser) engine.restoreClientIds(u, ids);
    engine.onClientIdUsed = log.append;
  }
  const faultApi = venue.faults;
  let privateKeyPath = '';
  if (privateKeyPem) {
    const dir = opts.keyDir ?? join(tmpdir(), `kmm-sim-${process.pid}`);
    makeDirsSync(dir, 0o700); // not mkdirSync({ recursive }): it never returns for /proc/x
    privateKeyPath = join(dir, `sim-${keyId}.pem`);
    writeFileSync(privateKeyPath, privateKeyPem, { mode: 0o600 });
  }

  const server: Server = createServer((req, res) => rest.handle(req, res));
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/trade-api/ws/v2') {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const a = keys.check(req.headers, 'GET', path, clock.wallMs());
    if (!a.ok) {
      const body = JSON.stringify({ error: a.details ? { code: a.code, details: a.details, message: a.message } : { code: a.code, message: a.message } });
      socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const c = new Conn(ws, a.userId);
      hub.add(c);
      ws.on('message', (data) => hub.handle(c, data.toString()));
      ws.on('close', () => hub.remove(c));
      ws.on('error', () => hub.remove(c));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;

  const stepNow = venue.step;
  const stepTimer = setInterval(stepNow, opts.stepMs ?? 50);
  const pingTimer = setInterval(() => hub.pingAll(), opts.wsPingMs ?? 10_000);
  stepTimer.unref();
  pingTimer.unref();

  return {
    restBaseUrl: `http://127.0.0.1:${port}/trade-api/v2`,
    wsUrl: `ws://127.0.0.1:${port}/trade-api/ws/v2`,
    keyId,
    privateKeyPem,
    privateKeyPath,
    port,
    userId: DEMO_USER,
    faults: faultApi,
    engine,
    flow,
    replay: venue.replay,
    markets: () => [...engine.markets.values()],
    book: (t) => {
      const m = engine.markets.get(t);
      return m ? orderbookFp(m) : null;
    },
    records,
    pauseExchange: () => faultApi.set({ exchangePaused: true }),
    resumeExchange: () => faultApi.set({ exchangePaused: false }),
    settleMarket: (t, r) => engine.settleMarket(t, r),
    dropWebSockets: () => hub.dropAll(),
    stepNow,
    stats: () => ({ wsFramesSent: hub.framesSent, restRequests: rest.stats.requests, rest429: rest.stats.rejected429, wsConnections: hub.conns.size }),
    close: async () => {
      clearInterval(stepTimer);
      clearInterval(pingTimer);
      hub.dropAll();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
