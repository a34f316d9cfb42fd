/**
 * OthersBook: turns a recorded capture's public book into the book of the *other* participants,
 * by taking the recorded run's own resting orders out of it. A capture of one of our runs shows
 * our own orders in the public book; a backtest that replays it must not let its strategy (or its
 * simulated venue) see them: it places its own orders instead.
 *
 * In:  the recorded frames in order (parsed: snapshot, delta, trade, fill, user_order, ...).
 * Out: for each one, the frames the backtest's market sees, in order:
 *   - a snapshot: the snapshot of others' levels (recorded level minus our size, clipped at 0);
 *   - a delta: the change of others' size at that level (none when the change was ours alone),
 *     never tagged with a client order id (the backtest's cores must not take it for theirs);
 *   - our own frames (fill, user_order, market_position) are consumed here and may yield
 *     deltas: our size at a level changed while the recorded level did not (a fill or a cancel
 *     learnt after the book's decrease);
 *   - every other frame passes unchanged.
 * Sequence numbers of each book subscription are renumbered so that the frames out are gapless
 * exactly where the frames in were (dropped and added deltas shift the later ones).
 *
 * What counts as ours, with the live book worker's rules (OwnLevels, packages/book-worker):
 *   - deltas the venue tagged with a client order id (Kalshi tags deltas our account caused):
 *     OwnLevels.onTaggedDelta; our maker fills shrink the order (OwnLevels.onFill); a terminal
 *     user_order ends it (OwnLevels.end: its size stays ours until the book's decrease); a
 *     snapshot clips (OwnLevels.clipTo);
 *   - orders never seen in a tagged delta (a venue that does not tag): their size is the
 *     remaining count of their latest user_order frame, reduced by maker fills in between. If a
 *     tagged delta of such an order arrives later, the tag rules take it over (counted once).
 * Our maker fills: the venue sends the book's (untagged) decrease at our order's level before
 * the fill frame. Live, the book worker's figure is off by the fill between the two; here the
 * whole capture is known, so `attributeOwnFills` (a pass over the capture before the replay)
 * finds the decrease each fill came with (the latest decrease at the fill's level, at most
 * FILL_AFTER_DELTA_MS before it) and that decrease takes our size off at once: others' size
 * never flickers by our fills (a strategy that saw it would pause a book, e.g. as one-sided, that
 * the live one never saw that way). The fill frame then takes off only what is left.
 *
 * Pure and deterministic. Allocation: per frame out; per market the level maps (<= the price grid).
 */
import { kmm, ONE_DOLLAR } from '@kmm/shared';
import type { DeltaFrame, Frame, SnapshotFrame } from '@kmm/ingest-worker/core';
import { OwnLevels } from '@kmm/book-worker/core';

const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;
const YES = kmm.v1.LegSide.YES;
const NO = kmm.v1.LegSide.NO;
const RESTING = kmm.v1.OrderStatus.RESTING;

/** A fill frame of the recorded run this long after a decrease at its level took the decrease (ms). */
export const FILL_AFTER_DELTA_MS = 50;

/** The recorded run's maker fills found in a capture beforehand (attributeOwnFills). */
export interface OwnFills {
  /** recorded deltas that were (in part) our fills */
  deltas: Map<Frame, OwnFillPart[]>;
  /** fill frames -> the part of them their delta took already (centi) */
  taken: Map<Frame, number>;
}

/** Part of a recorded delta that was one of the recorded run's maker fills. */
export interface OwnFillPart {
  /** client order id, else order id, of the filled order */
  order: string;
  side: number;
  yesPrice: number;
  centi: number;
}

/** level key in leg terms: leg * 100,000 + leg price */
const legKey = (leg: number, legPrice: number): number => leg * 100_000 + legPrice;
const legOf = (k: number): number => Math.floor(k / 100_000);
const priceOf = (k: number): number => k % 100_000;
/** our order's level (book side, YES price) as the book's leg key */
const keyOfOrder = (side: number, yesPrice: number): number => (side === BID ? legKey(YES, yesPrice) : legKey(NO, ONE_DOLLAR - yesPrice));

/** What a book delta changes, as a key: market, leg, leg price and size (centi). */
export function deltaKey(market: string, leg: number, legPrice: number, deltaCenti: number): string {
  return `${market}|${leg}|${legPrice}|${deltaCenti}`;
}

