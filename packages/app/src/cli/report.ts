/**
 * `kmm report RUN_DIR`: (re)writes RUN_DIR/report.html (report/report.ts). A missing or empty
 * run folder is a usage error (exit 2); any other failure exits 1.
 */
import { Command } from 'commander';
import { DEFAULT_MARKOUT_HORIZONS_S, generateReport, ReportError } from '../report/index.js';
import { decimal, numberList, usageError, type CliContext } from './options.js';

export function reportCommand(cli: CliContext): Command {
  return new Command('report')
    .description('write RUN_DIR/report.html: equity, inventory, fills, markouts, attribution, churn, latency')
    .argument('<run_dir>', 'run folder (tape.csv, journal.jsonl, health.jsonl, summary.json, prices.jsonl)')
    .option('-o, --out <file>', 'output file (default RUN_DIR/report.html)')
    .option('--markouts <seconds>', 'markout horizons in seconds, comma-separated', numberList('--markouts', decimal('--markouts', 0.001, 86_400)), [...DEFAULT_MARKOUT_HORIZONS_S])
    .action(async (runDir: string, o, cmd: Command) => {
      try {
        const { path, stats } = await generateReport(runDir, { outPath: o.out, markoutHorizonsS: o.markouts });
        cli.out(`report: ${path} (${(stats.bytes / 1024).toFixed(0)} KiB)`);
        cli.out(
          `  markets ${stats.markets.length}, fills ${stats.fills}, tape rows ${stats.tapeRows}, net P&L $${stats.attribution.net.toFixed(4)}` +
            ` (spread ${stats.attribution.spreadCaptured.toFixed(4)}, drift ${stats.attribution.inventoryDrift.toFixed(4)}, fees ${stats.attribution.fees.toFixed(4)})`,
        );
        if (stats.missingFiles.length > 0) cli.out(`  missing: ${stats.missingFiles.join(', ')}`);
        const bad = Object.entries(stats.malformedLines);
        if (bad.length > 0) cli.out(`  malformed lines skipped: ${bad.map(([f, n]) => `${f} ${n}`).join(', ')}`);
      } catch (err) {
        if (err instanceof ReportError) usageError(cmd, err.message);
        throw err;
      }
    });
}
