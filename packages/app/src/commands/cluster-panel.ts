/**
 * The cluster panel (issue 19: "the dashboard shows every node, its role, lease and load"), in
 * the terminal (`kmm cluster status`: clusterStatus + formatStatus in cluster.ts) and on the web
 * dashboard of `kmm cluster up` (this file).
 *
 *   ClusterStatus  every node (roles, leases held, load, last heartbeat), the lease holders, the
 *                  event assignment, the kill switch, the risk aggregator's view and allowances
 *   nodeRows       the panel's node rows (leases joined by holder)
 *   ClusterView    the same status kept live by watching the cluster's KV buckets (nodes,
 *                  leases, assign, control), so the dashboard's synchronous snapshot() reads it
 *                  without a network round trip
 *   clusterDashboardState  a ClusterStatus (+ the node lines seen) as the dashboard's state
 *   startClusterDashboard  the existing dashboard server (token, websocket, 127.0.0.1) serving
 *                  that state; it listens before the cluster starts (a taken port fails with
 *                  nothing started) and shows the cluster once attach() has a NATS server
 * Money in the dashboard's state: dollars as exact decimal strings ("12.3400"), as the rest of it.
 */
import { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ASSIGNMENT_KEY,
  EMPTY_ASSIGNMENT,
  KILL_KEY,
  LiveNodes,
  RISK_STATE_KEY,
  connect,
  openBuckets,
  type AllowanceValue,
  type Assignment,
  type ClusterBuckets,
  type ClusterTiming,
  type KillState,
  type LeaseValue,
  type NatsConnection,
  type NodeInfo,
} from '@kmm/cluster';
import { ONE_DOLLAR } from '@kmm/shared';
import { ControlRefused, DASHBOARD_EVENTS_SENT, startDashboard, type DashboardHandle } from '../dashboard/index.js';
import type { DashboardCluster, DashboardEvent, DashboardState } from '../dashboard/types.js';

export interface ClusterStatus {
  cluster: string;
  nats: string;
  nodes: NodeInfo[];
  leases: Array<{ key: string; holder: string; revision: number; ageMs: number }>;
  assignment: { version: number; nodes: string[]; events: number; byNode: Record<string, number> };
  kill: KillState | null;
  /** the risk aggregator's last view (KV risk.state) and the allowances it wrote; null before any */
  risk: { state: RiskStateValue; allowances: Array<{ key: string } & AllowanceValue> } | null;
}

/** What the aggregator keeps in KV risk.state (shell/risk.ts). */
export interface RiskStateValue {
  byNode: string;
  wallMs: number;
  pnlMoney: number;
  peakPnlMoney: number;
  drawdownMoney: number;
  totalWorstMoney: number;
  breach: string;
}

/** One row of the cluster panel: a node, its roles, the leases it holds, its load. */
export interface NodeRow {
  id: string;
  roles: string[];
  where: string;
  /** lease keys this node holds now, with the lease's revision */
  leases: string[];
  load: Record<string, number>;
  beatAgoMs: number;
}

/** The cluster panel: every node with its roles, leases and load (leases joined by holder). */
export function nodeRows(s: ClusterStatus, nowWallMs: number): NodeRow[] {
  return s.nodes.map((n) => ({
    id: n.id,
    roles: n.roles ?? [n.role],
    where: `${n.host}:${n.pid}`,
    leases: s.leases.filter((l) => l.holder === n.id).map((l) => `${l.key}@${l.revision}`),
    load: n.load ?? {},
    beatAgoMs: Math.max(0, nowWallMs - n.wallMs),
  }));
}

/** The assignment as the panel shows it: events per strategy node. */
export function assignmentSummary(a: Assignment): ClusterStatus['assignment'] {
  const byNode: Record<string, number> = {};
  for (const n of Object.values(a.byEvent)) byNode[n] = (byNode[n] ?? 0) + 1;
  return { version: a.version, nodes: a.nodes, events: Object.keys(a.byEvent).length, byNode };
}

/** Allowances in panel order: gateways first (what the hot paths check), then events, each by key. */
export function sortAllowances<T extends { key: string }>(list: T[]): T[] {
  const rank = (k: string): string => (k.startsWith('allowance.gateway.') ? '0' : '1') + k;
  return list.sort((x, y) => (rank(x.key) < rank(y.key) ? -1 : 1));
}

