/**
 * The strategy's decision drains of a live run (`<runDir>/strategy-drains.csv`), written by the
 * strategy worker and read by `kmm backtest --like`. A line per decision event of a strategy
 * mailbox drain, in the order the drain handled them:
 *   event,at_ns,drain_ns
 *   book,<receive time of the newest frame behind the book features handled (monotonic ns, the capture's recv_ns)>,<when the drain ended>
 *   tick,<when the strategy tick fired (monotonic ns)>,<when the drain that handled it ended>
 *   fill,<receive time of the websocket fill frame behind a fill exec passed on>,<when the drain that handled it ended>
 * A drain that handled features, then its tick, then more features writes book, tick, book.
 * Why: live, frames that arrive while the book shard or the strategy is busy are handled in one
 * drain and the strategy decides once, on the last book; a backtest that played every frame on its
 * own would decide on every intermediate book. With this file it plays each drain's frames
 * together, fires the strategy's tick when the live one fired (a few ms after its grid point,
 * later still when the strategy was busy), and hands its fills on when the live strategy got the
 * same ones (the websocket fill, then exec, then the strategy: a few ms), each in the same order
 * with the frames.
 * Files of an older KMM (header `recv_ns,drain_ns`, book lines only) are read too.
 */
export const DECISION_DRAINS_FILE = 'strategy-drains.csv';
export const DECISION_DRAINS_HEADER = 'event,at_ns,drain_ns\n';
/** The header of the first version: book drains only, no ticks. */
const DECISION_DRAINS_HEADER_V1 = 'recv_ns,drain_ns';
/** Waiting lines past this are dropped (and reported): about 1 M drains, minutes of a very busy run. */
export const DECISION_DRAINS_BUFFER_MAX_BYTES = 48 * 1024 * 1024;

/**
 * What a drain decided on: `book` = book features (at: receive time of the newest frame behind
 * them), `tick` = the strategy's periodic timer (at: its firing time), `fill` = one of our fills
 * (at: receive time of its websocket frame).
 */
export type DecisionEventKind = 'book' | 'tick' | 'fill';

/** One recorded decision event (monotonic ns). */
export interface DecisionDrain {
  kind: DecisionEventKind;
  atNs: number;
  drainNs: number;
}

export function formatDecisionDrain(kind: DecisionEventKind, atNs: number, drainNs: number): string {
  return `${kind},${atNs},${drainNs}\n`;
}

/** The events, in file order; throws an error naming the file and line of a bad line. */
export function parseDecisionDrains(text: string, path: string): DecisionDrain[] {
  const lines = text.split('\n');
  const header = lines[0].trim();
  const v1 = header === DECISION_DRAINS_HEADER_V1;
  if (!v1 && header !== DECISION_DRAINS_HEADER.trim()) throw new Error(`${path}: not a decision-drains file (its first line must be "${DECISION_DRAINS_HEADER.trim()}")`);
  const pattern = v1 ? /^()(\d{1,20}),(\d{1,20})$/ : /^(book|tick|fill),(\d{1,20}),(\d{1,20})$/;
  const shape = v1 ? '"recv_ns,drain_ns" (two whole nanosecond counts)' : '"book|tick|fill,at_ns,drain_ns" (an event and two whole nanosecond counts)';
  const out: DecisionDrain[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const m = pattern.exec(line);
    // the last line of a run stopped hard may be torn: that one is skipped, any other is an error
    if (!m) {
      if (i === lines.length - 1) continue;
      throw new Error(`${path}: line ${i + 1} is not ${shape}: ${line.slice(0, 80)}`);
    }
    const kind: DecisionEventKind = m[1] === 'tick' || m[1] === 'fill' ? m[1] : 'book';
    const atNs = Number(m[2]);
    const drainNs = Number(m[3]);
    if (drainNs < atNs) {
      const what = kind === 'book' ? 'the frame it decided on was received' : kind === 'tick' ? 'the tick it handled fired' : 'the fill it handled was received';
      throw new Error(`${path}: line ${i + 1}: a drain cannot end (drain_ns ${drainNs}) before ${what} (at ${atNs})`);
    }
    out.push({ kind, atNs, drainNs });
  }
  return out;
}
