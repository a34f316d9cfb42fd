/**
 * The run's summary figures, defined once, computed from the typed exec journal. Live and paper
 * runs (the app, from journal.jsonl) and the backtest (from its journal sink) feed the same
 * FiguresBuilder, so their summary.json figures cannot differ in meaning.
 *
 * Inputs: journal records in order (each with its wall time), the position cap (MM_MAX_POS), the
 * markets traded, and at the end one mark price per market (its settlement price, else its last
 * mid). Output: RunFigures (dollars rounded to the cent, counts, percentages).
 *
 * Definitions (s = +1 for a BID fill (we bought YES), -1 for an ASK fill; p = fill price; q = count):
 *   grossPnl   sum over fills of s * (mark - p) * q: the run's trades marked to each market's end mark
 *              (positions held before the run are not counted)
 *   feesPaid   Kalshi's per-order rounding: sum over orders of ceil_to_cent(sum of that order's fill fees)
 *   netPnl     grossPnl - feesPaid
 *   commands   REST commands exec issued (one batch = one command)
 *   ordersCreated / amends (amend + decrease) / cancels (cancel, cancel-all)   orders in those commands
 *   rejectsLocal   refused by exec before sending (pre-flight, risk, breaker, no rate-limit token)
 *   rejectsVenue   refused by the exchange (or its transport) after sending
 *   takerFired     taker orders sent; takerExecuted: those with at least one fill
 *   atCapPct       share of market-time (markets x run span) with |position| >= cap
 *   atCapReducingQuotedPct   share of that at-cap time with an order of ours resting on the side that
 *              reduces the position (ASK when long, BID when short); null when never at the cap
 *   maxAbsPosition largest |position| of any one market (contracts), not a sum over markets
 * Exact integers inside: cash in 1e-6 $ (price 1e-4 $ x count 1e-2), fees in 1e-4 $.
 * Duplicate fill records (same trade id and order) are counted once.
 */
import { kmm } from '@kmm/shared';
import type { JournalRecord } from './journal-record.js';
import { JournalOrderKeys } from './journal-order-keys.js';

const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;
const CK = kmm.v1.CommandKind;
const RC = kmm.v1.RejectCode;
/** money (1e-4 $) per cent */
const MONEY_PER_CENT = 100;
/** Reject codes only exec itself gives (the command never left the process). */
const LOCAL_CODES: ReadonlySet<number> = new Set([RC.PREFLIGHT, RC.RISK, RC.BREAKER_OPEN, RC.EVENT_LOSS_OVER_ALLOWANCE]);

export interface RunFigures {
  /** $ after fees, to the cent */
  netPnl: number;
  /** $ before fees */
  grossPnl: number;
  /** $ (each order's fee rounded up to the cent) */
  feesPaid: number;
  fills: number;
  contractsFilled: number;
  commands: number;
  ordersCreated: number;
  amends: number;
  cancels: number;
  rejectsLocal: number;
  rejectsVenue: number;
  takerFired: number;
  takerExecuted: number;
  /** percent, one decimal; null with no market-time */
  atCapPct: number | null;
  /** percent, one decimal; null when no market was ever at its cap */
  atCapReducingQuotedPct: number | null;
  /** contracts, largest |position| of a single market */
  maxAbsPosition: number;
  /** markets with fills but no mark price: marked at their last fill price */
  marketsUnmarked: number;
}

export interface FiguresOptions {
  /** MM_MAX_POS in centi-contracts */
  capCenti: number;
  /** markets traded (their time counts toward market-time even with no record) */
  markets: readonly string[];
  /** start of the run (wall ms); default: the first record's time */
  startMs?: number;
}

interface MarketState {
  positionCenti: number;
  lastMs: number;
  /** resting orders per side (index BID / ASK) */
  resting: [number, number, number];
  atCapMs: number;
  atCapQuotedMs: number;
  /** sum of s * q (centi) and s * p * q (1e-6 $) over fills */
  netCenti: number;
  cashMicro: bigint;
  lastFillPrice: number;
  maxAbsCenti: number;
}

interface OrderState {
  market: string;
  side: number;
  remainingCenti: number;
}

/** Incremental: add records in journal order, then `figures(marks, endMs)` (may be called repeatedly). */
export class FiguresBuilder {
  private readonly markets = new Map<string, MarketState>();
  private readonly orders = new Map<string, OrderState>();
  private readonly ids = new JournalOrderKeys();
  private readonly feeByOrder = new Map<string, number>();
  private readonly seenFills = new Set<string>();
  private readonly takers = new Set<string>();
  private readonly takersFilled = new Set<string>();
  private startMs: number | null;
  private lastMs = 0;
  private fills = 0;
  private filledCenti = 0;
  private commands = 0;
  private ordersCreated = 0;
  private amends = 0;
  private cancels = 0;
  private rejectsLocal = 0;
  private rejectsVenue = 0;

