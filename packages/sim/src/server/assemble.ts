/**
 * The venue without its transport: engine + catalogue + synthetic flow + keys + rate limiter +
 * REST pipeline + websocket hub + fault settings + the demo user's records. `startSim` puts it
 * behind an HTTP/websocket server on real timers; `MemoryExchange` behind in-memory calls in
 * virtual time. Both build it here, so the two cannot drift.
 *
 * Seeded: every random stream is a fork of the root seed by label (engine, catalog, flow, key,
 * faults-ws, faults-rest), so a seed gives the same markets, flow and fault draws in both.
 * The demo key pair is generated (random) unless the caller passes a public key.
 */
import { generateKeyPairSync } from 'node:crypto';
import { SeededRng, type Clock } from '@kmm/shared';
import { Engine } from '../engine/engine.js';
import { uuidFrom } from '../engine/ids.js';
import { weeklyMaintenanceAt } from '../engine/schedule.js';
import type { FillRec, OrderRec, PositionRec } from '../engine/types.js';
import { buildCatalog, SERIES } from '../flow/catalog.js';
import { FlowDriver } from '../flow/flow.js';
import { loadReplay, type ReplaySource } from '../replay/load.js';
import type { ReplayDriver } from '../replay/replay.js';
import { resolveProfile } from '../profiles/load.js';
import type { MarketProfile } from '../profiles/profile.js';
import { KeyRegistry } from './auth.js';
import { defaultFaults, type FaultConfig } from './faults.js';
import { RateLimiter } from './ratelimit.js';
import { checkReadLag, ReadLag, ReadLagListener, type ReadLagOptions } from './readlag.js';
import { RestApi } from './rest.js';
import type { After } from './timers.js';
import { fillJson, orderJson, positionJson } from './wire.js';
import { WsHub } from './ws.js';

export const DEMO_USER = 'demo-user';

/** Options shared by the socket sim and the memory exchange. */
export interface VenueOptions {
  seed?: number;
  /** number of markets (default 20) */
  markets?: number;
  /** time scale of the market (default 1): every flow rate x this, and the rate-limit refills (RateLimiter) */
  speed?: number;
  /** rate-limit tier: basic (default), advanced, expert, premier, paragon, prime, prestige, unlimited */
  tier?: string;
  /** register this public key for the demo user instead of generating a key pair */
  publicKeyPem?: string;
  /** key id to use with publicKeyPem (default: generated from the seed) */
  keyId?: string;
  faults?: Partial<FaultConfig>;
  /** demo user's starting balance in 1/10,000 $ (default $10,000) */
  startingBalanceMoney?: number;
  /** synthetic order flow on (default true) */
  flow?: boolean;
  /** replay market: the capture's markets and recorded books instead of the catalogue and synthetic flow */
  replay?: ReplaySource;
  /**
   * the market profile driving the flow: 'active', 'quiet' (calibrated to real recordings),
   * 'synthetic' (the original uncalibrated flow; the default here, used by the deterministic
   * simulation tests), a JSON file path or a profile object (profiles/)
   */
  profile?: string | MarketProfile;
  /** accepted auth timestamp skew (default 5,000 ms) */
  authWindowMs?: number;
  /** post-only crossing: 'reject' (default, observed) or 'cancel' (documented) */
  postOnlyCrossMode?: 'reject' | 'cancel';
  /** re-subscribe of an existing channel: 'add' (default) or 'error' (code 6) */
  resubscribeMode?: 'add' | 'error';
  /** demo user's balance precision: 'cent' (default, normal member) or 'centicent' (direct member) */
  balancePrecision?: 'cent' | 'centicent';
  /**
   * read-after-write lag of GET orders / positions (default DEFAULT_READ_LAG: 360 ms / 1,000 ms,
   * as recorded on demo; NO_READ_LAG for current reads)
   */
  readLag?: Partial<ReadLagOptions>;
  /**
   * the weekly maintenance trading pause, Thursday 03:00-05:00 New York time, by the venue's
   * clock (default false: a run's outcome must not depend on the day it runs; `kmm sim` turns it on)
   */
  weeklyMaintenance?: boolean;
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
  /**
   * Sim-only (not venue data): per maker fill of ours, the true contracts ahead of the order at
   * its price when the taker that filled it arrived (FillRec.queueAheadCenti). A run folder keeps
   * it as sim-queue.jsonl for the scorecard's "queue ahead at fill, actual".
   */
  makerQueue: SimQueueAtFill[];
}

/** One line of sim-queue.jsonl (SimRecords.makerQueue). */
export interface SimQueueAtFill {
  trade_id: string;
  order_id: string;
  client_order_id: string;
  ahead_centi: number;
}

export interface SimFaults {
  set(partial: Partial<FaultConfig>): void;
  clear(): void;
  get(): FaultConfig;
}

