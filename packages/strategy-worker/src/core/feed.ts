/**
 * Parser for the external fair-value feed (the 003 alpha engine's one real source). Pure: the
 * shell reads a file or an HTTP body and hands the text here; values go to the core with
 * StrategyCore.onExternalFairValues.
 *
 * Accepted shapes (fair values in dollars, as decimal strings or JSON numbers; funding in bps):
 *   { "KXBTC-25": "0.5500", "KXETH-25": 0.47 }
 *   { "fair_values": { "KXBTC-25": "0.55" }, "funding_bps": { "KXBTC-25": 1.5 } }
 *   [ { "ticker": "KXBTC-25", "fair_value": "0.55", "funding_bps": 1.5 } ]
 * A fair value must lie strictly inside (0, 1) with at most 4 decimals (exact parse, no
 * parseFloat); bad entries are skipped and named in `problems`, good ones still apply.
 * Limit: FEED_ENTRIES_MAX entries per document (overflow: the rest are dropped and reported).
 */
import { parsePrice, UnitError } from '@kmm/shared';
import type { ExternalValue } from './strategy.js';

export const FEED_ENTRIES_MAX = 10_000;

export interface FeedParseResult {
  values: ExternalValue[];
  problems: string[];
}

function fairOf(v: unknown, where: string, problems: string[]): number | undefined {
  if (v === null || v === undefined || v === '') return 0;
  try {
    const p = parsePrice(v, where);
    if (p <= 0 || p >= 10_000) {
      problems.push(`${where}: ${JSON.stringify(v)} is not inside (0, 1)`);
      return undefined;
    }
    return p;
  } catch (e) {
    problems.push(e instanceof UnitError ? e.message : `${where}: ${String(e)}`);
    return undefined;
  }
}

function fundingOf(v: unknown, where: string, problems: string[]): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= 100_000) return v;
  problems.push(`${where}: expected a finite number of bps, got ${JSON.stringify(v)}`);
  return 0;
}

export function parseExternalFairValues(text: string): FeedParseResult {
  const problems: string[] = [];
  const values: ExternalValue[] = [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { values, problems: [`feed: invalid JSON (${(e as Error).message})`] };
  }
  const push = (market: string, fair: unknown, funding: unknown, where: string): void => {
    if (values.length >= FEED_ENTRIES_MAX) {
      if (values.length === FEED_ENTRIES_MAX) problems.push(`feed: more than ${FEED_ENTRIES_MAX} entries, rest dropped`);
      return;
    }
    if (typeof market !== 'string' || market === '') {
      problems.push(`${where}: missing ticker`);
      return;
    }
    const fp = fairOf(fair, `${where}.fair_value`, problems);
    if (fp === undefined) return;
    values.push({ market, fairPrice: fp, fundingBps: fundingOf(funding, `${where}.funding_bps`, problems) });
  };
  if (Array.isArray(doc)) {
    doc.forEach((e, i) => {
      if (e === null || typeof e !== 'object') {
        problems.push(`feed[${i}]: expected an object`);
        return;
      }
      const o = e as Record<string, unknown>;
      push(o.ticker as string, o.fair_value, o.funding_bps, `feed[${i}]`);
    });
  } else if (doc !== null && typeof doc === 'object') {
    const o = doc as Record<string, unknown>;
    if (o.fair_values !== undefined || o.funding_bps !== undefined) {
      const fv = (o.fair_values ?? {}) as Record<string, unknown>;
      const fb = (o.funding_bps ?? {}) as Record<string, unknown>;
      if (typeof fv !== 'object' || typeof fb !== 'object') return { values, problems: ['feed: fair_values/funding_bps must be objects'] };
      const tickers = new Set([...Object.keys(fv), ...Object.keys(fb)]);
      for (const t of tickers) push(t, fv[t], fb[t], `feed.${t}`);
    } else {
      for (const t of Object.keys(o)) push(t, o[t], undefined, `feed.${t}`);
    }
  } else {
    problems.push('feed: expected a JSON object or array');
  }
  return { values, problems };
}
