/**
 * The exec worker entry (worker_thread): builds ExecCore from ctx.config/ctx.extra, wires it to
 * the REST gateway (or the paper gateway when ctx.extra.paper), the journal (runDir/journal.jsonl)
 * and the tape (runDir/tape.csv), and feeds it every message:
 *   strategy -> TargetQuotes, TakerIntent, Control; ingest -> ConnectionEvent, OrderAck
 *   (user_orders), Fill, Position, MarketTrust, Lifecycle; sup -> Control; self -> Timer.
 * REST calls never block handling: results come back into the core from their promises.
 * Start-up (in onStart, before Ready): journal replay (trade ids), reconcile with the exchange,
 * order group, then ready. onStop: cancel all and verify with the exchange, flush the journal.
 */
import { join } from 'node:path';
import { runActor, kmm, Signer, loadPrivateKeyPem, type ActorContext, type EnvelopeBody, type Envelope } from '@kmm/shared';
import { ExecCore } from '../core/exec-core.js';
import { execParamsFrom } from '../core/params.js';
import { PaperGateway, RestGateway, type OrderGateway } from './gateway.js';
import { Journal, readJournal } from './journal.js';
import { RestClient } from './rest-client.js';
import { ExecRunner } from './runner.js';
import { Tape } from './tape.js';

export const TICK_MS = 100;
const STATS_EVERY_TICKS = 10;

let runner: ExecRunner | null = null;
/**
 * Paper mode with a fill model: the app passes `extra.paperVenueModule` (the URL of
 * @kmm/backtest/paper, which depends on this package, hence a runtime import) and ingest sends
 * book data to exec; the simulated venue fills our orders from it. Without it, PaperGateway.
 */
interface PaperVenue extends OrderGateway {
  onMarketData(body: EnvelopeBody): void;
}
type PaperVenueFactory = (o: {
  markets: kmm.v1.IMarketInfo[];
  queueModel: string;
  latencyMs: number;
  monoNs: () => number;
  wallMs: () => number;
  onFill: (fill: kmm.v1.IFill, position: kmm.v1.IPosition, doneAck: kmm.v1.IOrderAck | null) => void;
}) => PaperVenue;
let paperFactory: PaperVenueFactory | null = null;
let paperVenue: PaperVenue | null = null;
let ticks = 0;
/**
 * Messages that arrive while onStart is still building the runner. The runtime delivers from
 * the start (ports are attached before onStart) and onStart awaits the paper venue's import,
 * during which ingest already sends the first MarketTrust / ConnectionEvent: those are state
 * changes sent once, so dropping them left every market untrusted for good (paper mode quoted
 * nothing). They are replayed in order once the runner exists.
 * Limit PRESTART_MAX; overflow: the newest message is dropped and counted ('prestart_dropped').
 */
const PRESTART_MAX = 100_000;
let prestart: { env: Envelope; from: string }[] | null = [];

