/**
 * Order expiry as the last line of defence (issue 14), in the deterministic simulation
 * (runDst over the in-memory exchange, virtual time):
 *   - a KMM that dies (no restart, no shutdown) leaves orders that the exchange expires by
 *     itself, each at its expiration_time;
 *   - a live KMM over a run several times longer than the expiry never has an order expire: it
 *     re-places every order before its expiration passes.
 * An order "expired" when the exchange cancelled it at or after its expiration_time (our own
 * cancels come before it).
 */
import { describe, expect, it } from 'vitest';
import { DST_START_WALL_MS, runDst, type DstView } from '@kmm/app';

const EXPIRY_S = 30;

type ExOrder = Record<string, unknown>;
const orders = (v: DstView): ExOrder[] => v.exchange.records().orders as ExOrder[];
const expired = (o: ExOrder): boolean =>
  o.status === 'canceled' && o.expiration_time != null && Date.parse(String(o.last_update_time)) >= Date.parse(String(o.expiration_time));

describe('order expiry (DST)', () => {
  it('a KMM that dies without restart leaves orders that expire on the exchange by themselves', async () => {
    const dieAtS = 45;
    // The orders left behind are the ones resting once the KMM is dead and the requests it sent
    // before dying have landed (the memory exchange's latency is a few ms): from then on nothing
    // of ours can act on them. A snapshot taken before the death (the last observation, up to
    // observeEveryMs earlier) also held orders the live KMM then cancelled itself before dying
    // (seed 21: an expiry renewal, at 80 % of the order's 30 s, 4 ms after the last observation
    // before 45 s), which never expire; and it missed orders placed after it.
    const leftAtS = dieAtS + 1;
    let view: DstView | null = null;
    let leftBehind: ExOrder[] = [];
    const r = await runDst({
      seed: 21,
      simMinutes: 2,
      faults: false,
      dieAtS,
      set: { kmm_order_expiry_s: EXPIRY_S },
      observeEveryMs: 500,
      observe: (v) => {
        view = v;
        if (v.nowS <= leftAtS) leftBehind = orders(v).filter((o) => o.status === 'resting');
      },
    });
    expect(view).not.toBeNull();
    const end = orders(view!);
    expect(leftBehind.length, 'orders rest after the KMM died').toBeGreaterThan(0);
    // every order left resting carried an expiration at most kmm_order_expiry_s ahead
    for (const o of leftBehind) {
      expect(o.expiration_time).not.toBeNull();
      expect(Date.parse(String(o.expiration_time)) - Date.parse(String(o.created_time))).toBeLessThanOrEqual(EXPIRY_S * 1000);
    }
    // nothing of ours rests at the end: each of them expired on the exchange (nobody cancelled)
    expect(end.filter((o) => o.status === 'resting')).toEqual([]);
    expect(r.violations.resting).toBe(0);
    const byId = new Map(end.map((o) => [o.order_id, o]));
    for (const o of leftBehind) {
      const now = byId.get(o.order_id)!;
      if (now.status === 'executed') continue; // filled before it could expire
      expect(expired(now), `order ${String(o.order_id)} expired at its expiration_time`).toBe(true);
    }
    // no order expired while the KMM was alive
    expect(end.filter((o) => expired(o) && Date.parse(String(o.last_update_time)) - DST_START_WALL_MS < dieAtS * 1000)).toEqual([]);
  });

  it('a live KMM over a run several times the expiry renews its orders: none ever expires', async () => {
    let view: DstView | null = null;
    let renewals = 0;
    const r = await runDst({
      seed: 22,
      simMinutes: 3,
      faults: false,
      set: { kmm_order_expiry_s: EXPIRY_S },
      observeEveryMs: 1000,
      observe: (v) => {
        view = v;
        renewals = Math.max(renewals, v.exec?.core.stats.renewals ?? 0);
      },
    });
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    const all = orders(view!);
    expect(renewals, 'exec re-placed orders before their expiration').toBeGreaterThan(0);
    // an order that rested: not executed at once, and not an immediate-or-cancel taker cancelled in
    // the same instant it was created (Kalshi refuses an expiration on those: they never rest)
    const rested = (o: Record<string, unknown>): boolean => o.status !== 'executed' && !(o.status === 'canceled' && o.created_time === o.last_update_time);
    expect(all.filter((o) => rested(o) && o.expiration_time == null).map((o) => o.client_order_id), 'every resting order carried an expiration').toEqual([]);
    expect(all.filter(expired).map((o) => o.client_order_id)).toEqual([]);
  });
});
