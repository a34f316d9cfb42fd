/**
 * `kmm bench latency` and `kmm bench scale`: the full actor system (ingest, book shards, strategy,
 * exec) in this process against the simulator in a CHILD PROCESS of its own (startSimProcess:
 * its own heap, event loop and garbage collector), so the figures are KMM's, not the exchange's.
 *
 * Flow: the calibrated market profile (default `active`, packages/sim/src/profiles) at time
 * scale 1: per-market Poisson arrivals (book changes, trades, news) drawn by the simulator's
 * flow and emitted at their own times, to the nearest millisecond (flow step 1 ms) — not one
 * global step that moves every book at once. `--rate` scales every rate.
 *
 * Tick-to-order: ingest stamps every websocket frame on receipt (Header.recv_mono_ns); the stamp
 * flows with the messages it causes (book -> strategy -> exec) together with the stage stamps
 * (Header ingest_emit / book_recv / book_emit / strategy_recv, and the TargetQuotes' emit);
 * exec journals each command with them, the moment it started the request and the moment the
 * request was handed to the socket. The bench reads those from RUN_DIR/journal.jsonl after the
 * run (every sample, not a histogram summary) and splits tick-to-order into hops:
 *   ingest parse     frame receipt -> ingest emitted the BookDelta
 *   ingest->book     -> book shard started handling it (transport + queueing)
 *   book             -> book emitted the BookFeatures (end of its mailbox drain)
 *   book->strategy   -> strategy started handling them
 *   strategy         -> strategy emitted the TargetQuotes
 *   strategy->exec   -> exec started handling them
 *   exec             -> exec started the request (end of its drain, diff, gates, signing)
 *   write            -> the request was handed to the socket
 * Every stamp is process.hrtime (one monotonic clock for all threads).
 *
 * Burst scenario (after the steady window): a news event moves every market's fair value at
 * once (`moveAll`, the simulator pulls the LP levels left behind: every book changes in the
 * same instant); `burst_last_order_us` = the last order caused by a frame of the burst minus the
 * simulator's clock when it started the burst (CLOCK_MONOTONIC is shared by the processes).
 *
 * The floor, measured in the same command right after the system stops: the same 3 hops
 * (ingest -> book -> strategy -> exec) as raw MessageChannels between worker threads, carrying
 * the same payloads, one message at a time (1 ms apart): the latency of a lone message.
 *
 * Load profile: Supervisor.health() sampled every 500 ms (ELU, mailbox depth, dropped,
 * conflated, handler p99, heap per actor) names the bottleneck actor and detects queue growth.
 * Memory: the KMM process's RSS (the simulator is not in it) and the actors' heaps per market.
 *
 * Faults (prove logging and REST never block the hot path): `--stall-journal-ms` makes every
 * fsync of exec's journal wait that long with later writes queued behind it; `--rest-delay-ms`
 * makes the exchange answer every REST request that late (the order is on the wire before).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Worker, MessageChannel } from 'node:worker_threads';
import { loadConfig } from '@kmm/shared';
import { startSimProcess } from '@kmm/sim';
import { fetchMarkets } from '../system/markets.js';
import { startSystem } from '../system/system.js';
import { startupWarnings } from '../commands/startup-config.js';
import {
  LoadProfile,
  pct,
  readJournalRecords,
  round1,
  tickToOrderSamples,
  execJournalPath,
  type ActorLoad,
  type JournalSample,
} from './common.js';

/** The active profile's book changes per market per second at time scale 1 (about; activity and quiet periods vary it). */
export const FRAMES_PER_MARKET_PER_SPEED = 5.5;
/** Flow step of the simulator for benches (also the cluster bench's): arrivals are emitted to the nearest millisecond. */
export const SIM_STEP_MS = 1;
const HEALTH_SAMPLE_MS = 500;
/** Start-up (connect, snapshots, start-up reconcile, first quotes) excluded from the samples. */
export const WARMUP_S_DEFAULT = 3;
/**
 * The default warm-up for a market count: the first quotes of every market go out through the
 * rate limiter at start-up (1,000 markets: ~2,000 orders, ~9 s at the top tier's write budget),
 * and samples taken while they drain measure the start-up, not the hot path.
 */