function build(ctx: ActorContext): { runner: ExecRunner; minFillTsMs: number } {
  const cfg: Record<string, unknown> = { ...ctx.config };
  if (ctx.startup.shardCount) cfg.kmm_shards = ctx.startup.shardCount;
  const params = execParamsFrom(cfg);
  const extra = ctx.extra;
  const paper = extra.paper === true;
  const runDir = String(extra.runDir || ctx.startup.runDir || 'runs');
  const journalPath = join(runDir, 'journal.jsonl');
  const prior = readJournal(journalPath);
  if (prior.badLines > 0 || prior.tornTail || prior.seqErrors > 0) ctx.log.warn({ bad: prior.badLines, torn: prior.tornTail, seqErrors: prior.seqErrors, errors: prior.errors.slice(0, 5) }, 'journal had unreadable or out-of-order lines');
  const fsyncMs = typeof ctx.config.kmm_journal_fsync_ms === 'number' ? ctx.config.kmm_journal_fsync_ms : 100;
  const journal = new Journal(journalPath, { fsyncEveryMs: fsyncMs > 0 ? fsyncMs : 1, flushEveryMs: fsyncMs === 0 ? 1 : 20 });
  const tape = new Tape(join(runDir, 'tape.csv'));
  let gateway: OrderGateway;
  if (paper && paperFactory) {
    paperVenue = paperFactory({
      markets: Array.isArray(extra.markets) ? extra.markets : [],
      queueModel: typeof extra.paperQueueModel === 'string' ? extra.paperQueueModel : 'risk-averse',
      latencyMs: typeof extra.paperLatencyMs === 'number' ? extra.paperLatencyMs : 0,
      monoNs: () => ctx.clock.monoNs(),
      wallMs: () => ctx.clock.wallMs(),
      onFill: (fill, position, doneAck) => {
        const r = runner;
        if (!r) return;
        const nowMs = ctx.clock.monoNs() / 1e6;
        r.handle(r.core.onFill(fill, nowMs, 'ws'));
        r.handle(r.core.onPosition(position, nowMs));
        if (doneAck) r.handle(r.core.onAck(doneAck, nowMs));
      },
    });
    gateway = paperVenue;
  } else if (paper) gateway = new PaperGateway(() => ctx.clock.monoNs());
  else {
    if (!extra.restBaseUrl) throw new Error('exec: ctx.extra.restBaseUrl is required (not in paper mode)');
    if (!extra.keyId || !extra.privateKeyPath) throw new Error('exec: ctx.extra.keyId and ctx.extra.privateKeyPath are required');
    const pem = loadPrivateKeyPem(String(extra.privateKeyPath), (m) => ctx.log.warn(m));
    gateway = new RestGateway(
      new RestClient({
        baseUrl: String(extra.restBaseUrl),
        signer: new Signer(String(extra.keyId), pem),
        cancelOrderOnPause: params.cancelOrderOnPause,
        monoNs: () => ctx.clock.monoNs(),
      }),
    );
  }
  const nowMs = ctx.clock.monoNs() / 1e6;
  const core = new ExecCore(params, { runId: (ctx.clock.wallMs() % 2_176_782_336).toString(36) + (ctx.startup.restartCount ?? 0), markets: Array.isArray(extra.markets) ? extra.markets : [], nowMs, paper });
  const seeded = core.seedFromJournal(prior.records);
  ctx.log.info({ tradeIds: seeded.tradeIds, journal: journalPath }, 'journal replayed');
  const peers = new Set(ctx.peers);
  const r = new ExecRunner({
    core,
    gateway,
    journal,
    tape,
    monoNs: () => ctx.clock.monoNs(),
    wallMs: () => ctx.clock.wallMs(),
    orderGroupContractsLimit: paper ? 0 : params.orderGroupContractsLimit,
    journalWire: true,
    send: (peer: string, body: EnvelopeBody) => {
      if (peers.has(peer)) ctx.send(peer, body);
      else ctx.stat('send_no_peer');
      // Monitor feed for the supervisor (dashboard, run summary): one copy of what strategy learns.
      if (peer === 'strategy' && (body.fill || body.position || body.workingOrders || body.orderReject)) ctx.send('sup', body);
    },
    ops: (event, market, level, fields) => ctx.ops(event, market, level, fields),
  });
  return { runner: r, minFillTsMs: seeded.maxFillTsMs > 0 ? seeded.maxFillTsMs - 60_000 : 0 };
}

function publishStats(ctx: ActorContext, r: ExecRunner): void {
  const t = ExecRunner.pctUs(r.targetToWire);
  const k = ExecRunner.pctUs(r.tickToWire);
  ctx.setStat('target_to_wire_p50_us', Math.round(t.p50Us));
  ctx.setStat('target_to_wire_p99_us', Math.round(t.p99Us));
  ctx.setStat('tick_to_order_p50_us', Math.round(k.p50Us));
  ctx.setStat('tick_to_order_p99_us', Math.round(k.p99Us));
  const s = r.core.stats;
  ctx.setStat('commands', s.commands);
  ctx.setStat('orders_placed', s.ordersPlaced);
  ctx.setStat('amends', s.amends);
  ctx.setStat('cancels', s.cancels);
  ctx.setStat('skips', s.skips);
  ctx.setStat('rejects', s.rejects);
  ctx.setStat('fills', s.fills);
  ctx.setStat('divergences', s.divergences);
  ctx.setStat('live_orders', r.core.bk.liveCount);
  ctx.setStat('http_429', r.core.limiter.rateLimited429);
  ctx.setStat('deferred_commands', s.deferredCommands);
  ctx.setStat('tick_to_order_count', r.tickToWire.count);
}