/** The deltaKey of the book delta that reports a change of `deltaCenti` to our order (side, yes price) in `market`. */
export function ownDeltaKey(market: string, side: number, yesPrice: number, deltaCenti: number): string {
  const k = keyOfOrder(side, yesPrice);
  return deltaKey(market, legOf(k), priceOf(k), deltaCenti);
}

interface UntaggedOrder {
  side: number;
  price: number;
  centi: number;
}

class MarketOwn {
  /** recorded level sizes (leg key -> centi) */
  readonly recorded = new Map<number, number>();
  /** others' sizes as last sent out (leg key -> centi) */
  readonly sent = new Map<number, number>();
  readonly tagged = new OwnLevels();
  /** client order ids seen in tagged deltas (their size is OwnLevels') */
  readonly taggedIds = new Set<string>();
  /** orders known only from user_order frames, by client order id (else order id) */
  readonly untagged = new Map<string, UntaggedOrder>();
  /** the backtest's own resting size per level (inject), on top of others' in the frames out */
  readonly injected = new Map<number, number>();
  sid = -1;

  ownAt(k: number): number {
    const leg = legOf(k);
    const p = priceOf(k);
    const side = leg === YES ? BID : ASK;
    const yes = leg === YES ? p : ONE_DOLLAR - p;
    let s = this.tagged.levelCenti(side, yes);
    for (const o of this.untagged.values()) if (o.side === side && o.price === yes) s += o.centi;
    return s;
  }

  get hasOwn(): boolean {
    return !this.tagged.empty || this.untagged.size > 0;
  }

  othersAt(k: number): number {
    const r = this.recorded.get(k) ?? 0;
    if (!this.hasOwn) return r;
    const v = r - this.ownAt(k);
    return v > 0 ? v : 0;
  }

  /**
   * Others' size as the backtest's book shows it: 0 at a level that would lock or cross one of
   * the backtest's own resting orders (others' ask at or below our bid, others' bid at or above
   * our ask). The recorded participants placed it where our order did not rest; against ours a
   * post-only order is refused (the simulator's liquidity is post-only) and a crossing one fills
   * us (the venue does that): either way no live book ever shows it next to our order.
   */
  visibleAt(k: number): number {
    const v = this.othersAt(k);
    if (v <= 0 || this.injected.size === 0) return v;
    const p = priceOf(k);
    if (legOf(k) === NO) return ONE_DOLLAR - p <= this.ourBestBid() ? 0 : v;
    const ask = this.ourBestAsk();
    return ask > 0 && p >= ask ? 0 : v;
  }

  /** the backtest's own best resting bid, YES price (0 = none) */
  ourBestBid(): number {
    let best = 0;
    for (const [k, c] of this.injected) if (c > 0 && legOf(k) === YES && priceOf(k) > best) best = priceOf(k);
    return best;
  }

  /** the backtest's own best resting ask, YES price (0 = none) */
  ourBestAsk(): number {
    let best = 0;
    for (const [k, c] of this.injected) if (c > 0 && legOf(k) === NO && (best === 0 || ONE_DOLLAR - priceOf(k) < best)) best = ONE_DOLLAR - priceOf(k);
    return best;
  }
}

export interface OthersBookStats {
  /** recorded deltas that were our own size only (not sent) */
  ownDeltasDropped: number;
  /** deltas sent for a change of our size alone */
  deltasAdded: number;
  /** own frames (fill, user_order, market_position) consumed */
  ownFrames: number;
}

export class OthersBook {
  private readonly markets = new Map<string, MarketOwn>();
  /** fills of ours found in advance (attributeOwnFills); empty: each fill counts at its frame */
  constructor(private readonly ownFills: OwnFills = { deltas: new Map(), taken: new Map() }) {}

  /** per book sid: seq out - seq in (deltas dropped and added so far) */
  private readonly shift = new Map<number, number>();
  /** per book sid: the last seq sent */
  private readonly lastSeq = new Map<number, number>();
  readonly stats: OthersBookStats = { ownDeltasDropped: 0, deltasAdded: 0, ownFrames: 0 };

  private mkt(market: string): MarketOwn {
    let m = this.markets.get(market);
    if (!m) {
      m = new MarketOwn();
      this.markets.set(market, m);
    }
    return m;
  }

  /** Our size (recorded run) at a level, in book terms; for tests and reports. */
  ownCenti(market: string, side: number, yesPrice: number): number {
    return this.markets.get(market)?.ownAt(keyOfOrder(side, yesPrice)) ?? 0;
  }

