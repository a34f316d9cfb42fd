import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { actorSubject, bucketNames, fromSubjectToken, marketSubject, nodeKey, subjectToken } from '../src/core/subjects.js';
import { EMPTY_ASSIGNMENT, allStrategyActors, loadsOf, rebalance, routeOfMarket, type EventLoad } from '../src/core/assign.js';

describe('subjects', () => {
  it('maps actor names and tickers with dots to one reversible token', () => {
    expect(actorSubject('kmm', 'book.2')).toBe('kmm.kmm.actor.book~2e2');
    expect(marketSubject('c1', 'KXHIGHNY-25JUL01-B85.5')).toBe('kmm.c1.md.KXHIGHNY-25JUL01-B85~2e5');
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20, unit: 'binary-ascii' }), (s) => {
        const t = subjectToken(s);
        expect(t).toMatch(/^[A-Za-z0-9_~-]+$/);
        expect(fromSubjectToken(t)).toBe(s);
      }),
    );
  });
  it('refuses names it cannot carry, naming the problem', () => {
    expect(() => subjectToken('')).toThrow(/non-empty/);
    expect(() => bucketNames('Bad.Name')).toThrow(/cluster name 'Bad.Name'/);
    expect(() => nodeKey('a.b')).toThrow(/node id 'a.b'/);
  });
});

const eventsArb = fc.uniqueArray(fc.record({ event: fc.constantFrom(...'ABCDEFGHIJKLMNOP'.split('').map((c) => 'EV-' + c)), markets: fc.integer({ min: 1, max: 9 }) }), {
  selector: (e) => e.event,
  maxLength: 16,
});
const nodesArb = fc.uniqueArray(fc.constantFrom('n1', 'n2', 'n3', 'n4', 'n5'), { minLength: 1, maxLength: 5 });

describe('rebalance', () => {
  it('assigns every event, whole, to exactly one live node, balanced within one event', () => {
    fc.assert(
      fc.property(eventsArb, nodesArb, nodesArb, (events, first, second) => {
        for (const nodes of [first, second]) {
          const a = rebalance(rebalance(EMPTY_ASSIGNMENT, events, first), events, nodes);
          expect(Object.keys(a.byEvent).sort()).toEqual(events.map((e) => e.event).sort());
          for (const n of Object.values(a.byEvent)) expect(nodes).toContain(n);
          const loads = Object.values(loadsOf(a, events));
          const gap = Math.max(...loads) - Math.min(...loads);
          // no single event move narrows the gap any more
          const maxW = Math.max(0, ...events.map((e) => e.markets));
          expect(gap).toBeLessThanOrEqual(maxW);
        }
      }),
    );
  });

  it('keeps events where they are while their node lives and the load is fair', () => {
    fc.assert(
      fc.property(eventsArb, nodesArb, (events, nodes) => {
        const a = rebalance(EMPTY_ASSIGNMENT, events, nodes);
        // the same inputs: nothing moves, the version stays
        expect(rebalance(a, events, nodes)).toBe(a);
        // a node dies: only its events move
        const dead = a.nodes[0];
        const rest = a.nodes.slice(1);
        if (rest.length === 0) return;
        const b = rebalance(a, events, rest);
        const moved = events.filter((e) => a.byEvent[e.event] !== b.byEvent[e.event]).length;
        const orphaned = events.filter((e) => a.byEvent[e.event] === dead).length;
        expect(b.version).toBe(orphaned > 0 || a.nodes.length !== rest.length ? a.version + 1 : a.version);
        // orphans must move; balancing may move a few more, never more than all
        expect(moved).toBeGreaterThanOrEqual(orphaned);
      }),
    );
  });

  it('gives a joining node a fair share', () => {
    const events: EventLoad[] = Array.from({ length: 8 }, (_, i) => ({ event: `EV-${i}`, markets: 2 }));
    const a = rebalance(EMPTY_ASSIGNMENT, events, ['n1']);
    expect(loadsOf(a, events)).toEqual({ n1: 16 });
    const b = rebalance(a, events, ['n1', 'n2']);
    expect(loadsOf(b, events)).toEqual({ n1: 8, n2: 8 });
    expect(b.version).toBe(a.version + 1);
  });

  it('refuses bad input with a clear error', () => {
    expect(() => rebalance(EMPTY_ASSIGNMENT, [{ event: 'E', markets: 0 }], ['n1'])).toThrow(/E: markets must be an integer >= 1/);
    expect(() => rebalance(EMPTY_ASSIGNMENT, [{ event: 'E', markets: 1 }, { event: 'E', markets: 2 }], ['n1'])).toThrow(/listed twice/);
  });
});

describe('routing a gateway reply to the owner of its market', () => {
  it('goes market -> event -> node -> strategy actor, null when unknown', () => {
    const events: EventLoad[] = [
      { event: 'EV-A', markets: 2 },
      { event: 'EV-B', markets: 1 },
    ];
    const a = rebalance(EMPTY_ASSIGNMENT, events, ['n1', 'n2']);
    const eventOf = new Map([
      ['EV-A-M1', 'EV-A'],
      ['EV-A-M2', 'EV-A'],
      ['EV-B-M1', 'EV-B'],
    ]);
    // both markets of one event go to the same node
    expect(routeOfMarket(a, eventOf, 'EV-A-M1')).toBe(routeOfMarket(a, eventOf, 'EV-A-M2'));
    expect(routeOfMarket(a, eventOf, 'EV-A-M1')).toBe('strategy.' + a.byEvent['EV-A']);
    expect(routeOfMarket(a, eventOf, 'NOPE')).toBeNull();
    expect(allStrategyActors(a)).toEqual(['strategy.n1', 'strategy.n2']);
  });
});