export function defaultWarmupS(markets: number): number {
  return WARMUP_S_DEFAULT + Math.ceil((6 * markets) / 1000);
}
/** Burst scenario: news events, this many cents each, this far apart. */
export const BURSTS_DEFAULT = 5;
const BURST_CENTS = 2;
const BURST_GAP_MS = 1500;
/** A burst's orders: caused by a frame received within this long after the burst started. */
const BURST_WINDOW_NS = 50e6;

/**
 * Config for the bench: quote on the sim's books (their micro-vol is far above the crypto-tuned
 * guards), keep all N markets, and let quotes follow the book (refresh/reprice gates low) so
 * there are enough book-caused orders to measure. Operator --set overrides these.
 */
export const BENCH_SET: Record<string, string | number> = {
  MM_MICRO_VOL_MAX_BPS: 800,
  MM_MICRO_DRIFT_MAX_BPS: 600,
  MM_QUOTE_REFRESH_MS: 100,
  MM_MIN_REPRICE_INTERVAL_S: 0.1,
  MM_MIN_REPRICE_TICKS: 1,
  MM_MIN_REPRICE_MOVE_TICKS: 1,
  kmm_rate_tier: 'prestige',
  kmm_log_level: 'warn',
};

export interface LatencyOptions {
  markets: number;
  /** target websocket frame rate (frames/s); null = the profile's own rates (time scale 1) */
  rateFps: number | null;
  durationS: number;
  warmupS?: number;
  seed?: number;
  shards?: number;
  out?: string;
  set?: Record<string, string>;
  floorN?: number;
  /** market profile of the simulator (default 'active') */
  profile?: string;
  /** burst scenarios after the steady window (0 = none) */
  bursts?: number;
  /** fault: exec's journal fsync stalls this long (ms) */
  stallJournalMs?: number;
  /** fault: the exchange answers REST this late (ms) */
  restDelayMs?: number;
  progress?: (line: string) => void;
}

export interface Pcts {
  p50: number;
  p99: number;
}

/** The hops of tick-to-order, in path order (see the module comment). */
export const STAGES = ['ingest_parse', 'ingest_to_book', 'book', 'book_to_strategy', 'strategy', 'strategy_to_exec', 'exec', 'write'] as const;
export type Stage = (typeof STAGES)[number];

export interface LatencyResult {
  markets: number;
  profile: string;
  exchange: string;
  target_rate_fps: number | null;
  sim_speed: number;
  warmup_s: number;
  duration_s: number;
  frames: number;
  frames_per_s: number;
  samples: number;
  tick_to_order_us: { p50: number; p99: number; p999: number; max: number };
  target_to_wire_us: Pcts;
  /** per hop p50/p99 (us) over the samples that carry every stamp */
  stages_us: Record<Stage, Pcts>;
  stage_samples: number;
  floor_us: { p50: number; p99: number; p999: number; max: number; samples: number; hops: number };
  ratio_p50: number | null;
  ratio_p99: number | null;
  /** each burst: last order out after the burst started (us); the figure is the worst */
  burst_last_order_us: number | null;
  bursts: Array<{ frames: number; sim_us: number; orders: number; markets_ordered: number; last_order_us: number }>;
  faults: { stall_journal_ms: number; rest_delay_ms: number };
  /** the KMM process (simulator excluded) */
  rss_mb: number;
  rss_kb_per_market: number;
  /** the actors' JS heaps summed, per market */
  actors_heap_mb: number;
  actors_kb_per_market: number;
  heap_mb: number;
  sim_rss_mb: number;
  dropped: number;
  conflated: number;
  mailbox_depth_max: number;
  growing_queues: string[];
  actors: ActorLoad[];
  bottleneck: { actor: string; why: string } | null;
  orders: number;
  shards: number;
  run_dir: string;
  machine: string;
}

