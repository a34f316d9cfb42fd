/**
 * Issue 5 (strategy in the running system) as deterministic simulations (runDst,
 * packages/app/src/dst/world.ts): the whole system (ingest, book shards, strategy, exec) trading
 * the simulator's in-memory exchange in virtual time. They replace the wall-clock test that ran
 * the threaded system against the socket simulator with polling waits (strategy.system.test.ts).
 *  1. start-up over cap: the account already holds more than MM_MAX_POS in a market before KMM
 *     starts (runDst's `before` step); the system starts read-only (ops
 *     `startup_position_cap_breach` naming that market), sends no order until the operator
 *     acknowledges (Control ACK_BREACH to strategy and exec, as `kmm ack-breach` does), then trades.
 *  2. quotes move with inventory: a long position taken while the system runs lowers the
 *     reservation price strategy quotes around (TargetQuotes.fair_value relative to the touch mid).
 *  3. the bailout fires when it should: with IMPULSE_CONTROL_ENABLED and |q| > Q_critical strategy
 *     emits a taker intent and the exchange position comes back toward Q_target; with it off, the
 *     same position produces no taker intent.
 * Positions are made by the demo user (the system's own account) with IOC orders straight into
 * the exchange's matching engine, as another client of the account would; `stp: maker` cancels a
 * resting order of the system's that would self-trade. The exchange's records are the reference
 * for positions and orders. Every wait is a virtual-time deadline checked by `observe`; absence is
 * checked over a virtual window. No real time anywhere: each scenario is a pure function of its seed.
 */
import { describe, expect, it } from 'vitest';
import { kmm, parseCount, parsePrice } from '@kmm/shared';
import { DEMO_USER, type MemoryExchange } from '@kmm/sim';
import { runDst, type DstOptions, type DstResult, type DstView } from '@kmm/app';

const CENTI = 100;
const OBSERVE_MS = 100;
const TEST_ORDER_PREFIX = 'test-ioc-';

interface OpsEv {
  tS: number;
  actor: string;
  event: string;
  market: string;
  fields: Record<string, unknown>;
}

interface Target {
  tS: number;
  market: string;
  tq: kmm.v1.ITargetQuotes;
  /** the exchange position exec last reported for the market when strategy sent this target */
  posCenti: number;
}

/** What a scenario collected: ops events, strategy's targets to exec, positions reaching strategy. */
interface Seen {
  ops: OpsEv[];
  targets: Target[];
  /** latest exchange position per market as exec reports it to strategy */
  pos: Map<string, number>;
}

function newSeen(): Seen {
  return { ops: [], targets: [], pos: new Map() };
}

/** runDst (no seeded faults) with what it saw collected into `seen` (readable by `observe` during the run). */
async function scenario(o: DstOptions, seen: Seen): Promise<DstResult> {
  // the send hook carries no time: strategy sends only from a handler, which the deliver hook
  // announced at the same virtual instant (timers are delivered messages too)
  let nowS = 0;
  return runDst({
    observeEveryMs: OBSERVE_MS,
    faults: false,
    ...o,
    hooks: {
      ops: (actor, event, market, _level, fields, t) => {
        nowS = t.monoNs / 1e9;
        seen.ops.push({ tS: nowS, actor, event, market, fields });
      },
      deliver: (actor, env, _from, t) => {
        nowS = t.monoNs / 1e9;
        if (actor === 'strategy' && env.position?.market && env.position.fromExchange) seen.pos.set(env.position.market, Number(env.position.positionCenti ?? 0));
      },
      send: (actor, to, body) => {
        const tq = body.targetQuotes;
        if (actor === 'strategy' && to === 'exec' && tq?.market) seen.targets.push({ tS: nowS, market: tq.market, tq, posCenti: seen.pos.get(tq.market) ?? 0 });
      },
    },
  });
}

/** runDst's invariants held, except those in `expected` (a scenario's deliberate breach). */
function expectClean(r: DstResult, expected: { cap?: string } = {}): void {
  const unexpected = r.problems.filter((p) => !(expected.cap && /cap/.test(p) && p.includes(expected.cap)));
  expect(unexpected, `seed ${r.seed}: ${r.problems.join('; ')}`).toEqual([]);
  for (const [check, n] of Object.entries(r.violations)) if (!(check === 'cap' && expected.cap)) expect(n, check).toBe(0);
}