/**
 * The cluster's status kept live from KV watches (each replays the current values first). A
 * lease or a heartbeat that lapsed by max age goes away without a KV event (NATS 2.9): nodes go
 * through LiveNodes (which times them), a lease older than the lease length is left out.
 * 'change' after every KV update; 'error' for a malformed value.
 */
export class ClusterView extends EventEmitter {
  private live: LiveNodes | null = null;
  private readonly leases = new Map<string, { holder: string; revision: number; renewedWallMs: number }>();
  private assignment: Assignment = EMPTY_ASSIGNMENT;
  private kill: KillState | null = null;
  private riskState: RiskStateValue | null = null;
  private readonly allowances = new Map<string, AllowanceValue>();
  private readonly stops: Array<() => void> = [];

  constructor(
    private readonly buckets: ClusterBuckets,
    readonly cluster: string,
    readonly natsUrl: string,
  ) {
    super();
  }

  async start(): Promise<void> {
    const live = new LiveNodes(this.buckets.nodes, this.buckets.timing.nodeMs);
    live.on('change', () => this.emit('change'));
    this.live = live;
    this.stops.push(() => live.stop());
    await this.watch(this.buckets.leases, '>', (e) => {
      if (e.operation !== 'PUT') this.leases.delete(e.key);
      else this.leases.set(e.key, { holder: e.json<LeaseValue>().holder, revision: e.revision, renewedWallMs: e.created.getTime() });
    });
    await this.watch(this.buckets.assign, ASSIGNMENT_KEY, (e) => {
      this.assignment = e.operation === 'PUT' ? e.json<Assignment>() : EMPTY_ASSIGNMENT;
    });
    await this.watch(this.buckets.control, '>', (e) => {
      const put = e.operation === 'PUT';
      if (e.key === KILL_KEY) this.kill = put ? e.json<KillState>() : null;
      else if (e.key === RISK_STATE_KEY) this.riskState = put ? e.json<RiskStateValue>() : null;
      else if (e.key.startsWith('allowance.')) {
        if (put) this.allowances.set(e.key, e.json<AllowanceValue>());
        else this.allowances.delete(e.key);
      }
    });
    await live.start();
  }

  private async watch(kv: ClusterBuckets['control'], key: string, apply: (e: { key: string; operation: string; revision: number; created: Date; json<T>(): T }) => void): Promise<void> {
    const w = await kv.watch({ key });
    this.stops.push(() => w.stop());
    void (async () => {
      for await (const e of w) {
        try {
          apply(e);
        } catch (err) {
          this.emit('error', new Error(`cluster view: malformed value of ${e.key}: ${(err as Error).message}`));
        }
        this.emit('change');
      }
    })();
  }

  /** The status now (the same shape `kmm cluster status --json` prints). */
  status(nowWallMs = Date.now()): ClusterStatus {
    const leaseMs = this.buckets.timing.leaseMs;
    const leases: ClusterStatus['leases'] = [];
    for (const [key, l] of this.leases) {
      const ageMs = Math.max(0, nowWallMs - l.renewedWallMs);
      // lapsed: the bucket's max age removed it (no event for that)
      if (ageMs > leaseMs) continue;
      leases.push({ key, holder: l.holder, revision: l.revision, ageMs });
    }
    leases.sort((x, y) => (x.key < y.key ? -1 : 1));
    const risk: ClusterStatus['risk'] = this.riskState ? { state: this.riskState, allowances: sortAllowances([...this.allowances].map(([key, v]) => ({ key, ...v }))) } : null;
    return { cluster: this.cluster, nats: this.natsUrl, nodes: this.live?.list() ?? [], leases, assignment: assignmentSummary(this.assignment), kill: this.kill, risk };
  }

  stop(): void {
    for (const s of this.stops.splice(0)) s();
  }
}

/** money (1/10,000 USD, an integer) as an exact dollar string: -12345 -> "-1.2345" */
export function moneyString(money: number): string {
  const m = Math.round(money);
  const abs = Math.abs(m);
  return `${m < 0 ? '-' : ''}${Math.floor(abs / ONE_DOLLAR)}.${String(abs % ONE_DOLLAR).padStart(4, '0')}`;
}

