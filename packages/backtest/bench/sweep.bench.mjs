/**
 * Sweep speed-up, measured side by side in one process: the same grid on this thread
 * (threads=0, the one-thread baseline) and with piscina (chunked tasks, capture parsed once per
 * worker thread), plus one-thread events/s on the same capture. Prints the machine line, the
 * load average before and after, the figures and the ratio, as markdown.
 * usage: node bench/sweep.bench.mjs --capture FILE [--runs 24] [--threads N (default: every core)] [--order one-first|pool-first] [--out FILE.md]
 * A capture long enough for the speed-up to show: `kmm demo --duration 60 --markets 20 --out /tmp/cap60`.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readCaptureLines, runBacktest, loadBacktestConfig, runSweep, SWEEP_CHUNKS_PER_THREAD } from '../dist/index.js';

const { values: a } = parseArgs({ options: { capture: { type: 'string' }, runs: { type: 'string', default: '24' }, threads: { type: 'string' }, order: { type: 'string', default: 'one-first' }, out: { type: 'string' } } });
if (!a.capture) {
  process.stderr.write('usage: node bench/sweep.bench.mjs --capture FILE [--runs 24] [--threads N] [--out FILE.md]\n');
  process.exit(2);
}
const cap = a.capture;
const threads = a.threads ? Number(a.threads) : availableParallelism();
const la = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const set = { max_time_to_resolution_hours: 8760 };
const config = loadBacktestConfig(undefined, set);
const loadBefore = la();
let md = `\n### Sweep speed-up on ${cap} (${new Date().toISOString().slice(0, 16)}Z)\n\nMachine: ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} cores, Node ${process.version}; load average before: ${loadBefore}\n\n`;

const t0 = process.hrtime.bigint();
const lines = readCaptureLines(cap);
const parseMs = Number(process.hrtime.bigint() - t0) / 1e6;
md += `Capture: ${lines.length} frames, parsed in ${parseMs.toFixed(0)} ms (once per thread in both modes).\n\n| queue model | frames | events | wall ms (best of 3) | events/s one thread |\n|---|---|---|---|---|\n`;
for (const qm of ['risk-averse', 'prob-power', 'exchange']) {
  let best = null;
  for (let i = 0; i < 4; i++) {
    const r = await runBacktest({ capture: cap, queueModel: qm, latencyMs: 5, seed: 1, out: null }, { lines, config });
    if (i >= 1 && (!best || r.metrics.wallMs < best.wallMs)) best = r.metrics;
  }
  md += `| ${qm} | ${best.frames} | ${best.events} | ${best.wallMs} | ${best.eventsPerSec} |\n`;
}

const runs = Number(a.runs);
const latencies = [0, 5, 25, 100];
const models = ['risk-averse', 'prob-power', 'exchange'];
const sizes = Array.from({ length: Math.max(1, Math.ceil(runs / (latencies.length * models.length))) }, (_, i) => 0.5 + 0.5 * i);
const grid = { base: set, grid: { queue_model: models, latency_ms: latencies, MM_SPREAD_MULTIPLIER: sizes } };
let one;
let many;
if (a.order === 'pool-first') {
  many = await runSweep({ capture: cap, grid, threads, out: null });
  one = await runSweep({ capture: cap, grid, threads: 0, out: null });
} else {
  one = await runSweep({ capture: cap, grid, threads: 0, out: null });
  many = await runSweep({ capture: cap, grid, threads, out: null });
}
const n = one.rows.length;
md += `\nGrid queue_model x latency_ms x MM_SPREAD_MULTIPLIER = ${n} backtests; piscina: ${Math.min(n, threads * SWEEP_CHUNKS_PER_THREAD)} strided chunks of about ${Math.ceil(n / Math.min(n, threads * SWEEP_CHUNKS_PER_THREAD))} runs; order: ${a.order}. Wall time includes pool start-up and each worker parsing the capture.\n\n| mode | threads | wall s | runs/s | speed-up |\n|---|---|---|---|---|\n`;
md += `| one thread | 1 | ${(one.wallMs / 1000).toFixed(2)} | ${(n / (one.wallMs / 1000)).toFixed(2)} | 1.00 |\n`;
md += `| piscina | ${many.threads} | ${(many.wallMs / 1000).toFixed(2)} | ${(n / (many.wallMs / 1000)).toFixed(2)} | ${(one.wallMs / many.wallMs).toFixed(2)} |\n`;
const same = one.rows.every((r, i) => r.metrics.pnl === many.rows[i].metrics.pnl && JSON.stringify(r.params) === JSON.stringify(many.rows[i].params));
md += `\nSpeed-up (one thread / piscina): ${(one.wallMs / many.wallMs).toFixed(2)}x. Rankings and P&L identical on one thread and in the pool: ${same}. Load average after: ${la()}.\n\nCommand: \`cd packages/backtest && node bench/sweep.bench.mjs --capture ${cap} --runs ${runs}${a.threads ? ' --threads ' + a.threads : ''}${a.order !== 'one-first' ? ' --order ' + a.order : ''}\`\n`;
process.stdout.write(md);
if (a.out) appendFileSync(a.out, md);