export function machineLine(): string {
  const c = cpus();
  return `${c[0]?.model ?? 'cpu'} x${c.length}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

/** p50/p99 (us) of each hop over the samples that carry every stamp. */
export function stageBreakdown(samples: readonly JournalSample[]): { stages: Record<Stage, Pcts>; n: number } {
  const full = samples.filter((s) => s.ingestEmitMonoNs > 0 && s.bookRecvMonoNs > 0 && s.bookEmitMonoNs > 0 && s.strategyRecvMonoNs > 0 && s.strategyEmitMonoNs > 0 && s.arrivalMonoNs > 0 && s.writeMonoNs > 0);
  const hops: Record<Stage, (s: JournalSample) => number> = {
    ingest_parse: (s) => s.ingestEmitMonoNs - s.causeRecvMonoNs,
    ingest_to_book: (s) => s.bookRecvMonoNs - s.ingestEmitMonoNs,
    book: (s) => s.bookEmitMonoNs - s.bookRecvMonoNs,
    book_to_strategy: (s) => s.strategyRecvMonoNs - s.bookEmitMonoNs,
    strategy: (s) => s.strategyEmitMonoNs - s.strategyRecvMonoNs,
    strategy_to_exec: (s) => s.arrivalMonoNs - s.strategyEmitMonoNs,
    exec: (s) => s.writeMonoNs - s.arrivalMonoNs,
    write: (s) => s.wireMonoNs - s.writeMonoNs,
  };
  const stages = {} as Record<Stage, Pcts>;
  for (const k of STAGES) {
    const us = Float64Array.from(full, (s) => hops[k](s) / 1000).sort();
    stages[k] = { p50: round1(pct(us, 50)), p99: round1(pct(us, 99)) };
  }
  return { stages, n: full.length };
}

export async function runLatencyBench(o: LatencyOptions): Promise<LatencyResult> {
  const say = o.progress ?? (() => {});
  const seed = o.seed ?? 1;
  const profileName = o.profile ?? 'active';
  const speed = o.rateFps === null ? 1 : Math.min(10_000, Math.max(0.01, o.rateFps / (FRAMES_PER_MARKET_PER_SPEED * o.markets)));
  const runDir = resolve(o.out ?? mkdtempSync(join(tmpdir(), 'kmm-bench-')));
  mkdirSync(runDir, { recursive: true });
  const loaded = loadConfig({
    env: process.env,
    cli: { kmm_env: 'sim', kmm_seed: seed, kmm_markets: o.markets, max_markets: o.markets, max_time_to_resolution_hours: 8760, ...BENCH_SET, ...(o.set ?? {}) },
  });
  for (const w of startupWarnings(loaded)) say(w);
  const sim = await startSimProcess({ port: 0, seed, markets: o.markets, speed, tier: 'unlimited', keyDir: runDir, stepMs: SIM_STEP_MS, profile: profileName });
  const stallJournalMs = o.stallJournalMs ?? 0;
  const restDelayMs = o.restDelayMs ?? 0;
  const profile = new LoadProfile();
  let orders = 0;
  try {
    const markets = await fetchMarkets(sim.restBaseUrl, o.markets);
    const shards = o.shards ?? loaded.values.kmm_shards;
    say(`bench: ${markets.length} markets, profile ${profileName} at time scale ${round1(speed * 100) / 100}, simulator in its own process (pid ${sim.pid}), ${shards} book shard(s), warm-up ${o.warmupS ?? defaultWarmupS(o.markets)} s, measure ${o.durationS} s, run folder ${runDir}`);
    if (stallJournalMs || restDelayMs) say(`faults: journal fsync stall ${stallJournalMs} ms, REST answers after ${restDelayMs} ms`);
    const sys = await startSystem({
      loaded,
      exchange: { env: 'sim', restBaseUrl: sim.restBaseUrl, wsUrl: sim.wsUrl, keyId: sim.keyId, privateKeyPath: sim.privateKeyPath },
      markets,
      runDir,
      mode: 'sim',
      dashboard: false,
      shards,
      heartbeatMs: HEALTH_SAMPLE_MS,
      journalFsyncStallMs: stallJournalMs,
    });
    let t0Ns = 0;
    let t1Ns = 0;
    let frames = 0;
    const burstMarks: Array<{ startNs: number; endNs: number; frames: number }> = [];
    try {
      await sleep((o.warmupS ?? defaultWarmupS(o.markets)) * 1000);
      // the REST delay starts after the warm-up: start-up reconcile and first quotes stay quick
      if (restDelayMs > 0) await sim.faults.set({ restLatencyMs: restDelayMs });
      const f0 = (await sim.stats()).wsFramesSent;
      t0Ns = hr();
      const timer = setInterval(() => profile.sample(sys.supervisor.health()), HEALTH_SAMPLE_MS);
      await sleep(o.durationS * 1000);
      profile.sample(sys.supervisor.health());
      t1Ns = hr();
      frames = (await sim.stats()).wsFramesSent - f0;
      for (let i = 0; i < (o.bursts ?? BURSTS_DEFAULT); i++) {
        const b = await sim.moveAll(BURST_CENTS);
        burstMarks.push({ startNs: b.startMonoNs, endNs: b.endMonoNs, frames: b.framesSent });
        await sleep(BURST_GAP_MS);
      }
      clearInterval(timer);
    } finally {
      await sys.stop();
    }
    const recs = readJournalRecords(execJournalPath(runDir));
    orders = recs.filter((r) => r.k === 'cmd').length;
    const allSamples = tickToOrderSamples(recs);
    const all = allSamples.filter((s) => s.causeRecvMonoNs >= t0Ns && s.wireMonoNs <= t1Ns);
    const t2o = Float64Array.from(all, (s) => (s.wireMonoNs - s.causeRecvMonoNs) / 1000).sort();
    const a2w = Float64Array.from(all.filter((s) => s.arrivalMonoNs > 0), (s) => (s.wireMonoNs - s.arrivalMonoNs) / 1000).sort();
    const st = stageBreakdown(all);
    const bursts = burstMarks.map((b) => burstFigures(b, allSamples, recs));
    const measuredS = (t1Ns - t0Ns) / 1e9;
    say(`system: ${all.length} tick-to-order samples (${st.n} with every stage stamp), ${frames} frames in ${measuredS.toFixed(1)} s; ${bursts.length} bursts; measuring the floor`);
    const simUsage = await sim.usage();
    const floor = await measureFloor(3, o.floorN ?? 2000, 1);
    const totals = profile.totals();
    const p50 = pct(t2o, 50);
    const p99 = pct(t2o, 99);
    const rssMb = profile.rssMbMax;
    const heapMb = profile.actorsHeapMb();
    const withOrders = bursts.filter((b) => b.orders > 0);
    return {
      markets: markets.length,
      profile: profileName,
      exchange: `simulator in its own process (child_process.fork, pid ${sim.pid}), flow step ${SIM_STEP_MS} ms`,
      target_rate_fps: o.rateFps,
      sim_speed: speed,
      warmup_s: o.warmupS ?? defaultWarmupS(o.markets),
      duration_s: round1(measuredS),
      frames,
      frames_per_s: Math.round(frames / measuredS),
      samples: t2o.length,
      tick_to_order_us: { p50: round1(p50), p99: round1(p99), p999: round1(pct(t2o, 99.9)), max: round1(t2o.length ? t2o[t2o.length - 1] : 0) },
      target_to_wire_us: { p50: round1(pct(a2w, 50)), p99: round1(pct(a2w, 99)) },
      stages_us: st.stages,
      stage_samples: st.n,
      floor_us: floor,
      ratio_p50: t2o.length && floor.p50 > 0 ? round1(p50 / floor.p50) : null,
      ratio_p99: t2o.length && floor.p99 > 0 ? round1(p99 / floor.p99) : null,
      burst_last_order_us: withOrders.length ? Math.max(...withOrders.map((b) => b.last_order_us)) : null,
      bursts,
      faults: { stall_journal_ms: stallJournalMs, rest_delay_ms: restDelayMs },
      rss_mb: round1(rssMb),
      rss_kb_per_market: Math.round((rssMb * 1024) / Math.max(1, markets.length)),
      actors_heap_mb: round1(heapMb),
      actors_kb_per_market: Math.round((heapMb * 1024) / Math.max(1, markets.length)),
      heap_mb: round1(profile.heapMbLast),
      sim_rss_mb: round1(simUsage.rssMb),
      dropped: totals.dropped,
      conflated: totals.conflated,
      mailbox_depth_max: Math.max(0, ...profile.actors().map((a) => a.mailboxDepthMax)),
      growing_queues: profile.growingQueues(),
      actors: profile.actors().map((a) => ({ ...a, eluMean: round1(a.eluMean * 1000) / 1000, eluMax: round1(a.eluMax * 1000) / 1000, handlerP99Us: round1(a.handlerP99Us) })),
      bottleneck: profile.bottleneck(),
      orders,
      shards,
      run_dir: runDir,
      machine: machineLine(),
    };
  } finally {
    await sim.close();
  }
}

/** One burst's figures: the orders caused by frames received in its window, and the last one's wire time. */
function burstFigures(b: { startNs: number; endNs: number; frames: number }, samples: readonly JournalSample[], recs: ReturnType<typeof readJournalRecords>): LatencyResult['bursts'][number] {
  const mine = samples.filter((s) => s.causeRecvMonoNs >= b.startNs && s.causeRecvMonoNs <= b.startNs + BURST_WINDOW_NS);
  const ids = new Set(mine.map((s) => s.cmdId));
  const markets = new Set<string>();
  for (const r of recs) if (r.k === 'cmd' && ids.has(Number(r.id ?? 0))) for (const c of r.orders ?? []) markets.add(c.market ?? '');
  const last = mine.reduce((m, s) => Math.max(m, s.wireMonoNs), 0);
  return { frames: b.frames, sim_us: round1((b.endNs - b.startNs) / 1000), orders: mine.length, markets_ordered: markets.size, last_order_us: last > 0 ? round1((last - b.startNs) / 1000) : 0 };
}

// ---- the floor: raw MessageChannel hops with the same payloads ------------------------------------

const FLOOR_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { inPort, outPort, role, next } = workerData;
const lat = [];
inPort.on('message', (m) => {
  if (m.done) {
    if (role === 'sink') parentPort.postMessage(lat);
    else outPort.postMessage(m);
    return;
  }
  if (role === 'sink') { lat.push(Number(process.hrtime.bigint()) - m.t); return; }
  // forward the next hop's payload type, carrying the origin stamp (as the runtime carries recv_mono_ns)
  const out = Object.assign({}, next, { t: m.t, seq: m.seq });
  outPort.postMessage(out);
});
`;

/** The payloads of the three system hops, as plain objects (same fields as the protobuf messages). */
function floorPayloads(): { delta: object; features: object; targets: object } {
  const market = 'KXBENCH-26JAN01-T50';
  return {
    delta: { header: { senderSeq: 1, causationId: 1, recvMonoNs: 0, exchangeTsMs: 0 }, bookDelta: { market, seq: 1234, side: 1, price: 4700, deltaCenti: -500, tsMs: 1760000000000 } },
    features: {
      header: { senderSeq: 1, causationId: 1, recvMonoNs: 0, exchangeTsMs: 0 },
      bookFeatures: {
        market, bestBid: 4700, bestBidCenti: 120000, bestAsk: 4800, bestAskCenti: 98000, mid: 4750, microprice: 4755.5, spread: 100, spreadEma: 101.2,
        ofi: -12.5, imbalance: 0.1, imbalanceEma: 0.08, microVolBps: 3.2, microDriftBps: -0.4, volRegime: 1, trendFast: 4751, trendSlow: 4749, trust: 1,
        bookVersion: 77, lastTradePrice: 4700, lastTradeCenti: 500,
        bidsTop: [{ price: 4700, countCenti: 120000 }, { price: 4600, countCenti: 5000 }],
        asksTop: [{ price: 4800, countCenti: 98000 }, { price: 4900, countCenti: 7000 }],
      },
    },
    targets: {
      header: { senderSeq: 1, causationId: 1, recvMonoNs: 0, exchangeTsMs: 0 },
      targetQuotes: { market, levels: [{ side: 1, price: 4600, countCenti: 500, level: 0 }, { side: 2, price: 4900, countCenti: 500, level: 0 }], fairValue: 4750, reason: 'quote', bidPaused: false, askPaused: false },
    },
  };
}

/** `hops` raw MessageChannel hops (main -> w1 -> ... -> sink worker), n lone messages gapMs apart. */
export async function measureFloor(hops: number, n: number, gapMs: number): Promise<LatencyResult['floor_us']> {
  const p = floorPayloads();
  const seq = [p.features, p.targets, p.targets];
  const chans = Array.from({ length: hops }, () => new MessageChannel());
  const workers: Worker[] = [];
  for (let i = 0; i < hops; i++) {
    const role = i === hops - 1 ? 'sink' : 'relay';
    const outPort = role === 'sink' ? null : chans[i + 1].port1;
    const transfer = outPort ? [chans[i].port2, outPort] : [chans[i].port2];
    workers.push(new Worker(FLOOR_WORKER, { eval: true, workerData: { inPort: chans[i].port2, outPort, role, next: seq[i] }, transferList: transfer }));
  }
  const result = new Promise<number[]>((res, rej) => {
    workers[hops - 1].once('message', res);
    for (const w of workers) w.once('error', rej);
  });
  await Promise.all(workers.map((w) => new Promise((r) => w.once('online', r))));
  const src = chans[0].port1;
  const warm = Math.min(200, Math.floor(n / 10));
  for (let i = 0; i < n + warm; i++) {
    src.postMessage(Object.assign({}, p.delta, { t: Number(process.hrtime.bigint()), seq: i }));
    await sleep(gapMs);
  }
  src.postMessage({ done: true });
  const lat = (await result).slice(warm);
  await Promise.all(workers.map((w) => w.terminate()));
  for (const c of chans) {
    c.port1.close();
    c.port2.close();
  }
  const us = Float64Array.from(lat, (x) => x / 1000).sort();
  return { p50: round1(pct(us, 50)), p99: round1(pct(us, 99)), p999: round1(pct(us, 99.9)), max: round1(us.length ? us[us.length - 1] : 0), samples: us.length, hops };
}

// ---- scale ------------------------------------------------------------------------------------------

export interface ScaleOptions {
  marketCounts: number[];
  /** target rates per market (frames/s per market); each market count runs at each */
  ratesPerMarket: number[];
  durationS: number;
  seed?: number;
  out: string;
  set?: Record<string, string>;
  progress?: (line: string) => void;
}

export async function runScaleBench(o: ScaleOptions): Promise<LatencyResult[]> {
  const rows: LatencyResult[] = [];
  for (const n of o.marketCounts) {
    for (const r of o.ratesPerMarket) {
      o.progress?.(`scale: ${n} markets at ${r} frames/s per market (${n * r} frames/s)`);
      const res = await runLatencyBench({ markets: n, rateFps: n * r, durationS: o.durationS, seed: o.seed, set: o.set, floorN: 500, bursts: 0, progress: o.progress });
      rows.push(res);
      o.progress?.(`  -> ${res.frames_per_s} frames/s, t2o p50 ${res.tick_to_order_us.p50} p99 ${res.tick_to_order_us.p99} us (${res.samples}), rss ${res.rss_mb} MB, bottleneck ${res.bottleneck?.actor ?? '-'}`);
    }
  }
  writeScaleMarkdown(o.out, rows, o);
  return rows;
}

export function scaleTable(rows: LatencyResult[]): string[] {
  const lines = [
    '| markets | target frames/s | frames/s reached | samples | t2o p50 us | t2o p99 us | t2o p99.9 us | t2o max us | floor p50 us | p50/floor | RSS MB | KB/market | dropped | conflated | max mailbox | growing queues | bottleneck (mean/max ELU) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const b = r.actors.find((a) => a.actor === r.bottleneck?.actor);
    lines.push(
      `| ${r.markets} | ${r.target_rate_fps ?? 'natural'} | ${r.frames_per_s} | ${r.samples} | ${r.tick_to_order_us.p50} | ${r.tick_to_order_us.p99} | ${r.tick_to_order_us.p999} | ${r.tick_to_order_us.max} | ${r.floor_us.p50} | ${r.ratio_p50 ?? '-'} | ${r.rss_mb} | ${r.rss_kb_per_market} | ${r.dropped} | ${r.conflated} | ${r.mailbox_depth_max} | ${r.growing_queues.join(' ') || 'none'} | ${r.bottleneck?.actor ?? '-'} (${b ? `${Math.round(b.eluMean * 100)}%/${Math.round(b.eluMax * 100)}%` : '-'}) |`,
    );
  }
  return lines;
}

/** ASCII chart: p99 tick-to-order (log scale) per run, and frames/s reached vs target. */
export function asciiChart(rows: LatencyResult[]): string[] {
  const out: string[] = ['p99 tick-to-order (log scale, # = 1 step of x2 from 100 us) | reached/target frames/s'];
  for (const r of rows) {
    const p = Math.max(1, r.tick_to_order_us.p99);
    const bars = Math.max(0, Math.round(Math.log2(p / 100)) + 1);
    const label = `${String(r.markets).padStart(5)} mkts @ ${String(r.target_rate_fps ?? 0).padStart(6)} fps`;
    const reach = r.target_rate_fps ? `${Math.round((100 * r.frames_per_s) / r.target_rate_fps)}%` : '-';
    out.push(`${label} |${'#'.repeat(Math.min(bars, 40)).padEnd(20)}| p99 ${String(r.tick_to_order_us.p99).padStart(9)} us | ${reach} of target`);
  }
  return out;
}

function writeScaleMarkdown(path: string, rows: LatencyResult[], o: ScaleOptions): void {
  mkdirSync(dirname(path), { recursive: true });
  const worst = rows.filter((r) => r.bottleneck).map((r) => `- ${r.markets} markets @ ${r.target_rate_fps} fps: ${r.bottleneck!.why}${r.growing_queues.length ? `; growing queues: ${r.growing_queues.join(', ')}` : ''}`);
  const text = [
    '# Scale: tick-to-order latency and load vs markets and frame rate',
    '',
    `Command: \`./kmm bench scale --markets ${o.marketCounts.join(',')} --rates ${o.ratesPerMarket.join(',')} --duration ${o.durationS}\``,
    '',
    `Machine: ${machineLine()}. Simulator in its own process (it shares the 2 cores, not KMM's process).`,
    `Date: ${new Date().toISOString()}. Config overrides: ${Object.entries({ ...BENCH_SET, ...(o.set ?? {}) }).map(([k, v]) => `${k}=${v}`).join(' ')}.`,
    '',
    ...scaleTable(rows),
    '',
    '```',
    ...asciiChart(rows),
    '```',
    '',
    'Per-run bottleneck (highest mean event-loop utilisation from Supervisor.health()):',
    '',
    ...worst,
    '',
  ].join('\n');
  writeFileSync(path, text);
}

// ---- CLI ----------------------------------------------------------------------------------------------

export function formatLatency(r: LatencyResult): string[] {
  const t = r.tick_to_order_us;
  const f = r.floor_us;
  const st = (k: Stage) => `${String(r.stages_us[k].p50).padStart(9)} ${String(r.stages_us[k].p99).padStart(9)}`;
  return [
    `machine: ${r.machine}`,
    `exchange: ${r.exchange}; profile ${r.profile}, time scale ${round1(r.sim_speed * 100) / 100}; ${r.shards} book shard(s)`,
    `markets: ${r.markets}; frames: ${r.frames} in ${r.duration_s} s = ${r.frames_per_s} frames/s${r.target_rate_fps ? ` (target ${r.target_rate_fps})` : ''}; orders (commands): ${r.orders}`,
    ...(r.faults.stall_journal_ms || r.faults.rest_delay_ms ? [`faults: journal fsync stalled ${r.faults.stall_journal_ms} ms; REST answered after ${r.faults.rest_delay_ms} ms`] : []),
    `tick-to-order (frame receipt -> REST request written), ${r.samples} samples: p50 ${t.p50} us, p99 ${t.p99} us, p99.9 ${t.p999} us, max ${t.max} us`,
    `floor (${f.hops} raw MessageChannel hops, same payloads, ${f.samples} lone msgs, same run): p50 ${f.p50} us, p99 ${f.p99} us, p99.9 ${f.p999} us`,
    `ratio tick-to-order / floor: p50 ${r.ratio_p50 ?? '-'}x, p99 ${r.ratio_p99 ?? '-'}x`,
    `per hop (${r.stage_samples} samples with every stamp):   p50 us    p99 us`,
    ...STAGES.map((k) => `  ${k.padEnd(38)} ${st(k)}`),
    `  (floor: 3 hops ~ ingest->book + book->strategy + strategy->exec; p50 ${f.p50} us for all three)`,
    `target-to-wire (TargetQuotes arrival in exec -> request written): p50 ${r.target_to_wire_us.p50} us, p99 ${r.target_to_wire_us.p99} us`,
    `bursts (every market moves at once; last order out after the burst started): ${r.bursts.map((b) => `${b.last_order_us} us (${b.frames} frames, ${b.orders} orders on ${b.markets_ordered} markets, sim ${b.sim_us} us)`).join('; ') || 'none'}`,
    `burst_last_order_us (worst): ${r.burst_last_order_us ?? '-'}`,
    `memory: KMM process RSS ${r.rss_mb} MB (${r.rss_kb_per_market} KB/market; the simulator's ${r.sim_rss_mb} MB is not in it); actors' heaps ${r.actors_heap_mb} MB = ${r.actors_kb_per_market} KB/market`,
    `dropped: ${r.dropped}; conflated: ${r.conflated}; max mailbox depth: ${r.mailbox_depth_max}; growing queues: ${r.growing_queues.join(', ') || 'none'}`,
    'load profile:',
    '  actor        ELU mean  ELU max  mailbox max  msgs in   msgs out  dropped  conflated  handler p99 us',
    ...r.actors.map(
      (a) =>
        `  ${a.actor.padEnd(12)} ${(a.eluMean * 100).toFixed(1).padStart(6)}%  ${(a.eluMax * 100).toFixed(1).padStart(6)}%  ${String(a.mailboxDepthMax).padStart(11)}  ${String(a.msgsIn).padStart(8)}  ${String(a.msgsOut).padStart(8)}  ${String(a.dropped).padStart(7)}  ${String(a.conflated).padStart(9)}  ${a.handlerP99Us.toFixed(0).padStart(14)}`,
    ),
    `bottleneck: ${r.bottleneck?.why ?? 'n/a'}`,
    `run folder: ${r.run_dir}`,
  ];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const hr = (): number => Number(process.hrtime.bigint());
