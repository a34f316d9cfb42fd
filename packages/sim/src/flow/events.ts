/**
 * Mutually exclusive events in the order flow: one hidden state per event.
 *
 * Each market of the catalogue keeps its own latent fair value, moved by its flow as before
 * (diffusion, trade impact, news jumps). For the markets of a mutually exclusive event with two
 * or more markets in the catalogue, the fair value the flow trades on is the latent values
 * normalised to the event's total:
 *
 *   fair_i = T x latent_i / sum_j latent_j,   T = min(MAX_EVENT_TOTAL, sum_j latent0_j)
 *
 * T is the probability that one of the listed markets wins (the rest is "none of the listed
 * outcomes"), fixed at the start from the initial fair values, so the YES fair values of an
 * exclusive event always sum to T <= $0.98 and, when one market's latent value rises, every
 * other market of the event falls (the markets move together, as an event's outcomes do).
 * Markets of non-exclusive events, and an exclusive event's only market, keep their own value.
 *
 * No random draws here (the flows' draw sequence is unchanged by it), no clock, no I/O.
 */
import type { CatalogMarket } from './catalog.js';

/** The most the listed outcomes of an exclusive event may be worth together (fraction of $1). */
export const MAX_EVENT_TOTAL = 0.98;

interface Group {
  /** catalogue indices of the event's markets */
  members: number[];
  /** the event's total T, in the latent value's units */
  total: number;
}

export class EventCoupling {
  private readonly groupOf: (Group | null)[];
  /** number of exclusive events with two or more markets */
  readonly coupledEvents: number;

  /**
   * @param latent0 each market's initial latent fair value (any unit proportional to price)
   * @param one the unit's value of $1 (100 for cents, 1 for a probability)
   */
  constructor(catalog: readonly CatalogMarket[], latent0: readonly number[], one: number) {
    this.groupOf = catalog.map(() => null);
    const byEvent = new Map<string, number[]>();
    catalog.forEach((c, i) => {
      if (!c.spec.mutuallyExclusive) return;
      const list = byEvent.get(c.spec.eventTicker) ?? [];
      list.push(i);
      byEvent.set(c.spec.eventTicker, list);
    });
    let n = 0;
    for (const members of byEvent.values()) {
      if (members.length < 2) continue;
      const sum0 = members.reduce((a, i) => a + latent0[i], 0);
      const g: Group = { members, total: Math.min(MAX_EVENT_TOTAL * one, sum0) };
      for (const i of members) this.groupOf[i] = g;
      n++;
    }
    this.coupledEvents = n;
  }

  /** The fair value market `i` trades on, from every market's current latent value. */
  fair(i: number, latent: (j: number) => number): number {
    const g = this.groupOf[i];
    if (!g) return latent(i);
    let sum = 0;
    for (const j of g.members) sum += latent(j);
    return sum > 0 ? (g.total * latent(i)) / sum : g.total / g.members.length;
  }
}
