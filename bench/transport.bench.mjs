#!/usr/bin/env node
/**
 * Transport benchmark (issue 2): what the actor runtime costs on top of a raw MessageChannel.
 *
 * Six pipelines, all alive for the whole run:
 *     runtime hop       source -> sink                    (Supervisor + chain actor, protobuf BookFeatures)
 *     runtime chain     source -> relay -> relay -> sink  (4 actors, 3 hops)
 *     floor hop/chain   raw MessageChannels between worker threads, the equivalent plain object
 *                       (structured clone), no protobuf, no mailbox (transport-floor-worker.mjs)
 *     floor+pb hop/chain  the same raw channels carrying the runtime's protobuf batches (BatchEncoder
 *                       -> transferred ArrayBuffer -> decodeBatch, one message per batch): separates
 *                       the codec's share of the overhead from the runtime's scheduling
 * each driven in three modes, interleaved round by round in ONE process run (the order rotates
 * every round so drift and background load hit every configuration alike):
 *   latency   paced with a gap (one message every --gap-ms via setTimeout): every message is its
 *             own batch and finds the receivers idle, so this is the one-way latency of a lone
 *             message, without queueing behind earlier ones.
 *   b2b       paced back to back (one message per event-loop turn, setImmediate): still one batch
 *             per message, but the source outruns the receivers, so latency here is mostly queueing;
 *             its messages/s is the throughput without any batching benefit.
 *   burst     the source sends N messages in one synchronous loop: throughput with batching.
 * one-way latency = sink's hrtime - source's hrtime stamp taken just before the send
 * (process.hrtime is one monotonic clock for all threads of the process);
 * throughput = count / (sink's last receive - source's first send stamp).
 * Then, in the main thread, per-message costs of the pieces the runtime adds (protobuf encode /
 * decode, mailbox, setImmediate turn, postMessage) to explain the difference.
 *
 * Usage (from the repo root, after building @kmm/shared):
 *   node bench/transport.bench.mjs            # ~60 s or less
 *   node bench/transport.bench.mjs --quick    # ~10 s
 *   node bench/transport.bench.mjs --json     # machine-readable result on stdout
 *   overrides: --rounds N  --lat-n N  --b2b-n N  --tput-n N  --gap-ms N
 *   diagnosis: --only lat|b2b|burst (one mode)  --heartbeat-ms N (runtime Health period, default 1000)
 *              --batch-max-bytes N (runtime batch limit, default 256 KiB as in the runtime)
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { BatchEncoder, Mailbox, Supervisor, chainActorScript, decodeBatch, kmm } from '../packages/shared/dist/index.js';

// ---- parameters -------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const AS_JSON = argv.includes('--json');
function intArg(name, dflt) {
  const i = argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(argv[i + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} needs a positive integer, got ${argv[i + 1]}`);
  return v;
}
const ROUNDS = intArg('--rounds', QUICK ? 3 : 5);
const LAT_N = intArg('--lat-n', QUICK ? 150 : 500);
const B2B_N = intArg('--b2b-n', QUICK ? 1000 : 4000);
const GAP_MS = intArg('--gap-ms', 1);
const HEARTBEAT_MS = intArg('--heartbeat-ms', 1000);
const onlyAt = argv.indexOf('--only');
const ONLY = onlyAt >= 0 ? argv[onlyAt + 1] : null;
if (ONLY !== null && !['lat', 'b2b', 'burst'].includes(ONLY)) throw new Error(`--only takes lat|b2b|burst, got ${ONLY}`);
const TPUT_N = intArg('--tput-n', QUICK ? 10_000 : 50_000);
/** Runtime batch limit (Supervisor batchMaxBytes); the runtime's default is 256 KiB. */
const BATCH_MAX_BYTES = intArg('--batch-max-bytes', 256 * 1024);
/** The relay's mailbox hard limit is 4 x 65536 state messages; a burst must stay well under it. */
const TPUT_N_MAX = 200_000;
if (TPUT_N > TPUT_N_MAX) throw new Error(`--tput-n ${TPUT_N} exceeds ${TPUT_N_MAX} (mailbox hard limit of the relays)`);
/** One round of one configuration must finish within this, or the run fails (a lost message). */
const ROUND_TIMEOUT_MS = 30_000;