/** Best bid / ask (price units) and their depths (centi) from the exchange's orderbook_fp. */
function top(ex: MemoryExchange, ticker: string): { bid: number; ask: number; bidDepthCenti: number; askDepthCenti: number } {
  const b = ex.book(ticker);
  if (!b) return { bid: 0, ask: 0, bidDepthCenti: 0, askDepthCenti: 0 };
  let bidDepthCenti = 0;
  let askDepthCenti = 0;
  for (const l of b.yes_dollars) bidDepthCenti += parseCount(l[1]);
  for (const l of b.no_dollars) askDepthCenti += parseCount(l[1]);
  return {
    bid: b.yes_dollars.length ? parsePrice(b.yes_dollars[b.yes_dollars.length - 1][0]) : 0,
    ask: b.no_dollars.length ? 10_000 - parsePrice(b.no_dollars[b.no_dollars.length - 1][0]) : 0,
    bidDepthCenti,
    askDepthCenti,
  };
}

/** A market with a two-sided book away from the price edges (for taking and being taken out), or ''. */
function pickMarket(ex: MemoryExchange): string {
  for (const m of ex.markets()) {
    if (m.status !== 'active') continue;
    const t = top(ex, m.spec.ticker);
    if (t.bid >= 1500 && t.ask > 0 && t.ask <= 8500 && t.bidDepthCenti >= 20 * CENTI && t.askDepthCenti >= 20 * CENTI) return m.spec.ticker;
  }
  return '';
}

function position(ex: MemoryExchange, ticker: string): number {
  return ex.records().caps.find((c) => c.ticker === ticker)?.positionCenti ?? 0;
}

/**
 * Buys YES with IOC orders as the demo user until the exchange position is at least
 * `targetCenti`; a limit 5 cents through the best ask sweeps several levels. Throws when the
 * exchange rejects the order or the book cannot fill it.
 */
let testOrders = 0;
function buyUpTo(ex: MemoryExchange, ticker: string, targetCenti: number): number {
  for (let attempt = 0; attempt < 10; attempt++) {
    const have = position(ex, ticker);
    if (have >= targetCenti) return have;
    const t = top(ex, ticker);
    if (t.ask <= 0) break;
    const r = ex.engine.createOrder(DEMO_USER, {
      ticker,
      side: 'bid',
      price: Math.min(9900, t.ask + 500),
      countCenti: targetCenti - have,
      tif: 'immediate_or_cancel',
      stp: 'maker',
      clientOrderId: `${TEST_ORDER_PREFIX}${ticker}-${++testOrders}`,
    });
    if (!r.ok) throw new Error(`IOC order rejected: ${r.http} ${r.code} ${r.message}`);
  }
  const have = position(ex, ticker);
  if (have < targetCenti) throw new Error(`could not build a position of ${targetCenti / CENTI} in ${ticker} (have ${have / CENTI})`);
  return have;
}

/** The system's own orders at the exchange (not the test's IOC orders). */
function systemOrders(v: DstView): number {
  return v.exchange.records().orders.filter((o) => !String(o.client_order_id ?? '').startsWith(TEST_ORDER_PREFIX)).length;
}

function tqShift(tq: kmm.v1.ITargetQuotes): number {
  return (tq.fairValue ?? 0) - ((tq.bestBid ?? 0) + (tq.bestAsk ?? 0)) / 2;
}

function quoting(tq: kmm.v1.ITargetQuotes): boolean {
  return (tq.levels ?? []).length > 0 && (tq.bestBid ?? 0) > 0 && (tq.bestAsk ?? 0) > 0;
}

/** The first virtual time (s) `cond` held at an observation at or after `fromS`, within `withinS`. */
class Deadline {
  atS: number | null = null;
  constructor(
    readonly what: string,
    readonly withinS: number,
  ) {}
  /** Checks once; returns true the first time it holds. */
  check(nowS: number, fromS: number, cond: () => boolean): boolean {
    if (this.atS !== null || nowS < fromS || nowS > fromS + this.withinS) return false;
    if (!cond()) return false;
    this.atS = nowS;
    return true;
  }
  get met(): boolean {
    return this.atS !== null;
  }
}

