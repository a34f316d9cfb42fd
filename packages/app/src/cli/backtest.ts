/**
 * `kmm backtest`: replays a capture through the live cores with a simulated venue
 * (@kmm/backtest runBacktest), writes a run folder plus report.html and prints the metrics.
 *   --capture FILE   a capture, with the backtest's configuration (commands/backtest.ts: the
 *                    loading of demo and run, every market of the capture selected)
 *   --like RUN_DIR   reproduces a recorded run: its effective configuration (config.json), market
 *                    details (markets.json), capture and seed; the run's own orders are taken
 *                    out of the recorded book; prints the recorded run's figures beside the
 *                    backtest's (same definitions, same end marks)
 * Neither or both of --capture / --like, or --like with --config / --markets: a usage error (exit 2).
 * A backtest that cannot run (unreadable capture, incomplete run folder, bad config) exits 1
 * with the reason.
 */
import { dirname, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { cliFromAssignments } from '@kmm/shared';
import { backtestLike, readCaptureLines, recordedOrderLatencyMs, runBacktest, runTimeScale, venueCheck, QUEUE_MODELS, type BacktestResult, type QueueModelName } from '@kmm/backtest';
import type { RunFigures, Scorecard } from '@kmm/exec-worker/core';
import { generateReport, scorecardText } from '../report/index.js';
import { loadBacktestCommandConfig } from '../commands/backtest.js';
import { UsageError } from '../commands/errors.js';
import { assignment, decimal, wholeNumber, type CliContext } from './options.js';

export function backtestCommand(cli: CliContext): Command {
  const cmd = new Command('backtest')
    .description('replay a capture (or reproduce a recorded run with --like) through the live cores with a simulated venue (queue model, latency, fees, settlement); writes a run folder and report')
    .option('--capture <file>', 'capture file (our capture.jsonl or a Kalshi session.jsonl)')
    .option('--like <run_dir>', "reproduce a run: its configuration, market details, capture and seed, its own orders taken out of the book")
    .option('--config <file>', 'YAML/JSON config file (not with --like)')
    .option('--set <key=value>', 'config override, repeatable (with --like: over the run\'s configuration)', assignment)
    .addOption(new Option('--queue-model <model>', 'queue position model of the simulated venue (default risk-averse; with --like the recorded venue\'s: exchange for a run against the simulator)').choices(QUEUE_MODELS))
    .option('--queue-power <x>', 'prob-power exponent', decimal('--queue-power', 0, 1000), 2)
    .option('--latency-ms <ms>', 'one-way order latency to the simulated venue (default: with --like the recorded run\'s, half its median ack round trip; else 0)', decimal('--latency-ms', 0, 3_600_000))
    .option('--feed-latency-ms <ms>', 'market-data latency from the capture to the cores', decimal('--feed-latency-ms', 0, 3_600_000), 0)
    .option('--seed <n>', 'seed of the simulated venue and strategy (default: the run\'s kmm_seed with --like, else 1)', wholeNumber('--seed', 0, 2 ** 32 - 1))
    .option('--markets <file>', 'market list (JSON array of MarketInfo; default: inferred from the capture; not with --like)')
    .addOption(new Option('--strategy <name>', 'quoting strategy (kmm_strategy): default, naive (the baseline: mid -/+ 1c), or both: the two on the same capture, scorecards side by side (run folders <out>/default and <out>/naive)').choices(['default', 'naive', 'both']))
    .option('--no-run-drains', "with --like: play every frame on its own, even when the run recorded its strategy's decision drains (strategy-drains.csv)")
    .option('--venue-check', "with --like: also replay the run's own orders, as the exchange acknowledged them, through this venue on the capture, and compare its maker fills with the run's (a gap there is the venue's; a gap only in the backtest is the decisions')")
    .option('--out <dir>', 'run folder (default runs/backtest-<model>-<latency>ms-<time>)')
    .action(async (o) => {
      if (o.strategy === 'both') {
        const base = o.out ?? join(process.cwd(), 'runs', `backtest-compare-${Date.now().toString(36)}`);
        const cards: Scorecard[] = [];
        for (const strategy of ['default', 'naive']) {
          cli.out(`== --strategy ${strategy}`);
          const r = await runOne({ ...o, strategy, out: join(base, strategy) });
          if (!r) return;
          cards.push(r.scorecard);
        }
        cli.out('scorecards side by side (same capture, same configuration but kmm_strategy):');
        for (const l of scorecardText(['default', 'naive'], cards)) cli.out(l);
        return;
      }
      await runOne(o);
    });
  return cmd;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- commander's parsed options
  async function runOne(o: Record<string, any>): Promise<BacktestResult | null> {
    {
      const qm = o.queueModel as QueueModelName | undefined;
      const outDir = o.out ?? join(process.cwd(), 'runs', `backtest-${qm ?? (o.like ? 'like' : 'risk-averse')}-${o.latencyMs ?? (o.like ? 'like' : 0)}ms-${Date.now().toString(36)}`);
      const set: Record<string, string | number | boolean> = cliFromAssignments(o.set ?? []);
      if (o.strategy) set.kmm_strategy = o.strategy;
      const fail = (m: string): null => {
        cli.err(`error: kmm backtest: ${m}`);
        cli.exitCode = 1;
        return null;
      };
      if (!o.capture === !o.like) throw new UsageError('give one of --capture FILE or --like RUN_DIR');
      if (o.venueCheck && !o.like) throw new UsageError('--venue-check needs --like RUN_DIR (the run\'s own orders are in its journal)');
      if (o.like && (o.config || o.markets)) throw new UsageError('--like takes the run\'s own configuration and markets: change a value with --set, not --config / --markets');
      let r: BacktestResult;
      let recorded: RunFigures | null = null;
      let recordedSummary: Record<string, unknown> | null = null;
      // --like draws each command's latency from the run's own: the metrics' figure is then their medians' sum
      let latencyDrawn = false;
      const common = { set, queueModel: qm, queuePower: o.queuePower, feedLatencyMs: o.feedLatencyMs, seed: o.seed, out: outDir };
      try {
        if (o.like) {
          const l = await backtestLike({ ...common, latencyMs: o.latencyMs, like: o.like, ignoreDecisionDrains: o.runDrains === false });
          r = l.result;
          recorded = l.recorded;
          recordedSummary = l.run.summary;
          latencyDrawn = !l.latency.overridden && l.latency.samples > 0;
          cli.out(`reproducing ${l.run.dir}: profile ${l.run.config.profile}, ${l.run.markets.length} markets, seed ${common.seed ?? l.run.config.values.kmm_seed}`);
          const drains = l.run.decisionDrains;
          const ticks = drains?.filter((d) => d.kind === 'tick').length ?? 0;
          const books = drains?.filter((d) => d.kind === 'book').length ?? 0;
          const tickNote = ticks > 0 ? `; its ${ticks} strategy ticks fire when the live ones did` : ' (a file without ticks: the strategy ticks on its grid)';
          cli.out(o.runDrains === false ? "the run's decision drains not used (--no-run-drains): every frame is played on its own" : drains === null ? 'the run recorded no decision drains (no strategy-drains.csv): every frame is played on its own' : `the run's ${books} decision events on book features replayed: the frames the live strategy decided on together reach the cores together, when its drain ended${tickNote}`);
          const lat = l.latency;
          if (!lat.overridden && lat.samples > 0) {
            const c = r.counters;
            cli.out(`order latency, each way (decision -> wire: the strategy -> exec hop and exec's work, which the backtest's cores do in no time; plus half the round trip): ${c.latencyMatched} of ${c.latencyMatched + c.latencyDrawn} commands took the run's own command of the same decision; the others drew one of its ${lat.samples} commands'; medians ${lat.decisionToWireMs} + ${lat.oneWayMs} ms`);
          }
          else if (!lat.overridden && lat.oneWayMs !== null) cli.out(`order latency ${l.result.metrics.latencyMs} ms each way: the run's median REST one way`);
          if (o.venueCheck) {
            // the exchange answered the run's queue polls one order latency before journaling them: the recorded run's latency
            const v = venueCheck(l.run, readCaptureLines(l.run.capture), l.result.metrics.queueModel as QueueModelName, o.queuePower, (l.run.journal ? recordedOrderLatencyMs(l.run.journal) : null) ?? 0);
            cli.out(`venue check (${v.queueModel}): the run's own ${v.ordersApplied} acknowledged orders through this venue: ${v.venueFills} maker fills (${v.venueCenti / 100} contracts); the run: ${v.runMakerFills} (${v.runMakerCenti / 100})`);
            for (const d of v.differing.slice(0, 10)) cli.out(`  ${d.market}: venue ${d.venueFills}, run ${d.runFills}`);
            if (v.queueCompared > 0) {
              cli.out(`  queue positions the exchange reported to the run: ${v.queueEqual} of ${v.queueCompared} equal to this venue's contracts ahead of the same order`);
              for (const q of v.queueDiffering.slice(0, 5)) cli.out(`    ${q.market} ${q.oid}: exchange ${q.exchangeCenti / 100}, venue ${q.venueCenti / 100} contracts ahead`);
            }
          }
        } else {
          const warnings: string[] = [];
          // a capture inside a time-compressed demo's run folder: its markouts in market time, and
          // KMM at its time scale (kmm_time_scale: market-time values, token refill) unless --set says otherwise
          const timeScale = runTimeScale(dirname(resolve(o.capture)));
          const setScaled = timeScale !== 1 && set.kmm_time_scale === undefined ? { kmm_time_scale: timeScale, ...set } : set;
          r = await runBacktest({
            ...common,
            queueModel: qm ?? 'risk-averse',
            latencyMs: o.latencyMs ?? 0,
            capture: o.capture,
            timeScale,
            marketsFile: o.markets,
            config: (markets) => {
              const c = loadBacktestCommandConfig({ config: o.config, set: setScaled }, markets);
              warnings.push(...c.warnings);
              return c.values;
            },
          });
          for (const w of warnings) cli.err(w);
          if (!o.markets) cli.out('markets inferred from the capture: Kalshi\'s default fee type (quadratic: no maker fees), closing 24 h after it; --markets FILE (a run folder\'s markets.json) or --like RUN_DIR give the real details');
        }
      } catch (e) {
        return fail((e as Error).message);
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
      cli.out(`queue model ${m.queueModel}, latency ${m.latencyMs} ms${latencyDrawn ? ' (median; each command drew its own)' : ''}: ${m.frames} frames over ${m.durationS} s, ${m.events} events in ${m.wallMs} ms (${m.eventsPerSec} events/s)`);
      if (m.crossingFills > 0) cli.out(`of the maker fills, ${m.crossingFills} came from the recorded book crossing our order with no print (the flow that moved through our price would have traded with us)`);
      if (r.counters.rateHeld > 0) {
        const waitPct = Math.round((1000 * r.counters.tokenWaitMarketsMs) / Math.max(1, m.durationS * 1000 * r.marks.size)) / 10;
        // measured: 0.1-0.6 % on 60 s demos reproduced fill for fill; 92 % on one that was not (README "backtest --like")
        const caveat = waitPct >= 1 ? ': a run whose markets wait this long for tokens is reproduced in shape, not fill for fill (README "backtest --like")' : '';
        cli.out(`exec waited for rate-limit tokens ${r.counters.rateHeld} times, its markets ${waitPct} % of the time (markets x run time; kmm_rate_tier)${caveat}`);
      }
      if (r.counters.ownFramesSkipped > 0) cli.out(`the recorded run's own orders taken out of the book: ${r.counters.ownFramesSkipped} own frames, ${r.others.ownDeltasDropped} book changes that were its own only`);
      if (o.like) {
        const c = r.counters;
        cli.out(`the run's timing of our own reports: ${c.ownReportsMatched} changes to our orders reached the book when the run's feed reported the same; ${c.fillsMatched} of ${c.fillsMatched + c.fillsUnmatched} fills reached exec when the run's strategy got the same`);
      }
      const f = r.figures;
      cli.out(`fills ${f.fills} (${m.makerFills} maker, ${m.takerFills} taker; ${f.contractsFilled} contracts); commands ${f.commands} (orders created ${f.ordersCreated}, amends ${f.amends}, cancels ${f.cancels}); rejects ${f.rejectsLocal} local, ${f.rejectsVenue} by the venue`);
      cli.out(`P&L net ${f.netPnl.toFixed(2)} $ (gross ${f.grossPnl.toFixed(2)} $, fees ${f.feesPaid.toFixed(2)} $), Sharpe ${m.sharpe}, max drawdown ${m.maxDrawdown.toFixed(4)} $, fill rate ${m.fillRate}, churn ${m.churnPerMin}/min`);
      cli.out(`takers ${f.takerFired} sent, ${f.takerExecuted} filled; max |position| in one market ${f.maxAbsPosition}; at the cap ${f.atCapPct ?? 'n/a'}% of market-time, reducing side quoted ${f.atCapReducingQuotedPct ?? 'n/a'}% of that`);
      if (recorded) {
        cli.out(`recorded run (its journal, marked at the backtest's end marks): ${line(recorded)}`);
        cli.out(`backtest:                                                       ${line(f)}`);
      }
      if (recordedSummary) cli.out(`recorded run's summary.json (its own marks): fills ${String(recordedSummary.fills)}, fees ${String(recordedSummary.feesPaid)} $, net ${String(recordedSummary.netPnl)} $`);
      for (const l of scorecardText([`strategy ${String(set.kmm_strategy ?? (o.like ? 'of the run' : 'default'))}`], [r.scorecard])) cli.out(l);
      return r;
    }
  }
}

function line(f: RunFigures): string {
  return `fills ${f.fills} (${f.contractsFilled} contracts), fees ${f.feesPaid.toFixed(2)} $, gross ${f.grossPnl.toFixed(2)} $, net ${f.netPnl.toFixed(2)} $`;
}
