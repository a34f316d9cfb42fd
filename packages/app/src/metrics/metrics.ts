/**
 * Prometheus export of the running system (prom-client, on its own Registry so several
 * instances can live in one process and tests do not share global state).
 *
 * In:  `update(state)`: a DashboardState snapshot plus optional cumulative counters.
 * Out: `text()`: the Prometheus text exposition; `contentType` for the HTTP header.
 *
 * Series (labels in braces):
 *   per actor  {actor}:  kmm_actor_elu_ratio, kmm_actor_mailbox_depth, kmm_actor_messages_in_total,
 *                        kmm_actor_messages_out_total, kmm_actor_dropped_total, kmm_actor_conflated_total,
 *                        kmm_actor_handler_latency_seconds{quantile="0.5"|"0.99"}
 *   per market {market}: kmm_market_inventory_contracts, kmm_market_realized_pnl_dollars,
 *                        kmm_market_unrealized_pnl_dollars, kmm_market_fills_total,
 *                        kmm_market_orders_sent_total, kmm_market_trusted, kmm_market_blocks,
 *                        kmm_market_quotes, kmm_market_queue_estimate_error_contracts
 *   global:              kmm_rejects_total{code}, kmm_tick_to_order_seconds (histogram),
 *                        kmm_trading_enabled, kmm_quoting_paused, kmm_metrics_input_errors_total{field}
 *
 * Invariants: counters only move up. The system reports cumulative totals, so each update
 * adds the difference from the value last seen; a total that goes down (an actor restarted
 * and counts from zero) adds the new total, never a negative amount. Gauges of markets or
 * actors that left the snapshot are removed. Label sets are capped (METRICS_MAX_LABEL_VALUES);
 * values past the cap are dropped and counted in kmm_metrics_input_errors_total{field="label_cap"}.
 * Decimal strings are parsed exactly (@kmm/shared units); a bad one is skipped and counted.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { parseCount, parseFixed } from '@kmm/shared';
import type { DashboardState, MetricsCounters } from '../dashboard/types.js';

/** Most distinct values one label may take (markets, actors, reject codes). Overflow: drop + count. */
export const METRICS_MAX_LABEL_VALUES = 1000;
/** Most tick-to-order samples observed per update. Overflow: the rest are dropped and counted. */
export const METRICS_MAX_SAMPLES_PER_UPDATE = 100_000;

export type MetricsInput = DashboardState & { counters?: MetricsCounters };

export interface KmmMetrics {
  readonly registry: Registry;
  readonly contentType: string;
  update(state: MetricsInput): void;
  text(): Promise<string>;
}

const TICK_TO_ORDER_BUCKETS_S = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];

/** Decimal dollar string -> display number, exactly parsed (up to 6 dp). */
function dollars(text: string, field: string): number {
  return parseFixed(text, 6, 6, field, true) / 1_000_000;
}

