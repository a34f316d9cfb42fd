/**
 * `./kmm report RUN_DIR`: reads a run folder, analyses it and writes RUN_DIR/report.html,
 * a self-contained page (inline uPlot, inline data, no network).
 *
 * Errors at the edge: a missing folder, a path that is not a folder, or a folder with none
 * of the run files is a ReportError with a code and a sentence naming the path; the CLI
 * (cli/report.ts) prints it and exits 2. Bad content inside files never fails the report: it is
 * counted, skipped, and named on the page (see runfolder.ts).
 */
import { stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { analyzeRun, DEFAULT_MARKOUT_HORIZONS_S, type Attribution, type ChurnStats, type MarkoutRow } from './analyze.js';
import { loadUplotAssets, renderReportHtml } from './html.js';
import { readRunFolder, RUN_FILES, type RunFile } from './runfolder.js';
import { eventRiskRows, readMembership } from './event-risk.js';

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
  model.eventRisk = eventRiskRows(data.journal.fills, await readMembership(dir));
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
