/**
 * The main thread's view of the running system, built only from what actors report to the
 * supervisor: Health (per-actor load), OpsEvents, and the monitor feed (book features,
 * target quotes, working orders, positions, fills, rejects). Feeds the dashboard, /metrics,
 * the live terminal summary and the end-of-run summary. Never on the hot path.
 *
 * Units: integers inside (price 1/10,000 $, count 1/100 contract, money 1/10,000 $);
 * the DashboardState it produces carries the venue's decimal strings.
 */
import { formatCount, formatMoney, formatPrice, kmm, ONE_DOLLAR } from '@kmm/shared';
import type { RunFigures, Scorecard } from '@kmm/exec-worker/core';
import type { DashboardEvent, DashboardEventRisk, DashboardMarket, DashboardScorecard, DashboardState, MetricsCounters } from '../dashboard/types.js';
import { scorecardRows } from '../report/scorecard-table.js';

/** Bounded memory: most recent events kept, most markets tracked. */
export const MONITOR_EVENTS_MAX = 500;
export const MONITOR_MARKETS_MAX = 10_000;
/** Health stats keys exec uses for tick-to-order latency (µs). */
const T2O_KEYS = ['tick_to_order_p50_us', 'tick_to_order_p99_us', 'tick_to_order_count'];

interface MarketView {
  ticker: string;
  features: kmm.v1.IBookFeatures | null;
  targets: kmm.v1.ITargetQuotes | null;
  working: kmm.v1.IWorkingOrders | null;
  positionCenti: number;
  exposureMoney: number;
  realizedMoney: number;
  fills: number;
  blocks: Map<string, string>;
  trust: string;
}

/**
 * summary.json and the terminal summary: the run's figures (defined once, from the journal:
 * FiguresBuilder in @kmm/exec-worker/core; the README's table says what each means) plus
 * what only the monitor sees.
 */
export interface RunSummary extends RunFigures {
  mode: string;
  markets: number;
  marketsWithFills: number;
  tickToOrderUs: { p50: number | null; p99: number | null; samples: number };
  restarts: number;
  durationS: number;
}

export class Monitor {
  private readonly markets = new Map<string, MarketView>();
  private readonly events: DashboardEvent[] = [];
  private readonly health = new Map<string, kmm.v1.IHealth>();
  private readonly rejectsByCode: Record<string, number> = {};
  private tradingEnabled = true;
  private readOnlyReason: string | undefined;
  private breached: string[] = [];
  quotingPaused = false;
  restarts = 0;
  private readonly startedMs = Date.now();

  constructor(
    readonly mode: string,
    private readonly onDecision?: (record: Record<string, unknown>) => void,
  ) {}

  private market(ticker: string): MarketView {
    let m = this.markets.get(ticker);
    if (!m) {
      if (this.markets.size >= MONITOR_MARKETS_MAX) throw new Error(`monitor: more than ${MONITOR_MARKETS_MAX} markets`);
      m = { ticker, features: null, targets: null, working: null, positionCenti: 0, exposureMoney: 0, realizedMoney: 0, fills: 0, blocks: new Map(), trust: 'UNTRUSTED' };
      this.markets.set(ticker, m);
    }
    return m;
  }

  addMarkets(infos: kmm.v1.IMarketInfo[]): void {
    for (const i of infos) if (i.market) this.market(i.market);
  }

  onHealth(h: kmm.v1.IHealth): void {
    if (h.actor) this.health.set(h.actor, h);
  }

  onOps(ev: { actor?: string; event: string; market?: string; level?: string; json?: string }): void {
    let fields: Record<string, any> = {};
    try {
      fields = ev.json ? JSON.parse(ev.json) : {};
    } catch {
      fields = { raw: ev.json };
    }
    if (ev.event === 'reprice_decision') {
      this.onDecision?.(fields);
      return;
    }
    const market = ev.market || (typeof fields.market === 'string' ? fields.market : '');
    this.events.push({ t: Date.now(), event: ev.event, market: market || undefined, level: ev.level ?? 'info', detail: compact(fields) });
    if (this.events.length > MONITOR_EVENTS_MAX) this.events.splice(0, this.events.length - MONITOR_EVENTS_MAX);
    if (ev.event.startsWith('risk_') && market) this.market(market).blocks.set(ev.event, String(fields.reason ?? ''));
    if (ev.event === 'startup_position_cap_breach') {
      this.tradingEnabled = false;
      this.readOnlyReason = String(fields.reason ?? 'startup position cap breach');
      this.breached = Array.isArray(fields.breached_markets) ? fields.breached_markets.map((b: any) => String(b.ticker)) : [];
      for (const t of this.breached) this.market(t).blocks.set('startup_position_cap_breach', 'TRADING_DISABLED');
    }
    if (ev.event === 'startup_position_cap_breach_ack') {
      this.tradingEnabled = true;
      this.readOnlyReason = undefined;
      for (const t of this.breached) this.markets.get(t)?.blocks.delete('startup_position_cap_breach');
      this.breached = [];
    }
  }

