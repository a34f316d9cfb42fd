/**
 * Benchmark of the strategy core: decisions per second and per-decision latency (p50/p99/max)
 * over many markets, for v1 and v2 settings, with and without the reprice journal.
 *
 *   cd packages/strategy-worker && node --import tsx bench/decide.bench.ts [--out ../../bench/results/strategy.md]
 *
 * Input: per market, a seeded random walk of BookFeatures (mid moves, spread 1-3 ticks, vol,
 * imbalance, queue estimates), a fill every 50 messages, a 250 ms timer; time advances 1 ms
 * per message (SimClock-style, the core never reads a clock). Each configuration is run
 * twice: once timed per call (latency histogram), once timed as a whole (throughput, no
 * per-call timer overhead). Ratios are from the same run.
 */
import os from 'node:os';
import { writeFileSync } from 'node:fs';
import { createHistogram } from 'node:perf_hooks';
import { kmm, resolveConfig, SeededRng } from '@kmm/shared';
import { strategyParamsOf, StrategyCore } from '../src/index.js';

const T0 = 1_767_225_600_000;
const MSGS_PER_MARKET = 2000;

function markets(n: number): kmm.v1.IMarketInfo[] {
  const out: kmm.v1.IMarketInfo[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      market: `BENCH-${i}`,
      status: kmm.v1.MarketStatus.MARKET_ACTIVE,
      priceRanges: [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }],
      closeTimeMs: T0 + 72 * 3_600_000,
      feeType: 'quadratic',
      feeMultiplierMilli: 1000,
      volume_24hCenti: 1_000_000 - i,
      liquidityMoney: 200_000_000,
    });
  }
  return out;
}

function stream(n: number, seed: number): kmm.v1.IBookFeatures[] {
  const rng = new SeededRng(seed);
  const mids = new Array<number>(n).fill(0).map(() => 2000 + 100 * rng.int(0, 60));
  const out: kmm.v1.IBookFeatures[] = [];
  for (let k = 0; k < MSGS_PER_MARKET; k++) {
    for (let i = 0; i < n; i++) {
      if (rng.chance(0.2)) mids[i] = Math.min(9000, Math.max(1000, mids[i] + 100 * (rng.chance(0.5) ? 1 : -1)));
      const w = 100 * rng.int(1, 3);
      const bid = mids[i];
      const ask = bid + w;
      out.push({
        market: `BENCH-${i}`,
        bestBid: bid,
        bestBidCenti: 100 * rng.int(1, 500),
        bestAsk: ask,
        bestAskCenti: 100 * rng.int(1, 500),
        mid: (bid + ask) / 2,
        spread: w,
        spreadEma: w,
        imbalanceEma: rng.next() * 1.4 - 0.7,
        microVolBps: rng.next() * 9,
        microDriftBps: rng.next() * 10 - 5,
        volMediumBps: 20 + rng.next() * 40,
        volShortBps: 10 + rng.next() * 30,
        trendStrength: rng.next() * 2 - 1,
        ofi: rng.next() * 400 - 200,
        trust: kmm.v1.TrustState.TRUSTED,
        queue: [{ side: kmm.v1.BookSide.BID, price: bid, aheadCenti: 100 * rng.int(0, 3000), exchangeAheadCenti: -1 }],
        bidsTop: [{ price: bid, countCenti: 50_000 }],
        asksTop: [{ price: ask, countCenti: 50_000 }],
      });
    }
  }
  return out;
}

interface Case {
  name: string;
  cfg: Record<string, unknown>;
}

// coherent limits (shared limits.ts): no rebalance exit below the cap, breach threshold above it
const BASE = { MM_MAX_POS: 50, MM_MAX_LONG_POS: 50, MM_MAX_SHORT_POS: 50, rebalance_threshold: 0, Q_critical: 100, Q_target: 10, kmm_startup_settle_ms: 0, max_markets: 10_000, min_liquidity: 0, max_time_to_resolution_hours: 0, MM_NUM_PRICE_LEVELS: 3, kmm_startup_wait_max_ms: 0 };
const CASES: Case[] = [
  { name: 'v1 (v2 flags off), journal off', cfg: { ...BASE, IMPULSE_CONTROL_ENABLED: false, QUEUE_OPTIMIZATION_ENABLED: false, MM_JOURNAL_REPRICE_DECISIONS: false } },
  { name: 'v2 on, journal off', cfg: { ...BASE, MM_JOURNAL_REPRICE_DECISIONS: false } },
  { name: 'v2 on, crypto profile, journal off', cfg: { ...BASE, MM_MARKET_PROFILE: 'crypto', MM_JOURNAL_REPRICE_DECISIONS: false } },
  { name: 'v2 on, journal on (default)', cfg: { ...BASE, MM_JOURNAL_REPRICE_DECISIONS: true } },
];

