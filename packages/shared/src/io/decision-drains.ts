/**
 * The strategy's decision drains of a live run (`<runDir>/strategy-drains.csv`), written by the
 * strategy worker and read by `kmm backtest --like`. A line per strategy mailbox drain that
 * handled book features:
 *   recv_ns,drain_ns
 *   <receive time of the newest frame behind those features (monotonic ns, the capture's recv_ns)>,<when the drain ended (monotonic ns)>
 * Why: live, frames that arrive while the book shard or the strategy is busy are handled in one
 * drain and the strategy decides once, on the last book; a backtest that played every frame on its
 * own would decide on every intermediate book. With this file it plays each drain's frames together.
 */
export const DECISION_DRAINS_FILE = 'strategy-drains.csv';
export const DECISION_DRAINS_HEADER = 'recv_ns,drain_ns\n';
/** Waiting lines past this are dropped (and reported): about 1.5 M drains, minutes of a very busy run. */
export const DECISION_DRAINS_BUFFER_MAX_BYTES = 48 * 1024 * 1024;

export function formatDecisionDrain(recvNs: number, drainNs: number): string {
  return `${recvNs},${drainNs}\n`;
}

/** One recorded decision drain (monotonic ns). */
export interface DecisionDrain {
  recvNs: number;
  drainNs: number;
}

/** The drains, in file order; throws an error naming the file and line of a bad line. */
export function parseDecisionDrains(text: string, path: string): DecisionDrain[] {
  const lines = text.split('\n');
  if (lines[0].trim() !== DECISION_DRAINS_HEADER.trim()) throw new Error(`${path}: not a decision-drains file (its first line must be "${DECISION_DRAINS_HEADER.trim()}")`);
  const out: DecisionDrain[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const m = /^(\d{1,20}),(\d{1,20})$/.exec(line);
    // the last line of a run stopped hard may be torn: that one is skipped, any other is an error
    if (!m) {
      if (i === lines.length - 1) continue;
      throw new Error(`${path}: line ${i + 1} is not "recv_ns,drain_ns" (two whole nanosecond counts): ${line.slice(0, 80)}`);
    }
    const recvNs = Number(m[1]);
    const drainNs = Number(m[2]);
    if (drainNs < recvNs) throw new Error(`${path}: line ${i + 1}: a drain cannot end (drain_ns ${drainNs}) before the frame it decided on was received (recv_ns ${recvNs})`);
    out.push({ recvNs, drainNs });
  }
  return out;
}