  constructor(private readonly o: FiguresOptions) {
    if (!(o.capCenti > 0)) throw new Error(`figures: capCenti must be > 0, got ${o.capCenti}`);
    this.startMs = o.startMs ?? null;
    for (const m of o.markets) this.market(m);
  }

  private market(ticker: string): MarketState {
    let m = this.markets.get(ticker);
    if (!m) {
      m = { positionCenti: 0, lastMs: this.startMs ?? this.lastMs, resting: [0, 0, 0], atCapMs: 0, atCapQuotedMs: 0, netCenti: 0, cashMicro: 0n, lastFillPrice: 0, maxAbsCenti: 0 };
      this.markets.set(ticker, m);
    }
    return m;
  }

  /** Accrues a market's at-cap time up to `tMs` with the state it had since its last event. */
  private accrue(m: MarketState, tMs: number): void {
    const dt = tMs - m.lastMs;
    if (dt > 0) {
      const p = m.positionCenti;
      if (Math.abs(p) >= this.o.capCenti) {
        m.atCapMs += dt;
        if (m.resting[p > 0 ? ASK : BID] > 0) m.atCapQuotedMs += dt;
      }
    }
    if (tMs > m.lastMs) m.lastMs = tMs;
  }

  private setPosition(m: MarketState, positionCenti: number): void {
    m.positionCenti = positionCenti;
    m.maxAbsCenti = Math.max(m.maxAbsCenti, Math.abs(positionCenti));
  }

  private rest(key: string, o: OrderState | null): void {
    const old = this.orders.get(key);
    if (old) this.markets.get(old.market)!.resting[old.side]--;
    if (o && o.remainingCenti > 0 && (o.side === BID || o.side === ASK)) {
      this.orders.set(key, o);
      this.market(o.market).resting[o.side]++;
    } else this.orders.delete(key);
  }

  add(rec: JournalRecord, tMs: number = rec.t ?? 0): void {
    if (this.startMs === null) {
      this.startMs = tMs;
      for (const m of this.markets.values()) m.lastMs = tMs;
    }
    if (tMs > this.lastMs) this.lastMs = tMs;
    switch (rec.k) {
      case 'cmd': {
        this.commands++;
        for (const c of rec.orders ?? []) {
          const kind = c.kind ?? 0;
          if (kind === CK.PLACE) {
            this.ordersCreated++;
            if (c.taker) this.takers.add(c.clientOrderId ?? '');
          } else if (kind === CK.AMEND || kind === CK.DECREASE) this.amends++;
          else if (kind === CK.CANCEL || kind === CK.CANCEL_ALL) this.cancels++;
        }
        return;
      }
      case 'rej': {
        const code = rec.code ?? 0;
        const local = LOCAL_CODES.has(code) || ((rec.coid ?? '') === '' && (rec.oid ?? '') === '' && (rec.kind ?? 0) === CK.PLACE);
        if (local) this.rejectsLocal++;
        else this.rejectsVenue++;
        const key = this.ids.keyOf(rec.coid ?? '', rec.oid ?? '');
        // a refused placement, or an order the venue no longer knows, rests nowhere
        if (key && ((rec.kind ?? 0) === CK.PLACE || code === RC.NOT_FOUND) && !rec.uncertain) {
          const m = this.markets.get(this.orders.get(key)?.market ?? '');
          if (m) this.accrue(m, tMs);
          this.rest(key, null);
        }
        return;
      }
      case 'ack': {
        const market = rec.market ?? '';
        const key = this.ids.keyOf(rec.coid ?? '', rec.oid ?? '');
        if (!key || !market) return;
        this.ids.learn(rec.oid, rec.coid);
        this.accrue(this.market(market), tMs);
        const resting = rec.status === kmm.v1.OrderStatus.RESTING;
        this.rest(key, resting ? { market, side: rec.side ?? 0, remainingCenti: Number(rec.remainingCenti ?? 0) } : null);
        return;
      }
      case 'pos': {
        const m = this.market(rec.market ?? '');
        this.accrue(m, tMs);
        this.setPosition(m, Number(rec.positionCenti ?? 0));
        return;
      }
      case 'fill': {
        const id = `${rec.tradeId ?? ''}|${rec.oid ?? ''}|${rec.coid ?? ''}`;
        if (rec.tradeId && this.seenFills.has(id)) return;
        if (rec.tradeId) this.seenFills.add(id);
        const m = this.market(rec.market ?? '');
        this.accrue(m, tMs);
        const q = Number(rec.countCenti ?? 0);
        const p = rec.yesPrice ?? 0;
        const s = rec.side === BID ? 1 : rec.side === ASK ? -1 : 0;
        if (s === 0) throw new Error(`figures: fill ${rec.tradeId} in ${rec.market} has no side`);
        this.fills++;
        this.filledCenti += q;
        m.netCenti += s * q;
        m.cashMicro -= BigInt(s) * BigInt(p) * BigInt(q);
        m.lastFillPrice = p;
        const orderKey = rec.oid || rec.coid || id;
        this.feeByOrder.set(orderKey, (this.feeByOrder.get(orderKey) ?? 0) + Number(rec.feeMoney ?? 0));
        const key = this.ids.keyOf(rec.coid ?? '', rec.oid ?? '');
        if (this.takers.has(key)) this.takersFilled.add(key);
        const o = this.orders.get(key);
        if (o) this.rest(key, { ...o, remainingCenti: o.remainingCenti - q });
        this.setPosition(m, rec.postPositionCenti !== undefined && rec.postPositionCenti !== null ? Number(rec.postPositionCenti) : m.positionCenti + s * q);
        return;
      }
      default:
        return;
    }
  }

