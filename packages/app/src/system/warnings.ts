/**
 * A quiet terminal: warn/error ops events are not printed one by one (a busy run emits hundreds
 * of risk_block_* / order_rejected per second) but counted per (actor, event, market, reason) and
 * printed once per summary interval as one line with a count. ops.log keeps every event.
 *
 * Reason: the first word of the event's `reason` (or `code`) field, e.g. AT_OR_OVER_CAP, so
 * different causes of one event stay apart while their changing numbers do not split lines.
 * An error is printed at once the first time its key is seen in an interval (it may need the
 * operator now); its repeats are counted like warnings. Bounded: at most `maxKeys` keys per
 * interval are kept, the rest only counted.
 */

export interface OpsLine {
  actor: string;
  event: string;
  market: string;
  level: string;
  json: string;
}

interface Entry {
  actor: string;
  event: string;
  market: string;
  reason: string;
  level: string;
  count: number;
  lastDetail: string;
}

/** Keys (event x market x reason) tracked per interval; more are only counted. */
export const WARNINGS_MAX_KEYS = 1000;
/** Lines printed per interval; the rest are summed in one closing line. */
export const WARNINGS_MAX_LINES = 12;
const DETAIL_CHARS = 100;

export class WarningAggregator {
  private entries = new Map<string, Entry>();
  private overflow = 0;

  constructor(
    private readonly maxLines = WARNINGS_MAX_LINES,
    private readonly maxKeys = WARNINGS_MAX_KEYS,
  ) {}

  /** Notes one ops event; returns a line to print now (first error of its key in this interval) or null. */
  add(ev: OpsLine): string | null {
    if (ev.level !== 'warn' && ev.level !== 'error') return null;
    const reason = reasonOf(ev.json);
    const key = `${ev.actor}\u0000${ev.event}\u0000${ev.market}\u0000${reason}`;
    let e = this.entries.get(key);
    const first = e === undefined;
    if (e === undefined) {
      if (this.entries.size >= this.maxKeys) {
        this.overflow++;
        return null;
      }
      e = { actor: ev.actor, event: ev.event, market: ev.market, reason, level: ev.level, count: 0, lastDetail: '' };
      this.entries.set(key, e);
    }
    e.count++;
    e.lastDetail = ev.json.length > DETAIL_CHARS ? ev.json.slice(0, DETAIL_CHARS - 3) + '...' : ev.json;
    if (ev.level === 'error') e.level = 'error';
    if (first && ev.level === 'error') {
      e.count = 0; // printed now: the interval's line counts only the repeats
      return `[${ev.actor}] ERROR ${ev.event}${ev.market ? ' ' + ev.market : ''} ${e.lastDetail}`;
    }
    return null;
  }

  /** The interval's lines (most frequent first), then starts a new interval. */
  flush(): string[] {
    const list = [...this.entries.values()].filter((e) => e.count > 0);
    list.sort((a, b) => b.count - a.count || a.event.localeCompare(b.event) || a.market.localeCompare(b.market));
    const out: string[] = [];
    for (const e of list.slice(0, this.maxLines)) {
      const what = `${e.event}${e.reason ? ' ' + e.reason : ''}${e.market ? ' ' + e.market : ''}`;
      out.push(`  ${e.level === 'error' ? 'error' : 'warn '} x${e.count} [${e.actor}] ${what}  last: ${e.lastDetail}`);
    }
    const restKeys = Math.max(0, list.length - this.maxLines);
    const restCount = list.slice(this.maxLines).reduce((a, e) => a + e.count, 0) + this.overflow;
    if (restKeys > 0 || this.overflow > 0) out.push(`  ... ${restCount} more warnings over ${restKeys} more market/reason pairs (all in ops.log)`);
    this.entries = new Map();
    this.overflow = 0;
    return out;
  }
}

function reasonOf(json: string): string {
  let f: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(json || '{}');
    if (typeof v !== 'object' || v === null) return '';
    f = v as Record<string, unknown>;
  } catch {
    return '';
  }
  const r = f.reason ?? f.code;
  if (r === undefined || r === null) return '';
  const m = /^[A-Za-z0-9_.:-]+/.exec(String(r));
  return m ? m[0] : '';
}
