/**
 * Fidelity check: run the system live against the simulator (`kmm demo`, which captures every
 * websocket frame), then backtest that capture with the same config under each queue model and
 * compare fills and P&L with what actually happened in the sim run.
 *
 * P&L on both sides uses the same marking: cash from fills minus fees, plus the end position at
 * the last mid of the recorded book (the backtest venue's mid at the end of the capture).
 *
 * usage: node bench/fidelity.mjs [--run DIR (reuse a demo run folder)] [--seed 7] [--markets 5]
 *        [--duration 60] [--latency-ms N (default: half the live median ack latency)] [--out FILE.md]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SERIES } from '@kmm/sim';
import { readCaptureLines, inferMarkets, timeline, runBacktest, loadBacktestConfig, BacktestEngine, queueModel } from '../dist/index.js';

const here = new URL('.', import.meta.url).pathname;
const repo = resolve(here, '../../..');
const { values: a } = parseArgs({ options: { run: { type: 'string' }, seed: { type: 'string', default: '7' }, markets: { type: 'string', default: '5' }, duration: { type: 'string', default: '60' }, 'latency-ms': { type: 'string' }, out: { type: 'string' } } });
const SET = ['MM_MICRO_VOL_MAX_BPS=800', 'MM_MICRO_DRIFT_MAX_BPS=600'];

let runDir = a.run;
if (!runDir) {
  runDir = mkdtempSync(join(tmpdir(), 'kmm-fidelity-'));
  const args = [join(repo, 'packages/app/dist/cli.js'), 'demo', '--duration', a.duration, '--markets', a.markets, '--seed', a.seed, '--out', runDir, '--no-dashboard', ...SET.flatMap((s) => ['--set', s])];
  process.stderr.write(`live-in-sim: node ${args.join(' ')}\n`);
  execFileSync('node', args, { stdio: ['ignore', 'ignore', 'inherit'] });
}
const capture = join(runDir, 'capture.jsonl');
const journalPath = existsSync(join(runDir, 'journal.jsonl')) ? join(runDir, 'journal.jsonl') : join(runDir, 'exec.journal.jsonl');
const recs = readFileSync(journalPath, 'utf8').split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return null; } }).filter(Boolean);
const liveFills = recs.filter((r) => r.k === 'fill');
const lat = recs.filter((r) => r.k === 'ack' && r.latency_us > 0).map((r) => r.latency_us).sort((x, y) => x - y);
const medUs = lat.length ? lat[Math.floor(lat.length / 2)] : 0;
const latencyMs = a['latency-ms'] !== undefined ? Number(a['latency-ms']) : Math.round(medUs / 2 / 100) / 10;

// the demo's config, as runDemo builds it
const n = Number(a.markets);
const set = { kmm_env: 'sim', kmm_seed: Number(a.seed), kmm_markets: n, max_time_to_resolution_hours: 8760, max_markets: n };
for (const s of SET) { const [k, v] = s.split('='); set[k] = v; }
const lines = readCaptureLines(capture);
const tl = timeline(lines);
const markets = inferMarkets(lines, tl.startWallMs + tl.endNs / 1e6).map((m) => {
  const s = SERIES.find((x) => m.market.startsWith(x.ticker + '-'));
  return s ? { ...m, feeType: s.feeType, feeMultiplierMilli: s.feeMultiplierMilli } : m;
});
const config = loadBacktestConfig(undefined, set);

// final mids of the recorded book (same marking for live and backtest)
const probe = await runBacktest({ capture, queueModel: 'risk-averse', latencyMs, seed: Number(a.seed), markets, out: null }, { lines, config });
void probe;
const eng = new BacktestEngine({ config, markets, model: queueModel('risk-averse'), latencyMs, feedLatencyMs: 0, seed: 1, startWallMs: tl.startWallMs, sinks: { journal() {}, tape() {}, decision() {}, ops() {} } });
eng.start();
for (let i = 0; i < lines.length; i++) eng.frame(lines[i].frame, tl.tNs[i]);
const mids = new Map(markets.map((m) => [m.market, eng.venue.mid(m.market)]));

function pnlOf(fills) {
  const pos = new Map();
  let cashPxC = 0;
  let fees = 0;
  let contracts = 0;
  for (const f of fills) {
    const c = f.count_centi;
    const buy = f.side === 1;
    cashPxC += (buy ? -1 : 1) * f.yes_price * c;
    fees += f.fee_money;
    contracts += c;
    pos.set(f.market, (pos.get(f.market) ?? 0) + (buy ? c : -c));
  }
  let mark = 0;
  for (const [m, p] of pos) mark += p * (mids.get(m) ?? 0);
  return { fills: fills.length, contracts: contracts / 100, maker: fills.filter((f) => !f.is_taker).length, taker: fills.filter((f) => f.is_taker).length, fees: fees / 1e4, pnl: (cashPxC + mark) / 1e6 - fees / 1e4 };
}

const live = pnlOf(liveFills);
const rows = [];
for (const qm of ['risk-averse', 'prob-power', 'exchange']) {
  const dir = mkdtempSync(join(tmpdir(), `kmm-fid-${qm}-`));
  const r = await runBacktest({ capture, queueModel: qm, latencyMs, seed: Number(a.seed), markets, out: dir }, { lines, config });
  const bfills = readFileSync(join(dir, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((x) => x.k === 'fill');
  const b = pnlOf(bfills);
  rows.push({ qm, ...b, orders: r.metrics.ordersPlaced, venuePnl: r.metrics.pnl });
}
const fmt = (x, d = 4) => (typeof x === 'number' ? x.toFixed(d) : String(x));
let md = `\n## Fidelity: live-in-sim vs backtest of its capture (${new Date().toISOString().slice(0, 10)})\n\n`;
md += `Live run: \`${runDir}\` (sim seed ${a.seed}, ${n} markets, ${(tl.endNs / 1e9).toFixed(1)} s, ${lines.length} frames). Backtest order-entry latency ${latencyMs} ms one way (half the live median ack latency ${(medUs / 1000).toFixed(2)} ms), same config.\n`;
md += `P&L = cash from fills - fees + end position at the recorded book's last mid (same marking for both).\n\n`;
md += `| source | fills | maker | taker | contracts | fees $ | P&L $ | fills gap | contracts gap | P&L gap $ |\n|---|---|---|---|---|---|---|---|---|---|\n`;
md += `| live in sim | ${live.fills} | ${live.maker} | ${live.taker} | ${fmt(live.contracts, 2)} | ${fmt(live.fees)} | ${fmt(live.pnl)} | | | |\n`;
for (const r of rows) md += `| backtest ${r.qm} | ${r.fills} | ${r.maker} | ${r.taker} | ${fmt(r.contracts, 2)} | ${fmt(r.fees)} | ${fmt(r.pnl)} | ${r.fills - live.fills} | ${fmt(r.contracts - live.contracts, 2)} | ${fmt(r.pnl - live.pnl)} |\n`;
md += `\nCommand: \`cd packages/backtest && node bench/fidelity.mjs --run ${runDir} --markets ${n} --seed ${a.seed}\` (without --run it first runs \`kmm demo --duration ${a.duration} --markets ${n} --seed ${a.seed} --no-dashboard ${SET.map((s) => '--set ' + s).join(' ')}\`).\n`;
process.stdout.write(md);
if (a.out) appendFileSync(a.out, md);