const say = AS_JSON ? (...a) => console.error(...a) : (...a) => console.log(...a);
const progress = (...a) => console.error(...a);

// ---- machine ----------------------------------------------------------------------------------

const cpus = os.cpus();
const machine = {
  cpu: cpus[0]?.model ?? 'unknown',
  cores: cpus.length,
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
  memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  date: new Date().toISOString(),
  loadavgStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
};
const machineLine = `machine: ${machine.cpu} x${machine.cores} cores, ${machine.memGiB} GiB, node ${machine.node}, ${machine.platform}, ${machine.date}, loadavg at start ${machine.loadavgStart.join(' ')}`;
say(machineLine);
const paramsLine = `params: rounds=${ROUNDS} interleaved; per round: latency n=${LAT_N} (one every ${GAP_MS} ms), b2b n=${B2B_N} (one per event-loop turn), burst n=${TPUT_N}; runtime batchMaxBytes=${BATCH_MAX_BYTES}${QUICK ? ' [--quick]' : ''}`;
say(paramsLine);

// ---- runtime topologies (one Supervisor, two independent pipelines) -----------------------------

const script = chainActorScript();
const K = kmm.v1.ActorKind;
const sup = new Supervisor({
  actors: [
    { name: 'hop.src', kind: K.INGEST, script, extra: { role: 'source', next: 'hop.sink' } },
    { name: 'hop.sink', kind: K.STRATEGY, script, extra: { role: 'sink' } },
    { name: 'chain.src', kind: K.INGEST, script, extra: { role: 'source', next: 'chain.relay1' } },
    { name: 'chain.relay1', kind: K.BOOK, script, shard: 0, shardCount: 2, extra: { role: 'relay', next: 'chain.relay2' } },
    { name: 'chain.relay2', kind: K.BOOK, script, shard: 1, shardCount: 2, extra: { role: 'relay', next: 'chain.sink' } },
    { name: 'chain.sink', kind: K.STRATEGY, script, extra: { role: 'sink' } },
  ],
  edges: [
    ['hop.src', 'hop.sink'],
    ['chain.src', 'chain.relay1'],
    ['chain.relay1', 'chain.relay2'],
    ['chain.relay2', 'chain.sink'],
  ],
  config: {},
  heartbeatMs: HEARTBEAT_MS,
  batchMaxBytes: BATCH_MAX_BYTES,
  hangTimeoutMs: Math.max(10_000, HEARTBEAT_MS * 10),
  shutdownOrder: ['hop.src', 'chain.src', 'chain.relay1', 'chain.relay2', 'hop.sink', 'chain.sink'],
});

/** One pending sink_report waiter per sink actor. */
const reportWaiters = new Map();
let fatal = null;
sup.on('ops', (ev) => {
  if (ev.event === 'sink_report') {
    const w = reportWaiters.get(ev.actor);
    if (w) {
      reportWaiters.delete(ev.actor);
      w(JSON.parse(ev.json));
    }
  } else if (ev.level === 'error') {
    fatal = new Error(`runtime actor ${ev.actor}: ${ev.event} ${ev.json}`);
  }
});
sup.on('restart', (r) => (fatal = new Error(`runtime actor restarted during the benchmark: ${JSON.stringify(r)}`)));
sup.on('fatal', (r) => (fatal = new Error(`runtime actor fatal: ${JSON.stringify(r)}`)));

function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(fatal ?? new Error(`${what}: no result within ${ROUND_TIMEOUT_MS} ms`)), ROUND_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sinkReport(sink, fire) {
  const p = new Promise((resolve) => reportWaiters.set(sink, resolve));
  fire();
  return withTimeout(p, `${sink} sink_report`);
}

