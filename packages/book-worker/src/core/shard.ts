/**
 * One book shard's core: the books, features and queue estimators of the markets routed to it.
 *
 * In:  from ingest  BookSnapshot, BookDelta, PublicTrade, MarketTrust, Lifecycle, MarketInfo,
 *                   Control REMOVE_MARKETS
 *      from exec    OrderAck, Fill, WorkingOrders (exchange queue positions)
 * Out: strategy <- BookFeatures (conflated: at most one per market per flush)
 *      ingest   <- MarketTrust UNTRUSTED 'book_invalid:*' when an apply fails (asks for a resync)
 *      strategy <- the same MarketTrust, so quoting stops at once
 * Time: `nowNs` is the causing frame's receive time (header.recv_mono_ns) when present, so
 * replays give the same features.
 *
 * Features use the other participants' book only: our resting size per level (own.ts, learnt from
 * our tagged book deltas, Fill, OrderAck and WorkingOrders) is subtracted from the levels the
 * features read; the queue estimator and bids_top/asks_top/best_bid/best_ask use the full book.
 * A change of our size alone updates the features only if the others' touch moved (it does not
 * when the book and exec agree), so features do not depend on our own order traffic.
 *
 * Trust in BookFeatures = UNTRUSTED while the book is invalid, otherwise ingest's last word
 * (UNTRUSTED until ingest says TRUSTED). Deltas are not applied to an invalid book; the next
 * snapshot makes it valid again.
 */
import { kmm, validateLiveChange, type EnvelopeBody, type KmmConfig, type PriceBand } from '@kmm/shared';
import { MarketBook, type ApplyStatus } from './book.js';
import { FeatureEngine, featureParamsOf, type FeatureParams } from './features.js';
import { OwnLevels } from './own.js';
import { QueueEstimator } from './queue.js';

const TrustState = kmm.v1.TrustState;
const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;
const YES = kmm.v1.LegSide.YES;

export type BookLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface BookSink {
  send(peer: string, body: EnvelopeBody): void;
  log(level: BookLogLevel, event: string, fields: Record<string, unknown>): void;
  stat(name: string, delta?: number): void;
  setStat(name: string, value: number): void;
}

export interface BookParams {
  features: FeatureParams;
  /** reset the queue estimate to the exchange's position after measuring the error */
  queueCalibrate: boolean;
  /** limit on books per shard; a new market beyond it is refused with an error event */
  marketsMax: number;
  /** the effective configuration these params were derived from (CONFIG_UPDATE merges into it) */
  config: Readonly<KmmConfig>;
}

/** A shard's parameters from a validated configuration (no checks: the registry did them). */
export function bookParamsOf(cfg: Readonly<KmmConfig>): BookParams {
  return { features: featureParamsOf(cfg), queueCalibrate: cfg.kmm_queue_calibrate, marketsMax: cfg.kmm_book_markets_max, config: cfg };
}

export interface MarketEntry {
  readonly market: string;
  readonly book: MarketBook;
  readonly features: FeatureEngine;
  readonly queue: QueueEstimator;
  /** our resting size per level, subtracted for the features */
  readonly own: OwnLevels;
  trust: kmm.v1.TrustState;
  trustReason: string;
  dirty: boolean;
  lastNs: number;
  /** when we last asked ingest for a snapshot of this market (0: not asked since the last good one) */
  resyncAskedNs: number;
}

/** A book without a snapshot (e.g. a freshly restarted shard) asks ingest again after this long. */
const RESYNC_ASK_INTERVAL_NS = 5_000_000_000;

export interface QueueErrorStats {
  samples: number;
  absErrorSumCenti: number;
  maxAbsErrorCenti: number;
  lastErrorCenti: number;
}

