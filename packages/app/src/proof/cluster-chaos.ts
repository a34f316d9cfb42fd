/**
 * `kmm cluster chaos --nodes N --duration S --seed X [--json]`: the cluster against the simulator
 * (LocalCluster: sim thread, loopback nats-server, N node processes with every role), with three
 * kills at seeded times, then the chaos invariants against the exchange's own records.
 *
 *   warm-up   until every exchange shard has an active gateway and our orders rest
 *   kills     one per third of the duration, in a seeded order, each at a seeded time of its
 *             third (a kill waits for the previous failover):
 *     gateway   SIGKILL the node whose gateway serves a seeded shard (its orders stay resting,
 *               its lease lapses); failover_s = until another node's gateway of the shard is
 *               active (lease taken, journal read, reconciled with the exchange, serving)
 *     strategy  SIGKILL a node that serves no gateway (when there is one); failover_s = until
 *               a surviving node runs the dead node's events (assignment + strategy restarted)
 *     nats      SIGKILL the nats-server, restart it on the same port and store after a seeded
 *               0.3-1 s; failover_s = from the kill until NATS is back, every shard has an
 *               active gateway and the exchange has received a new order of ours
 *             a killed node is replaced by a fresh one (new id), so the cluster stays N nodes
 *   stop      SIGTERM every node (strategies cancel, gateways cancel and verify)
 *   checks    checkChaosInvariants (the soak's own checks: market caps rebuilt fill by fill and
 *             polled, nothing resting after shutdown, every fill journaled once in the shards'
 *             JetStream journals, no reused client order id) plus the event and account caps
 *             (worst-case loss of the filled positions) and order expiry (every order carries
 *             one; none was seen resting past it); every kill's failover_s within FAILOVER_BOUND_S.
 *   `ok` only if all hold and at least one gateway failover happened.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, readJournalStream } from '@kmm/cluster';
import type { JournalRecord } from '@kmm/exec-worker';
import { loadConfig, SeededRng, type Rng } from '@kmm/shared';
import { checkChaosInvariants, type FaultRecord, type InvariantReport } from './chaos.js';
import { round1 } from './common.js';
import { CLUSTER_SIM_SET, LocalCluster } from './local-cluster.js';

/** A failover slower than this fails the run (the bound). */
export const FAILOVER_BOUND_S = 5;
/** Warm-up gives up after this long (a cluster that never trades is a failure, not a wait). */
const WARMUP_MAX_S = 60;
/** A kill's failover is awaited at most this long. */
const FAILOVER_WAIT_MAX_S = 30;
const POLL_MS = 250;

export type KillKind = 'gateway' | 'strategy' | 'nats';

export interface KillRecord {
  kind: KillKind;
  detail: string;
  at_s: number;
  failover_s: number | null;
}

export interface ClusterChaosOptions {
  nodes: number;
  durationS: number;
  seed: number;
  markets: number;
  speed?: number;
  leaseMs: number;
  out?: string;
  set?: Record<string, string>;
  progress?: (line: string) => void;
}

export type ClusterChaosResult = {
  seed: number;
  nodes: number;
  markets: number;
  shards: number[];
  duration_s: number;
  lease_ms: number;
  kills: KillRecord[];
  gateway_failovers: number;
  max_failover_s: number;
  orders_exchange: number;
  nodes_stopped_in_time: boolean;
  cap_centi: number;
  run_dir: string;
} & InvariantReport;

