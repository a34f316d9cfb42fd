/**
 * `kmm bench cluster`: how many markets one process sustains against one cluster of N nodes,
 * side by side in one run, on this machine.
 *
 * For each market count M, at the same frame rate per market and the same config (BENCH_SET):
 *   one process  `kmm bench scale`'s point (runLatencyBench): ingest -> book -> strategy -> exec
 *                in one process
 *   cluster      LocalCluster: the simulator, a loopback nats-server and N node processes with
 *                every role (`kmm node`); after every gateway is active and the strategy nodes
 *                hold all M markets, a warm-up, then the measured window
 * Tick-to-order in both = from ingest's receive stamp of the frame that caused a command to the
 * command's request written (exec's journal: the file for one process, each shard's JetStream
 * journal for the cluster). process.hrtime is CLOCK_MONOTONIC on Linux, one clock for every
 * process of a host, so the cluster's samples span strategy node -> NATS -> gateway honestly.
 * Drops: messages refused by a full mailbox (Supervisor.health): the process's own, or the sum
 * every node reports in its heartbeat load (`dropped`).
 * "Sustains" = no drops and tick-to-order p99 within the bound (--p99-bound-ms) with samples.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, readJournalStream } from '@kmm/cluster';
import { BENCH_SET, FRAMES_PER_MARKET_PER_SPEED, machineLine, runLatencyBench, SIM_STEP_MS } from './bench.js';
import { tickToOrderSamples } from './common.js';
import { CLUSTER_SIM_SET, LocalCluster, type NodeLine } from './local-cluster.js';
import { clusterStatus } from '../commands/cluster.js';

export interface ClusterBenchOptions {
  nodes: number;
  marketCounts: number[];
  ratePerMarket: number;
  durationS: number;
  warmupS: number;
  seed: number;
  p99BoundMs: number;
  out: string;
  set?: Record<string, string>;
  progress?: (line: string) => void;
}

export interface ClusterBenchRow {
  markets: number;
  mode: string;
  samples: number;
  p50Us: number;
  p99Us: number;
  dropped: number;
  sustains: boolean;
}

const pct = (xs: Float64Array, p: number): number => (xs.length ? xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] : 0);
const round1 = (x: number): number => Math.round(x * 10) / 10;
const hr = (): number => Number(process.hrtime.bigint());

function row(o: ClusterBenchOptions, markets: number, mode: string, t2oUs: Float64Array, dropped: number): ClusterBenchRow {
  const p99 = pct(t2oUs, 99);
  return { markets, mode, samples: t2oUs.length, p50Us: round1(pct(t2oUs, 50)), p99Us: round1(p99), dropped, sustains: t2oUs.length > 0 && dropped === 0 && p99 <= o.p99BoundMs * 1000 };
}

async function clusterPoint(o: ClusterBenchOptions, markets: number): Promise<ClusterBenchRow> {
  const say = o.progress ?? (() => {});
  const runDir = mkdtempSync(join(tmpdir(), 'kmm-bench-cluster-'));
  const speed = Math.min(10_000, Math.max(0.01, (o.ratePerMarket * markets) / (FRAMES_PER_MARKET_PER_SPEED * markets)));
  const set: Record<string, string | number> = { ...CLUSTER_SIM_SET, ...BENCH_SET, kmm_markets: markets, max_markets: markets, ...(o.set ?? {}) };
  const lc = new LocalCluster({ nodes: o.nodes, cluster: 'bench', seed: o.seed, markets, speed, leaseMs: 2000, runDir, set, log: () => undefined, simTier: 'unlimited', simStepMs: SIM_STEP_MS });
  const held = new Map<string, number>();
  const ready = new Promise<void>((done) => {
    const check = (): void => {
      const gateways = [...lc.activeOf.values()].every((n) => n !== null);
      const total = [...held.values()].reduce((a, b) => a + b, 0);
      if (gateways && lc.markets && total === lc.markets.markets.length) done();
    };
    lc.on('line', (l: NodeLine) => {
      if (l.event === 'strategy_markets') held.set(l.node, Number(l.fields.markets ?? 0));
      if (l.event === 'actor_error' || l.event === 'gateway_error' || l.event === 'strategy_error') say(`  cluster: ${l.node} ${l.event} ${JSON.stringify(l.fields).slice(0, 200)}`);
      check();
    });
  });
  try {
    await lc.start();
    say(`cluster: ${o.nodes} nodes, ${lc.markets.markets.length} markets on shards ${lc.shards.join(',')}, run folder ${runDir}`);
    await Promise.race([ready, sleep(120_000).then(() => Promise.reject(new Error('the cluster did not get every gateway active and every market held within 120 s')))]);
    await sleep(o.warmupS * 1000);
    const status0 = await clusterStatus(lc.natsUrl, 'bench', { leaseMs: 2000, nodeMs: 2000 });
    const dropped0 = status0.nodes.reduce((a, n) => a + (n.load?.dropped ?? 0), 0);
    const t0 = hr();
    await sleep(o.durationS * 1000);
    const t1 = hr();
    // heartbeats carry the drops of the last second: one more beat after the window
    await sleep(1500);
    const status1 = await clusterStatus(lc.natsUrl, 'bench', { leaseMs: 2000, nodeMs: 2000 });
    const dropped = status1.nodes.reduce((a, n) => a + (n.load?.dropped ?? 0), 0) - dropped0;
    await lc.stopNodes(60_000);
    const nc = await connect({ servers: lc.natsUrl });
    const t2o: number[] = [];
    try {
      for (const shard of lc.shards) {
        const { records } = await readJournalStream(nc, 'bench', shard);
        for (const s of tickToOrderSamples(records)) if (s.causeRecvMonoNs >= t0 && s.wireMonoNs <= t1) t2o.push((s.wireMonoNs - s.causeRecvMonoNs) / 1000);
      }
    } finally {
      await nc.close();
    }
    return row(o, markets, `cluster of ${o.nodes}`, Float64Array.from(t2o).sort(), dropped);
  } finally {
    await lc.close();
  }
}

export async function runClusterBench(o: ClusterBenchOptions): Promise<ClusterBenchRow[]> {
  const say = o.progress ?? (() => {});
  const rows: ClusterBenchRow[] = [];
  for (const m of o.marketCounts) {
    say(`bench cluster: ${m} markets at ${o.ratePerMarket} frames/s per market: one process`);
    const one = await runLatencyBench({ markets: m, rateFps: m * o.ratePerMarket, durationS: o.durationS, seed: o.seed, set: o.set, floorN: 200, warmupS: o.warmupS, progress: () => undefined });
    const r1: ClusterBenchRow = { markets: m, mode: 'one process', samples: one.samples, p50Us: one.tick_to_order_us.p50, p99Us: one.tick_to_order_us.p99, dropped: one.dropped, sustains: one.samples > 0 && one.dropped === 0 && one.tick_to_order_us.p99 <= o.p99BoundMs * 1000 };
    rows.push(r1);
    say(`  -> ${JSON.stringify(r1)}`);
    say(`bench cluster: ${m} markets: cluster of ${o.nodes}`);
    const r2 = await clusterPoint(o, m);
    rows.push(r2);
    say(`  -> ${JSON.stringify(r2)}`);
  }
  writeClusterBenchMarkdown(o, rows);
  return rows;
}

export function clusterBenchTable(o: ClusterBenchOptions, rows: readonly ClusterBenchRow[]): string[] {
  const out = ['| markets | mode | t2o samples | t2o p50 us | t2o p99 us | dropped | sustains |', '|---|---|---|---|---|---|---|'];
  for (const r of rows) out.push(`| ${r.markets} | ${r.mode} | ${r.samples} | ${r.p50Us} | ${r.p99Us} | ${r.dropped} | ${r.sustains ? 'yes' : 'no'} |`);
  const most = (mode: string): number => Math.max(0, ...rows.filter((r) => r.mode === mode && r.sustains).map((r) => r.markets));
  out.push('', `Most markets sustained (no drops, p99 <= ${o.p99BoundMs} ms): one process ${most('one process') || 'none'}, cluster of ${o.nodes} ${most(`cluster of ${o.nodes}`) || 'none'}.`);
  return out;
}

function writeClusterBenchMarkdown(o: ClusterBenchOptions, rows: readonly ClusterBenchRow[]): void {
  const path = resolve(o.out);
  mkdirSync(dirname(path), { recursive: true });
  const lines = [
    '# Markets sustained: one process against one cluster',
    '',
    `Command: \`./kmm bench cluster --nodes ${o.nodes} --markets ${o.marketCounts.join(',')} --rate ${o.ratePerMarket} --duration ${o.durationS} --warmup ${o.warmupS} --p99-bound-ms ${o.p99BoundMs}\``,
    `Machine: ${machineLine()}. Date: ${new Date().toISOString()}.`,
    '',
    ...clusterBenchTable(o, rows),
  ];
  writeFileSync(path, lines.join('\n') + '\n');
}