  /** One recorded frame -> the frames of the others' market (see the module comment). */
  process(f: Frame): Frame[] {
    switch (f.kind) {
      case 'snapshot':
        return [this.snapshot(f)];
      case 'delta':
        return this.delta(f);
      case 'fill':
      case 'user_order':
      case 'market_position':
        this.stats.ownFrames++;
        return this.own(f);
      case 'subscribed':
        // a new subscription numbers its frames from the start
        this.shift.delete(f.sid);
        this.lastSeq.delete(f.sid);
        return [f];
      default:
        return [this.renumbered(f)];
    }
  }

  /** A frame on a book sid keeps its place in the renumbered sequence. */
  private renumbered(f: Frame): Frame {
    const fs = f as { sid?: number; seq?: number };
    if (typeof fs.sid !== 'number' || typeof fs.seq !== 'number' || fs.seq < 0) return f;
    const sh = this.shift.get(fs.sid);
    if (sh === undefined) return f;
    const seq = fs.seq + sh;
    this.lastSeq.set(fs.sid, seq);
    if (sh === 0) return f;
    const body = (f as { body?: { seq?: unknown } }).body;
    return (body && body.seq !== undefined ? { ...f, seq, body: { ...body, seq } } : { ...f, seq }) as Frame;
  }

  private snapshot(f: SnapshotFrame): Frame {
    const m = this.mkt(f.market);
    m.sid = f.sid;
    if (!this.shift.has(f.sid)) this.shift.set(f.sid, 0);
    m.recorded.clear();
    for (const l of f.body.yesBids ?? []) if ((l.countCenti ?? 0) > 0) m.recorded.set(legKey(YES, l.price ?? 0), Number(l.countCenti));
    for (const l of f.body.noBids ?? []) if ((l.countCenti ?? 0) > 0) m.recorded.set(legKey(NO, l.price ?? 0), Number(l.countCenti));
    const levelSize = (side: number, yes: number): number => m.recorded.get(keyOfOrder(side, yes)) ?? 0;
    m.tagged.clipTo(levelSize);
    for (const o of m.untagged.values()) o.centi = Math.min(o.centi, levelSize(o.side, o.price));
    m.sent.clear();
    const yesBids: kmm.v1.IPriceLevel[] = [];
    const noBids: kmm.v1.IPriceLevel[] = [];
    for (const k of [...m.recorded.keys()].sort((a, b) => a - b)) {
      const v = m.visibleAt(k);
      if (v <= 0) continue;
      m.sent.set(k, v);
      (legOf(k) === YES ? yesBids : noBids).push({ price: priceOf(k), countCenti: v });
    }
    const out = this.renumbered(f) as SnapshotFrame;
    if (!m.hasOwn && m.injected.size === 0) return out;
    if (m.injected.size > 0) {
      // the backtest's own orders rest in the book it shows, as a venue's book shows ours
      const all = new Map(m.sent);
      for (const [k, c] of m.injected) all.set(k, (all.get(k) ?? 0) + c);
      yesBids.length = 0;
      noBids.length = 0;
      for (const k of [...all.keys()].sort((a, b) => a - b)) (legOf(k) === YES ? yesBids : noBids).push({ price: priceOf(k), countCenti: all.get(k)! });
    }
    return { ...out, body: { ...out.body, yesBids, noBids, seq: out.seq } };
  }

  private delta(f: DeltaFrame): Frame[] {
    const m = this.mkt(f.market);
    if (m.sid < 0) m.sid = f.sid;
    if (!this.shift.has(f.sid)) this.shift.set(f.sid, 0);
    const b = f.body;
    const leg = b.leg ?? YES;
    const legPrice = b.price ?? 0;
    const d = Number(b.deltaCenti ?? 0);
    const k = legKey(leg, legPrice);
    const r = (m.recorded.get(k) ?? 0) + d;
    if (r > 0) m.recorded.set(k, r);
    else m.recorded.delete(k);
    const coid = b.clientOrderId ?? '';
    const hadOwn = m.hasOwn;
    if (coid !== '') {
      const side = leg === YES ? BID : ASK;
      const yes = leg === YES ? legPrice : ONE_DOLLAR - legPrice;
      // an order first known from its user_order frame: the tag rules take it over
      if (d > 0) {
        m.untagged.delete(coid);
        m.taggedIds.add(coid);
      }
      m.tagged.onTaggedDelta(coid, side, yes, d);
    }
    // an ended order's size the venue never took off is let go as the live book lets it go
    // (OWN_ENDED_HOLD_MS after its end, on the venue's clock)
    if (f.tsMs > 0) m.tagged.expireEnded(f.tsMs * 1e6);
    const parts = this.ownFills.deltas.get(f);
    if (parts) for (const x of parts) this.ownFill(m, x.order, x.side, x.yesPrice, x.centi);
    if (!hadOwn && !m.hasOwn && m.injected.size === 0) {
      // nothing of ours in this market (recorded or the backtest's): others' book is the recorded one
      if (r > 0) m.sent.set(k, r);
      else m.sent.delete(k);
      const out = this.renumbered(f) as DeltaFrame;
      return [coid === '' ? out : { ...out, body: { ...out.body, clientOrderId: '' } }];
    }
    // the frame's own slot in the sequence is taken by the first change sent, if any
    return this.diff(m, f, f.seq, 1);
  }

