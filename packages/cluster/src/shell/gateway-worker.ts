/**
 * Worker entry of a shard's order gateway: the exec actor (unchanged core) with its live
 * environment, except that
 *   - its journal is the shard's JetStream stream (journal-stream.ts), read before start-up so
 *     the reconcile knows what the previous gateway did, and appended to with de-duplication ids;
 *   - it sees only its exchange shard's markets (`shardScoped`): the account's fills, order
 *     updates and positions of other shards (ingest's private channels and the REST reads are
 *     account-wide) are left to their own gateways. Without this, the gateway of shard 1 would
 *     cancel shard 2's orders as "unknown" at every reconcile, and journal its fills twice;
 *   - it never sends the exchange's account-wide Cancel All (it would take the other shards'
 *     orders off): its stop cancels its own orders one by one and verifies.
 *   - on every tape write (kmm_tape_interval_ms) it publishes the shard's figures for the risk
 *     aggregator (core/risk.ts figuresOf: positions, cost basis, resting orders, realised, fees,
 *     and the tape's marked P&L) on kmm.<c>.risk.figures.<shard>.
 * Startup.extra carries natsUrl and cluster; Startup.shard is the exchange shard; extra.markets
 * are the shard's markets (each order carries exchange_index = the shard). Everything else
 * (REST settings, keys, runDir) is exec's usual extra; extra.clusterShards (optional) = how many
 * exchange shards the cluster trades (the aggregator splits the free budget by it).
 */
import { connect } from '@nats-io/transport-node';
import { runActor, type ActorDescriptor } from '@kmm/shared';
import { execActor, liveExecEnv, RestGateway, type ExecActorState, type ExecEnv, type OrderGateway, type TapeSink } from '@kmm/exec-worker';
import { JetStreamJournal, ensureJournalStream, readJournalStream } from './journal-stream.js';
import { figuresOf, figuresSubject } from '../core/risk.js';

/** A gateway that reads and writes only these markets of the account. */
export function shardScopedGateway(inner: OrderGateway, markets: ReadonlySet<string>): OrderGateway {
  const mine = <T extends { ok: boolean }>(r: T, pick: (v: never[]) => unknown[]): T => (r.ok ? ({ ...r, value: pick((r as unknown as { value: never[] }).value) } as T) : r);
  return {
    paper: inner.paper,
    place: (o, w) => inner.place(o, w),
    batchPlace: (o, w) => inner.batchPlace(o, w),
    amend: (o, w) => inner.amend(o, w),
    decrease: (o, w) => inner.decrease(o, w),
    cancel: (o, w) => inner.cancel(o, w),
    batchCancel: (o, w) => inner.batchCancel(o, w),
    // no cancelAll: the exchange's Cancel All is account-wide
    restingOrders: async () => mine(await inner.restingOrders(), (v) => v.filter((o: { market: string }) => markets.has(o.market))),
    positions: async () => mine(await inner.positions(), (v) => v.filter((p: { market: string }) => markets.has(p.market))),
    fills: async (minTsMs) => mine(await inner.fills(minTsMs), (v) => v.filter((f: { market?: string | null }) => markets.has(f.market ?? ''))),
    createOrderGroup: (n) => inner.createOrderGroup(n),
    resetOrderGroup: (id) => inner.resetOrderGroup(id),
    queuePositions: (m) => inner.queuePositions(m.filter((x) => markets.has(x))),
    markets: async () => mine(await inner.markets(), (v) => v.filter((m: { market?: string | null }) => markets.has(m.market ?? ''))),
    orderResting: inner.orderResting ? (id) => inner.orderResting!(id) : undefined,
    orderGone: inner.orderGone ? (id) => inner.orderGone!(id) : undefined,
    close: () => inner.close(),
  };
}

/** The exec descriptor, deaf to the account's user data about markets outside `markets`. */
export function shardScopedExec(markets: ReadonlySet<string>): ActorDescriptor<ExecActorState, ExecEnv> {
  const h = execActor.handlers;
  type Handler = (s: ExecActorState, b: { market?: string | null }, t: Parameters<NonNullable<typeof h.fill>>[2], io: Parameters<NonNullable<typeof h.fill>>[3]) => void;
  const only = (name: 'fill' | 'orderAck' | 'position' | 'lifecycle' | 'marketTrust'): Handler => {
    const inner = h[name] as unknown as Handler;
    return (s, b, t, io) => {
      if (markets.has(b.market ?? '')) inner(s, b, t, io);
      else io.stat('other_shard_' + name);
    };
  };
  return {
    ...execActor,
    handlers: { ...h, fill: only('fill'), orderAck: only('orderAck'), position: only('position'), lifecycle: only('lifecycle'), marketTrust: only('marketTrust') } as typeof h,
  };
}

const markets = new Set<string>();
let execState: ExecActorState | null = null;
const scoped: ActorDescriptor<ExecActorState, ExecEnv> = {
  ...shardScopedExec(markets),
  start: async (init) => {
    for (const m of init.markets) if (m.market) markets.add(m.market);
    execState = await execActor.start(init);
    return execState;
  },
};
runActor(
  scoped,
  async (ctx) => {

    const extra = ctx.extra as Record<string, unknown>;
    const natsUrl = String(extra.natsUrl ?? '');
    const cluster = String(extra.cluster ?? '');
    if (!natsUrl || !cluster) throw new Error('gateway worker: extra.natsUrl and extra.cluster are required');
    const shard = ctx.startup.shard ?? 0;
    const nc = await connect({ servers: natsUrl, name: `kmm-gateway-${shard}-journal`, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    await ensureJournalStream(nc, cluster, shard);
    const prior = await readJournalStream(nc, cluster, shard);
    if (prior.badRecords > 0) ctx.log.warn({ bad: prior.badRecords }, 'journal stream had unreadable records');
    const env = liveExecEnv(ctx, null, { sink: new JetStreamJournal(nc, cluster, shard), prior: prior.records });
    const own = new Set<string>();
    const eventOf = new Map<string, { event: string; exclusive: boolean }>();
    for (const m of (extra.markets ?? []) as Array<{ market?: string; eventTicker?: string; mutuallyExclusive?: boolean }>) {
      if (!m.market) continue;
      own.add(m.market);
      eventOf.set(m.market, { event: m.eventTicker ?? '', exclusive: m.mutuallyExclusive === true });
    }
    // the risk aggregator's figures ride on the tape's period: its rows carry the marked P&L
    const epoch = Number(extra.leaseEpoch ?? 0);
    const clusterShards = Number(extra.clusterShards ?? 0);
    const marked = new Map<string, number>();
    const fileTape = env.tape;
    const tape: TapeSink = {
      write(rows) {
        fileTape?.write(rows);
        for (const r of rows) marked.set(r.ticker, r.unrealizedPnlMoney);
        if (!execState || nc.isClosed()) return;
        const f = figuresOf(execState.core.bk, { shard, epoch, wallMs: Date.now(), shards: clusterShards }, (m) => eventOf.get(m) ?? { event: '', exclusive: false }, (m) => marked.get(m) ?? 0);
        nc.publish(figuresSubject(cluster, shard), JSON.stringify(f));
      },
      close: async () => {
        await fileTape?.close();
      },
    };
    // every order of the shard's markets carries exchange_index = shard (its own write bucket)
    if (env.gateway instanceof RestGateway) for (const m of own) env.gateway.rest.setShard(m, shard);
    return { ...env, tape, gateway: env.gateway.paper ? env.gateway : shardScopedGateway(env.gateway, own) };
  },
);