function bandsOf(info: kmm.v1.IMarketInfo | kmm.v1.ILifecycle): PriceBand[] | null {
  const r = info.priceRanges;
  if (!r || r.length === 0) return null;
  const out: PriceBand[] = [];
  for (const b of r) out.push({ startPrice: Math.max(b.startPrice ?? 0, 0), endPrice: b.endPrice ?? 0, stepPrice: b.stepPrice ?? 0 });
  return out;
}

export class BookShardCore {
  readonly entries = new Map<string, MarketEntry>();
  private readonly bands = new Map<string, PriceBand[]>();
  private readonly dirtyList: MarketEntry[] = [];
  readonly queueErrors: QueueErrorStats = { samples: 0, absErrorSumCenti: 0, maxAbsErrorCenti: 0, lastErrorCenti: 0 };

  constructor(
    private params: BookParams,
    private readonly sink: BookSink,
    markets: readonly kmm.v1.IMarketInfo[] = [],
  ) {
    for (const m of markets) this.onMarketInfo(m);
  }

  entry(market: string): MarketEntry | undefined {
    return this.entries.get(market);
  }

  private ensure(market: string): MarketEntry | undefined {
    let e = this.entries.get(market);
    if (e !== undefined) return e;
    if (this.entries.size >= this.params.marketsMax) {
      this.sink.stat('markets_refused');
      this.sink.log('error', 'book_markets_limit', { market, limit: this.params.marketsMax });
      return undefined;
    }
    const book = new MarketBook(market, this.bands.get(market));
    e = {
      market,
      book,
      features: new FeatureEngine(this.params.features),
      queue: new QueueEstimator((side, price) => book.sizeAt(side, price)),
      own: new OwnLevels(),
      trust: TrustState.UNTRUSTED,
      trustReason: 'awaiting_snapshot',
      dirty: false,
      lastNs: 0,
      resyncAskedNs: 0,
    };
    this.entries.set(market, e);
    return e;
  }

  private markDirty(e: MarketEntry): void {
    if (!e.dirty) {
      e.dirty = true;
      this.dirtyList.push(e);
    }
  }

  private failed(e: MarketEntry, status: ApplyStatus, what: string, wasValid: boolean): void {
    this.sink.stat('book_apply_errors');
    this.sink.log('warn', 'book_apply_error', { market: e.market, status, what });
    if (wasValid) {
      const body: EnvelopeBody = { marketTrust: { market: e.market, state: TrustState.UNTRUSTED, reason: `book_invalid:${status}`, sinceMonoNs: e.lastNs } };
      this.sink.send('ingest', body);
      this.sink.send('strategy', body);
      e.resyncAskedNs = e.lastNs > 0 ? e.lastNs : 1;
    }
    this.markDirty(e);
  }

  onSnapshot(s: kmm.v1.IBookSnapshot, nowNs: number): void {
    const e = this.ensure(s.market ?? '');
    if (e === undefined) return;
    e.lastNs = nowNs;
    const wasValid = e.book.valid;
    const st = e.book.applySnapshot(s.yesBids ?? [], s.noBids ?? []);
    if (st !== 'ok') return this.failed(e, st, 'snapshot', wasValid);
    e.resyncAskedNs = 0;
    e.queue.onSnapshot();
    e.own.clipTo(e.book.sizeAt.bind(e.book));
    this.updateFeatures(e, nowNs, false);
    this.markDirty(e);
  }