  /** Our own frames: they change our size, so maybe others' visible size. */
  private own(f: Frame): Frame[] {
    const m = this.markets.get((f as { market?: string }).market ?? '');
    if (!m) return [];
    if (f.kind === 'fill') {
      const b = f.body;
      if (b.isTaker) return [];
      // what its book decrease took already (attributeOwnFills) is not taken twice
      const taken = this.ownFills.taken.get(f) ?? 0;
      const count = Number(b.countCenti ?? 0) - taken;
      if (count <= 0) return [];
      this.ownFill(m, (b.clientOrderId ?? '') || (b.orderId ?? ''), b.side ?? BID, b.yesPrice ?? 0, count, b.orderId ?? '');
    } else if (f.kind === 'user_order') {
      const a = f.body;
      const coid = a.clientOrderId ?? '';
      const key = coid || (a.orderId ?? '');
      if (key === '') return [];
      const resting = a.status === RESTING && Number(a.remainingCenti ?? 0) > 0;
      if (coid !== '' && m.taggedIds.has(coid)) {
        // the size the book still shows stays the run's own until its decrease (a fill of it
        // after this frame still finds it: taggedIds keeps the id), at most OWN_ENDED_HOLD_MS of
        // the venue's clock (a frame without a venue time: until a snapshot)
        if (!resting) m.tagged.end(coid, (f.tsMs ?? 0) > 0 ? f.tsMs * 1e6 : Number.MAX_SAFE_INTEGER);
      } else if (resting) m.untagged.set(key, { side: a.side ?? 0, price: a.price ?? 0, centi: Number(a.remainingCenti) });
      else m.untagged.delete(key);
    } else return [];
    if (m.sid < 0) return [];
    return this.diff(m, f, -1, 0);
  }

  /**
   * The backtest's own order changed size at a level (book side, YES price): the delta its venue
   * would send, tagged with our client order id when our own command caused it (placement,
   * amend, decrease, cancel) and untagged when a fill did (the taker's); then the changes of
   * others' levels our order now hides or no longer hides (visibleAt). None while the market has
   * no book yet (its snapshot will hold the size).
   */
  inject(market: string, side: number, yesPrice: number, deltaCenti: number, clientOrderId: string, tsMs: number): Frame[] {
    const m = this.mkt(market);
    const k = keyOfOrder(side, yesPrice);
    const v = (m.injected.get(k) ?? 0) + deltaCenti;
    if (v > 0) m.injected.set(k, v);
    else m.injected.delete(k);
    if (m.sid < 0 || this.lastSeq.get(m.sid) === undefined || deltaCenti === 0) return [];
    const ownDelta = (): Frame => {
      const sid = m.sid;
      const seq = (this.lastSeq.get(sid) as number) + 1;
      this.lastSeq.set(sid, seq);
      this.shift.set(sid, (this.shift.get(sid) ?? 0) + 1);
      return { kind: 'delta', sid, seq, tsMs, market, body: { market, leg: legOf(k), price: priceOf(k), deltaCenti, clientOrderId, sid, seq } };
    };
    // others' levels a new order of ours would lock go before it; those an order that goes no
    // longer hides come after it: the book never shows ours locked with others'
    const masked = (): Frame[] => this.diff(m, { kind: 'delta', market, tsMs } as Frame, -1, 0);
    if (deltaCenti > 0) {
      const hide = masked();
      return [...hide, ownDelta()];
    }
    const own = ownDelta();
    return [own, ...masked()];
  }

