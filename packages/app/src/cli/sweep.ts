/**
 * `kmm sweep`: many backtests of one capture in parallel (@kmm/backtest runSweep, piscina),
 * ranked into sweep.csv and sweep.html. An unreadable or malformed grid is a usage error
 * (exit 2); a sweep that fails while running exits 1.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { parseGrid, runSweep, type SweepOptions } from '@kmm/backtest';
import { usageError, wholeNumber, type CliContext } from './options.js';

export function sweepCommand(cli: CliContext): Command {
  return new Command('sweep')
    .description('run many backtests of one capture in parallel (piscina) and rank them: sweep.csv, sweep.html')
    .requiredOption('--capture <file>', 'capture file (our capture.jsonl or a Kalshi session.jsonl)')
    .requiredOption('--grid <file>', 'grid (JSON or YAML): {base: {KEY: value}, grid: {KEY: [v1, v2], queue_model: [...], latency_ms: [...]}}')
    .option('--config <file>', 'YAML/JSON config file')
    .option('--markets <file>', 'market list (JSON array of MarketInfo; default: inferred from the capture)')
    .option('--threads <n>', 'worker threads (0 = run on this thread; default: one per core)', wholeNumber('--threads', 0, 1024))
    .addOption(new Option('--strategy <name>', 'quoting strategy of every run (kmm_strategy: default or naive; a grid may also vary kmm_strategy)').choices(['default', 'naive']))
    .option('--out <dir>', 'output folder (default runs/sweep-<time>)')
    .action(async (o, cmd: Command) => {
      let grid: SweepOptions['grid'];
      try {
        grid = parseGrid(readFileSync(o.grid, 'utf8'), o.grid);
      } catch (e) {
        usageError(cmd, (e as Error).message);
      }
      if (o.strategy) grid = { ...grid, base: { ...(grid.base ?? {}), kmm_strategy: o.strategy } };
      const outDir = resolve(o.out ?? join(process.cwd(), 'runs', `sweep-${Date.now().toString(36)}`));
      try {
        const r = await runSweep({ capture: o.capture, grid, configFile: o.config, marketsFile: o.markets, threads: o.threads ?? availableParallelism(), out: outDir, progress: true });
        cli.out(`${r.rows.length} runs on ${r.threads} thread(s) in ${(r.wallMs / 1000).toFixed(2)} s; tables: ${join(outDir, 'sweep.csv')}, ${join(outDir, 'sweep.html')}`);
        const best = r.rows[0];
        if (best) cli.out(`best: ${JSON.stringify(best.params)} P&L ${best.metrics.pnl.toFixed(4)} $, Sharpe ${best.metrics.sharpe}, max drawdown ${best.metrics.maxDrawdown.toFixed(4)} $`);
      } catch (e) {
        cli.err(`error: kmm sweep: ${(e as Error).message}`);
        cli.exitCode = 1;
      }
    });
}
