/**
 * `kmm bench latency` and `kmm bench scale` (proof/bench.ts): tick-to-order latency of the
 * full system against the simulator, and the same over market counts and rates. Progress goes
 * to stderr, results to stdout (a table, or one JSON value with --json).
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { cliFromAssignments } from '@kmm/shared';
import { clusterBenchTable, runClusterBench } from '../proof/cluster-bench.js';
import { asciiChart, BURSTS_DEFAULT, formatLatency, runLatencyBench, runScaleBench, scaleTable, WARMUP_S_DEFAULT } from '../proof/bench.js';
import { assignment, decimal, numberList, wholeNumber, type CliContext } from './options.js';

export function benchCommand(cli: CliContext): Command {
  const bench = new Command('bench').description('latency and scale benchmarks (kmm bench latency --help, kmm bench scale --help)');
  bench
    .command('latency')
    .description('tick-to-order latency of KMM against the simulator in its own process: per-hop breakdown, the floor, bursts, memory, the bottleneck actor')
    .option('--markets <n>', 'number of markets', wholeNumber('--markets', 1, 5000), 100)
    .option('--rate <fps>', "target websocket frames per second (default: the profile's own rates, time scale 1)", decimal('--rate', 1, 1_000_000))
    .option('--profile <name>', "the simulator's market profile (active, quiet or a profile JSON file)", 'active')
    .option('--bursts <n>', 'burst scenarios after the steady window (every market moves at once)', wholeNumber('--bursts', 0, 100), BURSTS_DEFAULT)
    .option('--stall-journal-ms <ms>', "fault: every fsync of exec's journal waits this long, later writes queued behind it", wholeNumber('--stall-journal-ms', 0, 60_000), 0)
    .option('--rest-delay-ms <ms>', 'fault: the exchange answers every REST request this late (after the warm-up)', wholeNumber('--rest-delay-ms', 0, 60_000), 0)
    .option('--duration <s>', 'seconds measured', decimal('--duration', 1, 3600), 10)
    .option('--warmup <s>', 'start-up seconds excluded from the samples (default 3 + 6 per 1,000 markets)', decimal('--warmup', 0, 600))
    .option('--seed <x>', 'simulator and strategy seed', wholeNumber('--seed', 0, 2 ** 31 - 1), 1)
    .option('--shards <k>', 'book shards', wholeNumber('--shards', 1, 64))
    .option('--out <dir>', 'run folder (default: a temp folder)')
    .option('--set <key=value>', 'config override, repeatable', assignment)
    .option('--json', 'print the result as one JSON value')
    .action(async (o) => {
      const r = await runLatencyBench({
        markets: o.markets,
        rateFps: o.rate ?? null,
        durationS: o.duration,
        warmupS: o.warmup,
        seed: o.seed,
        shards: o.shards,
        out: o.out,
        profile: o.profile,
        bursts: o.bursts,
        stallJournalMs: o.stallJournalMs,
        restDelayMs: o.restDelayMs,
        set: cliFromAssignments(o.set ?? []),
        progress: cli.err,
      });
      if (o.json) cli.out(JSON.stringify(r));
      else for (const l of formatLatency(r)) cli.out(l);
      cli.exitCode = r.samples > 0 ? 0 : 1;
    });
  bench
    .command('scale')
    .description('the latency bench over market counts x rates per market; writes a markdown table and names the bottleneck')
    .option('--markets <list>', 'market counts, comma-separated', numberList('--markets', wholeNumber('--markets', 1, 5000)), [10, 100, 1000, 5000])
    .option('--rates <list>', 'frames per second per market, comma-separated', numberList('--rates', decimal('--rates', 0.01, 10_000)), [2, 6, 20])
    .option('--duration <s>', 'seconds measured per point', decimal('--duration', 1, 3600), 8)
    .option('--seed <x>', 'simulator and strategy seed', wholeNumber('--seed', 0, 2 ** 31 - 1), 1)
    .option('--out <file>', 'markdown table', 'bench/results/scale.md')
    .option('--set <key=value>', 'config override, repeatable', assignment)
    .option('--json', 'print the rows as one JSON value')
    .action(async (o) => {
      const rows = await runScaleBench({
        marketCounts: o.markets,
        ratesPerMarket: o.rates,
        durationS: o.duration,
        seed: o.seed,
        out: resolve(o.out),
        set: cliFromAssignments(o.set ?? []),
        progress: cli.err,
      });
      if (o.json) cli.out(JSON.stringify(rows));
      else for (const l of scaleTable(rows).concat(['', ...asciiChart(rows)])) cli.out(l);
    });
  bench
    .command('cluster')
    .description('markets sustained (no drops, tick-to-order p99 within the bound): one process against one cluster of N nodes, side by side (needs nats-server)')
    .option('--nodes <n>', 'cluster nodes (each with every role)', wholeNumber('--nodes', 1, 16), 2)
    .option('--markets <list>', 'market counts, comma-separated', numberList('--markets', wholeNumber('--markets', 1, 5000)), [100, 1000, 2500])
    .option('--rate <fps>', 'frames per second per market', decimal('--rate', 0.01, 10_000), 2)
    .option('--duration <s>', 'seconds measured per point', decimal('--duration', 1, 3600), 8)
    .option('--warmup <s>', 'seconds of warm-up per point', decimal('--warmup', 0, 600), 5)
    .option('--p99-bound-ms <ms>', 'tick-to-order p99 bound of "sustains"', decimal('--p99-bound-ms', 0.1, 60_000), 100)
    .option('--seed <x>', 'simulator and strategy seed', wholeNumber('--seed', 0, 2 ** 31 - 1), 1)
    .option('--out <file>', 'markdown table', 'bench/results/cluster.md')
    .option('--set <key=value>', 'config override, repeatable', assignment)
    .option('--json', 'print the rows as one JSON value')
    .action(async (o) => {
      const opts = { nodes: o.nodes, marketCounts: o.markets, ratePerMarket: o.rate, durationS: o.duration, warmupS: o.warmup, seed: o.seed, p99BoundMs: o.p99BoundMs, out: resolve(o.out), set: cliFromAssignments(o.set ?? []), progress: cli.err };
      const rows = await runClusterBench(opts);
      if (o.json) cli.out(JSON.stringify(rows));
      else for (const l of clusterBenchTable(opts, rows)) cli.out(l);
    });
  return bench;
}