const control = (json) => ({ control: { kind: kmm.v1.ControlKind.CONTROL_KIND_UNSPECIFIED, json: JSON.stringify(json) } });

/** Control fields for the source per mode. */
const MODES = {
  lat: { paced: true, gapMs: GAP_MS },
  b2b: { paced: true, gapMs: 0 },
  burst: { paced: false, gapMs: 0 },
};

async function runtimeRound(topo, n, mode) {
  const sink = `${topo}.sink`;
  // The ack (report:true answers at once with count 0) guarantees the sink is armed before the
  // source starts: supervisor->sink and source->sink are different channels.
  await sinkReport(sink, () => sup.send(sink, control({ expect: n, report: true })));
  const r = await sinkReport(sink, () => sup.send(`${topo}.src`, control({ emit: n, ...MODES[mode] })));
  if (fatal) throw fatal;
  if (r.count !== n) throw new Error(`${sink}: expected ${n} messages, got ${r.count}`);
  return r;
}

// ---- floor topologies (raw MessageChannels) -----------------------------------------------------

const floorScript = fileURLToPath(new URL('./transport-floor-worker.mjs', import.meta.url));

function nextMessage(worker, type) {
  return withTimeout(
    new Promise((resolve) => {
      const on = (m) => {
        if (m.type === type) {
          worker.off('message', on);
          resolve(m);
        }
      };
      worker.on('message', on);
    }),
    `floor ${type}`,
  );
}

async function floorTopology(hops, codec) {
  const roles = ['source', ...Array(hops - 1).fill('relay'), 'sink'];
  const workers = roles.map((role) => new Worker(floorScript, { workerData: { role, codec } }));
  for (const w of workers) w.on('error', (err) => (fatal = err));
  const inits = workers.map(() => ({ type: 'init' }));
  for (let i = 0; i < hops; i++) {
    const ch = new MessageChannel();
    inits[i].out = ch.port1;
    inits[i + 1].in = ch.port2;
  }
  await Promise.all(
    workers.map((w, i) => {
      const ready = nextMessage(w, 'ready');
      const ports = [inits[i].in, inits[i].out].filter(Boolean);
      w.postMessage(inits[i], ports);
      return ready;
    }),
  );
  return { workers, src: workers[0], sink: workers[workers.length - 1] };
}

async function floorRound(topo, n, mode) {
  const ack = nextMessage(topo.sink, 'ack');
  topo.sink.postMessage({ type: 'expect', n });
  await ack;
  const done = nextMessage(topo.sink, 'report');
  topo.src.postMessage({ type: 'emit', n, ...MODES[mode] });
  const r = await done;
  if (fatal) throw fatal;
  return r;
}

// ---- the measured configurations ------------------------------------------------------------------

const N_BY_MODE = { lat: LAT_N, b2b: B2B_N, burst: TPUT_N };
const WARM_N_BY_MODE = { lat: Math.min(LAT_N, 100), b2b: Math.min(B2B_N, 1000), burst: Math.min(TPUT_N, 20_000) };
const CONFIGS = [];
for (const mode of ONLY ? [ONLY] : ['lat', 'b2b', 'burst']) {
  for (const topo of ['hop', 'chain']) {
    const M = mode[0].toUpperCase() + mode.slice(1);
    const T = topo[0].toUpperCase() + topo.slice(1);
    CONFIGS.push({ key: `rt${T}${M}`, label: `runtime ${topo}`, topo, mode, run: (n) => runtimeRound(topo, n, mode) });
    CONFIGS.push({ key: `fl${T}${M}`, label: `floor ${topo}`, topo, mode, run: (n) => floorRound(floor[topo], n, mode) });
    CONFIGS.push({ key: `pb${T}${M}`, label: `floor+pb ${topo}`, topo, mode, run: (n) => floorRound(floorPb[topo], n, mode) });
  }
}

