/**
 * The cluster's control plane as commands (issue 19): `kmm node`, `kmm cluster up`,
 * `kmm cluster status`, `kmm cluster kill`. Everything they coordinate lives in @kmm/cluster
 * (NATS subjects, KV buckets, leases, assignment, kill switch).
 *
 *   runNode     one node process: a heartbeat, then per role
 *                 gateway  a candidate for the lease of each exchange shard it serves
 *                          (gateway.<shard>) and a kill-switch watch
 *                 risk     a candidate for the risk lease and the assigner lease (the assigner
 *                          assigns the events of the market catalogue to strategy nodes); the
 *                          risk aggregator (RiskAggregator) acts while the risk lease is held:
 *                          gateways' figures -> allowances in KV, kill switch on a breach
 *                 strategy watches its share of events (whole events) and reports its load
 *               and logs every change (lease acquired/lost, assignment, kill) as one line.
 *               With the exchange flags, the trading roles run too (cluster-trade.ts).
 *   clusterStatus  reads the KV buckets: nodes, leases, the assignment, the kill switch, the
 *               risk aggregator's view and allowances; formatStatus/nodeRows = the cluster panel
 *               (every node: roles, leases held, load, heartbeat). The live panel of the web
 *               dashboard: cluster-panel.ts.
 *   clusterUp   starts the dashboard (unless --no-dashboard), a loopback nats-server when no URL
 *               is given, then N node processes (`kmm node` with every role: leases decide who
 *               is active), until stopped.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import {
  Assigner,
  AssignmentWatch,
  KillWatch,
  LeaseKeeper,
  NATS_INSTALL_HINT,
  NodeHeartbeat,
  RISK_LEASE_KEY,
  RISK_STATE_KEY,
  RiskAggregator,
  type AllowanceValue,
  riskLimitsOf,
  ASSIGNER_LEASE_KEY,
  clearKillSwitch,
  connect,
  findNatsServer,
  gatewayLeaseKey,
  loadsOf,
  openBuckets,
  readAssignment,
  readKillSwitch,
  startNatsServer,
  tripKillSwitch,
  type Assignment,
  type ClusterTiming,
  type EventLoad,
  type KillState,
  type LeaseValue,
  type NatsConnection,
  type NodeInfo,
  type NodeRole,
} from '@kmm/cluster';
import { ONE_DOLLAR, SeededRng, defaultConfig } from '@kmm/shared';
import { NatsTransport } from '@kmm/cluster';
import { CLUSTER_SIM_SET, LocalCluster, type NodeLine } from '../proof/local-cluster.js';
import { eventLoads, startTrading, type ClusterMarkets, type ExchangeAccess } from './cluster-trade.js';
import { buildCatalog } from '@kmm/sim';
import { UsageError } from './errors.js';
import { assignmentSummary, nodeLineEvent, nodeRows, sortAllowances, startClusterDashboard, type ClusterDashboard, type ClusterStatus, type RiskStateValue } from './cluster-panel.js';

export const NODE_ROLES: readonly NodeRole[] = ['gateway', 'strategy', 'risk'];

export interface NodeOptions {
  natsUrl: string;
  cluster: string;
  id: string;
  roles: NodeRole[];
  /** exchange shards this node's gateway role competes for */
  shards: number[];
  timing: ClusterTiming;
  /** the market catalogue the assigner distributes (sim: seeded) */
  markets: number;
  seed: number;
  log: (line: string) => void;
  /** trade: the exchange, the cluster's market list, the config and the node's run folder (absent: control plane only) */
  trade?: { exchange: ExchangeAccess; markets: ClusterMarkets; config: Record<string, unknown>; runDir: string; explicit?: ReadonlySet<string> };
}

export interface RunningNode {
  /** resolves when the node stops (stop() or a lost NATS connection) */
  readonly done: Promise<void>;
  /** graceful stop: releases leases, deletes the heartbeat, closes the connection */
  stop(): Promise<void>;
}

/** The events of the seeded sim catalogue with their market counts (what the assigner distributes). */
export function catalogEvents(markets: number, seed: number, nowMs: number): EventLoad[] {
  const byEvent = new Map<string, number>();
  for (const c of buildCatalog(new SeededRng(seed).fork('catalog'), markets, nowMs)) byEvent.set(c.spec.eventTicker, (byEvent.get(c.spec.eventTicker) ?? 0) + 1);
  return [...byEvent].map(([event, n]) => ({ event, markets: n }));
}

/** A node id from the host name and pid, in the characters NATS KV keys allow. */
export function defaultNodeId(): string {
  return `${hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40)}-${process.pid}`;
}