export interface Venue {
  engine: Engine;
  flow: FlowDriver | null;
  /** the replay market's driver (opts.replay), else null */
  replay: ReplayDriver | null;
  keys: KeyRegistry;
  keyId: string;
  /** empty when the caller passed a publicKeyPem */
  privateKeyPem: string;
  hub: WsHub;
  rest: RestApi;
  faults: SimFaults;
  records(): SimRecords;
  /** engine tick, then flow up to the clock's wall time */
  step(): void;
}

/** The pace of the venue's market (seconds of market per second): a replay's speed, else the flow's; 1 for no flow (speed 0). */
export function marketTimeScale(opts: Pick<VenueOptions, 'speed' | 'replay'>): number {
  const speed = opts.replay ? (opts.replay.speed ?? 1) : (opts.speed ?? 1);
  return speed > 0 ? speed : 1;
}

export function assembleVenue(opts: VenueOptions, clock: Clock, after: After): Venue {
  const root = new SeededRng(opts.seed ?? 1);
  const engine = new Engine({ clock, rng: root.fork('engine'), postOnlyCrossMode: opts.postOnlyCrossMode });
  for (const s of SERIES) engine.addSeries(s);
  // the market driver: synthetic flow over a seeded catalogue, or a recording (replay market)
  const catalog = opts.replay ? [] : buildCatalog(root.fork('catalog'), opts.markets ?? 20, clock.wallMs());
  for (const c of catalog) engine.addMarket(c.spec);
  const balanceMicro = (opts.startingBalanceMoney ?? 10_000 * 10_000) * 100;
  engine.createAccount(DEMO_USER, balanceMicro, { precisionMicro: opts.balancePrecision === 'centicent' ? 100 : 10_000, keepHistory: true });
  const replay = opts.replay ? loadReplay(engine, opts.replay, clock.wallMs()) : null;
  const profile = resolveProfile(opts.profile);
  const flow = opts.flow === false || replay ? null : new FlowDriver(engine, root.fork('flow'), catalog, clock.wallMs(), opts.speed ?? 1, profile);

  const keys = new KeyRegistry(opts.authWindowMs ?? 5_000);
  const keyId = opts.keyId ?? uuidFrom(root.fork('key'));
  let privateKeyPem = '';
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
  }

  let faults: FaultConfig = { ...defaultFaults(), ...(opts.faults ?? {}) };
  const hub = new WsHub(engine, root.fork('faults-ws'), faults, { resubscribeMode: opts.resubscribeMode, after });
  const reads = new ReadLag(checkReadLag(opts.readLag), clock);
  engine.listener = reads.active ? new ReadLagListener(hub, reads) : hub;
  // the tier per second of market: a compressed market refills its buckets as much faster (the
  // market's pace: a replay's own speed; speed 0, no flow, leaves real time)
  const limiter = new RateLimiter(opts.tier ?? 'basic', marketTimeScale(opts));

  const applyPause = (f: FaultConfig) => {
    if (f.exchangePaused && engine.exchangeActive) engine.pauseExchange();
    if (!f.exchangePaused && !engine.exchangeActive) engine.resumeExchange();
    if (f.tradingPaused) engine.pauseTrading('admin');
    else engine.resumeTrading('admin');
  };
  applyPause(faults);
  const faultApi: SimFaults = {
    set(p) {
      faults = { ...faults, ...p };
      hub.setFaults(faults);
      applyPause(faults);
    },
    clear() {
      faults = defaultFaults();
      hub.setFaults(faults);
      applyPause(faults);
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
      makerQueue: a.fills.filter((f: FillRec) => !f.isTaker && f.queueAheadCenti >= 0).map((f: FillRec) => ({ trade_id: f.tradeId, order_id: f.orderId, client_order_id: f.clientOrderId, ahead_centi: f.queueAheadCenti })),
    };
  };

  const rest = new RestApi(
    engine,
    keys,
    limiter,
    () => faults,
    root.fork('faults-rest'),
    () => clock.wallMs(),
    {
      setFaults: faultApi.set,
      clearFaults: faultApi.clear,
      getFaults: faultApi.get,
      dropWebSockets: () => hub.dropAll(),
      pauseExchange: () => faultApi.set({ exchangePaused: true }),
      resumeExchange: () => faultApi.set({ exchangePaused: false }),
      settleMarket: (t, r) => engine.settleMarket(t, r),
      records,
      burst: (ops, t) => flow?.burst(ops, t),
    },
    after,
    reads,
  );

  return {
    engine,
    flow,
    replay,
    keys,
    keyId,
    privateKeyPem,
    hub,
    rest,
    faults: faultApi,
    records,
    step: () => {
      if (opts.weeklyMaintenance) {
        const w = weeklyMaintenanceAt(clock.wallMs());
        if (w.paused) engine.pauseTrading('maintenance', w.endsAtMs);
        else engine.resumeTrading('maintenance');
      }
      engine.tick();
      flow?.step(clock.wallMs());
      replay?.step(clock.wallMs());
    },
  };
}