  onDelta(d: kmm.v1.IBookDelta, nowNs: number): void {
    const e = this.ensure(d.market ?? '');
    if (e === undefined) return;
    if (!e.book.valid) {
      this.sink.stat('deltas_on_invalid_book');
      // Deltas for a book we hold no snapshot of (a restarted shard, a lost snapshot): ask ingest
      // for one, again every RESYNC_ASK_INTERVAL_NS while they keep coming.
      if (e.resyncAskedNs === 0 || nowNs - e.resyncAskedNs >= RESYNC_ASK_INTERVAL_NS) {
        e.resyncAskedNs = nowNs > 0 ? nowNs : 1;
        this.sink.send('ingest', { marketTrust: { market: e.market, state: TrustState.UNTRUSTED, reason: 'book_without_snapshot', sinceMonoNs: nowNs } });
        this.sink.stat('resync_requests');
      }
      return;
    }
    e.lastNs = nowNs;
    const leg = d.leg ?? 0;
    const price = d.price ?? 0;
    const delta = Number(d.deltaCenti ?? 0);
    const st = e.book.applyDelta(leg, price, delta);
    if (st !== 'ok') return this.failed(e, st, `delta ${leg === YES ? 'yes' : 'no'} ${price} ${delta}`, true);
    const side = leg === YES ? BID : ASK;
    const yesPrice = leg === YES ? price : 10_000 - price;
    const coid = d.clientOrderId ?? '';
    e.queue.onLevelDelta(side, yesPrice, delta, e.book.sizeAt(side, yesPrice), coid);
    // A delta we caused changes our size, not the others': features move only if their touch did.
    // (So does letting go of an ended order's size the venue never took off: own.ts.)
    const expired = e.own.expireEnded(nowNs);
    const ownOnly = coid !== '' && e.own.onTaggedDelta(coid, side, yesPrice, delta) && !expired;
    this.updateFeatures(e, nowNs, ownOnly);
    this.markDirty(e);
  }

  onTrade(t: kmm.v1.IPublicTrade, nowNs: number): void {
    const e = this.ensure(t.market ?? '');
    if (e === undefined) return;
    const count = Number(t.countCenti ?? 0);
    const mid = e.features.mid;
    e.features.onTrade(t.yesPrice ?? 0, count, nowNs, mid > 0 ? e.book.grid.tickAt(mid) : 0);
    e.queue.onTrade(t.yesPrice ?? 0, count, t.takerBookSide ?? 0);
    this.markDirty(e);
  }

  onTrust(t: kmm.v1.IMarketTrust): void {
    const e = this.ensure(t.market ?? '');
    if (e === undefined) return;
    e.trust = t.state ?? TrustState.UNTRUSTED;
    e.trustReason = t.reason ?? '';
    this.markDirty(e);
  }

  onLifecycle(l: kmm.v1.ILifecycle): void {
    const e = this.entries.get(l.market ?? '');
    const bands = bandsOf(l);
    if (bands !== null) this.bands.set(l.market ?? '', bands);
    if (e === undefined) return;
    if (l.eventType === 'price_level_structure_updated' && bands !== null) {
      const wasValid = e.book.valid;
      const st = e.book.regrid(bands);
      if (st !== 'ok') this.failed(e, st, 'regrid', wasValid);
    }
    this.markDirty(e);
  }

  onMarketInfo(info: kmm.v1.IMarketInfo): void {
    const bands = bandsOf(info);
    if (info.market && bands !== null) {
      this.bands.set(info.market, bands);
      const e = this.entries.get(info.market);
      if (e !== undefined && !e.book.bandsKnown) {
        const wasValid = e.book.valid;
        const st = e.book.regrid(bands);
        if (st !== 'ok') this.failed(e, st, 'regrid', wasValid);
      }
    }
  }

  onRemove(markets: readonly string[]): void {
    for (const m of markets) {
      const e = this.entries.get(m);
      if (e !== undefined) e.dirty = false; // flush skips it
      this.entries.delete(m);
    }
  }

  /** The params in force (a live CONFIG_UPDATE replaces them). */
  get currentParams(): Readonly<BookParams> {
    return this.params;
  }

