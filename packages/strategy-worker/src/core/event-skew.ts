/**
 * Event skew (issue 17, README "Event risk"): a small shift of each market's fair value in a
 * mutually exclusive event, toward quotes that reduce the event's worst-case loss.
 *
 * Inputs: our positions in the event's markets (centi-contracts, + long YES), the most ticks to
 * shift (kmm_event_skew_ticks) and the position cap (MM_MAX_POS, centi). Output: ticks added to
 * the market's fair value (the alpha slot: + raises it, so we buy more and sell less).
 *
 * Rule. Settled, the positions lose (per contract, up to a constant that is the same for every
 * outcome: the cost) v(k) = -q_k if market k wins and v(none) = 0 if none of them does. The worst
 * outcome o* is the one with the largest v: the market we are shortest in, or "none" when we
 * are short nowhere. Buying YES in o*'s market lowers the loss under o*; selling YES in any
 * other market lowers it too (that market settles NO under o*). So o*'s market is lifted and
 * every other market of the event is lowered, by
 *   ticks = round(maxTicks x min(1, (max v - min v) / cap)),
 * the payoff table's spread in contracts over the cap: 0 when the table is flat (hedged), the full
 * shift at a cap's worth of imbalance. Markets of non-exclusive events, or an exclusive event's
 * only market, get 0 (the per-market inventory skew covers them).
 * Pure and allocation-free; no clock.
 */

export interface EventPosition {
  market: string;
  positionCenti: number;
}

export function eventSkewTicks(market: string, event: readonly EventPosition[], maxTicks: number, capCenti: number): number {
  if (maxTicks <= 0 || capCenti <= 0 || event.length < 2) return 0;
  // v(none) = 0; v(k) = -q_k
  let worstV = 0;
  let worstMarket = ''; // '' = none of them
  let minV = 0;
  for (const e of event) {
    const v = -e.positionCenti;
    if (v > worstV) {
      worstV = v;
      worstMarket = e.market;
    }
    if (v < minV) minV = v;
  }
  const spread = worstV - minV;
  if (spread <= 0) return 0;
  const ticks = Math.round(maxTicks * Math.min(1, spread / capCenti));
  if (ticks === 0) return 0;
  return market === worstMarket ? ticks : -ticks;
}
