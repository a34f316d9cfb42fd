/**
 * Assembles the simulator: engine + catalogue + synthetic flow + HTTP (REST, admin) + websocket
 * on 127.0.0.1. The shell owns the timers (flow steps, engine ticks, pings) and the wall clock;
 * the engine and flow stay pure. Exposes the SimHandle the app and the tests use.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiveClock, SeededRng, type Clock } from '@kmm/shared';
import { WebSocketServer } from 'ws';
import { Engine, type MarketState } from '../engine/engine.js';
import { uuidFrom } from '../engine/ids.js';
import type { EngineError, FillRec, OrderRec, PositionRec } from '../engine/types.js';
import { buildCatalog, SERIES } from '../flow/catalog.js';
import { FlowDriver } from '../flow/flow.js';
import { KeyRegistry } from './auth.js';
import { defaultFaults, type FaultConfig } from './faults.js';
import { RateLimiter } from './ratelimit.js';
import { RestApi } from './rest.js';
import { fillJson, orderbookFp, orderJson, positionJson } from './wire.js';
import { Conn, WsHub } from './ws.js';

export interface SimOptions {
  /** 0 = ephemeral */
  port?: number;
  seed?: number;
  /** number of markets (default 20) */
  markets?: number;
  /** flow intensity multiplier (default 1) */
  speed?: number;
  /** rate-limit tier: basic (default), advanced, expert, premier, paragon, prime, prestige, unlimited */
  tier?: string;
  /** register this public key for the demo user instead of generating a key pair */
  publicKeyPem?: string;
  /** key id to use with publicKeyPem (default: generated) */
  keyId?: string;
  /** where the generated demo private key PEM is written (default: a temp folder) */
  keyDir?: string;
  faults?: Partial<FaultConfig>;
  /** demo user's starting balance in 1/10,000 $ (default $10,000) */
  startingBalanceMoney?: number;
  /** synthetic order flow on (default true) */
  flow?: boolean;
  /** websocket heartbeat ping interval (default 10,000 ms) */
  wsPingMs?: number;
  /** flow/tick timer period (default 50 ms) */
  stepMs?: number;
  /** accepted auth timestamp skew (default 5,000 ms) */
  authWindowMs?: number;
  /** post-only crossing: 'reject' (default, observed) or 'cancel' (documented) */
  postOnlyCrossMode?: 'reject' | 'cancel';
  /** re-subscribe of an existing channel: 'add' (default) or 'error' (code 6) */
  resubscribeMode?: 'add' | 'error';
  /** demo user's balance precision: 'cent' (default, normal member) or 'centicent' (direct member) */
  balancePrecision?: 'cent' | 'centicent';
  /** injected clock (default LiveClock: wall time on the wire) */
  clock?: Clock;
}

export interface SimRecords {
  userId: string;
  balanceMicro: number;
  availableMicro: number;
  orders: Array<Record<string, unknown>>;
  fills: Array<Record<string, unknown>>;
  positions: Array<Record<string, unknown>>;
  clientOrderIdsSeen: string[];
  /** per market: signed position (contracts centi) and resting buy/sell size (centi) */
  caps: Array<{ ticker: string; positionCenti: number; restingBidCenti: number; restingAskCenti: number; openOrders: number }>;
  moneyImbalanceMicro: number;
}

export interface SimFaults {
  set(partial: Partial<FaultConfig>): void;
  clear(): void;
  get(): FaultConfig;
}

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

export const DEMO_USER = 'demo-user';

