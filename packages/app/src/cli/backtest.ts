/**
 * `kmm backtest`: replays a capture through the live cores with a simulated venue
 * (@kmm/backtest runBacktest), writes a run folder plus report.html and prints the metrics.
 * A backtest that cannot run (unreadable capture, bad config) exits 1 with the reason.
 */
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { cliFromAssignments } from '@kmm/shared';
import { runBacktest, QUEUE_MODELS, type BacktestResult, type QueueModelName } from '@kmm/backtest';
import { generateReport } from '../report/index.js';
import { assignment, decimal, wholeNumber, type CliContext } from './options.js';

export function backtestCommand(cli: CliContext): Command {
  return new Command('backtest')
    .description('replay a capture through the live cores with a simulated venue (queue model, latency, fees, settlement); writes a run folder and report')
    .requiredOption('--capture <file>', 'capture file (our capture.jsonl or a Kalshi session.jsonl)')
    .option('--config <file>', 'YAML/JSON config file')
    .option('--set <key=value>', 'config override, repeatable', assignment)
    .addOption(new Option('--queue-model <model>', 'queue position model of the simulated venue').choices(QUEUE_MODELS).default('risk-averse'))
    .option('--queue-power <x>', 'prob-power exponent', decimal('--queue-power', 0, 1000), 2)
    .option('--latency-ms <ms>', 'order latency to the simulated venue', decimal('--latency-ms', 0, 3_600_000), 0)
    .option('--feed-latency-ms <ms>', 'market-data latency from the capture to the cores', decimal('--feed-latency-ms', 0, 3_600_000), 0)
    .option('--seed <n>', 'seed of the simulated venue and strategy', wholeNumber('--seed', 0, 2 ** 32 - 1), 1)
    .option('--markets <file>', 'market list (JSON array of MarketInfo; default: inferred from the capture)')
    .option('--out <dir>', 'run folder (default runs/backtest-<model>-<latency>ms-<time>)')
    .action(async (o) => {
      const qm = o.queueModel as QueueModelName;
      const outDir = o.out ?? join(process.cwd(), 'runs', `backtest-${qm}-${o.latencyMs}ms-${Date.now().toString(36)}`);
      let r: BacktestResult;
      try {
        r = await runBacktest({ capture: o.capture, configFile: o.config, set: cliFromAssignments(o.set ?? []), queueModel: qm, queuePower: o.queuePower, latencyMs: o.latencyMs, feedLatencyMs: o.feedLatencyMs, seed: o.seed, marketsFile: o.markets, out: outDir });
      } catch (e) {
        cli.err(`error: kmm backtest: ${(e as Error).message}`);
        cli.exitCode = 1;
        return;
      }
      if (r.runDir) {
        try {
          await generateReport(r.runDir);
        } catch (e) {
          cli.err(`warning: kmm backtest: report failed: ${(e as Error).message}`);
        }
      }
      const m = r.metrics;
      cli.out(`run folder: ${r.runDir}`);
      cli.out(`queue model ${m.queueModel}, latency ${m.latencyMs} ms: ${m.frames} frames over ${m.durationS} s, ${m.events} events in ${m.wallMs} ms (${m.eventsPerSec} events/s)`);
      const f = r.figures;
      cli.out(`fills ${f.fills} (${m.makerFills} maker, ${m.takerFills} taker; ${f.contractsFilled} contracts); commands ${f.commands} (orders created ${f.ordersCreated}, amends ${f.amends}, cancels ${f.cancels}); rejects ${f.rejectsLocal} local, ${f.rejectsVenue} by the venue`);
      cli.out(`P&L net ${f.netPnl.toFixed(2)} $ (gross ${f.grossPnl.toFixed(2)} $, fees ${f.feesPaid.toFixed(2)} $), Sharpe ${m.sharpe}, max drawdown ${m.maxDrawdown.toFixed(4)} $, fill rate ${m.fillRate}, churn ${m.churnPerMin}/min`);
      cli.out(`takers ${f.takerFired} sent, ${f.takerExecuted} filled; max |position| in one market ${f.maxAbsPosition}; at the cap ${f.atCapPct ?? 'n/a'}% of market-time, reducing side quoted ${f.atCapReducingQuotedPct ?? 'n/a'}% of that`);
    });
}