export async function runNode(o: NodeOptions): Promise<RunningNode> {
  if (o.roles.length === 0) throw new UsageError(`a node needs at least one role (${NODE_ROLES.join(', ')})`);
  if (o.roles.includes('gateway') && o.shards.length === 0) throw new UsageError('a gateway node needs at least one exchange shard (--shard)');
  const nc = await connectOrExplain(o.natsUrl);
  const buckets = await openBuckets(nc, o.cluster, o.timing);
  const stops: Array<() => Promise<void> | void> = [];
  const say = (event: string, fields: Record<string, unknown> = {}): void => o.log(`node ${o.id} ${event} ${JSON.stringify(fields)}`);
  const role: NodeRole = o.roles.includes('strategy') ? 'strategy' : o.roles[0];
  const heartbeat = new NodeHeartbeat(buckets.nodes, { id: o.id, role, roles: o.roles, host: hostname(), pid: process.pid, startedWallMs: Date.now(), shard: o.roles.includes('gateway') ? o.shards[0] : undefined }, o.timing.nodeMs);
  await heartbeat.start();
  // the node's load for the cluster panel: each role adds its figures (strategy: events, markets; gateway: active shards, markets)
  const load: Record<string, number> = {};
  const lease = (key: string): LeaseKeeper => {
    const k = new LeaseKeeper(buckets.leases, key, o.id, { leaseMs: o.timing.leaseMs }, { host: hostname(), pid: process.pid });
    k.on('acquired', (epoch: number) => say('lease_acquired', { key, epoch }));
    k.on('lost', (reason: string) => say('lease_lost', { key, reason }));
    k.on('error', (err: Error) => say('lease_error', { key, error: err.message }));
    stops.push(() => k.release());
    return k;
  };
  if (o.roles.includes('gateway') && !o.trade) {
    for (const shard of o.shards) await lease(gatewayLeaseKey(shard)).start();
    const kill = new KillWatch(nc, buckets.control, o.cluster);
    kill.on('error', (err: Error) => say('kill_switch_error', { error: err.message }));
    kill.on('kill', (s: KillState) => say('kill_switch', { reason: s.reason, by: s.byNode }));
    kill.on('clear', (s: KillState) => say('kill_cleared', { reason: s.reason, by: s.byNode }));
    await kill.start();
    stops.push(() => kill.stop());
  }
  if (o.roles.includes('risk')) {
    const riskKeeper = lease(RISK_LEASE_KEY);
    await riskKeeper.start();
    const events = o.trade ? eventLoads(o.trade.markets) : catalogEvents(o.markets, o.seed, Date.now());
    const assigner = new Assigner(buckets, o.id, events);
    assigner.lease.on('acquired', (epoch: number) => say('lease_acquired', { key: ASSIGNER_LEASE_KEY, epoch }));
    assigner.on('rebalanced', (a: Assignment, why: string) => say('rebalanced', { version: a.version, why, loads: loadsOf(a, events) }));
    assigner.on('error', (err: Error) => say('assigner_error', { error: err.message }));
    await assigner.start();
    stops.push(() => assigner.stop());
    // the risk aggregator acts while this node holds the risk lease (gateways' figures -> allowances, kill switch)
    const riskLease = riskKeeper;
    const agg = new RiskAggregator(nc, buckets.control, o.cluster, o.id, riskLimitsOf(o.trade?.config ?? defaultConfig()), () => riskLease.isLeader);
    agg.on('tripped', (s: KillState) => say('risk_tripped', { reason: s.reason }));
    agg.on('allowance', (key: string, v: AllowanceValue) => say('risk_allowance', { key, allowanceUsd: v.allowanceUsd, worstUsd: v.worstUsd }));
    agg.on('error', (err: Error) => say('risk_error', { error: err.message }));
    await agg.start();
    stops.push(() => agg.stop());
  }
  const watch = new AssignmentWatch(buckets.assign, o.id);
  if (o.roles.includes('strategy')) {
    watch.on('assignment', (a: Assignment, mine: string[]) => {
      say('assignment', { version: a.version, events: mine.length });
      heartbeat.setLoad(Object.assign(load, { events: mine.length }));
    });
  }
  await watch.start();
  stops.push(() => watch.stop());
  // trading roles stop first (strategies, then gateways: cancel all and verify), before the leases go
  const trading: Array<() => Promise<void>> = [];
  if (o.trade) {
    const transport = new NatsTransport(nc, o.cluster);
    trading.push(
      ...(await startTrading({
        nc,
        transport,
        buckets,
        natsUrl: o.natsUrl,
        nodeId: o.id,
        roles: o.roles,
        shards: o.shards,
        watch,
        markets: o.trade.markets,
        exchange: o.trade.exchange,
        config: o.trade.config,
        explicit: o.trade.explicit,
        runDir: o.trade.runDir,
        say,
        setLoad: (l) => heartbeat.setLoad(Object.assign(load, l)),
      })),
    );
  }
  say('started', { roles: o.roles, shards: o.shards, nats: o.natsUrl, cluster: o.cluster });
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const s of trading) await s().catch((err: Error) => say('stop_error', { error: err.message }));
      for (const s of stops.reverse()) await s();
      await heartbeat.stop().catch(() => undefined);
      await nc.drain().catch(() => undefined);
      say('stopped');
    })());
  return { done: nc.closed().then(() => undefined), stop };
}

