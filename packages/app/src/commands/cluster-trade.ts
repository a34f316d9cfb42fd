/**
 * The trading part of a cluster node (issue 19): what `kmm node` runs besides the control plane
 * when it is given an exchange (REST + websocket + key) and the cluster's market list.
 *
 *   gateway role   per exchange shard it serves: a GatewayController (lease gateway.<shard>)
 *                  around an ExecGatewayHost: the real exec actor + its own ingest (the
 *                  account's user data) for the shard's markets, journal on JetStream, replies
 *                  routed per market to the owning node's strategy / book actor. When it becomes
 *                  active it asks every strategy to send its targets again.
 *   strategy role  a StrategyNodeHost: ingest, book and strategy for the markets of the events
 *                  assigned to this node, restarted on each new assignment
 *
 * The market list (ClusterMarkets: MarketInfo + each market's exchange shard) must be the same on
 * every node: `kmm cluster up|chaos` discovers it once and hands every node the file; a node
 * without a file discovers it itself (discoverClusterMarkets).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AllowanceWatch,
  EventAllowanceWatch,
  ExecGatewayHost,
  GatewayController,
  StrategyNodeHost,
  allStrategyActors,
  bookActor,
  eventKeyOf,
  eventsOf,
  gatewayActor,
  routeOfMarket,
  type AssignmentWatch,
  type ClusterBuckets,
  type EventLoad,
  type NatsConnection,
  type NatsTransport,
} from '@kmm/cluster';
import { kmm, type Supervisor } from '@kmm/shared';
import { fetchMarkets } from '../system/markets.js';
import { shellScript } from '../system/topology.js';

/** The cluster's markets: what the assigner distributes and where each market's orders go. */
export interface ClusterMarkets {
  markets: kmm.v1.IMarketInfo[];
  /** market -> exchange shard (the venue's exchange_index) */
  shardOf: Record<string, number>;
}

export interface ExchangeAccess {
  restBaseUrl: string;
  wsUrl: string;
  keyId: string;
  privateKeyPath: string;
}