const t0 = Date.now();
await sup.start();
const floor = { hop: await floorTopology(1, false), chain: await floorTopology(3, false) };
const floorPb = { hop: await floorTopology(1, true), chain: await floorTopology(3, true) };
progress(`started 6 runtime actors and 12 floor workers in ${Date.now() - t0} ms`);

// Warm-up (JIT, first-touch allocations): one short pass of everything, not recorded.
for (const c of CONFIGS) await c.run(WARM_N_BY_MODE[c.mode]);

const samples = Object.fromEntries(CONFIGS.map((c) => [c.key, []]));
for (let r = 0; r < ROUNDS; r++) {
  const t = Date.now();
  for (let j = 0; j < CONFIGS.length; j++) {
    const c = CONFIGS[(j + r) % CONFIGS.length];
    const rep = await c.run(N_BY_MODE[c.mode]);
    const spanNs = rep.lastRecvNs - rep.firstSentNs;
    samples[c.key].push({ p50Ns: rep.p50Ns, p99Ns: rep.p99Ns, maxNs: rep.maxNs, msgsPerS: spanNs > 0 ? (rep.count * 1e9) / spanNs : 0 });
  }
  progress(`round ${r + 1}/${ROUNDS} done in ${Date.now() - t} ms`);
}

// ---- per-message costs of the pieces (main thread, workers idle) --------------------------------

function features(i, nowNs) {
  // Same object the chain actor sends (see packages/shared/src/runtime/testing/chain-actor.ts).
  return {
    market: 'KXBENCH-26JAN01-M' + i,
    bestBid: 4700,
    bestBidCenti: 120000 + i,
    bestAsk: 4800,
    bestAskCenti: 98000,
    mid: 4750,
    microprice: 4755.5,
    spread: 100,
    spreadEma: 101.2,
    ofi: -12.5,
    imbalance: 0.1,
    imbalanceEma: 0.08,
    microVolBps: 3.2,
    microDriftBps: -0.4,
    volRegime: kmm.v1.VolRegime.NORMAL,
    trendFast: 4751,
    trendSlow: 4749,
    trust: kmm.v1.TrustState.TRUSTED,
    bookVersion: i,
    lastTradePrice: 4700,
    lastTradeCenti: 500,
    bidsTop: [{ price: 4700, countCenti: 120000 }, { price: 4600, countCenti: 5000 }],
    asksTop: [{ price: 4800, countCenti: 98000 }, { price: 4900, countCenti: 7000 }],
    totalBidCenti: nowNs % 1000,
  };
}
const header = (i, now) => ({ senderSeq: i + 1, emitMonoNs: now, causationId: i + 1, recvMonoNs: now, exchangeTsMs: 0, senderId: 2000 });
const hrNow = () => Number(process.hrtime.bigint());

/** ns per iteration of fn(i), best of 3 passes of `iters` (after a warm-up pass). */
function costNs(iters, fn) {
  let best = Infinity;
  for (let pass = 0; pass < 4; pass++) {
    const a = hrNow();
    for (let i = 0; i < iters; i++) fn(i);
    const ns = (hrNow() - a) / iters;
    if (pass > 0 && ns < best) best = ns;
  }
  return best;
}