let pumpScheduled = false;

function onMessage(env: Envelope, from: string, ctx: ActorContext): void {
  const r = runner;
  if (!r) {
    if (prestart && prestart.length < PRESTART_MAX) prestart.push({ env, from });
    else ctx.stat('prestart_dropped');
    return;
  }
  const core = r.core;
  const now = ctx.clock.monoNs();
  const nowMs = now / 1e6;
  const h = env.header;
  switch (env.body) {
    case 'targetQuotes':
      // Record now, act once per mailbox drain: a burst of targets becomes one round of batched requests.
      r.handle(core.onTargets(env.targetQuotes!, nowMs, { recvMonoNs: h?.recvMonoNs ? Number(h.recvMonoNs) : 0, arrivalMonoNs: now }, false));
      if (!pumpScheduled) {
        pumpScheduled = true;
        queueMicrotask(() => {
          pumpScheduled = false;
          r.handle(core.pumpTargets(ctx.clock.monoNs() / 1e6));
        });
      }
      break;
    case 'takerIntent':
      r.handle(core.onTakerIntent(env.takerIntent!, nowMs, { recvMonoNs: h?.recvMonoNs ? Number(h.recvMonoNs) : 0, arrivalMonoNs: now }));
      break;
    case 'orderAck':
      r.handle(core.onAck(env.orderAck!, nowMs));
      break;
    case 'fill':
      r.handle(core.onFill(env.fill!, nowMs, 'ws'));
      break;
    case 'position':
      r.handle(core.onPosition(env.position!, nowMs));
      break;
    case 'marketTrust':
      r.handle(core.onTrust(env.marketTrust!, nowMs));
      break;
    case 'connection':
      r.handle(core.onConnection(env.connection!, nowMs));
      break;
    case 'bookSnapshot':
    case 'bookDelta':
    case 'publicTrade':
      paperVenue?.onMarketData(env);
      break;
    case 'lifecycle':
      paperVenue?.onMarketData(env);
      r.handle(core.onLifecycle(env.lifecycle!, nowMs));
      break;
    case 'marketInfo':
      r.handle(core.onMarkets([env.marketInfo!], nowMs));
      break;
    case 'control':
      r.handle(core.onControl(env.control!, nowMs));
      break;
    case 'timer':
      if (env.timer!.name === 'exec.tick') {
        r.tick();
        if (++ticks % STATS_EVERY_TICKS === 0) publishStats(ctx, r);
      }
      break;
    default:
      ctx.stat('ignored_' + String(env.body) + '_from_' + from);
  }
}

runActor({
  kind: kmm.v1.ActorKind.EXEC,
  async onStart(ctx) {
    if (ctx.extra.paper === true && typeof ctx.extra.paperVenueModule === 'string' && ctx.extra.paperVenueModule) {
      paperFactory = ((await import(ctx.extra.paperVenueModule)) as { createPaperGateway: PaperVenueFactory }).createPaperGateway;
    }
    const b = build(ctx);
    runner = b.runner;
    const early = prestart ?? [];
    prestart = null;
    if (early.length > 0) ctx.log.info({ messages: early.length }, 'replaying messages received during start-up');
    for (let i = 0; i < early.length; i++) onMessage(early[i].env, early[i].from, ctx);
    ctx.every('exec.tick', TICK_MS);
    await b.runner.startup(b.minFillTsMs);
    ctx.log.info({ orderGroupId: b.runner.core.orderGroupId, live: b.runner.core.bk.liveCount }, 'exec ready');
  },
  onMessage,
  async onStop(ctx) {
    const r = runner;
    if (!r) return;
    const rep = await r.shutdown();
    (rep.verified ? ctx.log.info : ctx.log.error).call(ctx.log, { ...rep }, 'exec shutdown');
    r.gw.close();
  },
});
