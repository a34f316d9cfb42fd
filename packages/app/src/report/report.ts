/**
 * `./kmm report RUN_DIR`: reads a run folder, analyses it and writes RUN_DIR/report.html,
 * a self-contained page (inline uPlot, inline data, no network).
 *
 * Errors at the edge: a missing folder, a path that is not a folder, or a folder with none
 * of the run files is a ReportError with a code and a sentence naming the path; the CLI
 * prints it and returns exit code 2. Bad content inside files never fails the report: it is
 * counted, skipped, and named on the page (see runfolder.ts).
 */
import { stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { analyzeRun, DEFAULT_MARKOUT_HORIZONS_S, type Attribution, type ChurnStats, type MarkoutRow } from './analyze.js';
import { loadUplotAssets, renderReportHtml } from './html.js';
import { readRunFolder, RUN_FILES, type RunFile } from './runfolder.js';

export type ReportErrorCode = 'NOT_FOUND' | 'NOT_A_DIRECTORY' | 'EMPTY' | 'BAD_OPTION';

export class ReportError extends Error {
  constructor(
    readonly code: ReportErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ReportError';
  }
}

export interface ReportOptions {
  /** Output file; default RUN_DIR/report.html. */
  outPath?: string;
  /** Markout horizons in seconds; default [1, 10, 60]. */
  markoutHorizonsS?: number[];
  /** Time printed as "generated"; default now. */
  nowMs?: number;
  title?: string;
}

export interface ReportStats {
  markets: string[];
  fills: number;
  tapeRows: number;
  missingFiles: RunFile[];
  malformedLines: Partial<Record<RunFile, number>>;
  markouts: MarkoutRow[];
  attribution: Attribution;
  churn: ChurnStats;
  latencyActors: string[];
  /** Sum over markets of the tape's last realized + unrealized, dollars. */
  finalEquity: number | null;
  /** Charts the page will try to draw (some may show "no data"). */
  charts: number;
  bytes: number;
}

async function checkFolder(runDir: string): Promise<void> {
  let st;
  try {
    st = await stat(runDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ReportError('NOT_FOUND', `run folder not found: ${runDir}`);
    throw err;
  }
  if (!st.isDirectory()) throw new ReportError('NOT_A_DIRECTORY', `not a folder: ${runDir}`);
}

export async function generateReport(runDir: string, opts: ReportOptions = {}): Promise<{ path: string; stats: ReportStats }> {
  const dir = resolve(runDir);
  await checkFolder(dir);
  for (const h of opts.markoutHorizonsS ?? []) {
    if (!(Number.isFinite(h) && h > 0)) throw new ReportError('BAD_OPTION', `markout horizon must be a positive number of seconds, got ${h}`);
  }
  const data = await readRunFolder(dir);
  const missing = RUN_FILES.filter((f) => !data.files[f].present);
  if (missing.length === RUN_FILES.length) {
    throw new ReportError('EMPTY', `no run files in ${dir} (expected any of ${RUN_FILES.join(', ')})`);
  }
  const model = analyzeRun(data, {
    generatedAtMs: opts.nowMs ?? Date.now(),
    markoutHorizonsS: opts.markoutHorizonsS ?? DEFAULT_MARKOUT_HORIZONS_S,
    title: opts.title,
  });
  const html = renderReportHtml(model, await loadUplotAssets());
  const out = opts.outPath === undefined ? join(dir, 'report.html') : resolve(opts.outPath);
  await writeFile(out, html, 'utf8');

  const malformedLines: Partial<Record<RunFile, number>> = {};
  for (const f of RUN_FILES) if (data.files[f].malformed > 0) malformedLines[f] = data.files[f].malformed;
  const tapePnls = model.marketViews.filter((v) => v.tapePnl !== null);
  return {
    path: out,
    stats: {
      markets: model.markets,
      fills: data.journal.fills.length,
      tapeRows: data.tape.length,
      missingFiles: missing,
      malformedLines,
      markouts: model.markouts,
      attribution: model.attribution,
      churn: model.churn,
      latencyActors: model.latency.map((a) => a.actor),
      finalEquity: tapePnls.length === 0 ? null : tapePnls.reduce((a, v) => a + v.tapePnl!, 0),
      // equity, inventory, one price chart per market, markouts, attribution, rejects, commands,
      // one latency chart per actor, tape latency (if any), ELU.
      charts: 7 + model.marketViews.length + model.latency.length + (model.tapeLatency === null ? 0 : 1),
      bytes: Buffer.byteLength(html, 'utf8'),
    },
  };
}

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: CliIo = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
};

function parseHorizons(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d+(\.\d+)?$/.test(p)) throw new ReportError('BAD_OPTION', `--markouts: "${p}" is not a number of seconds`);
    out.push(Number(p));
  }
  return out;
}

/**
 * `kmm report RUN_DIR [--out FILE] [--markouts 1,10,60]`. `argv` is the arguments after
 * `report`. Returns the exit code: 0 written, 2 usage or run-folder error, 1 anything else.
 */
export async function runReportCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const cmd = new Command('kmm report')
    .description('Write RUN_DIR/report.html: a self-contained page with equity, inventory, fills, markouts, P&L attribution, churn and latency')
    .argument('<RUN_DIR>', 'run folder (tape.csv, journal.jsonl, health.jsonl, summary.json, prices.jsonl)')
    .option('-o, --out <file>', 'output file (default RUN_DIR/report.html)')
    .option('--markouts <seconds>', 'markout horizons, comma-separated', DEFAULT_MARKOUT_HORIZONS_S.join(','))
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  const runDir = cmd.args[0];
  const o = cmd.opts<{ out?: string; markouts: string }>();
  try {
    const { path, stats } = await generateReport(runDir, { outPath: o.out, markoutHorizonsS: parseHorizons(o.markouts) });
    io.out(`report: ${path} (${(stats.bytes / 1024).toFixed(0)} KiB)`);
    io.out(
      `  markets ${stats.markets.length}, fills ${stats.fills}, tape rows ${stats.tapeRows}, net P&L $${stats.attribution.net.toFixed(4)}` +
        ` (spread ${stats.attribution.spreadCaptured.toFixed(4)}, drift ${stats.attribution.inventoryDrift.toFixed(4)}, fees ${stats.attribution.fees.toFixed(4)})`,
    );
    if (stats.missingFiles.length > 0) io.out(`  missing: ${stats.missingFiles.join(', ')}`);
    const bad = Object.entries(stats.malformedLines);
    if (bad.length > 0) io.out(`  malformed lines skipped: ${bad.map(([f, n]) => `${f} ${n}`).join(', ')}`);
    return 0;
  } catch (err) {
    if (err instanceof ReportError) {
      io.err(`kmm report: ${err.message}`);
      return 2;
    }
    io.err(`kmm report: failed: ${(err as Error).stack ?? String(err)}`);
    return 1;
  }
}
