/**
 * The risk aggregator (one active, by the `risk` lease) and the gateway's side of it.
 *
 *   gateways   publish GatewayFigures on kmm.<c>.risk.figures.<shard> (gateway-worker.ts, on
 *              every tape write of exec)
 *   RiskAggregator  keeps each shard's latest report (a report of an older lease epoch than one
 *              heard is dropped), and while it holds the lease, after each report (reports that arrive
 *              while an evaluation is queued join it: it reads the latest of each shard): computes the
 *              RiskView (core/risk.ts), writes the allowances that changed to the control bucket
 *              (allowance.gateway.<shard>, allowance.event.<event>), the view to risk.state, and
 *              trips the kill switch once when the account loss cap or the drawdown limit is
 *              breached (while the switch is active, nothing more; after a clear, again). Evaluations are serialised.
 *   AllowanceWatch  a gateway watches allowance.gateway.<shard> and hands the number to exec as
 *              a live MM_MAX_TOTAL_LOSS_USD (ExecGatewayHost.setAllowanceUsd): the hot path checks
 *              a local number, never the network.
 *   EventAllowanceWatch  a gateway watches allowance.event.> for the events of its shard and
 *              hands the set to exec (ExecGatewayHost.setEventAllowancesUsd): exec's pre-flight
 *              caps each event at min(MM_MAX_EVENT_LOSS_USD, its allowance), locally.
 * Events: RiskAggregator 'view' (RiskView), 'allowance' (key, AllowanceValue: a gateway's
 * allowance written), 'tripped' (KillState), 'error'; AllowanceWatch
 * 'allowance' (usd); EventAllowanceWatch 'allowances' (Map event -> usd, the whole set).
 */
import { EventEmitter } from 'node:events';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { ONE_DOLLAR } from '@kmm/shared';
import { aggregateRisk, allFiguresSubject, eventAllowanceKey, gatewayAllowanceKey, RISK_STATE_KEY, type GatewayFigures, type RiskLimits, type RiskView } from '../core/risk.js';
import { readKillSwitch, tripKillSwitch, type KillState } from './kill.js';

export interface AllowanceValue {
  allowanceUsd: number;
  worstUsd: number;
  wallMs: number;
}

// money is an integer count of 1/10,000 USD: the quotient is the USD value to the last digit
const toUsd = (money: number): number => Math.floor(money) / ONE_DOLLAR;

/** The config keys the aggregator reads, as money. */
export function riskLimitsOf(config: { MM_MAX_TOTAL_LOSS_USD?: unknown; MM_MAX_EVENT_LOSS_USD?: unknown; kmm_cluster_max_loss_usd?: unknown; kmm_cluster_max_drawdown_usd?: unknown }): RiskLimits {
  const m = (usd: unknown): number => Math.round(Number(usd ?? 0) * ONE_DOLLAR);
  return {
    maxTotalLossMoney: m(config.MM_MAX_TOTAL_LOSS_USD),
    maxEventLossMoney: m(config.MM_MAX_EVENT_LOSS_USD),
    maxAccountLossMoney: m(config.kmm_cluster_max_loss_usd),
    maxDrawdownMoney: m(config.kmm_cluster_max_drawdown_usd),
  };
}

export class RiskAggregator extends EventEmitter {
  private readonly latest = new Map<number, GatewayFigures>();
  private readonly written = new Map<string, string>();
  private sub: Subscription | null = null;
  private peakPnlMoney = 0;
  private chain: Promise<void> = Promise.resolve();
  private queued = false;
  view: RiskView | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly control: KV,
    private readonly cluster: string,
    private readonly nodeId: string,
    private readonly limits: RiskLimits,
    /** true while this node holds the risk lease */
    private readonly isLeader: () => boolean,
  ) {
    super();
  }

  async start(): Promise<void> {
    const st = await this.control.get(RISK_STATE_KEY);
    if (st?.operation === 'PUT') this.peakPnlMoney = Number(st.json<{ peakPnlMoney?: number }>().peakPnlMoney ?? 0);
    this.sub = this.nc.subscribe(allFiguresSubject(this.cluster), {
      callback: (err, msg) => {
        if (err) return;
        let f: GatewayFigures;
        try {
          f = msg.json<GatewayFigures>();
          if (!Number.isInteger(f.shard) || !Array.isArray(f.markets)) throw new Error('no shard or markets');
        } catch (e) {
          this.emit('error', new Error(`malformed gateway figures on ${msg.subject}: ${(e as Error).message}`));
          return;
        }
        const prev = this.latest.get(f.shard);
        if (prev && f.epoch < prev.epoch) return;
        this.latest.set(f.shard, f);
        // one evaluation queued at a time: it reads the latest report of every shard when it runs
        if (this.queued) return;
        this.queued = true;
        this.chain = this.chain
          .then(() => {
            this.queued = false;
            return this.evaluate();
          })
          .catch((e: Error) => void this.emit('error', e));
      },
    });
    await this.nc.flush();
  }

  /** Resolves once every report heard so far is evaluated (tests, shutdown). */
  settled(): Promise<void> {
    return this.chain;
  }

  private async evaluate(): Promise<void> {
    if (!this.isLeader()) return;
    const v = aggregateRisk([...this.latest.values()], this.limits, this.peakPnlMoney);
    this.peakPnlMoney = v.peakPnlMoney;
    this.view = v;
    const now = Date.now();
    const put = async (key: string, allowanceMoney: number, worstMoney: number): Promise<void> => {
      const sig = `${allowanceMoney}/${worstMoney}`;
      if (this.written.get(key) === sig) return;
      const value: AllowanceValue = { allowanceUsd: toUsd(allowanceMoney), worstUsd: toUsd(worstMoney), wallMs: now };
      await this.control.put(key, JSON.stringify(value));
      this.written.set(key, sig);
      if (key.startsWith('allowance.gateway.')) this.emit('allowance', key, value);
    };
    if (this.limits.maxTotalLossMoney > 0) {
      for (const g of v.gateways) await put(gatewayAllowanceKey(g.shard), g.allowanceMoney, g.worstMoney);
      for (const e of v.events) await put(eventAllowanceKey(e.event), e.allowanceMoney, e.worstMoney);
    }
    await this.control.put(RISK_STATE_KEY, JSON.stringify({ byNode: this.nodeId, wallMs: now, pnlMoney: v.pnlMoney, peakPnlMoney: v.peakPnlMoney, drawdownMoney: v.drawdownMoney, totalWorstMoney: v.totalWorstMoney, breach: v.breach }));
    this.emit('view', v);
    if (!v.breach) return;
    // one trip per breach: while the switch is active nothing more; after a clear, a breach that
    // still holds trips it again
    if ((await readKillSwitch(this.control))?.active) return;
    const s: KillState = await tripKillSwitch(this.nc, this.control, this.cluster, this.nodeId, `risk aggregator: ${v.breach}`);
    this.emit('tripped', s);
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = null;
  }
}