describe('strategy in the running system (deterministic simulation, issue 5)', () => {
  it('starts read-only over the position cap, sends nothing until acknowledged, then trades', async () => {
    let ticker = '';
    let held = 0;
    // caps 5 (MM_MAX_POS and the side caps, which are separate keys with their own default 5): hold 8 before the system starts
    const set = { MM_MAX_POS: 5, MM_MAX_LONG_POS: 5, MM_MAX_SHORT_POS: 5, IMPULSE_CONTROL_ENABLED: false, kmm_startup_settle_ms: 500 };
    const READ_ONLY_WINDOW_S = 10;
    let breachAtS: number | null = null;
    let ackAtS: number | null = null;
    let ordersBeforeAck = -1;
    let trustedThroughWindow = true;
    const placed = new Deadline('orders of the system at the exchange after the acknowledgement', 20);
    const seen = newSeen();
    const r = await scenario({
      seed: 501,
      simMinutes: 1.5,
      set,
      before: (ex) => {
        ticker = pickMarket(ex);
        if (ticker) held = buyUpTo(ex, ticker, 8 * CENTI);
      },
      observe: (v) => {
        if (breachAtS === null) {
          const b = seen.ops.find((e) => e.event === 'startup_position_cap_breach' && e.actor === 'strategy');
          if (b) breachAtS = b.tS;
          return;
        }
        if (ackAtS === null) {
          // read-only: a window with the books live and no order of ours
          if (v.nowS > breachAtS + 1) trustedThroughWindow &&= v.trusted;
          if (v.nowS < breachAtS + READ_ONLY_WINDOW_S) return;
          ordersBeforeAck = systemOrders(v);
          ackAtS = v.nowS;
          // the operator's `kmm ack-breach`: system.ts sends ACK_BREACH to strategy and exec
          for (const actor of ['strategy', 'exec']) v.kernel.inject(actor, { control: { kind: kmm.v1.ControlKind.ACK_BREACH, markets: [], reason: 'operator' } });
          return;
        }
        placed.check(v.nowS, ackAtS, () => systemOrders(v) > 0);
      },
    }, seen);
    expect(ticker, 'no two-sided market at start').not.toBe('');
    expect(held).toBeGreaterThan(5 * CENTI);
    expect(breachAtS, 'no startup_position_cap_breach from strategy').not.toBeNull();
    const breach = seen.ops.find((e) => e.event === 'startup_position_cap_breach' && e.actor === 'strategy')!;
    expect(breach.fields.status).toBe('TRADING_DISABLED');
    expect(JSON.stringify(breach.fields.breached_markets)).toContain(ticker);
    expect(seen.ops.some((e) => e.event === 'startup_position_check_ok')).toBe(false);

    expect(ackAtS, 'the run ended before the read-only window').not.toBeNull();
    expect(trustedThroughWindow).toBe(true);
    expect(ordersBeforeAck).toBe(0);
    expect(seen.ops.some((e) => e.event === 'startup_position_cap_breach_ack' && e.tS < ackAtS!)).toBe(false);

    const ack = seen.ops.find((e) => e.event === 'startup_position_cap_breach_ack' && e.actor === 'strategy');
    expect(ack, 'no startup_position_cap_breach_ack from strategy').toBeDefined();
    expect(ack!.fields.status).toBe('TRADING_ENABLED');
    expect(placed.met, `no ${placed.what} within ${placed.withinS} s`).toBe(true);
    console.log(`[strategy.dst] start-up breach on ${ticker} (held ${held / CENTI}) at ${breachAtS!.toFixed(2)} s, acknowledged at ${ackAtS!.toFixed(2)} s, first order ${(placed.atS! - ackAtS!).toFixed(2)} s later`);
    // the account was over the cap before KMM started: runDst's cap check sees it, nothing else
    expectClean(r, { cap: ticker });
    expect(r.violations.cap).toBeGreaterThan(0);
  });

  it('moves the reservation price against inventory (long -> lower)', async () => {
    let ticker = '';
    let before: Target | null = null;
    let idx = -1;
    let held = 0;
    let boughtAtS: number | null = null;
    const reached = new Deadline('position reaches strategy', 15);
    const lower = new Deadline('quotes below the flat reservation while long', 15);
    let after: Target | null = null;
    const startup = new Deadline('startup check ok', 20);
    const flatQuote = new Deadline('quotes while flat', 20);
    // With no alpha feed and the legacy profile, only inventory moves the reservation away from
    // the fair value: a quoting target whose reservation sits below the flat one is the long one.
    const longAndLower = (t: Target, shiftBefore: number) => t.market === ticker && quoting(t.tq) && tqShift(t.tq) < shiftBefore - 1;
    const seen = newSeen();
    const r = await scenario({
      seed: 502,
      simMinutes: 1.5,
      // impulse control off so the bailout does not trade the position away under the measurement;
      // the 002 model: its fair value is the mid, so only inventory moves the reservation (the grid
      // model's fair value follows the microprice and OFI as well)
      set: { MM_MAX_POS: 20, MM_MAX_LONG_POS: 20, MM_MAX_SHORT_POS: 20, IMPULSE_CONTROL_ENABLED: false, kmm_pricing_model: 'stoikov' },
      observe: (v) => {
        startup.check(v.nowS, 0, () => seen.ops.some((e) => e.event === 'startup_position_check_ok'));
        if (!startup.met) return;
        if (!ticker) ticker = pickMarket(v.exchange);
        if (!ticker) return;
        if (boughtAtS === null) {
          // before: quoting the market flat
          flatQuote.check(v.nowS, startup.atS!, () => seen.targets.some((t) => t.market === ticker && t.posCenti === 0 && quoting(t.tq)));
          if (!flatQuote.met) return;
          const flat = seen.targets.filter((t) => t.market === ticker && t.posCenti === 0 && quoting(t.tq));
          before = flat[flat.length - 1];
          // Targets from here on: strategy's target for the new position can be sent before
          // exec's copy of the position reaches strategy, so do not require the position tag.
          idx = seen.targets.length;
          held = buyUpTo(v.exchange, ticker, 12 * CENTI);
          boughtAtS = v.nowS;
          return;
        }
        reached.check(v.nowS, boughtAtS, () => (seen.pos.get(ticker) ?? 0) >= 12 * CENTI);
        if (!reached.met) return;
        if (lower.check(v.nowS, boughtAtS, () => seen.targets.slice(idx).some((t) => longAndLower(t, tqShift(before!.tq))))) {
          after = seen.targets.slice(idx).find((t) => longAndLower(t, tqShift(before!.tq)))!;
        }
      },
    }, seen);
    expectClean(r);
    expect(startup.met, startup.what).toBe(true);
    expect(ticker, 'no two-sided market').not.toBe('');
    expect(flatQuote.met, `no ${flatQuote.what} in ${ticker}`).toBe(true);
    expect(held).toBeGreaterThanOrEqual(12 * CENTI);
    expect(reached.met, reached.what).toBe(true);
    expect(lower.met, `no ${lower.what} in ${ticker}`).toBe(true);
    const shiftBefore = tqShift(before!.tq);
    const shiftAfter = tqShift(after!.tq);
    console.log(`[strategy.dst] ${ticker}: reservation - mid ${shiftBefore.toFixed(1)} flat, ${shiftAfter.toFixed(1)} long ${held / CENTI} (${(after!.tS - boughtAtS!).toFixed(2)} s after the buy)`);
    // Flat, the reservation sits at the fair value (mid, no alpha feed); long, it is below it,
    // and the ask (the side that sheds inventory) is no higher relative to the touch.
    expect(Math.abs(shiftBefore)).toBeLessThan(1);
    const askOf = (tq: kmm.v1.ITargetQuotes) => (tq.levels ?? []).find((l) => l.side === kmm.v1.BookSide.ASK)?.price ?? 0;
    const midOf = (tq: kmm.v1.ITargetQuotes) => ((tq.bestBid ?? 0) + (tq.bestAsk ?? 0)) / 2;
    expect(askOf(after!.tq)).toBeGreaterThan(0);
    expect(askOf(after!.tq) - midOf(after!.tq)).toBeLessThanOrEqual(askOf(before!.tq) - midOf(before!.tq));
    expect(shiftAfter).toBeLessThan(0);
  });

  // Q_critical at the cap (the start-up rules refuse a maker cap above the taker threshold: churn); quote size within cap / 2
  const IMPULSE = { MM_MAX_POS: 3, MM_MAX_LONG_POS: 3, MM_MAX_SHORT_POS: 3, Q_critical: 3, Q_target: 1, quote_size: 1 };
  /** The bailout scenario: a position of 6 (> Q_critical 3) bought once strategy's start-up check passed; `watch` observes after the buy. */
  async function bailoutRun(enabled: boolean, watch: (v: DstView, ticker: string, boughtAtS: number, seen: Seen) => void) {
    let ticker = '';
    let held = 0;
    let boughtAtS: number | null = null;
    const startup = new Deadline('startup check ok', 20);
    const seen = newSeen();
    const r = await scenario(
      {
        seed: 503,
        simMinutes: 1.5,
        set: { ...IMPULSE, IMPULSE_CONTROL_ENABLED: enabled },
        observe: (v) => {
          if (boughtAtS !== null) return watch(v, ticker, boughtAtS, seen);
          startup.check(v.nowS, 0, () => seen.ops.some((e) => e.event === 'startup_position_check_ok'));
          if (!startup.met) return;
          ticker = pickMarket(v.exchange);
          if (!ticker) return;
          held = buyUpTo(v.exchange, ticker, 6 * CENTI);
          boughtAtS = v.nowS;
        },
      },
      seen,
    );
    expect(startup.met, startup.what).toBe(true);
    return { r, seen, ticker, held, boughtAtS };
  }

  it('fires the inventory-breach taker above Q_critical and works the position back toward Q_target; not with IMPULSE_CONTROL_ENABLED false', async () => {
    // on: a position of 6 > Q_critical 3
    const back = new Deadline('exchange position back to <= Q_critical', 20);
    let posAtBack = Infinity;
    const on = await bailoutRun(true, (v, ticker, boughtAtS) => {
      if (back.check(v.nowS, boughtAtS, () => position(v.exchange, ticker) <= 3 * CENTI)) posAtBack = position(v.exchange, ticker);
    });
    // the test's own buy puts the account over the cap (Q_critical may not sit below the cap):
    // runDst's cap check sees that market, nothing else
    expectClean(on.r, { cap: on.ticker });
    expect(on.ticker, 'no two-sided market').not.toBe('');
    expect(on.held).toBeGreaterThan(3 * CENTI);
    const ev = on.seen.ops.find((e) => e.event === 'taker_intent' && e.market === on.ticker);
    expect(ev, 'no taker_intent').toBeDefined();
    expect(ev!.tS - on.boughtAtS!).toBeLessThanOrEqual(15);
    const ti = ev!.fields;
    expect(['INVENTORY_BREACH', 'BAILOUT']).toContain(ti.reason);
    expect(ti.side).toBe('ASK');
    if (ti.reason === 'INVENTORY_BREACH') expect(Number(ti.position) - Number(ti.count)).toBe(1); // down to Q_target
    expect(back.met, back.what).toBe(true);
    expect(Math.abs(posAtBack)).toBeLessThanOrEqual(3 * CENTI);
    console.log(`[strategy.dst] bailout on: ${ti.reason} taker ${(ev!.tS - on.boughtAtS!).toFixed(2)} s after the buy, position back to ${posAtBack / CENTI} at +${(back.atS! - on.boughtAtS!).toFixed(2)} s`);

    // off: the same position, no taker intent while strategy holds it
    const reached = new Deadline('position reaches strategy', 15);
    const HOLD_S = 10;
    let heldThroughS: number | null = null;
    let takersInWindow = -1;
    const off = await bailoutRun(false, (v, ticker, boughtAtS, seen) => {
      reached.check(v.nowS, boughtAtS, () => (seen.pos.get(ticker) ?? 0) > 3 * CENTI);
      if (!reached.met || heldThroughS !== null || v.nowS < reached.atS! + HOLD_S) return;
      heldThroughS = v.nowS;
      takersInWindow = seen.ops.filter((e) => e.event === 'taker_intent').length;
    });
    expectClean(off.r, { cap: off.ticker });
    expect(off.ticker).toBe(on.ticker);
    expect(off.held).toBeGreaterThan(3 * CENTI);
    expect(reached.met, reached.what).toBe(true);
    expect(heldThroughS, 'the run ended before the holding window').not.toBeNull();
    expect(takersInWindow).toBe(0);
  });
});