function runCase(c: Case, nMarkets: number, feats: kmm.v1.IBookFeatures[], timed: boolean) {
  const ms = markets(nMarkets);
  const core = new StrategyCore(strategyParamsOf(resolveConfig(c.cfg)), ms, { startMs: T0 });
  let now = T0;
  // the start-up cap check runs on positions read from the exchange: every market flat
  for (const m of ms) core.onPosition({ market: m.market, positionCenti: 0, fromExchange: true }, now);
  core.onTimer(now);
  const h = createHistogram();
  let targets = 0;
  let takers = 0;
  let nextTimer = now + 250;
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < feats.length; k++) {
    now += 1;
    if (now >= nextTimer) {
      core.onTimer(now);
      nextTimer += 250;
    }
    if (k % 50 === 0) {
      const fx = core.onFill({ market: feats[k].market, side: k % 100 === 0 ? 1 : 2, countCenti: 100, yesPrice: feats[k].bestBid }, now);
      targets += fx.targets.length;
    }
    if (timed) {
      const a = process.hrtime.bigint();
      const fx = core.onBookFeatures(feats[k], now);
      h.record(Math.max(1, Number(process.hrtime.bigint() - a)));
      targets += fx.targets.length;
      takers += fx.takers.length;
    } else {
      const fx = core.onBookFeatures(feats[k], now);
      targets += fx.targets.length;
      takers += fx.takers.length;
    }
  }
  const ns = Number(process.hrtime.bigint() - t0);
  return { ns, h, targets, takers };
}

const rows: string[] = [];
const args = process.argv.slice(2);
const outIdx = args.indexOf('--out');
const cpu = os.cpus()[0]?.model ?? 'unknown';
const machine = `${cpu}, ${os.cpus().length} logical CPUs, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`;
console.log(`machine: ${machine}`);
rows.push('| markets | configuration | decisions/s | p50 ns | p99 ns | max ns | targets emitted | takers |');
rows.push('|---:|---|---:|---:|---:|---:|---:|---:|');
for (const n of [10, 100, 1000]) {
  const feats = stream(n, 42 + n);
  for (const c of CASES) {
    runCase(c, n, feats.slice(0, Math.min(feats.length, 20_000)), false); // warm-up
    const lat = runCase(c, n, feats, true);
    const thr = runCase(c, n, feats, false);
    const dps = Math.round(feats.length / (thr.ns / 1e9));
    const row = `| ${n} | ${c.name} | ${dps.toLocaleString('en-US')} | ${lat.h.percentile(50)} | ${lat.h.percentile(99)} | ${lat.h.max} | ${thr.targets} | ${thr.takers} |`;
    rows.push(row);
    console.log(row);
  }
}
if (outIdx >= 0 && args[outIdx + 1]) {
  const md = [
    '# Strategy core benchmark',
    '',
    'Decisions per second and per-decision latency of `StrategyCore.onBookFeatures` (pure core, one thread,',
    `${MSGS_PER_MARKET} BookFeatures per market, seeded random walk; a fill every 50 messages, a 250 ms timer).`,
    'A decision = one BookFeatures message through gates, takers, pricing (3 levels), v2 queue logic, risk gates and',
    'the emit-if-changed check. Latency is timed per call with process.hrtime (about 40-60 ns of timer overhead included);',
    'decisions/s is from a separate untimed pass over the same input.',
    '',
    `Command: \`cd packages/strategy-worker && node --import tsx bench/decide.bench.ts --out ../../bench/results/strategy.md\``,
    '',
    `Machine: ${machine}`,
    '',
    ...rows,
    '',
  ].join('\n');
  writeFileSync(args[outIdx + 1], md);
  console.log(`wrote ${args[outIdx + 1]}`);
}