async function microCosts() {
  const M = QUICK ? 20_000 : 50_000;
  let sink = 0;
  const now = hrNow();
  const enc = new BatchEncoder();
  const oneBatch = (() => {
    enc.add({ header: header(1, now), bookFeatures: features(1, now) });
    return enc.finish();
  })();
  const bigBatch = (() => {
    for (let i = 0; i < 1000; i++) enc.add({ header: header(i, now), bookFeatures: features(i, now) });
    return enc.finish();
  })();
  const decoded = [];
  decodeBatch(bigBatch, (e) => decoded.push(e));
  const plain = { header: header(1, now), bookFeatures: features(1, now) };
  const mailbox = new Mailbox(65536);

  const out = {};
  out.encodedBytes = oneBatch.byteLength;
  out.buildObjectNs = costNs(M, (i) => (sink += features(i, now).bookVersion));
  out.encodeOneBatchNs = costNs(M, (i) => {
    enc.add({ header: header(i, now), bookFeatures: features(i, now) });
    sink += enc.finish().byteLength;
  }) - out.buildObjectNs;
  out.encodeInBatchOf1000Ns = costNs(M / 1000, () => {
    for (let i = 0; i < 1000; i++) enc.add({ header: header(i, now), bookFeatures: features(i, now) });
    sink += enc.finish().byteLength;
  }) / 1000 - out.buildObjectNs;
  out.decodeOneBatchNs = costNs(M, () => decodeBatch(oneBatch, (e) => (sink += e.bookFeatures.bookVersion)));
  out.decodeInBatchOf1000Ns = costNs(M / 1000, () => decodeBatch(bigBatch, (e) => (sink += e.bookFeatures.bookVersion))) / 1000;
  out.structuredCloneNs = costNs(M, () => (sink += structuredClone(plain).bookFeatures.bookVersion));
  out.mailboxPushShiftNs = costNs(M, (i) => {
    mailbox.push(decoded[i % 1000], 'peer');
    sink += mailbox.shift().env.bookFeatures.bookVersion;
  });
  out.performanceNowPairNs = costNs(M, () => (sink += performance.now() - performance.now()));

  // Sender-side postMessage cost (receiver not started, so messages only queue).
  const ch1 = new MessageChannel();
  out.postTransferredBatchNs = costNs(M / 4, () => {
    const b = oneBatch.slice(0);
    ch1.port1.postMessage(b, [b]);
  });
  ch1.port1.close();
  const ch2 = new MessageChannel();
  out.postPlainObjectNs = costNs(M / 4, () => ch2.port1.postMessage(plain));
  ch2.port1.close();

  // One setImmediate turn of an otherwise idle event loop.
  const turns = QUICK ? 20_000 : 50_000;
  await new Promise((r) => setImmediate(r));
  const a = hrNow();
  await new Promise((resolve) => {
    let k = 0;
    const step = () => (++k < turns ? setImmediate(step) : resolve());
    setImmediate(step);
  });
  out.setImmediateTurnNs = (hrNow() - a) / turns;
  if (sink === 0.5) console.error(sink); // keep results observable
  for (const k of Object.keys(out)) out[k] = Math.round(out[k]);
  return out;
}
// Stop every worker first: the micro loops block the main thread for seconds, which the
// supervisor's hang check would otherwise read as hung actors (and restart them).
await sup.stop();
for (const t of [floor.hop, floor.chain, floorPb.hop, floorPb.chain]) for (const w of t.workers) await w.terminate();
if (fatal) throw fatal;
const micro = await microCosts();
machine.loadavgEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);

