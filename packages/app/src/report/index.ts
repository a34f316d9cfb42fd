/** `kmm report`: run-folder reading, analysis and the self-contained report page. */
export { generateReport, ReportError } from './report.js';
export type { ReportOptions, ReportStats, ReportErrorCode } from './report.js';
export { readRunFolder, RUN_FILES, REPORT_MAX_LINES_PER_FILE } from './runfolder.js';
export type { RunData, RunFile, FileStatus, TapeRow, FillRecord, HealthRecord, PricePoint } from './runfolder.js';
export { analyzeRun, DEFAULT_MARKOUT_HORIZONS_S, REPORT_MAX_CHART_POINTS } from './analyze.js';
export type { ReportModel, Attribution, MarkoutRow, ChurnStats, ActorLatency, MarketView } from './analyze.js';
export { writeSyntheticRun } from './synth.js';
export type { SyntheticRunOptions, SyntheticRunInfo, SyntheticFile } from './synth.js';
export { scorecardRows, scorecardText } from './scorecard-table.js';