  onMessage(env: kmm.v1.Envelope): void {
    if (env.bookFeatures?.market) {
      const m = this.market(env.bookFeatures.market);
      m.features = env.bookFeatures;
      m.trust = kmm.v1.TrustState[env.bookFeatures.trust ?? 0] ?? 'UNTRUSTED';
    } else if (env.targetQuotes?.market) {
      const m = this.market(env.targetQuotes.market);
      m.targets = env.targetQuotes;
      // A fresh decision clears side blocks that no longer apply.
      if (!env.targetQuotes.bidPaused) m.blocks.delete('risk_block_bid_side');
      if (!env.targetQuotes.askPaused) m.blocks.delete('risk_block_ask_side');
    } else if (env.workingOrders?.market) {
      this.market(env.workingOrders.market).working = env.workingOrders;
    } else if (env.position?.market) {
      const m = this.market(env.position.market);
      m.positionCenti = Number(env.position.positionCenti ?? 0);
      m.exposureMoney = Number(env.position.exposureMoney ?? 0);
      m.realizedMoney = Number(env.position.realizedPnlMoney ?? 0);
    } else if (env.fill?.market) {
      const m = this.market(env.fill.market);
      m.fills++;
    } else if (env.orderReject) {
      const code = kmm.v1.RejectCode[env.orderReject.code ?? 0] ?? 'OTHER';
      this.rejectsByCode[code] = (this.rejectsByCode[code] ?? 0) + 1;
    } else if (env.marketTrust?.market) {
      this.market(env.marketTrust.market).trust = kmm.v1.TrustState[env.marketTrust.state ?? 0] ?? 'UNTRUSTED';
    }
  }

  /** Mark-to-mid unrealized P&L of one market (money units). */
  private unrealized(m: MarketView): number {
    const mid = m.features?.mid ?? 0;
    if (!mid || m.positionCenti === 0) return 0;
    const value = m.positionCenti > 0 ? (m.positionCenti * mid) / 100 : (-m.positionCenti * (ONE_DOLLAR - mid)) / 100;
    return Math.round(value) - m.exposureMoney;
  }

  private execStats(): Record<string, any> {
    const h = this.health.get('exec');
    try {
      return h?.statsJson ? JSON.parse(h.statsJson) : {};
    } catch {
      return {};
    }
  }

  /** Our working orders as exec last reported them (what a forced exit leaves behind, as far as we know). */
  workingOrders(): Array<{ market: string; side: 'bid' | 'ask'; price: string; size: string }> {
    const out: Array<{ market: string; side: 'bid' | 'ask'; price: string; size: string }> = [];
    for (const m of this.markets.values()) {
      for (const o of m.working?.orders ?? []) {
        out.push({ market: m.ticker, side: o.side === kmm.v1.BookSide.ASK ? 'ask' : 'bid', price: formatPrice(Number(o.price ?? 0)), size: formatCount(Number(o.levelTotalCenti ?? 0)) });
      }
    }
    return out;
  }

