/**
 * Backtest benchmarks, measured in one run:
 *  1. events per second on one thread (capture frames + engine events: timers, commands,
 *     results, fills), per queue model, on the real Kalshi session and on a sim capture;
 *  2. sweep speed-up: the same grid on this thread (threads=0) and with piscina on every core.
 * Next to (1), the floor of merely reading and parsing the capture, measured in the same run.
 * usage: node bench/backtest.bench.mjs [--capture FILE ...] [--sim-capture FILE] [--runs 24] [--out FILE.md]
 */
import { availableParallelism, cpus } from 'node:os';
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readCaptureLines, runBacktest, loadBacktestConfig, runSweep } from '../dist/index.js';

const here = new URL('.', import.meta.url).pathname;
const repo = resolve(here, '../../..');
const { values: a } = parseArgs({ options: { capture: { type: 'string' }, 'sim-capture': { type: 'string' }, runs: { type: 'string', default: '24' }, out: { type: 'string' } } });
const session = a.capture ?? resolve(repo, '../shared/data/kalshi-ws-capture-2026-07-01/session.jsonl');
const caps = [session, ...(a['sim-capture'] ? [a['sim-capture']] : [])];
const set = { max_time_to_resolution_hours: 8760 };
const config = loadBacktestConfig(undefined, set);
let md = `\n## Backtest speed (${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} cores, Node ${process.version})\n\n`;
md += `### Events per second, one thread\n\nEvents = capture frames + engine events (timers, commands at the venue, results, fills). Best of 5 runs after 2 warm-up runs.\nFloor (same run): merely reading and parsing the capture (readCaptureLines: JSON lines + the ingest frame parser), best of 5; a backtest starts from the parsed frames, so its wall time is on top of the floor's.\n\n| capture | queue model | frames | events | wall ms | events/s | parse floor ms | parse floor frames/s | backtest / parse |\n|---|---|---|---|---|---|---|---|---|\n`;
for (const cap of caps) {
  let parseMs = Infinity;
  let lines = null;
  for (let i = 0; i < 7; i++) {
    const t0 = process.hrtime.bigint();
    lines = readCaptureLines(cap);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (i >= 2) parseMs = Math.min(parseMs, ms);
  }
  for (const qm of ['risk-averse', 'prob-power', 'exchange']) {
    let best = null;
    for (let i = 0; i < 7; i++) {
      const r = await runBacktest({ capture: cap, queueModel: qm, latencyMs: 5, seed: 1, out: null }, { lines, config });
      if (i >= 2 && (!best || r.metrics.wallMs < best.wallMs)) best = r.metrics;
    }
    md += `| ${cap.split('/').slice(-2).join('/')} | ${qm} | ${best.frames} | ${best.events} | ${best.wallMs} | ${best.eventsPerSec} | ${parseMs.toFixed(1)} | ${Math.round(lines.length / (parseMs / 1000))} | ${(best.wallMs / parseMs).toFixed(1)}x |\n`;
  }
}
const runs = Number(a.runs);
const cap = session;
const latencies = [0, 5, 25, 100];
const models = ['risk-averse', 'prob-power', 'exchange'];
const sizes = Array.from({ length: Math.max(1, Math.ceil(runs / (latencies.length * models.length))) }, (_, i) => 0.5 + 0.5 * i);
const grid = { base: set, grid: { queue_model: models, latency_ms: latencies, MM_SPREAD_MULTIPLIER: sizes } };
const one = await runSweep({ capture: cap, grid, threads: 0, out: null });
const many = await runSweep({ capture: cap, grid, threads: availableParallelism(), out: null });
md += `\n### Sweep speed-up (piscina vs one thread, same grid, same process)\n\nCapture ${cap.split('/').slice(-2).join('/')}; grid queue_model x latency_ms x MM_SPREAD_MULTIPLIER = ${one.rows.length} backtests.\n\n| mode | threads | wall s | runs/s | speed-up |\n|---|---|---|---|---|\n`;
md += `| one thread | 1 | ${(one.wallMs / 1000).toFixed(2)} | ${(one.rows.length / (one.wallMs / 1000)).toFixed(2)} | 1.00 |\n`;
md += `| piscina | ${many.threads} | ${(many.wallMs / 1000).toFixed(2)} | ${(many.rows.length / (many.wallMs / 1000)).toFixed(2)} | ${(one.wallMs / many.wallMs).toFixed(2)} |\n`;
const same = one.rows.every((r, i) => JSON.stringify(r.metrics.pnl) === JSON.stringify(many.rows[i].metrics.pnl) && JSON.stringify(r.params) === JSON.stringify(many.rows[i].params));
md += `\nRankings identical on one thread and in the pool: ${same}.\n\nCommand: \`cd packages/backtest && node bench/backtest.bench.mjs${a['sim-capture'] ? ' --sim-capture ' + a['sim-capture'] : ''} --runs ${runs}\`\n`;
process.stdout.write(md);
if (a.out) appendFileSync(a.out, md);