export function createMetrics(opts: { prefix?: string } = {}): KmmMetrics {
  const p = opts.prefix ?? 'kmm_';
  const registry = new Registry();
  const reg = [registry];

  const actorElu = new Gauge({ name: `${p}actor_elu_ratio`, help: 'Event-loop utilisation since the last heartbeat (0..1)', labelNames: ['actor'], registers: reg });
  const actorMailbox = new Gauge({ name: `${p}actor_mailbox_depth`, help: 'Messages waiting in the actor mailbox', labelNames: ['actor'], registers: reg });
  const actorIn = new Counter({ name: `${p}actor_messages_in_total`, help: 'Messages handled by the actor', labelNames: ['actor'], registers: reg });
  const actorOut = new Counter({ name: `${p}actor_messages_out_total`, help: 'Messages sent by the actor', labelNames: ['actor'], registers: reg });
  const actorDropped = new Counter({ name: `${p}actor_dropped_total`, help: 'Messages rejected by a full mailbox', labelNames: ['actor'], registers: reg });
  const actorConflated = new Counter({ name: `${p}actor_conflated_total`, help: 'Market-data messages replaced by a newer one', labelNames: ['actor'], registers: reg });
  const actorHandler = new Gauge({ name: `${p}actor_handler_latency_seconds`, help: 'Handler time per message, quantiles over the last heartbeat', labelNames: ['actor', 'quantile'], registers: reg });

  const mInventory = new Gauge({ name: `${p}market_inventory_contracts`, help: 'Signed position in contracts (+YES, -NO)', labelNames: ['market'], registers: reg });
  const mRealized = new Gauge({ name: `${p}market_realized_pnl_dollars`, help: 'Realized P&L in dollars', labelNames: ['market'], registers: reg });
  const mUnrealized = new Gauge({ name: `${p}market_unrealized_pnl_dollars`, help: 'Unrealized P&L in dollars (marked to mid)', labelNames: ['market'], registers: reg });
  const mFills = new Counter({ name: `${p}market_fills_total`, help: 'Fills received', labelNames: ['market'], registers: reg });
  const mOrders = new Counter({ name: `${p}market_orders_sent_total`, help: 'Orders sent to the exchange', labelNames: ['market'], registers: reg });
  const mTrusted = new Gauge({ name: `${p}market_trusted`, help: '1 when the market data is trusted, else 0', labelNames: ['market'], registers: reg });
  const mBlocks = new Gauge({ name: `${p}market_blocks`, help: 'Number of active risk blocks', labelNames: ['market'], registers: reg });
  const mQuotes = new Gauge({ name: `${p}market_quotes`, help: 'Our resting quotes', labelNames: ['market'], registers: reg });
  const mQueueErr = new Gauge({ name: `${p}market_queue_estimate_error_contracts`, help: 'Mean absolute error of the queue-position estimate vs the exchange (contracts)', labelNames: ['market'], registers: reg });

  const rejects = new Counter({ name: `${p}rejects_total`, help: 'Order rejects by code', labelNames: ['code'], registers: reg });
  const tickToOrder = new Histogram({ name: `${p}tick_to_order_seconds`, help: 'Time from market-data frame received to order sent', buckets: TICK_TO_ORDER_BUCKETS_S, registers: reg });
  const tradingEnabled = new Gauge({ name: `${p}trading_enabled`, help: '1 when trading is enabled, 0 when read-only', registers: reg });
  const quotingPaused = new Gauge({ name: `${p}quoting_paused`, help: '1 when quoting is paused by an operator', registers: reg });
  const inputErrors = new Counter({ name: `${p}metrics_input_errors_total`, help: 'Snapshot values the exporter could not use', labelNames: ['field'], registers: reg });

  /** Last cumulative total seen per counter and label value, to add only the difference. */
  const lastTotals = new Map<string, number>();
  const labelValues = new Map<string, Set<string>>();

  function admit(kind: string, value: string): boolean {
    let set = labelValues.get(kind);
    if (set === undefined) {
      set = new Set();
      labelValues.set(kind, set);
    }
    if (set.has(value)) return true;
    if (set.size >= METRICS_MAX_LABEL_VALUES) {
      inputErrors.inc({ field: 'label_cap' });
      return false;
    }
    set.add(value);
    return true;
  }

  function addTotal(counter: Counter<string>, key: string, labels: Record<string, string>, total: number): void {
    if (!Number.isFinite(total) || total < 0) {
      inputErrors.inc({ field: key.split('|')[0] });
      return;
    }
    const last = lastTotals.get(key);
    const delta = last === undefined || total < last ? total : total - last;
    lastTotals.set(key, total);
    if (delta > 0) counter.inc(labels, delta);
    else counter.inc(labels, 0); // make the series visible from the first update
  }

  /** Removes gauge series whose label value is no longer in the snapshot. */
  function prune(gauges: Gauge<string>[], label: string, seen: Set<string>, previous: Set<string>): void {
    for (const v of previous) {
      if (seen.has(v)) continue;
      for (const g of gauges) {
        if (label === 'actor' && g === actorHandler) {
          g.remove({ actor: v, quantile: '0.5' });
          g.remove({ actor: v, quantile: '0.99' });
        } else {
          g.remove({ [label]: v });
        }
      }
    }
  }

  let prevActors = new Set<string>();
  let prevMarkets = new Set<string>();

  function update(state: MetricsInput): void {
    const seenActors = new Set<string>();
    for (const a of state.actors) {
      if (!admit('actor', a.name)) continue;
      seenActors.add(a.name);
      const l = { actor: a.name };
      actorElu.set(l, a.elu);
      actorMailbox.set(l, a.mailboxDepth);
      addTotal(actorIn, `actor_in|${a.name}`, l, a.msgsIn);
      addTotal(actorOut, `actor_out|${a.name}`, l, a.msgsOut);
      addTotal(actorDropped, `actor_dropped|${a.name}`, l, a.dropped);
      if (a.conflated !== undefined) addTotal(actorConflated, `actor_conflated|${a.name}`, l, a.conflated);
      actorHandler.set({ actor: a.name, quantile: '0.5' }, a.handlerP50Us / 1e6);
      actorHandler.set({ actor: a.name, quantile: '0.99' }, a.handlerP99Us / 1e6);
    }
    prune([actorElu, actorMailbox, actorHandler], 'actor', seenActors, prevActors);
    prevActors = seenActors;

    const seenMarkets = new Set<string>();
    for (const m of state.markets) {
      if (!admit('market', m.ticker)) continue;
      seenMarkets.add(m.ticker);
      const l = { market: m.ticker };
      try {
        mInventory.set(l, parseCount(m.inventory, 'inventory') / 100);
      } catch {
        inputErrors.inc({ field: 'inventory' });
      }
      try {
        mRealized.set(l, dollars(m.realizedPnl, 'realizedPnl'));
      } catch {
        inputErrors.inc({ field: 'realizedPnl' });
      }
      try {
        mUnrealized.set(l, dollars(m.unrealizedPnl, 'unrealizedPnl'));
      } catch {
        inputErrors.inc({ field: 'unrealizedPnl' });
      }
      addTotal(mFills, `fills|${m.ticker}`, l, m.fills);
      mTrusted.set(l, m.trust === 'TRUSTED' ? 1 : 0);
      mBlocks.set(l, m.blocks.length);
      mQuotes.set(l, m.ourQuotes.length);
    }
    prune([mInventory, mRealized, mUnrealized, mTrusted, mBlocks, mQuotes, mQueueErr], 'market', seenMarkets, prevMarkets);
    prevMarkets = seenMarkets;

    tradingEnabled.set(state.risk.tradingEnabled ? 1 : 0);
    quotingPaused.set(state.risk.quotingPaused === true ? 1 : 0);

    const c = state.counters;
    if (c === undefined) return;
    if (c.ordersSent !== undefined) {
      for (const [market, total] of Object.entries(c.ordersSent)) {
        if (admit('market', market)) addTotal(mOrders, `orders|${market}`, { market }, total);
      }
    }
    if (c.rejectsByCode !== undefined) {
      for (const [code, total] of Object.entries(c.rejectsByCode)) {
        if (admit('code', code)) addTotal(rejects, `rejects|${code}`, { code }, total);
      }
    }
    if (c.queueEstimateErrorContracts !== undefined) {
      for (const [market, err] of Object.entries(c.queueEstimateErrorContracts)) {
        if (seenMarkets.has(market) && Number.isFinite(err)) mQueueErr.set({ market }, err);
      }
    }
    if (c.tickToOrderUsSamples !== undefined) {
      const samples = c.tickToOrderUsSamples;
      const n = Math.min(samples.length, METRICS_MAX_SAMPLES_PER_UPDATE);
      for (let i = 0; i < n; i++) {
        const us = samples[i];
        if (Number.isFinite(us) && us >= 0) tickToOrder.observe(us / 1e6);
        else inputErrors.inc({ field: 'tickToOrderUs' });
      }
      if (samples.length > n) inputErrors.inc({ field: 'tickToOrderUs_overflow' }, samples.length - n);
    }
  }

  return {
    registry,
    contentType: registry.contentType,
    update,
    text: () => registry.metrics(),
  };
}
