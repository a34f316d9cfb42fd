/**
 * The dashboard's view of the running system: one plain JSON-able snapshot that the
 * supervisor builds from the latest Health, BookFeatures, Position, WorkingOrders and
 * OpsEvent messages it holds. The dashboard server and the metrics exporter only read it.
 *
 * Units: prices, sizes, inventory and P&L are the venue's decimal strings ("0.5200",
 * "3.00", "-1.2345") so that nothing here converts through floats; the page shows them as
 * they are. Ratios (elu) and latencies (µs) are plain numbers because they are display
 * figures measured by us, not venue values.
 */

/** One side of the YES book: [price "0.5200", size "150.00"], best first. */
export type Level = [price: string, size: string];

export interface DashboardQuote {
  side: 'bid' | 'ask';
  price: string;
  size: string;
  /** Estimated contracts ahead of our order at its price ("12.00"), when known. */
  queueAhead?: string;
}

export interface DashboardMarket {
  ticker: string;
  /** YES bids, best (highest) first. */
  bids: Level[];
  /** YES asks, best (lowest) first. */
  asks: Level[];
  ourQuotes: DashboardQuote[];
  /** Signed contracts ("+" long YES, "-" long NO), e.g. "-3.00". */
  inventory: string;
  realizedPnl: string;
  unrealizedPnl: string;
  fills: number;
  /** Free text from the strategy's risk gate, e.g. "ok", "bid_blocked", "read_only". */
  riskState: string;
  /** Active blocks, e.g. ["risk_block_bid_side", "startup_position_cap_breach"]. */
  blocks: string[];
  /** Data trust from ingest: "TRUSTED" | "UNTRUSTED" | "STALE" | ... */
  trust: string;
}

export interface DashboardActor {
  name: string;
  /** Event-loop utilisation since the last heartbeat, 0..1. */
  elu: number;
  mailboxDepth: number;
  msgsIn: number;
  msgsOut: number;
  dropped: number;
  /** Market-data messages replaced by a newer one (optional: not every actor conflates). */
  conflated?: number;
  handlerP50Us: number;
  handlerP99Us: number;
}

export interface DashboardRisk {
  tradingEnabled: boolean;
  /** True after a pause control until resume. */
  quotingPaused?: boolean;
  readOnlyReason?: string;
  /** Markets whose start-up position breached the cap and wait for an acknowledgement. */
  breachedMarkets?: string[];
}

export interface DashboardEvent {
  /** Wall-clock ms. */
  t: number;
  event: string;
  market?: string;
  level: string;
  detail?: string;
}

/** One event's worst-case loss (exec event-risk.ts, README "Event risk"), as exec last reported it. */
export interface DashboardEventRisk {
  /** event ticker, or "market:<ticker>" for a market without one */
  event: string;
  markets: string[];
  /** worst-case loss of our positions and resting orders in the event, dollars ("12.3400") */
  worstLoss: string;
}

/**
 * The strategy scorecard of the run so far (exec core/scorecard.ts, the same rows as the report's
 * scorecard table; README "Strategy scorecard"), recomputed every DASHBOARD_SCORECARD_MS from the
 * run folder. `note` instead of rows when there is none (yet, or no capture to measure against).
 */
export interface DashboardScorecard {
  /** wall ms the scorecard was computed at */
  asOfMs: number;
  /** [label, value] */
  rows: Array<[string, string]>;
  note?: string;
}

/**
 * The cluster panel (`kmm cluster up`'s dashboard; the same figures as `kmm cluster status`):
 * every node with its roles, the leases it holds, its load and last heartbeat; the lease holders;
 * the event assignment; the kill switch; the risk aggregator's view and allowances. Dollars as
 * decimal strings ("12.3400").
 */
export interface DashboardCluster {
  name: string;
  nats: string;
  nodes: Array<{ id: string; roles: string[]; where: string; leases: string[]; load: Record<string, number>; beatAgoMs: number }>;
  /** revision: the lease's last KV revision; ageMs: since its last renewal */
  leases: Array<{ key: string; holder: string; revision: number; ageMs: number }>;
  /** events assigned per strategy node */
  assignment: { version: number; nodes: string[]; events: number; byNode: Record<string, number> };
  kill: { active: boolean; reason: string; byNode: string; wallMs: number } | null;
  /** null before the aggregator evaluated any gateway's figures */
  risk: {
    byNode: string;
    agoMs: number;
    pnl: string;
    peakPnl: string;
    drawdown: string;
    totalWorst: string;
    /** why the aggregator tripped the kill switch ('' = no breach) */
    breach: string;
    /** allowance.gateway.<shard> first, then allowance.event.<event> */
    allowances: Array<{ key: string; allowance: string; worst: string }>;
  } | null;
}

export interface DashboardState {
  /** Wall-clock ms when the snapshot was taken. */
  ts: number;
  /** "sim" | "demo" | "prod" | "paper" | "backtest" ... */
  mode: string;
  markets: DashboardMarket[];
  actors: DashboardActor[];
  risk: DashboardRisk;
  /** Most recent ops events, newest last. The page shows the last DASHBOARD_EVENTS_SHOWN. */
  events: DashboardEvent[];
  /** Per event with two or more of our markets or a position: its worst-case loss. */
  eventRisk?: DashboardEventRisk[];
  scorecard?: DashboardScorecard;
  /** `kmm cluster up`: the cluster panel (mode "cluster") */
  cluster?: DashboardCluster;
}

/** Counters the metrics exporter needs beyond the snapshot (all optional, all cumulative). */
export interface MetricsCounters {
  /** Orders sent per market since start. */
  ordersSent?: Record<string, number>;
  /** Rejects per venue/local error code since start. */
  rejectsByCode?: Record<string, number>;
  /** New tick-to-order latency samples since the previous update (µs); observed once each. */
  tickToOrderUsSamples?: number[];
  /** Mean absolute error of the queue estimate per market, in contracts (display float). */
  queueEstimateErrorContracts?: Record<string, number>;
}

export interface DashboardSource {
  snapshot(): DashboardState;
  /** Optional: extra cumulative counters for /metrics. */
  counters?(): MetricsCounters;
}

/** ack_config: apply the risk-limit raises a config reload holds back (system/config-reload.ts) */
export type ControlKind = 'pause' | 'resume' | 'flatten' | 'ack_breach' | 'ack_config';

export interface ControlCommand {
  kind: ControlKind;
  /** Absent = all markets (for ack_breach: every breached market). */
  market?: string;
}

export type ControlHandler = (cmd: ControlCommand) => Promise<string> | string;
