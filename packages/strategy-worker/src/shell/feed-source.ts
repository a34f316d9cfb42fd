/**
 * The alpha feed source for the shell: polls a file (periodic stat + read when it changed) or
 * an HTTP(S) URL (node fetch with a timeout) named by `kmm_external_fair_values`, and hands
 * parsed values to a callback. Never blocks message handling: one poll in flight at a time
 * (a tick that finds one running is skipped), bodies over FEED_BYTES_MAX are refused, every
 * failure is a typed result reported once per distinct message.
 */
import { readFile, stat } from 'node:fs/promises';
import { parseExternalFairValues } from '../core/feed.js';
import type { ExternalValue } from '../core/strategy.js';

export const FEED_BYTES_MAX = 4 * 1024 * 1024;
const HTTP_TIMEOUT_MS_MAX = 5000;

export type FeedResult = { ok: true; values: ExternalValue[]; problems: string[] } | { ok: false; error: string };

export class FeedSource {
  private busy = false;
  private lastMtimeMs = -1;
  private lastSize = -1;
  private lastValues: ExternalValue[] = [];
  readonly isHttp: boolean;

  constructor(
    readonly source: string,
    private readonly timeoutMs: number,
  ) {
    this.isHttp = /^https?:\/\//i.test(source);
  }

  /** Starts one poll unless one is running; resolves to undefined when skipped. */
  async poll(): Promise<FeedResult | undefined> {
    if (this.busy) return undefined;
    this.busy = true;
    try {
      return this.isHttp ? await this.pollHttp() : await this.pollFile();
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    } finally {
      this.busy = false;
    }
  }

  private async pollHttp(): Promise<FeedResult> {
    const res = await fetch(this.source, { signal: AbortSignal.timeout(Math.min(this.timeoutMs, HTTP_TIMEOUT_MS_MAX)), headers: { accept: 'application/json' } });
    if (!res.ok) return { ok: false, error: `HTTP ${res.status} from ${this.source}` };
    const len = Number(res.headers.get('content-length') ?? '0');
    if (len > FEED_BYTES_MAX) return { ok: false, error: `feed body ${len} bytes > ${FEED_BYTES_MAX}` };
    const text = await res.text();
    if (text.length > FEED_BYTES_MAX) return { ok: false, error: `feed body > ${FEED_BYTES_MAX} bytes` };
    const r = parseExternalFairValues(text);
    return { ok: true, values: r.values, problems: r.problems };
  }

  /** Re-reads only when mtime/size changed; otherwise re-delivers the last values (a file is the current truth). */
  private async pollFile(): Promise<FeedResult> {
    const st = await stat(this.source);
    if (st.size > FEED_BYTES_MAX) return { ok: false, error: `feed file ${st.size} bytes > ${FEED_BYTES_MAX}` };
    if (st.mtimeMs === this.lastMtimeMs && st.size === this.lastSize) return { ok: true, values: this.lastValues, problems: [] };
    const text = await readFile(this.source, 'utf8');
    const r = parseExternalFairValues(text);
    this.lastMtimeMs = st.mtimeMs;
    this.lastSize = st.size;
    this.lastValues = r.values;
    return { ok: true, values: r.values, problems: r.problems };
  }
}
