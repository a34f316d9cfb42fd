/**
 * The live terminal summary of `kmm demo` / `kmm run`: the run's figures (same definitions as
 * summary.json), per market and per actor, then the interval's aggregated warnings (one line per
 * event, market and reason, with a count), plain text.
 */
import type { DashboardState } from '../dashboard/types.js';
import type { RunSummary } from '../system/monitor.js';

const MAX_ROWS = 25;

export function renderLive(state: DashboardState, summary: RunSummary, elapsedS: number, durationS: number, warnings: readonly string[] = []): string {
  const pct = Math.min(100, Math.round((elapsedS / Math.max(1, durationS)) * 100));
  const bar = '#'.repeat(Math.round(pct / 5)).padEnd(20, '.');
  const s = summary;
  const lines: string[] = [];
  lines.push(
    `[${bar}] ${elapsedS.toFixed(0)}/${durationS}s  fills ${s.fills}  net ${s.netPnl.toFixed(2)}$ (fees ${s.feesPaid.toFixed(2)}$)  commands ${s.commands}  rejects ${s.rejectsLocal} local/${s.rejectsVenue} venue  at cap ${s.atCapPct ?? 0}%`,
  );
  lines.push(`  ${'market'.padEnd(34)} ${'bid'.padStart(7)} ${'ask'.padStart(7)} ${'inv'.padStart(8)} ${'pnl'.padStart(9)} fills trust`);
  for (const m of state.markets.slice(0, MAX_ROWS)) {
    const bid = m.ourQuotes.find((q) => q.side === 'bid')?.price ?? '-';
    const ask = m.ourQuotes.find((q) => q.side === 'ask')?.price ?? '-';
    const pnl = (Number(m.realizedPnl) + Number(m.unrealizedPnl)).toFixed(2);
    lines.push(`  ${m.ticker.slice(0, 34).padEnd(34)} ${bid.padStart(7)} ${ask.padStart(7)} ${m.inventory.padStart(8)} ${pnl.padStart(9)} ${String(m.fills).padStart(5)} ${m.trust}${m.blocks.length ? ' ' + m.blocks.join(',') : ''}`);
  }
  if (state.markets.length > MAX_ROWS) lines.push(`  ... ${state.markets.length - MAX_ROWS} more markets`);
  lines.push(`  ${'actor'.padEnd(10)} ${'load'.padStart(6)} ${'mailbox'.padStart(8)} ${'in'.padStart(9)} ${'out'.padStart(9)} ${'p50us'.padStart(7)} ${'p99us'.padStart(7)}`);
  for (const a of state.actors) {
    lines.push(`  ${a.name.padEnd(10)} ${(a.elu * 100).toFixed(1).padStart(5)}% ${String(a.mailboxDepth).padStart(8)} ${String(a.msgsIn).padStart(9)} ${String(a.msgsOut).padStart(9)} ${a.handlerP50Us.toFixed(1).padStart(7)} ${a.handlerP99Us.toFixed(1).padStart(7)}`);
  }
  if (warnings.length > 0) {
    lines.push('  warnings since the last update:');
    lines.push(...warnings);
  }
  return lines.join('\n');
}
