/**
 * The report's event risk table (README "Event risk"): per event of the run's markets, the
 * worst-case loss of our position in it, replayed from the journal's fills, at the end of the run
 * and the largest during it. The event and its exclusivity come from the run folder's
 * markets.json (MarketInfo: eventTicker, mutuallyExclusive); without it each market is its own
 * event. Positions only: the run folder does not keep the resting orders over time (exec's gate
 * and the dashboard count those too). The loss table is exec's (event-risk.ts eventWorstPc).
 * Pure but for reading markets.json; a missing or bad file gives the per-market fallback.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventWorstPc, type EventLeg } from '@kmm/exec-worker';
import type { FillRecord } from './runfolder.js';

export interface EventRiskRow {
  event: string;
  exclusive: boolean;
  markets: string[];
  /** dollars */
  finalWorstLoss: number;
  maxWorstLoss: number;
}

interface Membership {
  event: string;
  exclusive: boolean;
}

/** Event membership per market from markets.json (empty when absent or unreadable). */
export async function readMembership(runDir: string): Promise<Map<string, Membership>> {
  const out = new Map<string, Membership>();
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(runDir, 'markets.json'), 'utf8'));
  } catch {
    return out;
  }
  if (!Array.isArray(raw)) return out;
  for (const m of raw as Array<Record<string, unknown>>) {
    const market = typeof m?.market === 'string' ? m.market : '';
    const ev = typeof m?.eventTicker === 'string' ? m.eventTicker : '';
    if (market && ev) out.set(market, { event: ev, exclusive: m.mutuallyExclusive === true });
  }
  return out;
}

/** Replays the fills (time order) into positions and reports each event's worst case. */
export function eventRiskRows(fills: readonly FillRecord[], membership: ReadonlyMap<string, Membership>): EventRiskRow[] {
  const legs = new Map<string, EventLeg>();
  const groups = new Map<string, { exclusive: boolean; markets: string[]; maxPc: number }>();
  const groupOf = (market: string) => {
    const mem = membership.get(market) ?? { event: market, exclusive: false };
    let g = groups.get(mem.event);
    if (!g) groups.set(mem.event, (g = { exclusive: mem.exclusive, markets: [], maxPc: 0 }));
    if (!g.markets.includes(market)) g.markets.push(market);
    return g;
  };
  const worst = (g: { exclusive: boolean; markets: string[] }) => eventWorstPc(g.markets.map((m) => legs.get(m)!), g.exclusive);
  for (const f of [...fills].sort((a, b) => a.tMs - b.tMs)) {
    const g = groupOf(f.market);
    let l = legs.get(f.market);
    if (!l) legs.set(f.market, (l = { market: f.market, positionCenti: 0, costPriceCenti: 0, orders: [] }));
    // the bookkeeping's cost accounting (exec bookkeeping.ts applyTrade): close against the
    // average cost first, then open at the fill price
    const price = Math.round(f.priceMicro / 100);
    const delta = f.side === 'bid' ? f.countCenti : -f.countCenti;
    let rest = f.countCenti;
    if (l.positionCenti !== 0 && Math.sign(l.positionCenti) !== Math.sign(delta)) {
      const abs = Math.abs(l.positionCenti);
      const close = Math.min(abs, rest);
      l.costPriceCenti = close === abs ? 0 : l.costPriceCenti - Math.round((l.costPriceCenti / abs) * close);
      l.positionCenti += Math.sign(delta) * close;
      rest -= close;
    }
    if (rest > 0) {
      l.costPriceCenti += price * rest;
      l.positionCenti += Math.sign(delta) * rest;
    }
    g.maxPc = Math.max(g.maxPc, worst(g));
  }
  const rows: EventRiskRow[] = [];
  for (const [event, g] of groups) {
    rows.push({ event, exclusive: g.exclusive, markets: [...g.markets].sort(), finalWorstLoss: worst(g) / 1e6, maxWorstLoss: g.maxPc / 1e6 });
  }
  return rows.sort((a, b) => a.event.localeCompare(b.event));
}
