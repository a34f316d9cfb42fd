// Benchmark: frames per second through the real ingest parser + book shard core (books,
// features, queue estimator, conflated BookFeatures), and memory per market.
// Run from the repo root after building:  node --expose-gc packages/backtest/bench/ingest-book.bench.mjs
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFrame, parseCaptureLine } from '@kmm/ingest-worker';
import { BookShardCore, bookParamsOf } from '@kmm/book-worker';
import { resolveConfig } from '@kmm/shared';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const session = path.resolve(repoRoot, '../shared/data/kalshi-ws-capture-2026-07-01/session.jsonl');

const sink = { send() {}, log() {}, stat() {}, setStat() {} };

function machine() {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'cpu'} x${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, ${os.platform()} ${os.arch()}`;
}

/** Runs frames through parse + shard; flush every `drain` frames (one mailbox drain). */
function run(frames, reps, withBooks, drain = 64) {
  const core = new BookShardCore(bookParamsOf(resolveConfig({})), sink);
  let n = 0;
  let ns = 0;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < frames.length; i++) {
      const f = parseFrame(frames[i]);
      n++;
      if (!withBooks) continue;
      ns += 1_000_000;
      if (f.kind === 'delta') core.onDelta(f.body, ns);
      else if (f.kind === 'snapshot') core.onSnapshot(f.body, ns);
      else if (f.kind === 'trade') core.onTrade(f.body, ns);
      if (n % drain === 0) core.flush();
    }
  }
  core.flush();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { frames: n, seconds: s, fps: n / s };
}

// 1) the real recorded session (5 markets), replayed many times. Snapshots are included on every
//    pass so the deltas stay valid.
const sessionFrames = [];
for (const line of readFileSync(session, 'utf8').split('\n')) {
  if (line.trim() === '') continue;
  const c = parseCaptureLine(line);
  if (c && (c.frame.kind === 'snapshot' || c.frame.kind === 'delta')) sessionFrames.push(line);
}

// 2) synthetic: M markets (cent grid), one snapshot each, then random deltas that never go negative.
function synthetic(markets, deltas, seed) {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s ^ (s >>> 15), 2246822519) + 0x9e3779b9) >>> 0) / 4294967296);
  const out = [];
  const size = new Map();
  let seq = 0;
  for (let m = 0; m < markets; m++) {
    const t = `SYN-${m}`;
    const yes = [];
    const no = [];
    for (let p = 1; p <= 45; p++) yes.push([`0.${String(p).padStart(2, '0')}00`, '1000.00']);
    for (let p = 1; p <= 45; p++) no.push([`0.${String(p).padStart(2, '0')}00`, '1000.00']);
    for (let p = 1; p <= 45; p++) {
      size.set(`${t}|yes|${p}`, 100000);
      size.set(`${t}|no|${p}`, 100000);
    }
    out.push(JSON.stringify({ type: 'orderbook_snapshot', sid: 1, seq: ++seq, msg: { market_ticker: t, market_id: 'x', yes_dollars_fp: yes, no_dollars_fp: no } }));
  }
  for (let i = 0; i < deltas; i++) {
    const t = `SYN-${Math.floor(rnd() * markets)}`;
    const side = rnd() < 0.5 ? 'yes' : 'no';
    const p = 1 + Math.floor(rnd() * 45);
    const k = `${t}|${side}|${p}`;
    const cur = size.get(k);
    let d = Math.floor(rnd() * 20000) - 9000;
    if (cur + d < 0) d = -cur;
    if (d === 0) d = 137;
    size.set(k, cur + d);
    const sign = d < 0 ? '-' : '';
    const a = Math.abs(d);
    const delta = `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
    out.push(
      `{"type":"orderbook_delta","sid":1,"seq":${++seq},"msg":{"market_ticker":"${t}","market_id":"x","price_dollars":"0.${String(p).padStart(2, '0')}00","delta_fp":"${delta}","side":"${side}","ts":"2026-07-01T02:31:45.000Z","ts_ms":1782873105000}}`,
    );
  }
  return out;
}

console.log(`machine: ${machine()}`);
run(sessionFrames, 20, true); // warm-up
const rs0 = run(sessionFrames, 200, false);
const rs1 = run(sessionFrames, 200, true);
console.log(`session.jsonl (${sessionFrames.length} book frames, 5 markets) x200:`);
console.log(`  parse only            ${Math.round(rs0.fps).toLocaleString('en')} frames/s`);
console.log(`  parse + books + feat. ${Math.round(rs1.fps).toLocaleString('en')} frames/s  (${(rs1.fps / rs0.fps).toFixed(2)} of parse-only)`);
const syn = synthetic(1000, 500_000, 7);
run(syn.slice(0, 100_000), 1, true);
const ry0 = run(syn, 1, false);
const ry1 = run(syn, 1, true);
console.log(`synthetic (1,000 markets, ${syn.length.toLocaleString('en')} frames):`);
console.log(`  parse only            ${Math.round(ry0.fps).toLocaleString('en')} frames/s`);
console.log(`  parse + books + feat. ${Math.round(ry1.fps).toLocaleString('en')} frames/s  (${(ry1.fps / ry0.fps).toFixed(2)} of parse-only)`);

// 3) memory per market: N books with a 90-level snapshot each (cent grid), features and queue state.
function mem() {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
for (const N of [10_000]) {
  const frames = synthetic(N, 0, 1).map((t) => parseFrame(t).body);
  const before = mem();
  const core = new BookShardCore(bookParamsOf(resolveConfig({})), sink);
  for (let i = 0; i < frames.length; i++) core.onSnapshot(frames[i], i);
  core.flush();
  const after = mem();
  console.log(`memory: ${N.toLocaleString('en')} markets (cent grid, 90 levels each): ${Math.round((after - before) / N).toLocaleString('en')} bytes/market${globalThis.gc ? '' : ' (run with --expose-gc for a stable figure)'}`);
  if (core.entries.size !== N) throw new Error('markets missing');
}