export { nodeRows, type ClusterStatus, type NodeRow, type RiskStateValue } from './cluster-panel.js';

export async function clusterStatus(natsUrl: string, cluster: string, timing: ClusterTiming): Promise<ClusterStatus> {
  const nc = await connectOrExplain(natsUrl);
  try {
    const b = await openBuckets(nc, cluster, timing);
    const nodes: NodeInfo[] = [];
    for await (const key of await b.nodes.keys('node.*')) {
      const e = await b.nodes.get(key);
      if (e?.operation === 'PUT') nodes.push(e.json<NodeInfo>());
    }
    nodes.sort((x, y) => (x.id < y.id ? -1 : 1));
    const leases: ClusterStatus['leases'] = [];
    for await (const key of await b.leases.keys()) {
      const e = await b.leases.get(key);
      if (e?.operation !== 'PUT') continue;
      const v = e.json<LeaseValue>();
      leases.push({ key, holder: v.holder, revision: e.revision, ageMs: Math.max(0, Date.now() - e.created.getTime()) });
    }
    leases.sort((x, y) => (x.key < y.key ? -1 : 1));
    const { assignment } = await readAssignment(b.assign);
    let risk: ClusterStatus['risk'] = null;
    const st = await b.control.get(RISK_STATE_KEY);
    if (st?.operation === 'PUT') {
      const allowances: Array<{ key: string } & AllowanceValue> = [];
      for await (const key of await b.control.keys('allowance.>')) {
        const e = await b.control.get(key);
        if (e?.operation === 'PUT') allowances.push({ key, ...e.json<AllowanceValue>() });
      }
      risk = { state: st.json<RiskStateValue>(), allowances: sortAllowances(allowances) };
    }
    return { cluster, nats: natsUrl, nodes, leases, assignment: assignmentSummary(assignment), kill: await readKillSwitch(b.control), risk };
  } finally {
    await nc.close();
  }
}

/** The status as lines for a terminal: the cluster panel (every node, its roles, leases and load), then leases, assignment, risk. */
export function formatStatus(s: ClusterStatus, nowWallMs = Date.now()): string[] {
  const usd = (money: number): string => `$${(money / ONE_DOLLAR).toFixed(2)}`;
  const lines = [`cluster ${s.cluster} on ${s.nats}`, `kill switch: ${s.kill?.active ? `ACTIVE (${s.kill.reason}, by ${s.kill.byNode})` : 'off'}`, `nodes (${s.nodes.length}):`];
  lines.push(`  ${'node'.padEnd(28)} ${'roles'.padEnd(24)} ${'leases held'.padEnd(32)} ${'load'.padEnd(28)} beat`);
  for (const r of nodeRows(s, nowWallMs)) {
    const load = Object.entries(r.load).map(([k, v]) => `${k}=${v}`).join(' ') || '-';
    lines.push(`  ${r.id.padEnd(28)} ${r.roles.join(',').padEnd(24)} ${(r.leases.join(',') || '-').padEnd(32)} ${load.padEnd(28)} ${r.beatAgoMs} ms ago  (${r.where})`);
  }
  lines.push(`leases (${s.leases.length}):`);
  for (const l of s.leases) lines.push(`  ${l.key.padEnd(12)} held by ${l.holder} (revision ${l.revision}, renewed ${l.ageMs} ms ago)`);
  lines.push(`assignment v${s.assignment.version}: ${s.assignment.events} events over ${s.assignment.nodes.length} strategy nodes ${JSON.stringify(s.assignment.byNode)}`);
  if (!s.risk) lines.push('risk: no figures from any gateway yet');
  else {
    const r = s.risk.state;
    lines.push(`risk (aggregator ${r.byNode}, ${Math.max(0, nowWallMs - r.wallMs)} ms ago): P&L ${usd(r.pnlMoney)}, peak ${usd(r.peakPnlMoney)}, drawdown ${usd(r.drawdownMoney)}, worst case of all events ${usd(r.totalWorstMoney)}${r.breach ? `, BREACH ${r.breach}` : ''}`);
    for (const a of s.risk.allowances) lines.push(`  ${a.key.padEnd(44)} allowance $${a.allowanceUsd.toFixed(2)}  worst case $${a.worstUsd.toFixed(2)}`);
  }
  return lines;
}

