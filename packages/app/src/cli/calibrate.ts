/**
 * `kmm calibrate CAPTURE... [--trades CSV...] [--book-from FILE...] [--market T | --top N]
 *  [--trades-top N] [--name NAME] [--out profile.json]`: fits a simulator market profile
 * (market/calibrate.ts) from recorded websocket captures (our capture.jsonl or Kalshi's raw
 * frames) and public trade prints, prints the fitted statistics and writes the profile JSON
 * (`kmm sim --profile FILE`, `kmm demo --profile FILE`).
 *   captures     book deltas per second (and the book shape and trades unless given below);
 *   --book-from  the book shape from other recordings (e.g. REST book snapshots);
 *   --trades     trade arrivals, sizes, jumps, hour of day and close ramp from trade prints.
 */
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { fitProfile } from '../market/calibrate.js';
import { fmt, statsOfFiles } from '../market/report.js';
import { wholeNumber, type CliContext } from './options.js';

export function calibrateCommand(cli: CliContext): Command {
  return new Command('calibrate')
    .description('fit a simulator market profile from recorded captures and trade prints; prints the fitted statistics')
    .argument('<capture...>', 'websocket captures (capture.jsonl or Kalshi session.jsonl) or book-snapshot CSVs')
    .option('--trades <csv...>', 'trade-print CSVs (default: the trades in the captures)')
    .option('--book-from <file...>', 'take the book shape (touch, spread, depth) from these recordings instead')
    .option('--market <ticker>', 'only this market of the captures')
    .option('--top <n>', 'only the N busiest markets of the captures', wholeNumber('--top', 1, 100_000))
    .option('--trades-top <n>', 'only the N busiest markets of the trade prints', wholeNumber('--trades-top', 1, 100_000))
    .option('--name <name>', 'profile name', 'calibrated')
    .option('--description <text>', 'profile description')
    .option('--out <file>', 'write the profile JSON here')
    .action((captures: string[], o) => {
      const act = statsOfFiles(captures, { market: o.market, top: o.top });
      const book = o.bookFrom ? statsOfFiles(o.bookFrom as string[]) : act;
      const trades = o.trades ? statsOfFiles(o.trades as string[], { top: o.tradesTop }) : act;
      const what = (fs: typeof act) => `${fs.files.join(' ')}${fs.selected.length < fs.marketsInFiles ? ` (markets: ${fs.selected.join(', ')})` : ''}`;
      const sources = [`book deltas per second: ${what(act)}`, `book shape: ${what(book)}`, `trades, jumps, hour of day, close ramp: ${what(trades)}`];
      const profile = fitProfile({
        name: o.name,
        description: o.description,
        book: book.stats.pooled,
        activity: act.stats.pooled,
        activityMarkets: act.stats.markets.filter((m) => act.selected.includes(m.market)),
        trades: trades.stats.pooled,
        sources,
      });
      cli.out(`profile ${profile.name}: fitted statistics (the real values it is calibrated to)`);
      for (const [k, v] of Object.entries(profile.matches)) cli.out(`  ${k.padEnd(44)} ${fmt(v)}`);
      cli.out('sources:');
      for (const s of profile.sources) cli.out(`  ${s}`);
      const json = JSON.stringify(profile, null, 2);
      if (o.out) {
        writeFileSync(o.out, json + '\n');
        cli.out(`wrote ${o.out} (use: kmm sim --profile ${o.out})`);
      } else cli.out(json);
    });
}