  /**
   * The figures at `endMs` (default: the last record's time). `marks`: market -> price (1e-4 $),
   * its settlement price if settled, else its last mid; a market with fills and no mark is marked
   * at its last fill price and counted in `marketsUnmarked`.
   */
  figures(marks: ReadonlyMap<string, number>, endMs: number = this.lastMs): RunFigures {
    let grossMicro = 0n;
    let unmarked = 0;
    let atCapMs = 0;
    let atCapQuotedMs = 0;
    let maxAbs = 0;
    const start = this.startMs ?? endMs;
    for (const [ticker, m] of this.markets) {
      this.accrue(m, endMs);
      atCapMs += m.atCapMs;
      atCapQuotedMs += m.atCapQuotedMs;
      maxAbs = Math.max(maxAbs, m.maxAbsCenti);
      if (m.netCenti === 0 && m.cashMicro === 0n) continue;
      let mark = marks.get(ticker);
      if (mark === undefined || !(mark >= 0)) {
        mark = m.lastFillPrice;
        unmarked++;
      }
      grossMicro += m.cashMicro + BigInt(m.netCenti) * BigInt(mark);
    }
    let feesMoney = 0;
    for (const f of this.feeByOrder.values()) feesMoney += Math.ceil(f / MONEY_PER_CENT) * MONEY_PER_CENT;
    const marketMs = Math.max(0, endMs - start) * this.markets.size;
    const pct = (a: number, b: number): number | null => (b > 0 ? Math.round((a / b) * 1000) / 10 : null);
    const grossCents = centsOfMicro(grossMicro);
    const feeCents = feesMoney / MONEY_PER_CENT;
    return {
      netPnl: (grossCents - feeCents) / 100,
      grossPnl: grossCents / 100,
      feesPaid: feeCents / 100,
      fills: this.fills,
      contractsFilled: this.filledCenti / 100,
      commands: this.commands,
      ordersCreated: this.ordersCreated,
      amends: this.amends,
      cancels: this.cancels,
      rejectsLocal: this.rejectsLocal,
      rejectsVenue: this.rejectsVenue,
      takerFired: this.takers.size,
      takerExecuted: this.takersFilled.size,
      atCapPct: pct(atCapMs, marketMs),
      atCapReducingQuotedPct: pct(atCapQuotedMs, atCapMs),
      maxAbsPosition: maxAbs / 100,
      marketsUnmarked: unmarked,
    };
  }
}

/** 1e-6 $ -> whole cents, half away from zero (so +x and -x round alike). */
function centsOfMicro(micro: bigint): number {
  const neg = micro < 0n;
  const a = neg ? -micro : micro;
  const c = Number((a + 5_000n) / 10_000n);
  return neg ? -c : c;
}

/** Figures of a whole journal (convenience for readers of a finished run). */
export function figuresOf(records: readonly JournalRecord[], o: FiguresOptions, marks: ReadonlyMap<string, number>, endMs?: number): RunFigures {
  const b = new FiguresBuilder(o);
  for (const r of records) b.add(r);
  return b.figures(marks, endMs);
}