export async function killCommand(natsUrl: string, cluster: string, timing: ClusterTiming, reason: string, clear: boolean): Promise<void> {
  const nc = await connectOrExplain(natsUrl);
  try {
    const b = await openBuckets(nc, cluster, timing);
    if (clear) await clearKillSwitch(b.control, `cli-${process.pid}`, reason);
    else await tripKillSwitch(nc, b.control, cluster, `cli-${process.pid}`, reason);
  } finally {
    await nc.close();
  }
}

export interface UpOptions {
  nodes: number;
  natsUrl?: string;
  cluster: string;
  markets: number;
  seed: number;
  speed: number;
  leaseMs: number;
  out?: string;
  set: Record<string, string>;
  /** stop after this many seconds (0 = until SIGINT/SIGTERM) */
  durationS: number;
  verbose: boolean;
  log: (line: string) => void;
  /** serve the web dashboard with the cluster panel (default true) */
  dashboard?: boolean;
  /** its port on 127.0.0.1 (0 = any free port, the default: parallel clusters never collide) */
  dashboardPort?: number;
}

/**
 * A local cluster trading against the simulator (LocalCluster): the sim, a loopback nats-server
 * (unless a URL is given) and N node processes with every role, until stopped; then every node
 * stops gracefully and the exchange is asked what is left. The web dashboard (cluster-panel.ts)
 * listens first (a taken port fails with nothing started) and shows the cluster live.
 */
export async function clusterUp(o: UpOptions): Promise<void> {
  const runDir = resolve(o.out ?? join('runs', `cluster-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  mkdirSync(runDir, { recursive: true });
  let dash: ClusterDashboard | null = null;
  if (o.dashboard !== false) {
    try {
      dash = await startClusterDashboard({ port: o.dashboardPort ?? 0, runDir, log: o.log });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'EADDRINUSE' ? `port ${o.dashboardPort} on 127.0.0.1 is already in use` : e.message;
      throw new UsageError(`dashboard: ${why}; nothing was started (choose another --dashboard-port, 0 for any free port, or --no-dashboard)`);
    }
  }
  const set = { ...CLUSTER_SIM_SET, kmm_seed: o.seed, kmm_markets: o.markets, max_markets: o.markets, ...o.set };
  const lc = new LocalCluster({ nodes: o.nodes, cluster: o.cluster, seed: o.seed, markets: o.markets, speed: o.speed, leaseMs: o.leaseMs, runDir, set, log: o.log, verbose: o.verbose, natsUrl: o.natsUrl });
  lc.on('line', (l: NodeLine) => {
    dash?.note(nodeLineEvent(l));
    if (!o.verbose && ['gateway_active', 'gateway_standby', 'gateway_killed', 'strategy_markets', 'rebalanced', 'kill_switch', 'risk'].includes(l.event)) o.log(`node ${l.node} ${l.event} ${JSON.stringify(l.fields)}`);
  });
  try {
    await lc.start();
    if (dash) {
      await dash.attach(lc.natsUrl, o.cluster, { leaseMs: o.leaseMs, nodeMs: o.leaseMs });
      o.log(`dashboard: ${dash.handle.loginUrl}`);
    }
    o.log(`cluster ${o.cluster}: ${o.nodes} nodes started (run folder ${runDir}); \`kmm cluster status --nats ${lc.natsUrl} --cluster ${o.cluster}\` shows them`);
    await new Promise<void>((res) => {
      const done = (): void => res();
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
      if (o.durationS > 0) setTimeout(done, o.durationS * 1000);
    });
    o.log(`cluster ${o.cluster}: stopping every node (strategies cancel, gateways cancel and verify)`);
    const inTime = await lc.stopNodes(60_000);
    const r = await lc.sim.records();
    o.log(`cluster ${o.cluster}: stopped${inTime ? '' : ' (some node had to be killed)'}; the exchange saw ${r.orders.length} orders and ${r.fills.length} fills of ours; ${r.orders.filter((x) => x.status === 'resting').length} resting now`);
  } finally {
    await dash?.close();
    await lc.close();
  }
}

async function connectOrExplain(url: string): Promise<NatsConnection> {
  try {
    // reconnect quickly: a restarted NATS server must find the leases renewed before they lapse
    return await connect({ servers: url, name: `kmm-${process.pid}`, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  } catch (err) {
    throw new Error(`cannot connect to NATS at ${url}: ${(err as Error).message}`);
  }
}