/** A gateway's allowance (allowance.gateway.<shard>): 'allowance' (usd) on every new value. */
export class AllowanceWatch extends EventEmitter {
  private stopWatch: (() => void) | null = null;
  /** the latest allowance (USD), null before the aggregator wrote one */
  usd: number | null = null;

  constructor(
    private readonly control: KV,
    private readonly shard: number,
  ) {
    super();
  }

  /** Resolves once watching (the watch replays the current value first). */
  async start(): Promise<void> {
    const w = await this.control.watch({ key: gatewayAllowanceKey(this.shard) });
    this.stopWatch = () => w.stop();
    void (async () => {
      for await (const e of w) {
        if (e.operation !== 'PUT') continue;
        try {
          const v = e.json<AllowanceValue>();
          if (!(typeof v.allowanceUsd === 'number' && v.allowanceUsd > 0)) throw new Error(`allowanceUsd ${v.allowanceUsd}`);
          this.usd = v.allowanceUsd;
          this.emit('allowance', v.allowanceUsd);
        } catch (err) {
          this.emit('error', new Error(`malformed allowance for shard ${this.shard}: ${(err as Error).message}`));
        }
      }
    })();
  }

  stop(): void {
    this.stopWatch?.();
  }
}

/**
 * The allowances of a gateway's events (allowance.event.<event> for each of `events`, exec's
 * event keys: core/risk.ts eventKeyOf): 'allowances' with the whole set (event -> USD) whenever
 * it changed, once per burst of KV updates (the watch's replay of the current values included),
 * so exec gets one Control per change, not one per key.
 */
export class EventAllowanceWatch extends EventEmitter {
  private stopWatch: (() => void) | null = null;
  /** KV key -> exec's event key, for this gateway's events only */
  private readonly mine = new Map<string, string>();
  /** the latest allowance per event (USD) */
  readonly usd = new Map<string, number>();

  constructor(
    private readonly control: KV,
    events: Iterable<string>,
  ) {
    super();
    for (const e of events) this.mine.set(eventAllowanceKey(e), e);
  }

  /** Resolves once watching (the watch replays the current values first). */
  async start(): Promise<void> {
    const w = await this.control.watch({ key: 'allowance.event.>' });
    this.stopWatch = () => w.stop();
    let changed = false;
    void (async () => {
      for await (const e of w) {
        const event = this.mine.get(e.key);
        if (event !== undefined) {
          if (e.operation !== 'PUT') changed = this.usd.delete(event) || changed;
          else {
            try {
              const v = e.json<AllowanceValue>();
              if (!(typeof v.allowanceUsd === 'number' && Number.isFinite(v.allowanceUsd) && v.allowanceUsd > 0)) throw new Error(`allowanceUsd ${v.allowanceUsd}`);
              if (this.usd.get(event) !== v.allowanceUsd) {
                this.usd.set(event, v.allowanceUsd);
                changed = true;
              }
            } catch (err) {
              this.emit('error', new Error(`malformed allowance for event ${event}: ${(err as Error).message}`));
            }
          }
        }
        // delta 0: nothing more pending on the watch right now (the end of a replay or a burst)
        if (changed && e.delta === 0) {
          changed = false;
          this.emit('allowances', new Map(this.usd));
        }
      }
    })();
  }

  stop(): void {
    this.stopWatch?.();
  }
}
