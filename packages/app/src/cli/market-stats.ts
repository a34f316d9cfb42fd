/**
 * `kmm market-stats CAPTURE... [--json] [--top N] [--market T] [--compare OTHER... [--compare-top N]]`:
 * per-market statistics of recordings (our capture.jsonl, Kalshi's raw websocket session,
 * trade-print and book-snapshot CSVs; market/read.ts), pooled over the chosen markets, and with
 * --compare both pooled rows side by side with the ratio per statistic. This is how a simulator
 * profile's calibration is shown (README "market-stats").
 */
import { Command } from 'commander';
import { compareRows, formatCompare, formatStats, statsOfFiles } from '../market/report.js';
import { decimal, wholeNumber, type CliContext } from './options.js';

export function marketStatsCommand(cli: CliContext): Command {
  return new Command('market-stats')
    .description('statistics of recorded markets (touch size, spread, deltas/s, trades, volatility, markouts); --compare shows two side by side')
    .argument('<capture...>', 'capture.jsonl, Kalshi session.jsonl, trade-print CSV or book-snapshot CSV (several are pooled)')
    .option('--json', 'print JSON instead of tables', false)
    .option('--market <ticker>', 'only this market')
    .option('--top <n>', 'only the N busiest markets (by book deltas per second, then number of trades)', wholeNumber('--top', 1, 100_000))
    .option('--time-scale <x>', "market seconds per recorded second of the CAPTUREs (default: the run folder's market.json, written by kmm demo, else 1)", decimal('--time-scale', 0.000001, 1e6))
    .option('--compare <other...>', 'recordings to compare with (pooled the same way)')
    .option('--compare-top <n>', 'only the N busiest markets of each --compare recording', wholeNumber('--compare-top', 1, 100_000))
    .option('--compare-market <ticker>', 'only this market of the --compare recordings')
    .action((captures: string[], o) => {
      const a = statsOfFiles(captures, { market: o.market, top: o.top, timeScale: o.timeScale });
      const b = o.compare ? statsOfFiles(o.compare as string[], { top: o.compareTop, market: o.compareMarket }) : null;
      if (o.json) {
        cli.out(JSON.stringify(b ? { a: a.stats, b: b.stats, compare: compareRows(a, b) } : a.stats, null, 2));
        return;
      }
      for (const l of formatStats(a)) cli.out(l);
      if (b) {
        cli.out('');
        for (const l of formatCompare(a, b)) cli.out(l);
      }
    });
}