export async function startSim(opts: SimOptions = {}): Promise<SimHandle> {
  const seed = opts.seed ?? 1;
  const clock = opts.clock ?? new LiveClock();
  const root = new SeededRng(seed);
  const engine = new Engine({ clock, rng: root.fork('engine'), postOnlyCrossMode: opts.postOnlyCrossMode });
  for (const s of SERIES) engine.addSeries(s);
  const catalog = buildCatalog(root.fork('catalog'), opts.markets ?? 20, clock.wallMs());
  for (const c of catalog) engine.addMarket(c.spec);
  const balanceMicro = (opts.startingBalanceMoney ?? 10_000 * 10_000) * 100;
  engine.createAccount(DEMO_USER, balanceMicro, { precisionMicro: opts.balancePrecision === 'centicent' ? 100 : 10_000, keepHistory: true });
  const flow = opts.flow === false ? null : new FlowDriver(engine, root.fork('flow'), catalog, clock.wallMs(), opts.speed ?? 1);

  // keys
  const keys = new KeyRegistry(opts.authWindowMs ?? 5_000);
  const keyId = opts.keyId ?? uuidFrom(root.fork('key'));
  let privateKeyPem = '';
  let privateKeyPath = '';
  if (opts.publicKeyPem) {
    keys.add(keyId, opts.publicKeyPem, DEMO_USER);
  } else {
    const kp = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    privateKeyPem = kp.privateKey;
    keys.add(keyId, kp.publicKey, DEMO_USER);
    const dir = opts.keyDir ?? join(tmpdir(), `kmm-sim-${process.pid}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    privateKeyPath = join(dir, `sim-${keyId}.pem`);
    writeFileSync(privateKeyPath, privateKeyPem, { mode: 0o600 });
  }

  let faults: FaultConfig = { ...defaultFaults(), ...(opts.faults ?? {}) };
  const hub = new WsHub(engine, root.fork('faults-ws'), faults, { resubscribeMode: opts.resubscribeMode });
  engine.listener = hub;
  const limiter = new RateLimiter(opts.tier ?? 'basic');

  const applyPause = (paused: boolean) => {
    if (paused && engine.exchangeActive) engine.pauseExchange();
    if (!paused && !engine.exchangeActive) engine.resumeExchange();
  };
  applyPause(faults.exchangePaused);
  const faultApi: SimFaults = {
    set(p) {
      faults = { ...faults, ...p };
      hub.setFaults(faults);
      applyPause(faults.exchangePaused);
    },
    clear() {
      faults = defaultFaults();
      hub.setFaults(faults);
      applyPause(false);
    },
    get: () => ({ ...faults, silenceMarkets: [...faults.silenceMarkets] }),
  };

  const records = (): SimRecords => {
    const a = engine.accounts.get(DEMO_USER)!;
    const orders: OrderRec[] = [...engine.orders.values()].filter((o) => o.userId === DEMO_USER);
    const caps = new Map<string, { ticker: string; positionCenti: number; restingBidCenti: number; restingAskCenti: number; openOrders: number }>();
    const capOf = (t: string) => {
      let c = caps.get(t);
      if (!c) caps.set(t, (c = { ticker: t, positionCenti: a.positions.get(t)?.positionCenti ?? 0, restingBidCenti: 0, restingAskCenti: 0, openOrders: 0 }));
      return c;
    };
    for (const p of a.positions.values()) capOf(p.ticker);
    for (const o of orders) {
      if (o.status !== 'resting') continue;
      const c = capOf(o.ticker);
      c.openOrders++;
      if (o.side === 'bid') c.restingBidCenti += o.remainingCenti;
      else c.restingAskCenti += o.remainingCenti;
    }
    return {
      userId: DEMO_USER,
      balanceMicro: a.cashMicro,
      availableMicro: a.cashMicro - a.reservedMicro,
      orders: orders.map(orderJson),
      fills: a.fills.map((f: FillRec) => fillJson(f)),
      positions: [...a.positions.values()].map((p: PositionRec) => positionJson(p)),
      clientOrderIdsSeen: [...(engine.clientIds.get(DEMO_USER) ?? [])],
      caps: [...caps.values()],
      moneyImbalanceMicro: engine.moneyImbalanceMicro(),
    };
  };

  const rest = new RestApi(engine, keys, limiter, () => faults, root.fork('faults-rest'), () => clock.wallMs(), {
    setFaults: faultApi.set,
    clearFaults: faultApi.clear,
    getFaults: faultApi.get,
    dropWebSockets: () => hub.dropAll(),
    pauseExchange: () => faultApi.set({ exchangePaused: true }),
    resumeExchange: () => faultApi.set({ exchangePaused: false }),
    settleMarket: (t, r) => engine.settleMarket(t, r),
    records,
    burst: (ops, t) => flow?.burst(ops, t),
  });

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

  const stepNow = () => {
    engine.tick();
    flow?.step(clock.wallMs());
  };
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