  snapshot(): DashboardState {
    const markets: DashboardMarket[] = [];
    for (const m of this.markets.values()) {
      const f = m.features;
      const ourQuotes: DashboardMarket['ourQuotes'] = [];
      const queue = new Map<string, string>();
      for (const q of f?.queue ?? []) queue.set(`${q.side}:${q.price}`, formatCount(Number(q.aheadCenti ?? 0)));
      for (const o of m.working?.orders ?? []) {
        ourQuotes.push({
          side: o.side === kmm.v1.BookSide.ASK ? 'ask' : 'bid',
          price: formatPrice(Number(o.price ?? 0)),
          size: formatCount(Number(o.levelTotalCenti ?? 0)),
          queueAhead: queue.get(`${o.side}:${o.price}`),
        });
      }
      if (ourQuotes.length === 0) {
        for (const l of m.targets?.levels ?? []) {
          ourQuotes.push({ side: l.side === kmm.v1.BookSide.ASK ? 'ask' : 'bid', price: formatPrice(Number(l.price ?? 0)), size: formatCount(Number(l.countCenti ?? 0)), queueAhead: queue.get(`${l.side}:${l.price}`) });
        }
      }
      const blocks = [...m.blocks.keys()];
      markets.push({
        ticker: m.ticker,
        bids: (f?.bidsTop ?? []).map((l) => [formatPrice(Number(l.price)), formatCount(Number(l.countCenti))]),
        asks: (f?.asksTop ?? []).map((l) => [formatPrice(Number(l.price)), formatCount(Number(l.countCenti))]),
        ourQuotes,
        inventory: formatCount(m.positionCenti),
        realizedPnl: formatMoney(m.realizedMoney),
        unrealizedPnl: formatMoney(this.unrealized(m)),
        fills: m.fills,
        riskState: !this.tradingEnabled ? 'read_only' : m.targets?.bidPaused && m.targets?.askPaused ? 'paused' : m.targets?.bidPaused ? 'bid_paused' : m.targets?.askPaused ? 'ask_paused' : 'ok',
        blocks,
        trust: m.trust,
      });
    }
    const actors = [...this.health.values()].map((h) => ({
      name: h.actor ?? '',
      elu: Number(h.elu ?? 0),
      mailboxDepth: Number(h.mailboxDepth ?? 0),
      msgsIn: Number(h.msgsIn ?? 0),
      msgsOut: Number(h.msgsOut ?? 0),
      dropped: Number(h.dropped ?? 0),
      conflated: Number(h.conflated ?? 0),
      handlerP50Us: Number(h.handler?.p50Ns ?? 0) / 1000,
      handlerP99Us: Number(h.handler?.p99Ns ?? 0) / 1000,
    }));
    actors.sort((a, b) => a.name.localeCompare(b.name));
    return {
      ts: Date.now(),
      mode: this.mode,
      markets,
      actors,
      risk: { tradingEnabled: this.tradingEnabled, quotingPaused: this.quotingPaused, readOnlyReason: this.readOnlyReason, breachedMarkets: this.breached.length ? this.breached : undefined },
      events: this.events.slice(-100),
      eventRisk: this.eventRisk(),
      scorecard: this.scorecardView,
    };
  }

  private scorecardView: DashboardScorecard = { asOfMs: 0, rows: [], note: 'no scorecard yet' };

  /** The run's scorecard so far (system.ts recomputes it from the run folder), or why there is none. */
  setScorecard(card: Scorecard | null, asOfMs: number, note = ''): void {
    const rows: Array<[string, string]> = card ? scorecardRows([card]).map(([label, vals]) => [label, vals[0]]) : [];
    this.scorecardView = note || !card ? { asOfMs, rows, note: note || 'no scorecard' } : { asOfMs, rows };
  }

  /** Events as exec's WorkingOrders report them (event_key, event_worst_money): the shared ones and those at risk. */
  private eventRisk(): DashboardEventRisk[] {
    const by = new Map<string, { markets: string[]; worstMoney: number }>();
    for (const m of this.markets.values()) {
      const key = m.working?.eventKey ?? '';
      if (!key) continue;
      const e = by.get(key) ?? { markets: [], worstMoney: 0 };
      e.markets.push(m.ticker);
      // the markets of an event are reported together (their figures agree)
      e.worstMoney = Math.max(e.worstMoney, Number(m.working?.eventWorstMoney ?? 0));
      by.set(key, e);
    }
    const out: DashboardEventRisk[] = [];
    for (const [event, e] of by) if (e.markets.length > 1 || e.worstMoney > 0) out.push({ event, markets: e.markets.sort(), worstLoss: formatMoney(e.worstMoney) });
    return out.sort((a, b) => a.event.localeCompare(b.event));
  }

  counters(): MetricsCounters {
    const stats = this.execStats();
    return { rejectsByCode: { ...this.rejectsByCode }, ordersSent: stats.orders_sent_by_market ?? undefined };
  }

  /** Mark price per market for the figures: the last mid seen (markets without one are left out). */
  marks(): Map<string, number> {
    const out = new Map<string, number>();
    for (const m of this.markets.values()) {
      const mid = Number(m.features?.mid ?? 0);
      if (mid > 0) out.set(m.ticker, mid);
    }
    return out;
  }

  /** The summary: `figures` from the run's journal (JournalTail), the rest from what the monitor saw. */
  summary(figures: RunFigures): RunSummary {
    let withFills = 0;
    for (const m of this.markets.values()) if (m.fills > 0) withFills++;
    const stats = this.execStats();
    const p50 = stats[T2O_KEYS[0]];
    const p99 = stats[T2O_KEYS[1]];
    return {
      mode: this.mode,
      markets: this.markets.size,
      marketsWithFills: withFills,
      ...figures,
      tickToOrderUs: { p50: typeof p50 === 'number' ? p50 : null, p99: typeof p99 === 'number' ? p99 : null, samples: Number(stats[T2O_KEYS[2]] ?? 0) },
      restarts: this.restarts,
      durationS: Math.round((Date.now() - this.startedMs) / 100) / 10,
    };
  }
}

function compact(fields: Record<string, unknown>): string {
  const s = JSON.stringify(fields);
  return s.length > 300 ? s.slice(0, 297) + '...' : s;
}