/** A ClusterStatus as the dashboard's panel data. */
export function dashboardCluster(s: ClusterStatus, nowWallMs: number): DashboardCluster {
  const usd = (v: number): string => moneyString(Math.round(v * ONE_DOLLAR));
  return {
    name: s.cluster,
    nats: s.nats,
    nodes: nodeRows(s, nowWallMs),
    leases: s.leases,
    assignment: s.assignment,
    kill: s.kill ? { active: s.kill.active, reason: s.kill.reason, byNode: s.kill.byNode, wallMs: s.kill.wallMs } : null,
    risk: s.risk
      ? {
          byNode: s.risk.state.byNode,
          agoMs: Math.max(0, nowWallMs - s.risk.state.wallMs),
          pnl: moneyString(s.risk.state.pnlMoney),
          peakPnl: moneyString(s.risk.state.peakPnlMoney),
          drawdown: moneyString(s.risk.state.drawdownMoney),
          totalWorst: moneyString(s.risk.state.totalWorstMoney),
          breach: s.risk.state.breach,
          allowances: s.risk.allowances.map((a) => ({ key: a.key, allowance: usd(a.allowanceUsd), worst: usd(a.worstUsd) })),
        }
      : null,
  };
}

/** The dashboard's state for a cluster: no markets or actors of its own (they run in the nodes), the panel and the node lines. */
export function clusterDashboardState(s: ClusterStatus | null, events: readonly DashboardEvent[], nowWallMs: number): DashboardState {
  const kill = s?.kill?.active ? s.kill : null;
  return {
    ts: nowWallMs,
    mode: 'cluster',
    markets: [],
    actors: [],
    // the header's trading badge: the kill switch is the cluster's "read-only"
    risk: kill ? { tradingEnabled: false, readOnlyReason: `kill switch: ${kill.reason}` } : { tradingEnabled: true },
    events: [...events],
    ...(s ? { cluster: dashboardCluster(s, nowWallMs) } : {}),
  };
}

/** A node line (`node <id> <event> <json>`, LocalCluster 'line') as a dashboard event. */
export function nodeLineEvent(l: { node: string; event: string; fields: Record<string, unknown>; atMs: number }): DashboardEvent {
  const level = /error|fatal/.test(l.event) ? 'error' : /lost|kill|tripped|standby|breach/.test(l.event) ? 'warn' : 'info';
  return { t: l.atMs, event: l.event, level, detail: `node ${l.node} ${JSON.stringify(l.fields)}` };
}

export interface ClusterDashboard {
  handle: DashboardHandle;
  /** Watch the cluster on this NATS server from now on (the panel is empty until then). */
  attach(natsUrl: string, cluster: string, timing: ClusterTiming): Promise<void>;
  /** A node line for the events list (newest kept). */
  note(e: DashboardEvent): void;
  /** The view, once attached. */
  readonly view: ClusterView | null;
  close(): Promise<void>;
}

/**
 * The dashboard server (dashboard/server.ts: 127.0.0.1, token, websocket) serving the cluster
 * panel. Listens now; `attach` connects to NATS. Its controls are refused (a cluster's controls
 * are its kill switch: `kmm cluster kill`). `runDir`: dashboard.json (url, token) goes there.
 */
export async function startClusterDashboard(o: { port: number; runDir?: string; log?: (line: string) => void }): Promise<ClusterDashboard> {
  let view: ClusterView | null = null;
  let nc: NatsConnection | null = null;
  const events: DashboardEvent[] = [];
  const handle = await startDashboard({
    port: o.port,
    source: { snapshot: () => clusterDashboardState(view?.status() ?? null, events, Date.now()) },
    onControl: () => {
      throw new ControlRefused('the cluster dashboard has no controls: `kmm cluster kill --nats URL --cluster NAME --reason TEXT` trips the kill switch');
    },
    log: o.log,
  });
  if (o.runDir) writeFileSync(join(o.runDir, 'dashboard.json'), JSON.stringify({ url: handle.url, token: handle.token, pid: process.pid }), { mode: 0o600 });
  return {
    handle,
    get view() {
      return view;
    },
    async attach(natsUrl, cluster, timing) {
      if (view) throw new Error('the cluster dashboard is attached already');
      // reconnect for ever: the panel outlives a NATS restart
      nc = await connect({ servers: natsUrl, name: `kmm-dashboard-${process.pid}`, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
      const v = new ClusterView(await openBuckets(nc, cluster, timing), cluster, natsUrl);
      v.on('error', (err: Error) => o.log?.(err.message));
      await v.start();
      view = v;
    },
    note(e) {
      events.push(e);
      if (events.length > DASHBOARD_EVENTS_SENT) events.splice(0, events.length - DASHBOARD_EVENTS_SENT);
    },
    async close() {
      view?.stop();
      await handle.close();
      await nc?.close().catch(() => undefined);
    },
  };
}
