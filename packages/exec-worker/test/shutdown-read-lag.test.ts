/**
 * Shutdown verification under read-after-write lag (kalshi-api.md section 0: GET /portfolio/orders
 * shows orders as they were ~360 ms ago, absent if created since). A create the venue carried out
 * whose answer was lost leaves an order exec cannot cancel by id; a read asked right after it
 * does not list it yet. "Nothing rests" must only count from a read asked at least the reconcile
 * grace after the last create, else the stop would call itself verified with that order resting.
 */
import { describe, expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import { ExecRunner, type OrderGateway, type RestResult, type VenueOrder } from '../src/index.js';
import { MKT, readyCore, target } from './helpers.js';

const LAG_MS = 360;
const GRACE_MS = 1000;

function ok<T>(value: T): RestResult<T> {
  return { ok: true, value, status: 200, latencyUs: 100, wireMonoNs: 0 };
}

/** A venue whose order list lags writes by LAG_MS, and whose answer to the first create is lost. */
function lossyVenue(clock: { ms: number }) {
  const orders = new Map<string, VenueOrder & { createdMs: number }>();
  let seq = 0;
  let loseNextCreateAnswer = true;
  const place = (o: kmm.v1.IOrderCommand) => {
    const id = `v-${++seq}`;
    orders.set(id, { orderId: id, clientOrderId: o.clientOrderId ?? '', market: o.market ?? '', side: o.side ?? 0, price: o.price ?? 0, remainingCenti: Number(o.countCenti ?? 0), filledCenti: 0, status: 'resting', orderGroupId: '', createdMs: clock.ms });
    return id;
  };
  const cancel = (id: string): boolean => orders.delete(id);
  const gw: OrderGateway = {
    paper: false,
    async place(o) {
      const id = place(o);
      if (loseNextCreateAnswer) {
        loseNextCreateAnswer = false;
        return { ok: false, error: { code: kmm.v1.RejectCode.TIMEOUT, http: 0, venueCode: '', message: 'socket hang up', network: 'ECONNRESET' }, latencyUs: -1, wireMonoNs: 0 };
      }
      return ok({ orderId: id, clientOrderId: o.clientOrderId ?? '', fillCenti: 0, remainingCenti: Number(o.countCenti ?? 0) });
    },
    async batchPlace(list) {
      return ok(list.map((o) => ({ ok: true, order: { orderId: place(o), clientOrderId: o.clientOrderId ?? '', fillCenti: 0, remainingCenti: Number(o.countCenti ?? 0) } })) as never);
    },
    async amend(o) {
      return ok({ orderId: o.orderId ?? '', clientOrderId: o.clientOrderId ?? '', fillCenti: 0, remainingCenti: Number(o.countCenti ?? 0) });
    },
    async decrease(o) {
      return ok({ orderId: o.orderId ?? '', clientOrderId: o.clientOrderId ?? '', fillCenti: 0, remainingCenti: Number(o.countCenti ?? 0) });
    },
    async cancel(o) {
      const had = cancel(o.orderId ?? '');
      return had ? ok({ orderId: o.orderId ?? '', reducedCenti: 0 }) : { ok: false, error: { code: kmm.v1.RejectCode.NOT_FOUND, http: 404, venueCode: 'not_found', message: 'not found' }, latencyUs: 100, wireMonoNs: 0 };
    },
    async batchCancel(list) {
      return ok(list.map((o) => (cancel(o.orderId ?? '') ? { ok: true, order: { orderId: o.orderId ?? '', clientOrderId: o.clientOrderId ?? '', fillCenti: 0, remainingCenti: 0 } } : { ok: false, error: { code: kmm.v1.RejectCode.NOT_FOUND, http: 404, venueCode: 'not_found', message: 'not found' } })) as never);
    },
    async restingOrders() {
      return ok([...orders.values()].filter((o) => clock.ms - o.createdMs >= LAG_MS));
    },
    async positions() {
      return ok([]);
    },
    async fills() {
      return ok([]);
    },
    async createOrderGroup() {
      return ok('og-1');
    },
    async resetOrderGroup() {
      return ok(true as const);
    },
    async queuePositions() {
      return ok([]);
    },
    async markets() {
      return ok([]);
    },
    close() {},
  };
  return { gw, orders };
}

describe('exec shutdown under read lag', () => {
  it('an order whose create answer was lost, not yet listed by the lagging read: found after the grace and cancelled; the stop is verified only then', async () => {
    const clock = { ms: 1_000 };
    const { core } = readyCore({ reconcileGraceMs: GRACE_MS, quoteRefreshMs: 0, minRepriceIntervalMs: 0, reconcileIntervalMs: 0, queuePositionPollMs: 0, marketsPollMs: 0, tapeIntervalMs: 0 });
    const venue = lossyVenue(clock);
    // virtual time: a sleep wakes when the clock reaches it; the clock jumps to the next wake only
    // when nothing else can run (every promise settled)
    const timers: { at: number; wake: () => void }[] = [];
    const sleep = (ms: number): Promise<void> => new Promise((wake) => timers.push({ at: clock.ms + ms, wake }));
    const runUntil = async <T>(p: Promise<T>): Promise<T> => {
      let done = false;
      const out = p.finally(() => (done = true));
      while (!done) {
        await new Promise((r) => setImmediate(r));
        if (done || timers.length === 0) continue;
        timers.sort((a, b) => a.at - b.at);
        const t = timers.shift()!;
        clock.ms = Math.max(clock.ms, t.at);
        t.wake();
      }
      return out;
    };
    const runner = new ExecRunner({
      core,
      gateway: venue.gw,
      monoNs: () => clock.ms * 1e6,
      wallMs: () => 1_790_000_000_000 + clock.ms,
      sleep,
    });
    // one bid: its create is carried out, its answer lost (exec does not learn the order id)
    runner.handle(core.onTargets(target(4800, 0), clock.ms));
    await runUntil(runner.idle());
    expect(venue.orders.size).toBe(1);
    clock.ms += 5; // the stop begins right after: the venue's list does not show the order yet
    const report = await runUntil(runner.shutdown(10_000));
    expect(venue.orders.size).toBe(0);
    expect(report.verified).toBe(true);
    expect(report.rounds).toBeGreaterThan(1);
  });
});