  /**
   * Control CONFIG_UPDATE (`json`: key -> value): the registry's liveSafe flags and bounds decide,
   * as in every actor (validateLiveChange); a refused update changes nothing and is logged. An
   * accepted one re-derives the params and hands the feature windows and thresholds to every
   * running market (FeatureEngine.setParams rescales the running sums); every market is flushed
   * so strategy sees the new regime at once. Returns the keys applied, or null when refused.
   */
  onConfigUpdate(json: string): string[] | null {
    let changed: unknown;
    try {
      changed = JSON.parse(json || '{}');
    } catch (err) {
      this.sink.log('error', 'book_config_rejected', { error: `invalid JSON: ${(err as Error).message}` });
      return null;
    }
    if (changed === null || typeof changed !== 'object' || Array.isArray(changed)) {
      this.sink.log('error', 'book_config_rejected', { error: 'expected a JSON object of key -> value' });
      return null;
    }
    const r = validateLiveChange(this.params.config, changed as Record<string, unknown>, 'control');
    if (!r.ok) {
      this.sink.log('error', 'book_config_rejected', { error: r.errors.map((e) => e.message).join('; ') });
      return null;
    }
    this.params = bookParamsOf(r.values);
    for (const e of this.entries.values()) {
      e.features.setParams(this.params.features);
      this.markDirty(e);
    }
    const keys = r.changes.map((c) => c.key);
    this.sink.log('info', 'book_config_updated', { keys });
    return keys;
  }

  onOrderAck(a: kmm.v1.IOrderAck, nowNs = 0): void {
    const e = this.ensure(a.market ?? '');
    if (e === undefined || !a.clientOrderId) return;
    const coid = a.clientOrderId;
    const q = e.queue;
    const status = a.status ?? 0;
    const kind = a.kind ?? 0;
    if (status === kmm.v1.OrderStatus.CANCELED || status === kmm.v1.OrderStatus.EXECUTED || kind === kmm.v1.CommandKind.CANCEL) {
      q.remove(coid);
      // what the book still shows of it stays ours until the book's own decrease (own.ts)
      e.own.end(coid, Math.max(nowNs, e.lastNs));
    } else if (status === kmm.v1.OrderStatus.RESTING) {
      const remaining = Number(a.remainingCenti ?? 0);
      const filled = Number(a.filledCenti ?? 0);
      if (q.orders.has(coid)) q.amend(coid, a.orderId ?? '', a.price ?? 0, remaining, filled);
      else q.place(coid, a.orderId ?? '', a.side ?? BID, a.price ?? 0, remaining, filled);
    }
    this.markDirty(e);
  }

  onFill(f: kmm.v1.IFill): void {
    const e = this.entries.get(f.market ?? '');
    if (e === undefined) return;
    let coid = f.clientOrderId ?? '';
    if (!coid && f.orderId) for (const o of e.queue.orders.values()) if (o.orderId === f.orderId) coid = o.clientOrderId;
    if (coid) {
      const count = Number(f.countCenti ?? 0);
      e.queue.onFill(coid, count);
      if (!f.isTaker && e.own.onFill(coid, f.side ?? BID, f.yesPrice ?? 0, count)) this.updateFeatures(e, e.lastNs, true);
    }
    this.markDirty(e);
  }

  onWorkingOrders(w: kmm.v1.IWorkingOrders, nowNs = 0): void {
    const e = this.ensure(w.market ?? '');
    if (e === undefined) return;
    const q = e.queue;
    const listed = w.orders ?? [];
    const seen = new Set<string>();
    for (const o of listed) {
      const coid = o.clientOrderId ?? '';
      if (!coid) continue;
      seen.add(coid);
      const exch = Number(o.exchangeAheadCenti ?? -1);
      if (!q.orders.has(coid)) {
        // Resting at the venue but never acked to us (restart, adoption): start from the exchange's word.
        const placed = q.place(coid, o.orderId ?? '', o.side ?? BID, o.price ?? 0, -1); // remaining size unknown here
        if (placed !== null && exch >= 0) placed.aheadCenti = exch;
        continue;
      }
      if (exch < 0) continue;
      const err = q.calibrate(coid, exch, this.params.queueCalibrate);
      if (err === null) continue;
      const abs = Math.abs(err);
      const s = this.queueErrors;
      s.samples++;
      s.absErrorSumCenti += abs;
      s.lastErrorCenti = err;
      if (abs > s.maxAbsErrorCenti) s.maxAbsErrorCenti = abs;
      this.sink.setStat('queue_estimate_error_centi', err);
      this.sink.setStat('queue_estimate_abs_error_centi_max', s.maxAbsErrorCenti);
      this.sink.setStat('queue_estimate_abs_error_centi_mean', Math.round(s.absErrorSumCenti / s.samples));
      this.sink.stat('queue_estimate_samples');
      this.sink.log(err === 0 ? 'debug' : 'info', 'queue_estimate_error', { market: e.market, clientOrderId: coid, estimateCenti: exch + err, exchangeCenti: exch, errorCenti: err });
    }
    for (const coid of [...q.orders.keys()]) if (!seen.has(coid)) q.remove(coid);
    e.own.retainOnly(seen, Math.max(nowNs, e.lastNs));
    this.markDirty(e);
  }