// ---- report ---------------------------------------------------------------------------------

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const summary = {};
for (const c of CONFIGS) {
  const xs = samples[c.key];
  const f = (k) => ({ median: median(xs.map((x) => x[k])), min: Math.min(...xs.map((x) => x[k])), max: Math.max(...xs.map((x) => x[k])), rounds: xs.map((x) => x[k]) });
  summary[c.key] = { p50Ns: f('p50Ns'), p99Ns: f('p99Ns'), maxNs: f('maxNs'), msgsPerS: f('msgsPerS') };
}
/** runtime/floor: ratio of the medians, and the range of the per-round (paired) ratios. */
function ratio(rtKey, flKey, field) {
  if (!samples[rtKey] || !samples[flKey]) return null; // mode not run (--only)
  const rt = samples[rtKey].map((x) => x[field]);
  const fl = samples[flKey].map((x) => x[field]);
  const paired = rt.map((x, i) => x / fl[i]);
  return { ofMedians: median(rt) / median(fl), pairedMin: Math.min(...paired), pairedMax: Math.max(...paired) };
}
const ratios = {
  hopLatencyP50: ratio('rtHopLat', 'flHopLat', 'p50Ns'),
  hopLatencyP99: ratio('rtHopLat', 'flHopLat', 'p99Ns'),
  chainLatencyP50: ratio('rtChainLat', 'flChainLat', 'p50Ns'),
  chainLatencyP99: ratio('rtChainLat', 'flChainLat', 'p99Ns'),
  hopB2bThroughput: ratio('rtHopB2b', 'flHopB2b', 'msgsPerS'),
  chainB2bThroughput: ratio('rtChainB2b', 'flChainB2b', 'msgsPerS'),
  hopBurstThroughput: ratio('rtHopBurst', 'flHopBurst', 'msgsPerS'),
  chainBurstThroughput: ratio('rtChainBurst', 'flChainBurst', 'msgsPerS'),
};
/** runtime/(floor + protobuf): what the mailbox, drain and flush scheduling add beyond the codec. */
const ratiosVsPb = {
  hopLatencyP50: ratio('rtHopLat', 'pbHopLat', 'p50Ns'),
  hopLatencyP99: ratio('rtHopLat', 'pbHopLat', 'p99Ns'),
  chainLatencyP50: ratio('rtChainLat', 'pbChainLat', 'p50Ns'),
  chainLatencyP99: ratio('rtChainLat', 'pbChainLat', 'p99Ns'),
  hopB2bThroughput: ratio('rtHopB2b', 'pbHopB2b', 'msgsPerS'),
  chainB2bThroughput: ratio('rtChainB2b', 'pbChainB2b', 'msgsPerS'),
  hopBurstThroughput: ratio('rtHopBurst', 'pbHopBurst', 'msgsPerS'),
  chainBurstThroughput: ratio('rtChainBurst', 'pbChainBurst', 'msgsPerS'),
};

const us = (ns) => (ns / 1000).toFixed(1);
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const latCell = (s) => `${lpad(us(s.median), 7)} [${us(s.min)}..${us(s.max)}]`;
const fmtK = (x) => Math.round(x).toLocaleString('en-US');
const tputCell = (s) => `${lpad(fmtK(s.median), 9)} [${fmtK(s.min)}..${fmtK(s.max)}]`;
const rat = (r, d = 2) => (r === null ? 'not run' : `${r.ofMedians.toFixed(d)}  (per round ${r.pairedMin.toFixed(d)}..${r.pairedMax.toFixed(d)})`);
const rowName = (c) => `${pad(c.label, 17)} ${c.topo === 'hop' ? '(1 hop) ' : '(3 hops)'}`;
const cfg = (key) => CONFIGS.find((x) => x.key === key);