export async function runClusterChaos(o: ClusterChaosOptions): Promise<ClusterChaosResult> {
  const say = o.progress ?? (() => {});
  const rng = new SeededRng(o.seed).fork('cluster-chaos');
  const runDir = resolve(o.out ?? mkdtempSync(join(tmpdir(), 'kmm-cluster-chaos-')));
  mkdirSync(runDir, { recursive: true });
  const set: Record<string, string | number> = { ...CLUSTER_SIM_SET, kmm_seed: o.seed, kmm_markets: o.markets, max_markets: o.markets, ...(o.set ?? {}) };
  const loaded = loadConfig({ env: process.env, cli: set });
  const v = loaded.values as unknown as Record<string, unknown>;
  const capCenti = Math.round(Number(v.MM_MAX_POS) * 100);
  const lc = new LocalCluster({ nodes: o.nodes, cluster: 'chaos', seed: o.seed, markets: o.markets, speed: o.speed ?? 3, leaseMs: o.leaseMs, runDir, set, log: say });
  const t0 = Date.now();
  const elapsedS = (): number => round1((Date.now() - t0) / 1000);
  const polledMaxAbs: Record<string, number> = {};
  const pastExpiry = new Set<string>();
  const restingNoExpiry = new Set<string>();
  let polling = true;
  const poll = async (): Promise<void> => {
    while (polling) {
      try {
        const r = await lc.sim.records();
        for (const c of r.caps) polledMaxAbs[c.ticker] = Math.max(polledMaxAbs[c.ticker] ?? 0, Math.abs(c.positionCenti));
        const now = Date.now();
        // the venue expires on its own clock tick: a second of grace before we call it "past"
        for (const x of r.orders) {
          if (x.status !== 'resting') continue;
          if (typeof x.expiration_time !== 'string') restingNoExpiry.add(String(x.order_id));
          else if (Date.parse(x.expiration_time) < now - 1000) pastExpiry.add(String(x.order_id));
        }
      } catch {
        /* the sim is closing */
      }
      await sleep(500);
    }
  };
  const kills: KillRecord[] = [];
  let nextId = o.nodes + 1;
  try {
    say(`cluster chaos: seed ${o.seed}, ${o.nodes} nodes, ${o.markets} markets, ${o.durationS} s, lease ${o.leaseMs} ms; run folder ${runDir}`);
    await lc.start();
    const polling$ = poll();
    // ---- warm-up: every shard served, our orders resting
    const warmDeadline = Date.now() + WARMUP_MAX_S * 1000;
    for (;;) {
      const served = [...lc.activeOf.values()].every((n) => n !== null);
      if (served && (await lc.sim.records()).orders.some((x) => x.status === 'resting')) break;
      if (Date.now() > warmDeadline) throw new Error(`the cluster was not trading ${WARMUP_MAX_S} s after start (gateways: ${JSON.stringify(Object.fromEntries(lc.activeOf))})`);
      await sleep(POLL_MS);
    }
    const warmS = elapsedS();
    say(`  ${warmS} s: trading (gateways ${JSON.stringify(Object.fromEntries(lc.activeOf))})`);
    // ---- the kills
    const order = shuffle<KillKind>(['gateway', 'strategy', 'nats'], rng);
    const slotMs = (o.durationS * 1000) / order.length;
    const phase0 = Date.now();
    for (let i = 0; i < order.length; i++) {
      const at = phase0 + i * slotMs + rng.next() * slotMs * 0.4;
      if (at > Date.now()) await sleep(at - Date.now());
      const rec = await kill(order[i]);
      kills.push(rec);
      say(`  ${rec.at_s} s: kill ${rec.kind} (${rec.detail}) -> failover ${rec.failover_s ?? '>' + FAILOVER_WAIT_MAX_S} s`);
    }
    const end = phase0 + o.durationS * 1000;
    if (end > Date.now()) await sleep(end - Date.now());
    // ---- graceful stop, then the checks
    say(`  ${elapsedS()} s: stopping every node (cancel all, verify)`);
    const inTime = await lc.stopNodes(Math.max(30_000, Number(v.kmm_shutdown_timeout_s ?? 30) * 1000 + 15_000));
    polling = false;
    await polling$;
    const records = await lc.sim.records();
    const journal = await readJournals(lc.natsUrl, 'chaos', lc.shards);
    const eventOf: Record<string, string> = {};
    const exclusive: Record<string, boolean> = {};
    for (const m of lc.markets.markets) {
      const ev = m.eventTicker || (m.market ?? '');
      eventOf[m.market ?? ''] = ev;
      if (m.mutuallyExclusive) exclusive[ev] = true;
    }
    const faults: FaultRecord[] = kills.map((k) => ({ kind: 'process_sigkill', detail: `${k.kind}: ${k.detail}`, startS: k.at_s, durationS: 0, recoveryS: k.failover_s }));
    const rep = checkChaosInvariants({
      capCenti,
      records,
      polledMaxAbsCenti: polledMaxAbs,
      journal,
      faults,
      recoveryBoundS: FAILOVER_BOUND_S,
      eventRisk: { eventOf, exclusive, eventCapUsd: Number(v.MM_MAX_EVENT_LOSS_USD), totalCapUsd: Number(v.MM_MAX_TOTAL_LOSS_USD) },
      expiry: { restingPastExpiry: pastExpiry.size, restingWithoutExpiry: restingNoExpiry.size },
    });
    const gatewayFailovers = kills.filter((k) => k.kind === 'gateway' && k.failover_s !== null).length;
    if (gatewayFailovers === 0) rep.problems.push('no gateway failover happened');
    if (!inTime) rep.problems.push('a node did not stop within its shutdown bound (killed)');
    const maxFailover = Math.max(0, ...kills.map((k) => k.failover_s ?? FAILOVER_WAIT_MAX_S));
    return {
      seed: o.seed,
      nodes: o.nodes,
      markets: lc.markets.markets.length,
      shards: lc.shards,
      duration_s: elapsedS(),
      lease_ms: o.leaseMs,
      kills,
      gateway_failovers: gatewayFailovers,
      max_failover_s: maxFailover,
      orders_exchange: records.orders.length,
      nodes_stopped_in_time: inTime,
      cap_centi: capCenti,
      ...rep,
      ok: rep.ok && gatewayFailovers > 0 && inTime,
      run_dir: runDir,
    };
  } finally {
    polling = false;
    await lc.close();
  }

  async function kill(kind: KillKind): Promise<KillRecord> {
    const atMs = Date.now();
    const at_s = elapsedS();
    const within = <T>(p: Promise<T>): Promise<T | null> => Promise.race([p, sleep(FAILOVER_WAIT_MAX_S * 1000).then(() => null)]);
    if (kind === 'gateway') {
      const served = [...lc.activeOf].filter(([, n]) => n !== null) as Array<[number, string]>;
      const [shard, victim] = served.length > 0 ? rng.pick(served) : [lc.shards[0], [...lc.children.keys()][0]];
      const taken = lc.nextLine((l) => l.event === 'gateway_active' && Number(l.fields.shard) === shard && l.node !== victim);
      await lc.killNode(victim);
      const l = await within(taken);
      lc.startNode(`node-${nextId++}`);
      return { kind, detail: `${victim}, active gateway of shard ${shard}`, at_s, failover_s: l ? round1((l.atMs - atMs) / 1000) : null };
    }
    if (kind === 'strategy') {
      const gatewayNodes = new Set([...lc.activeOf.values()].filter((n): n is string => n !== null));
      const ids = [...lc.children.keys()];
      const pure = ids.filter((id) => !gatewayNodes.has(id));
      const victim = rng.pick(pure.length > 0 ? pure : ids);
      // the survivors' strategies take the victim's events: each restarts on its new markets
      const taken = lc.nextLine((l) => l.event === 'strategy_markets' && l.node !== victim);
      await lc.killNode(victim);
      const l = await within(taken);
      lc.startNode(`node-${nextId++}`);
      return { kind, detail: `${victim}${pure.length > 0 ? ' (no gateway)' : ' (also a gateway)'}`, at_s, failover_s: l ? round1((l.atMs - atMs) / 1000) : null };
    }
    const downMs = Math.round(300 + rng.next() * 700);
    await lc.killNats();
    await sleep(downMs);
    await lc.startNats();
    const back = Date.now();
    let failover: number | null = null;
    while (Date.now() - atMs < FAILOVER_WAIT_MAX_S * 1000) {
      if ([...lc.activeOf.values()].every((n) => n !== null) && (await ordersAfter(lc, back))) {
        failover = round1((Date.now() - atMs) / 1000);
        break;
      }
      await sleep(POLL_MS);
    }
    return { kind, detail: `nats-server down ${downMs} ms, restarted on the same port and store`, at_s, failover_s: failover };
  }
}

/** True once the exchange has an order of ours created at or after `sinceMs`. */
async function ordersAfter(lc: LocalCluster, sinceMs: number): Promise<boolean> {
  const r = await lc.sim.records();
  return r.orders.some((x) => Date.parse(String(x.created_time)) >= sinceMs);
}

/** Every shard's journal stream, concatenated (the cluster's journal). */
async function readJournals(natsUrl: string, cluster: string, shards: readonly number[]): Promise<JournalRecord[]> {
  const nc = await connect({ servers: natsUrl, name: 'kmm-cluster-chaos' });
  try {
    const out: JournalRecord[] = [];
    for (const s of shards) out.push(...(await readJournalStream(nc, cluster, s)).records);
    return out;
  } finally {
    await nc.close();
  }
}

function shuffle<T>(xs: T[], rng: Rng): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
