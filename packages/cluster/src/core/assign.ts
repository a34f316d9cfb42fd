/**
 * Event-to-strategy-node assignment (pure). Strategy nodes own whole events: every market of an
 * event lives on one Kalshi exchange shard and event-level risk needs all of them in one place,
 * so the unit of assignment is the event, never a market.
 *
 *   rebalance(previous, events, liveNodes) -> Assignment
 *
 * Rules, in order: (1) every event goes to exactly one live node; (2) an event stays where it is
 * while its node lives (moving an event costs a cancel-and-requote of all its markets); (3)
 * events of dead nodes and new events go to the least-loaded node (load = markets owned), the
 * heaviest first; (4) then single events move from the most to the least loaded node while
 * that strictly narrows the gap, so a joining node takes a fair share. Deterministic: ties
 * break by node id and event ticker, so any node computing it gets the same answer.
 */

export interface EventLoad {
  event: string;
  /** markets in the event (the load it puts on a strategy node); >= 1 */
  markets: number;
}

export interface Assignment {
  /** bumped on every change, so a node can tell a newer assignment from an older one */
  version: number;
  /** live nodes the assignment was computed for, sorted */
  nodes: string[];
  /** event ticker -> node id */
  byEvent: Record<string, string>;
}

export const EMPTY_ASSIGNMENT: Assignment = { version: 0, nodes: [], byEvent: {} };

export function rebalance(previous: Assignment, events: readonly EventLoad[], liveNodes: readonly string[]): Assignment {
  const nodes = [...new Set(liveNodes)].sort();
  const seen = new Set<string>();
  for (const e of events) {
    if (seen.has(e.event)) throw new Error(`event ${e.event} listed twice`);
    if (!(Number.isInteger(e.markets) && e.markets >= 1)) throw new Error(`event ${e.event}: markets must be an integer >= 1, got ${e.markets}`);
    seen.add(e.event);
  }
  const byEvent: Record<string, string> = {};
  if (nodes.length === 0) return finish(previous, nodes, byEvent);

  const load = new Map<string, number>(nodes.map((n) => [n, 0]));
  const weight = new Map(events.map((e) => [e.event, e.markets]));
  const homeless: EventLoad[] = [];
  for (const e of [...events].sort(byTicker)) {
    const was = previous.byEvent[e.event];
    if (was !== undefined && load.has(was)) {
      byEvent[e.event] = was;
      load.set(was, load.get(was)! + e.markets);
    } else homeless.push(e);
  }
  homeless.sort((a, b) => b.markets - a.markets || byTicker(a, b));
  for (const e of homeless) {
    const n = leastLoaded(nodes, load);
    byEvent[e.event] = n;
    load.set(n, load.get(n)! + e.markets);
  }
  // narrow the gap one event at a time; each move strictly lowers the sum of squared loads, so this ends
  for (;;) {
    const lo = leastLoaded(nodes, load);
    const hi = mostLoaded(nodes, load);
    const gap = load.get(hi)! - load.get(lo)!;
    // the smallest event on hi that narrows the gap (moving w narrows it iff 0 < w < gap)
    let pick: string | null = null;
    for (const ev of Object.keys(byEvent).sort()) {
      if (byEvent[ev] !== hi) continue;
      const w = weight.get(ev)!;
      if (w < gap && (pick === null || w < weight.get(pick)!)) pick = ev;
    }
    if (pick === null) break;
    byEvent[pick] = lo;
    load.set(hi, load.get(hi)! - weight.get(pick)!);
    load.set(lo, load.get(lo)! + weight.get(pick)!);
  }
  return finish(previous, nodes, byEvent);
}

/** Markets owned per node under an assignment (every live node listed, 0 when it owns nothing). */
export function loadsOf(a: Assignment, events: readonly EventLoad[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of a.nodes) out[n] = 0;
  for (const e of events) {
    const n = a.byEvent[e.event];
    if (n !== undefined) out[n] = (out[n] ?? 0) + e.markets;
  }
  return out;
}

/** The events a node owns, sorted. */
export function eventsOf(a: Assignment, node: string): string[] {
  return Object.keys(a.byEvent)
    .filter((e) => a.byEvent[e] === node)
    .sort();
}

function finish(previous: Assignment, nodes: string[], byEvent: Record<string, string>): Assignment {
  const same = sameList(previous.nodes, nodes) && sameMap(previous.byEvent, byEvent);
  return same ? previous : { version: previous.version + 1, nodes, byEvent };
}

function leastLoaded(nodes: string[], load: Map<string, number>): string {
  let best = nodes[0];
  for (const n of nodes) if (load.get(n)! < load.get(best)!) best = n;
  return best;
}
function mostLoaded(nodes: string[], load: Map<string, number>): string {
  let best = nodes[0];
  for (const n of nodes) if (load.get(n)! > load.get(best)!) best = n;
  return best;
}
function byTicker(a: EventLoad, b: EventLoad): number {
  return a.event < b.event ? -1 : a.event > b.event ? 1 : 0;
}
function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** The actor name of a strategy node's strategy actor (the address exec's replies go to). */
export function strategyActor(nodeId: string): string {
  return `strategy.${nodeId}`;
}

/**
 * Where a gateway sends what it learns about a market: the strategy actor of the node that owns
 * the market's event under `a`, or null when the market's event is unknown or unassigned.
 */
export function routeOfMarket(a: Assignment, eventOfMarket: ReadonlyMap<string, string>, market: string): string | null {
  const event = eventOfMarket.get(market);
  if (event === undefined) return null;
  const node = a.byEvent[event];
  return node === undefined ? null : strategyActor(node);
}

/** Every strategy actor of an assignment's nodes (where market-less messages go). */
export function allStrategyActors(a: Assignment): string[] {
  return a.nodes.map(strategyActor);
}