const lines = [];
lines.push(machineLine + `, loadavg at end ${machine.loadavgEnd.join(' ')}`);
lines.push(paramsLine);
lines.push('cells: median over rounds [min..max of the per-round values]');
lines.push('');
lines.push(`latency: one message every ${GAP_MS} ms, one-way µs       p50                      p99                      max`);
for (const k of ['rtHopLat', 'pbHopLat', 'flHopLat', 'rtChainLat', 'pbChainLat', 'flChainLat'].filter((x) => summary[x])) {
  const s = summary[k];
  lines.push(`  ${rowName(cfg(k))}                ${pad(latCell(s.p50Ns), 24)} ${pad(latCell(s.p99Ns), 24)} ${latCell(s.maxNs)}`);
}
lines.push('');
lines.push('back to back: one message per event-loop turn     messages/s                   p50 µs (queueing)');
for (const k of ['rtHopB2b', 'pbHopB2b', 'flHopB2b', 'rtChainB2b', 'pbChainB2b', 'flChainB2b'].filter((x) => summary[x])) {
  const s = summary[k];
  lines.push(`  ${rowName(cfg(k))}                ${pad(tputCell(s.msgsPerS), 28)} ${latCell(s.p50Ns)}`);
}
lines.push('');
lines.push(`burst: ${TPUT_N} messages in one loop               messages/s`);
for (const k of ['rtHopBurst', 'pbHopBurst', 'flHopBurst', 'rtChainBurst', 'pbChainBurst', 'flChainBurst'].filter((x) => summary[x])) {
  lines.push(`  ${rowName(cfg(k))}                ${tputCell(summary[k].msgsPerS)}`);
}
lines.push('');
lines.push('ratios runtime/floor: ratio of the medians (range of the per-round paired ratios)');
lines.push(`  latency p50, hop           ${rat(ratios.hopLatencyP50)}`);
lines.push(`  latency p99, hop           ${rat(ratios.hopLatencyP99)}`);
lines.push(`  latency p50, chain         ${rat(ratios.chainLatencyP50)}`);
lines.push(`  latency p99, chain         ${rat(ratios.chainLatencyP99)}`);
lines.push(`  throughput b2b, hop        ${rat(ratios.hopB2bThroughput)}   (<1 = runtime slower)`);
lines.push(`  throughput b2b, chain      ${rat(ratios.chainB2bThroughput)}`);
lines.push(`  throughput burst, hop      ${rat(ratios.hopBurstThroughput)}`);
lines.push(`  throughput burst, chain    ${rat(ratios.chainBurstThroughput)}`);
lines.push('ratios runtime/(floor+pb): same, against the floor that also encodes/decodes protobuf');
for (const [k, label] of [['hopLatencyP50', 'latency p50, hop'], ['hopLatencyP99', 'latency p99, hop'], ['chainLatencyP50', 'latency p50, chain'], ['chainLatencyP99', 'latency p99, chain'], ['hopB2bThroughput', 'throughput b2b, hop'], ['chainB2bThroughput', 'throughput b2b, chain'], ['hopBurstThroughput', 'throughput burst, hop'], ['chainBurstThroughput', 'throughput burst, chain']]) {
  lines.push(`  ${pad(label, 26)} ${rat(ratiosVsPb[k])}`);
}
lines.push('');
lines.push(`per-message costs in one thread (ns; BookFeatures envelope = ${micro.encodedBytes} bytes encoded):`);
lines.push(`  build the BookFeatures object            ${lpad(micro.buildObjectNs, 6)}   (both paths)`);
lines.push(`  protobuf encode, 1-message batch         ${lpad(micro.encodeOneBatchNs, 6)}   (+ finish/copy into an owned ArrayBuffer)`);
lines.push(`  protobuf encode, in a 1000-message batch ${lpad(micro.encodeInBatchOf1000Ns, 6)}`);
lines.push(`  protobuf decode, 1-message batch         ${lpad(micro.decodeOneBatchNs, 6)}`);
lines.push(`  protobuf decode, in a 1000-message batch ${lpad(micro.decodeInBatchOf1000Ns, 6)}`);
lines.push(`  mailbox push + shift                     ${lpad(micro.mailboxPushShiftNs, 6)}`);
lines.push(`  performance.now() x2 (handler histogram) ${lpad(micro.performanceNowPairNs, 6)}`);
lines.push(`  postMessage, transferred batch (sender)  ${lpad(micro.postTransferredBatchNs, 6)}   (incl. slice copy)`);
lines.push(`  postMessage, plain object (sender)       ${lpad(micro.postPlainObjectNs, 6)}   (floor)`);
lines.push(`  structuredClone of the plain envelope    ${lpad(micro.structuredCloneNs, 6)}   (~ floor serialize + deserialize)`);
lines.push(`  one setImmediate turn, idle loop         ${lpad(micro.setImmediateTurnNs, 6)}`);
lines.push(`total ${((Date.now() - t0) / 1000).toFixed(1)} s`);

if (AS_JSON) {
  process.stdout.write(JSON.stringify({ machine, params: { rounds: ROUNDS, latN: LAT_N, gapMs: GAP_MS, b2bN: B2B_N, tputN: TPUT_N, batchMaxBytes: BATCH_MAX_BYTES, heartbeatMs: HEARTBEAT_MS, quick: QUICK }, summary, ratios, ratiosVsPb, micro, samples }, null, 2) + '\n');
} else {
  console.log('');
  for (const l of lines) console.log(l);
}
process.exitCode = 0;