  /**
   * Feeds the others' touch (the book minus our size; a level that is only ours is skipped) to
   * the features. `ownOnly`: the change was to our size alone, so skip when the others' touch
   * did not move. Nothing on an invalid book. Allocation-free.
   */
  private updateFeatures(e: MarketEntry, nowNs: number, ownOnly: boolean): void {
    const b = e.book;
    if (!b.valid) return;
    let bid = 0;
    let bidC = 0;
    let ask = 0;
    let askC = 0;
    const prices = b.grid.prices;
    if (e.own.empty) {
      bid = b.bestBid();
      bidC = b.bestBidCenti();
      ask = b.bestAsk();
      askC = b.bestAskCenti();
    } else {
      for (let i = b.bestBidIdx; i >= 0; i--) {
        const c = b.bidCenti[i];
        if (c === 0) continue;
        const others = c - e.own.levelCenti(BID, prices[i]);
        if (others > 0) {
          bid = prices[i];
          bidC = others;
          break;
        }
      }
      if (b.bestAskIdx >= 0) {
        for (let i = b.bestAskIdx; i < prices.length; i++) {
          const c = b.askCenti[i];
          if (c === 0) continue;
          const others = c - e.own.levelCenti(ASK, prices[i]);
          if (others > 0) {
            ask = prices[i];
            askC = others;
            break;
          }
        }
      }
    }
    if (ownOnly && e.features.sameTop(bid, bidC, ask, askC)) return;
    e.features.onTop(bid, bidC, ask, askC, nowNs);
  }

  /** The BookFeatures message for a market as of now. */
  featuresOf(e: MarketEntry): kmm.v1.IBookFeatures {
    const b = e.book;
    const out: kmm.v1.IBookFeatures = {
      market: e.market,
      bestBid: b.bestBid(),
      bestBidCenti: b.bestBidCenti(),
      bestAsk: b.bestAsk(),
      bestAskCenti: b.bestAskCenti(),
      trust: b.valid ? e.trust : TrustState.UNTRUSTED,
      crossed: b.crossed,
      bookVersion: b.version,
      queue: e.queue.estimates(),
      bidsTop: b.topLevels(BID, this.params.features.topLevels),
      asksTop: b.topLevels(ASK, this.params.features.topLevels),
      totalBidCenti: b.totalBidCenti,
      totalAskCenti: b.totalAskCenti,
    };
    e.features.refreshVolume(e.lastNs);
    e.features.fill(out);
    return out;
  }

  /** Sends one BookFeatures per changed market to strategy. Returns how many were sent. */
  flush(): number {
    let n = 0;
    for (let i = 0; i < this.dirtyList.length; i++) {
      const e = this.dirtyList[i];
      if (!e.dirty) continue;
      e.dirty = false;
      this.sink.send('strategy', { bookFeatures: this.featuresOf(e) });
      n++;
    }
    this.dirtyList.length = 0;
    return n;
  }
}