/** Open markets (most active first, at most `limit`) with their exchange shards. */
export async function discoverClusterMarkets(restBaseUrl: string, limit: number): Promise<ClusterMarkets> {
  const markets = await fetchMarkets(restBaseUrl, limit);
  const want = new Set(markets.map((m) => m.market ?? ''));
  const shardOf: Record<string, number> = {};
  let cursor = '';
  for (let page = 0; page < 50; page++) {
    const res = await fetch(`${restBaseUrl}/markets?status=open&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (!res.ok) throw new Error(`GET /markets -> HTTP ${res.status}`);
    const body = (await res.json()) as { markets?: Array<{ ticker: string; exchange_index?: number }>; cursor?: string };
    for (const m of body.markets ?? []) if (want.has(m.ticker)) shardOf[m.ticker] = typeof m.exchange_index === 'number' ? m.exchange_index : 0;
    cursor = body.cursor ?? '';
    if (!cursor) break;
  }
  for (const m of want) if (shardOf[m] === undefined) throw new Error(`market ${m} has no exchange_index in GET /markets`);
  return { markets, shardOf };
}

export function writeClusterMarkets(file: string, m: ClusterMarkets): void {
  writeFileSync(file, JSON.stringify(m) + '\n');
}

export function readClusterMarkets(file: string): ClusterMarkets {
  let v: ClusterMarkets;
  try {
    v = JSON.parse(readFileSync(file, 'utf8')) as ClusterMarkets;
  } catch (err) {
    throw new Error(`cannot read the cluster's market list ${file}: ${(err as Error).message}`);
  }
  if (!Array.isArray(v.markets) || typeof v.shardOf !== 'object') throw new Error(`${file} is not a cluster market list ({markets, shardOf})`);
  for (const m of v.markets) if (v.shardOf[m.market ?? ''] === undefined) throw new Error(`${file}: market ${m.market} has no exchange shard`);
  return v;
}

/** The events of a market list with their market counts (what the assigner distributes). */
export function eventLoads(m: ClusterMarkets): EventLoad[] {
  const byEvent = new Map<string, number>();
  for (const x of m.markets) byEvent.set(eventOf(x), (byEvent.get(eventOf(x)) ?? 0) + 1);
  return [...byEvent].map(([event, n]) => ({ event, markets: n }));
}

function eventOf(m: kmm.v1.IMarketInfo): string {
  return m.eventTicker || (m.market ?? '');
}

/** One shard's share of the account's worst-case loss cap (USD, rounded down to the cent). */
export function shardAllowanceUsd(totalUsd: number, shards: number): number {
  return Math.floor((totalUsd * 100) / Math.max(1, shards)) / 100;
}

/**
 * A gateway's share of the account's REST read bucket (kmm_read_share_fraction): the account
 * has one read bucket for every process that trades it, and each exchange shard's gateway
 * reads the account (its orders, positions, fills), so each gets 1 / the number of shards.
 */
export function gatewayReadShare(shards: number): number {
  return 1 / Math.max(1, shards);
}

/**
 * The config of a shard's gateway (exec): the node's config with the cluster's splits of what the
 * account has once: the worst-case loss cap (until the risk aggregator's allowance replaces it)
 * and the read bucket, each split evenly over the `shards` exchange shards. The read share the
 * operator set (kmm_read_share_fraction in `explicit`: file, environment or --set) is kept as set
 * (MM_MAX_TOTAL_LOSS_USD is always the account's cap, so always split).
 */
export function gatewayConfig(config: Record<string, unknown>, shards: number, explicit: ReadonlySet<string> = new Set()): Record<string, unknown> {
  return {
    ...config,
    MM_MAX_TOTAL_LOSS_USD: shardAllowanceUsd(Number(config.MM_MAX_TOTAL_LOSS_USD ?? 0), shards),
    kmm_read_share_fraction: explicit.has('kmm_read_share_fraction') ? config.kmm_read_share_fraction : gatewayReadShare(shards),
  };
}

/** The exchange shards of a market list (sorted). */
export function shardsOf(m: ClusterMarkets): number[] {
  return [...new Set(Object.values(m.shardOf))].sort((a, b) => a - b);
}

export interface TradingOptions {
  nc: NatsConnection;
  transport: NatsTransport;
  buckets: ClusterBuckets;
  natsUrl: string;
  nodeId: string;
  roles: string[];
  shards: number[];
  watch: AssignmentWatch;
  markets: ClusterMarkets;
  exchange: ExchangeAccess;
  config: Record<string, unknown>;
  /** config keys the operator set (file, environment, --set): the cluster's splits keep them */
  explicit?: ReadonlySet<string>;
  runDir: string;
  say: (event: string, fields?: Record<string, unknown>) => void;
  setLoad: (load: Record<string, number>) => void;
}

/** Starts the node's trading roles; returns their graceful stops (strategy first, then gateways). */
export async function startTrading(o: TradingOptions): Promise<Array<() => Promise<void>>> {
  const stops: Array<() => Promise<void>> = [];
  const eventOfMarket = new Map(o.markets.markets.map((m) => [m.market ?? '', eventOf(m)]));
  const shardOf = new Map(Object.entries(o.markets.shardOf));
  const allShards = shardsOf(o.markets);
  const access = { env: 'sim', restBaseUrl: o.exchange.restBaseUrl, wsUrl: o.exchange.wsUrl, keyId: o.exchange.keyId, privateKeyPath: o.exchange.privateKeyPath };
  const opsLine = (ev: { actor: string; event: string; level: string; json: string }): void => {
    if (ev.level === 'error') o.say('actor_error', { actor: ev.actor, event: ev.event, json: ev.json.slice(0, 300) });
  };
  mkdirSync(o.runDir, { recursive: true });
  // the node's drops for the cluster panel and `kmm bench cluster`: messages its actors' mailboxes
  // dropped (Supervisor.health), summed over its strategy and gateway supervisors, every second
  const supervisors: Array<() => Supervisor | null> = [];
  const dropTimer = setInterval(() => {
    let dropped = 0;
    for (const sup of supervisors) for (const h of sup()?.health().values() ?? []) dropped += Number(h.dropped ?? 0);
    o.setLoad({ dropped });
  }, 1000);
  stops.push(async () => clearInterval(dropTimer));

  if (o.roles.includes('strategy')) {
    const host = new StrategyNodeHost({
      transport: o.transport,
      nodeId: o.nodeId,
      scripts: { ingest: shellScript('@kmm/ingest-worker'), book: shellScript('@kmm/book-worker'), strategy: shellScript('@kmm/strategy-worker') },
      extra: { ...access, runDir: join(o.runDir, 'strategy') },
      config: o.config,
      shardOf,
      shards: allShards,
      onOps: opsLine,
      onRestart: (r) => o.say('actor_restart', r),
    });
    supervisors.push(() => host.supervisor);
    mkdirSync(join(o.runDir, 'strategy'), { recursive: true });
    const onAssignment = (_a: unknown, mine: string[]): void => {
      const own = new Set(mine);
      const list = o.markets.markets.filter((m) => own.has(eventOf(m)));
      o.setLoad({ events: mine.length, markets: list.length });
      void host.setMarkets(list).then(
        () => o.say('strategy_markets', { events: mine.length, markets: list.length }),
        (err: Error) => o.say('strategy_error', { error: err.message }),
      );
    };
    o.watch.on('assignment', onAssignment);
    if (o.watch.current.version > 0) onAssignment(o.watch.current, eventsOf(o.watch.current, o.nodeId));
    stops.push(() => {
      o.watch.off('assignment', onAssignment);
      return host.stop();
    });
  }

  if (o.roles.includes('gateway')) {
    // the node's gateway load for the cluster panel: shards it serves now and their markets
    const activeShards = new Map<number, number>();
    const gatewayLoad = (): void => o.setLoad({ gatewayShards: activeShards.size, gatewayMarkets: [...activeShards.values()].reduce((a, b) => a + b, 0) });
    gatewayLoad(); // a standby shows 0 shards served
    for (const shard of o.shards) {
      const list = o.markets.markets.filter((m) => o.markets.shardOf[m.market ?? ''] === shard);
      if (list.length === 0) {
        o.say('gateway_idle', { shard, why: 'no market of the list is on this exchange shard' });
        continue;
      }
      const runDir = join(o.runDir, `gateway-${shard}`);
      mkdirSync(runDir, { recursive: true });
      const owner = (m: string): string | null => {
        const ev = eventOfMarket.get(m);
        return ev === undefined ? null : (o.watch.current.byEvent[ev] ?? null);
      };
      const host = new ExecGatewayHost({
        transport: o.transport,
        natsUrl: o.natsUrl,
        shard,
        routeOf: (m) => routeOfMarket(o.watch.current, eventOfMarket, m),
        allRoutes: () => allStrategyActors(o.watch.current),
        bookRouteOf: (m) => {
          const n = owner(m);
          return n === null ? null : bookActor(n);
        },
        ingestScript: shellScript('@kmm/ingest-worker'),
        extra: { ...access, markets: list, runDir, clusterShards: allShards.length },
        // until the risk aggregator writes the shard's allowance: the account's loss cap split
        // evenly over the shards (each gateway checks its share locally on the hot path, and the
        // shares never add up to more than the account cap); the account's read bucket likewise
        config: gatewayConfig(o.config, allShards.length, o.explicit),
        onOps: opsLine,
      });
      supervisors.push(() => host.supervisor);
      // the risk aggregator's allowance for the shard replaces the even split once it is written
      const allowance = new AllowanceWatch(o.buckets.control, shard);
      allowance.on('allowance', (usd: number) => host.setAllowanceUsd(usd));
      allowance.on('error', (err: Error) => o.say('allowance_error', { shard, error: err.message }));
      await allowance.start();
      // and its events' allowances (exec's event keys of the shard's markets) cap each event in exec's pre-flight
      const eventAllowances = new EventAllowanceWatch(o.buckets.control, list.map((m) => eventKeyOf(m.market ?? '', m.eventTicker)));
      eventAllowances.on('allowances', (usd: Map<string, number>) => host.setEventAllowancesUsd(usd));
      eventAllowances.on('error', (err: Error) => o.say('allowance_error', { shard, error: err.message }));
      await eventAllowances.start();
      const gw = new GatewayController(o.nc, o.transport, o.buckets, shard, o.nodeId, host);
      gw.on('error', (err: Error) => o.say('gateway_error', { shard, error: err.message }));
      gw.on('active', (epoch: number) => {
        activeShards.set(shard, list.length);
        gatewayLoad();
        o.say('gateway_active', { shard, epoch, markets: list.length, orderExpiryS: gw.orderExpiryS });
        // targets sent while no gateway served the shard were lost: every strategy sends its targets again
        for (const s of allStrategyActors(o.watch.current)) o.transport.send(gatewayActor(shard), s, [{ control: { kind: kmm.v1.ControlKind.RECONCILE, markets: [], reason: 'gateway_active' } }]);
      });
      gw.on('standby', (reason: string) => {
        activeShards.delete(shard);
        gatewayLoad();
        o.say('gateway_standby', { shard, reason });
      });
      gw.on('killed', (s: { reason: string }) => o.say('gateway_killed', { shard, reason: s.reason }));
      await gw.start();
      stops.push(async () => {
        allowance.stop();
        eventAllowances.stop();
        await gw.stop();
      });
    }
  }
  // stop the strategies before the gateways: their CANCEL_ALL must still find a gateway
  return stops;
}