  /** One of our maker fills takes `centi` off the order's size at its level. */
  private ownFill(m: MarketOwn, order: string, side: number, yesPrice: number, centi: number, orderId = ''): void {
    if (m.taggedIds.has(order)) {
      m.tagged.onFill(order, side, yesPrice, centi);
      return;
    }
    const o = m.untagged.get(order) ?? (orderId ? m.untagged.get(orderId) : undefined);
    if (o && o.side === side && o.price === yesPrice) o.centi = Math.max(0, o.centi - centi);
  }

  /**
   * Deltas for every level whose others' size differs from what was last sent. `inSeq` >= 0: the
   * recorded delta whose place in the sequence the first of them takes (`slots` = 1); -1: added.
   */
  private diff(m: MarketOwn, f: Frame, inSeq: number, slots: number): Frame[] {
    const keys = new Set<number>([...m.recorded.keys(), ...m.sent.keys()]);
    const changes: Array<[number, number]> = [];
    for (const k of [...keys].sort((a, b) => a - b)) {
      const v = m.visibleAt(k);
      const was = m.sent.get(k) ?? 0;
      if (v !== was) changes.push([k, v - was]);
      if (v > 0) m.sent.set(k, v);
      else m.sent.delete(k);
    }
    const sid = m.sid;
    let shift = this.shift.get(sid) ?? 0;
    let seq = inSeq >= 0 ? inSeq + shift - 1 : (this.lastSeq.get(sid) ?? -1);
    if (seq < 0) return []; // no book frame sent yet on this sid: the snapshot will carry it
    shift += changes.length - slots;
    this.shift.set(sid, shift);
    if (changes.length < slots) this.stats.ownDeltasDropped += slots - changes.length;
    if (changes.length > slots) this.stats.deltasAdded += changes.length - slots;
    const market = (f as { market: string }).market;
    const tsMs = (f as { tsMs?: number }).tsMs ?? 0;
    const out: Frame[] = [];
    for (const [k, dc] of changes) {
      seq++;
      out.push({ kind: 'delta', sid, seq, tsMs, market, body: { market, leg: legOf(k), price: priceOf(k), deltaCenti: dc, sid, seq } });
    }
    if (out.length > 0) this.lastSeq.set(sid, seq);
    else if (inSeq >= 0) this.lastSeq.set(sid, inSeq + shift);
    return out;
  }
}

/**
 * Which recorded deltas were the recorded run's own maker fills (see the module comment): for
 * each maker fill frame, the latest decrease at its level in its market, at most
 * FILL_AFTER_DELTA_MS before it, takes up to the fill's count. Keyed by the delta frame object.
 */
export function attributeOwnFills(frames: ReadonlyArray<{ frame: Frame; recvMs: number }>): OwnFills {
  const out: OwnFills = { deltas: new Map(), taken: new Map() };
  /** market -> level key -> the latest decrease: frame, time, size not yet attributed */
  const last = new Map<string, Map<number, { frame: Frame; atMs: number; leftCenti: number }>>();
  for (const { frame: f, recvMs } of frames) {
    if (f.kind === 'delta') {
      const d = Number(f.body.deltaCenti ?? 0);
      if (d >= 0 || (f.body.clientOrderId ?? '') !== '') continue;
      let m = last.get(f.market);
      if (!m) {
        m = new Map();
        last.set(f.market, m);
      }
      m.set(legKey(f.body.leg ?? YES, f.body.price ?? 0), { frame: f, atMs: recvMs, leftCenti: -d });
    } else if (f.kind === 'fill' && !f.body.isTaker) {
      const b = f.body;
      const side = b.side ?? BID;
      const yes = b.yesPrice ?? 0;
      const dec = last.get(f.market)?.get(keyOfOrder(side, yes));
      if (!dec || recvMs - dec.atMs > FILL_AFTER_DELTA_MS || dec.leftCenti <= 0) continue;
      const centi = Math.min(dec.leftCenti, Number(b.countCenti ?? 0));
      if (centi <= 0) continue;
      dec.leftCenti -= centi;
      const parts = out.deltas.get(dec.frame) ?? [];
      parts.push({ order: (b.clientOrderId ?? '') || (b.orderId ?? ''), side, yesPrice: yes, centi });
      out.deltas.set(dec.frame, parts);
      out.taken.set(f, centi);
    }
  }
  return out;
}
