/**
 * A generic actor for runtime tests and transport benchmarks (not used in production).
 * Roles (Startup.extra_json.role):
 *   source: on Control{json:{emit:N, paced:bool, gapMs?:number}} sends N BookFeatures to `next`
 *           (paced: one per event-loop turn, so each is its own batch; with gapMs > 0 one every
 *           gapMs via setTimeout, so receivers are idle when a message arrives => latency mode
 *           without queueing behind earlier messages)
 *   relay:  forwards every BookFeatures to `next`; Control{json:{crash:true}} throws (crash test)
 *   sink:   counts BookFeatures, records recv->now latency; reports OpsEvent 'sink_report'
 *           {count, p50Ns, p99Ns, maxNs, firstSentNs, lastRecvNs} when it reaches
 *           Control{json:{expect:N}} (and at once on Control{json:{report:true}}, e.g. as an ack).
 *           firstSentNs is the source's stamp on the first counted message and lastRecvNs the
 *           sink's clock at the last one, so count / (lastRecvNs - firstSentNs) is the end-to-end
 *           throughput of a burst (hrtime is one clock for all threads of the process).
 */
import { createHistogram } from 'node:perf_hooks';
import { kmm } from '../../gen/proto.js';
import { runActor } from '../actor.js';
import type { ActorDescriptor, ActorIo } from '../descriptor.js';

let count = 0;
let expect = 0;
let firstSentNs = 0;
let lastRecvNs = 0;
const latency = createHistogram();

function features(i: number, nowNs: number): kmm.v1.IBookFeatures {
  return {
    // distinct markets: conflation (latest per market) must not merge test messages
    market: 'KXBENCH-26JAN01-M' + i,
    bestBid: 4700,
    bestBidCenti: 120000 + i,
    bestAsk: 4800,
    bestAskCenti: 98000,
    mid: 4750,
    microprice: 4755.5,
    spread: 100,
    spreadEma: 101.2,
    ofi: -12.5,
    imbalance: 0.1,
    imbalanceEma: 0.08,
    microVolBps: 3.2,
    microDriftBps: -0.4,
    volRegime: kmm.v1.VolRegime.NORMAL,
    trendFast: 4751,
    trendSlow: 4749,
    trust: kmm.v1.TrustState.TRUSTED,
    bookVersion: i,
    lastTradePrice: 4700,
    lastTradeCenti: 500,
    bidsTop: [{ price: 4700, countCenti: 120000 }, { price: 4600, countCenti: 5000 }],
    asksTop: [{ price: 4800, countCenti: 98000 }, { price: 4900, countCenti: 7000 }],
    totalBidCenti: nowNs % 1000,
  };
}

function report(ctx: ActorIo): void {
  ctx.ops('sink_report', '', 'info', {
    count,
    p50Ns: latency.count ? latency.percentile(50) : 0,
    p99Ns: latency.count ? latency.percentile(99) : 0,
    maxNs: latency.count ? latency.max : 0,
    firstSentNs,
    lastRecvNs,
  });
}

interface ChainEnv {
  role: string;
  next: string | undefined;
  monoNs: () => number;
}

/** The generic chain actor: its "environment" is its role and the real clock (paced sends use real timers). */
const chainActor: ActorDescriptor<ChainEnv, ChainEnv> = {
  kind: kmm.v1.ActorKind.BOOK,
  start(init) {
    init.io.setStat('role', init.env.role);
    return init.env;
  },
  timers: [],
  handlers: {
    control(s, control, _t, ctx) {
      const cmd = control.json ? JSON.parse(control.json) : {};
      if (cmd.crash) throw new Error(`${ctx.name}: crash requested by test`);
      if (cmd.expect !== undefined) {
        expect = cmd.expect;
        count = 0;
        firstSentNs = 0;
        lastRecvNs = 0;
        latency.reset();
      }
      if (cmd.report) report(ctx);
      if (s.role === 'source' && cmd.emit) {
        const n = cmd.emit as number;
        if (!cmd.paced) {
          for (let i = 0; i < n; i++) {
            const now = s.monoNs();
            ctx.send(s.next!, { bookFeatures: features(i, now) }, { causationId: i + 1, recvMonoNs: now });
          }
        } else {
          const gapMs = Number(cmd.gapMs ?? 0);
          let i = 0;
          const step = () => {
            const now = s.monoNs();
            ctx.send(s.next!, { bookFeatures: features(i, now) }, { causationId: i + 1, recvMonoNs: now });
            if (++i < n) {
              if (gapMs > 0) setTimeout(step, gapMs);
              else setImmediate(step);
            }
          };
          step();
        }
      }
    },
    bookFeatures(s, f, _t, ctx) {
      if (s.role === 'relay') {
        ctx.send(s.next!, { bookFeatures: f });
      } else if (s.role === 'sink') {
        count++;
        const recv = Number(ctx.current?.recvMonoNs ?? 0);
        const now = s.monoNs();
        if (recv > 0) latency.record(Math.max(1, now - recv));
        if (count === 1) firstSentNs = recv;
        lastRecvNs = now;
        if (expect > 0 && count === expect) report(ctx);
      }
    },
  },
};

runActor(chainActor, (ctx) => ({
  role: String((ctx.extra as Record<string, unknown>).role),
  next: (ctx.extra as Record<string, unknown>).next as string | undefined,
  monoNs: () => ctx.clock.monoNs(),
}));
