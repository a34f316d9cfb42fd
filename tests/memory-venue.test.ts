/**
 * The real wire code of both sides over MemoryExchange, in virtual time (no sockets, no real
 * timers on the exchange or the client path): exec's RestClient (signing, response parsing,
 * retries, error mapping) through `transport`/`sleep`/`setTimer`, and ingest's IngestCore fed
 * from a MemoryWsConn (open, frames, heartbeats, close codes) as the DST kernel will wire it.
 * Expectations mirror the HTTP-based RestClient tests in exec-worker/test/shell.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { kmm, resolveConfig, SeededRng, Signer, SimClock, type EnvelopeBody } from '@kmm/shared';
import { ManualScheduler, MemoryExchange, NO_READ_LAG, type MemoryExchangeOptions, type MemoryWsConn } from '@kmm/sim';
import { RestClient, RestGateway, runCommand } from '@kmm/exec-worker';
import { IngestCore, ingestParamsOf, type IngestSink, type WsCommand } from '@kmm/ingest-worker';

const RC = kmm.v1.RejectCode;
const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;
const MS = 1_000_000;
const { publicKey, privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
});
const KEY_ID = 'dst-key';
/** lets promise continuations run between scheduler events (no timers pending: deterministic) */
const settle = () => new Promise<void>((r) => setImmediate(r));

function world(over: Partial<MemoryExchangeOptions> = {}) {
  const clock = new SimClock(Date.UTC(2026, 6, 1));
  const sched = new ManualScheduler(clock);
  const ex = new MemoryExchange({ clock, scheduler: sched, seed: 3, markets: 4, tier: 'unlimited', publicKeyPem: publicKey, keyId: KEY_ID, readLag: NO_READ_LAG, ...over });
  let nextStepNs = clock.monoNs() + ex.stepPeriodMs * MS;
  /** runs the exchange's steps and every scheduled event for ms of virtual time */
  const run = async (ms: number) => {
    const end = clock.monoNs() + ms * MS;
    while (nextStepNs <= end) {
      await sched.runUntilAsync(nextStepNs, settle);
      ex.step();
      nextStepNs += ex.stepPeriodMs * MS;
    }
    await sched.runUntilAsync(end, settle);
  };
  /** runs virtual time in 5 ms slices until p settles (at most maxMs) */
  const drive = async <T>(p: Promise<T>, maxMs = 60_000): Promise<T> => {
    let done = false;
    p.then(
      () => (done = true),
      () => (done = true),
    );
    for (let t = 0; !done && t < maxMs; t += 5) await run(5);
    if (!done) throw new Error(`promise not settled after ${maxMs} ms of virtual time`);
    return p;
  };
  const rest = (o: { timeoutMs?: number; readTimeoutMs?: number } = {}) =>
    new RestClient({
      baseUrl: ex.restBaseUrl,
      signer: new Signer(KEY_ID, privateKey),
      transport: ex.restTransport(),
      sleep: (ms) => new Promise<void>((r) => sched.after(ms, r)),
      setTimer: (ms, fn) => {
        let live = true;
        sched.after(ms, () => live && fn());
        return () => (live = false);
      },
      wallMs: () => clock.wallMs(),
      monoNs: () => clock.monoNs(),
      ...o,
    });
  return { clock, sched, ex, run, drive, rest };
}

const cmd = (o: Partial<kmm.v1.IOrderCommand>): kmm.v1.IOrderCommand => ({
  kind: kmm.v1.CommandKind.PLACE,
  side: BID,
  countCenti: 100,
  tif: kmm.v1.TimeInForce.GOOD_TILL_CANCELED,
  postOnly: true,
  ...o,
});

describe('RestClient over MemoryExchange', () => {
  it('places, amends, decreases, cancels, and reads orders, positions, fills, queue positions, markets', async () => {
    const w = world();
    await w.run(3000); // flow builds the books
    const rc = w.rest();
    const T = w.ex.markets()[0].spec.ticker;
    const bestAsk = w.ex.engine.markets.get(T)!.book.bestAsk();
    const bestBid = w.ex.engine.markets.get(T)!.book.bestBid();
    expect(bestAsk).toBeGreaterThan(bestBid);

    const t0 = w.clock.monoNs();
    const placed = await w.drive(rc.createOrder(cmd({ market: T, clientOrderId: 'm-1', price: 100 })));
    expect(placed.ok).toBe(true);
    if (!placed.ok) return;
    expect(placed.value.remainingCenti).toBe(100);
    expect(placed.wireMonoNs).toBe(t0); // handed to the transport at once, in virtual time
    expect(placed.latencyUs).toBeGreaterThan(0);
    const id = placed.value.orderId;

    const amended = await w.drive(rc.amend(cmd({ kind: kmm.v1.CommandKind.AMEND, market: T, orderId: id, clientOrderId: 'm-1', price: 200, countCenti: 300 })));
    expect(amended.ok).toBe(true);
    const decreased = await w.drive(rc.decrease(cmd({ kind: kmm.v1.CommandKind.DECREASE, market: T, orderId: amended.ok ? amended.value.orderId : id, countCenti: 200 })));
    expect(decreased.ok && decreased.value.remainingCenti).toBe(200);
    const liveId = decreased.ok ? decreased.value.orderId : id;

    const batch = await w.drive(rc.batchCreate([cmd({ market: T, clientOrderId: 'm-2', price: 100 }), cmd({ market: T, clientOrderId: 'm-3', side: ASK, price: 9900 })]));
    expect(batch.ok && batch.value.map((b) => b.ok)).toEqual([true, true]);

    // a taker buy at the ask: fills against the flow's liquidity
    const taker = await w.drive(rc.createOrder(cmd({ market: T, clientOrderId: 'm-4', price: bestAsk, postOnly: false, tif: kmm.v1.TimeInForce.IMMEDIATE_OR_CANCEL })));
    expect(taker.ok && taker.value.fillCenti).toBeGreaterThan(0);

    const orders = await w.drive(rc.getOrders('resting'));
    expect(orders.ok && orders.value.map((o) => o.clientOrderId).sort()).toEqual(['m-1', 'm-2', 'm-3']);
    const positions = await w.drive(rc.getPositions());
    expect(positions.ok && positions.value.find((p) => p.market === T)?.positionCenti).toBe(taker.ok ? taker.value.fillCenti : -1);
    const fills = await w.drive(rc.getFills(0));
    expect(fills.ok && fills.value.reduce((s, f) => s + (f.countCenti ?? 0), 0)).toBe(taker.ok ? taker.value.fillCenti : -1);
    const queue = await w.drive(rc.getQueuePositions([T]));
    expect(queue.ok && queue.value.map((q) => q.orderId).sort()).toEqual((orders.ok ? orders.value.map((o) => o.orderId) : []).sort());
    const markets = await w.drive(rc.getMarkets('open'));
    expect(markets.ok && markets.value.length).toBe(4);
    const status = await w.drive(rc.getExchangeStatus());
    expect(status.ok && status.value).toEqual({ exchangeActive: true, tradingActive: true });
    const group = await w.drive(rc.createOrderGroup(10));
    expect(group.ok).toBe(true);
    if (group.ok) expect((await w.drive(rc.resetOrderGroup(group.value))).ok).toBe(true);

    const cancelled = await w.drive(rc.cancel(liveId));
    expect(cancelled.ok && cancelled.value.reducedCenti).toBe(200);
    const bc = await w.drive(rc.batchCancel(batch.ok ? batch.value.map((b) => cmd({ kind: kmm.v1.CommandKind.CANCEL, orderId: (b as { orderId: string }).orderId })) : []));
    expect(bc.ok && bc.value.every((b) => b.ok)).toBe(true);
    expect(w.ex.records().caps.every((c) => c.openOrders === 0)).toBe(true);
    rc.close();
  });

  it('maps 429, 5xx and timeouts as over HTTP: 429 never retried, a create retried once on 5xx, an amend never; timeouts fire in virtual time', async () => {
    const w = world({ flow: false });
    const rc = w.rest({ timeoutMs: 150 });
    const T = w.ex.markets()[0].spec.ticker;
    const reqs = () => w.ex.stats().restRequests;

    w.ex.faults.set({ rate429Storm: true });
    let n = reqs();
    const r429 = await w.drive(rc.batchCancel([cmd({ kind: kmm.v1.CommandKind.CANCEL, orderId: 'x' })]));
    expect(r429.ok ? 0 : r429.error.code).toBe(RC.RATE_LIMITED);
    expect(reqs() - n).toBe(1);
    expect(rc.stats.http429).toBe(1);

    w.ex.faults.set({ rate429Storm: false, rest5xxProb: 1 });
    n = reqs();
    const c5 = await w.drive(rc.createOrder(cmd({ market: T, clientOrderId: 'f-1', price: 100 })));
    expect(c5.ok ? 0 : c5.error.code).toBe(RC.SERVER_ERROR);
    expect(reqs() - n).toBe(2);
    n = reqs();
    const a5 = await w.drive(rc.amend(cmd({ kind: kmm.v1.CommandKind.AMEND, market: T, orderId: 'o', price: 200 })));
    expect(a5.ok ? 0 : a5.error.code).toBe(RC.SERVER_ERROR);
    expect(reqs() - n).toBe(1);

    // the exchange never answers: the client's 150 ms timeout, one retry after 100 ms backoff
    w.ex.faults.set({ rest5xxProb: 0, restTimeoutProb: 1, restTimeoutMs: 30_000 });
    n = reqs();
    const t0 = w.clock.monoNs();
    const res = await w.drive(runCommand(new RestGateway(rc), { id: 1, op: 'batch_create', orders: [cmd({ market: T, clientOrderId: 'to-1', price: 100 }), cmd({ market: T, clientOrderId: 'to-2', price: 100 })], causeRecvMonoNs: 0, arrivalMonoNs: 0, issuedMs: 0, tokens: 20 }));
    expect(res.rejects.map((r) => r.code)).toEqual([RC.TIMEOUT, RC.TIMEOUT]);
    expect(reqs() - n).toBe(2);
    const elapsedMs = (w.clock.monoNs() - t0) / MS;
    expect(elapsedMs).toBeGreaterThanOrEqual(400);
    expect(elapsedMs).toBeLessThan(420);
    // the exchange created them anyway? no: a timed-out request is never handled
    expect(w.ex.records().clientOrderIdsSeen).not.toContain('to-1');

    // the server resets before the client's timeout: ECONNRESET, also TIMEOUT (unknown outcome)
    w.ex.faults.set({ restTimeoutMs: 20 });
    const reset = await w.drive(rc.getExchangeStatus());
    expect(reset.ok ? null : [reset.error.code, reset.error.network]).toEqual([RC.TIMEOUT, 'ECONNRESET']);

    // REST latency fault beyond the timeout: handled by the exchange, but the answer comes too late
    w.ex.faults.set({ restTimeoutProb: 0, restLatencyMs: 500 });
    const slow = await w.drive(rc.amend(cmd({ kind: kmm.v1.CommandKind.AMEND, market: T, orderId: 'nope', price: 200 })));
    expect(slow.ok ? null : [slow.error.code, slow.error.network]).toEqual([RC.TIMEOUT, 'ETIMEDOUT']);
    w.ex.faults.clear();
    await w.run(1000); // the late reply arrives after the timeout and is ignored
    rc.close();
  });
});

describe('IngestCore over MemoryWsConn', () => {
  it('connects, subscribes, trusts snapshotted markets, sees seq gaps, heartbeats and drops with close 1006', async () => {
    const w = world({ wsPingMs: 1000 });
    const markets = w.ex.markets().map((m) => m.spec.ticker);
    const signer = new Signer(KEY_ID, privateKey);
    const sent: Array<{ peer: string; body: EnvelopeBody }> = [];
    let conn: MemoryWsConn | null = null;
    const disconnects: string[] = [];
    let heartbeats = 0;
    const sink: IngestSink = {
      send: (peer, body) => sent.push({ peer, body }),
      wsSend: (c: WsCommand) => conn?.send(JSON.stringify(c)),
      dropConnection: () => conn?.terminate(),
      log: () => {},
      stat: () => {},
    };
    const core = new IngestCore(ingestParamsOf(resolveConfig({})), 2, new SeededRng(1), sink, markets.map((m) => ({ market: m })));
    const connect = () => {
      conn = w.ex.connect(signer.headers(w.clock.wallMs(), 'GET', w.ex.wsPath), {
        onOpen: () => core.onConnected(w.clock.monoNs()),
        onFrame: (text) => core.onFrame(text, w.clock.monoNs(), w.clock.wallMs()),
        onPing: () => {
          heartbeats++;
          core.onHeartbeat(w.clock.monoNs());
        },
        onPong: () => core.onHeartbeat(w.clock.monoNs()),
        onClose: (code, reason) => {
          const reasonText = `close_${code}${reason ? ':' + reason : ''}`;
          disconnects.push(reasonText);
          core.onDisconnected(w.clock.monoNs(), reasonText);
        },
      });
    };
    connect();
    await w.run(2500);
    expect(core.isConnected()).toBe(true);
    for (const m of markets) expect(core.trustOf(m)).toBe(kmm.v1.TrustState.TRUSTED);
    expect(heartbeats).toBe(2);
    expect(sent.some((s) => s.body.bookDelta)).toBe(true);
    expect(core.counters.invalid).toBe(0);

    w.ex.faults.set({ seqSkipProb: 0.2 });
    await w.run(500);
    w.ex.faults.clear();
    expect(core.counters.gaps).toBeGreaterThan(0);
    await w.run(3000); // resync by get_snapshot
    for (const m of markets) expect(core.trustOf(m)).toBe(kmm.v1.TrustState.TRUSTED);

    w.ex.dropWebSockets();
    await w.run(50);
    expect(disconnects).toEqual(['close_1006']);
    expect(core.isConnected()).toBe(false);
    for (const m of markets) expect(core.trustOf(m)).toBe(kmm.v1.TrustState.UNTRUSTED);
    connect();
    await w.run(1000);
    for (const m of markets) expect(core.trustOf(m)).toBe(kmm.v1.TrustState.TRUSTED);
  });
});
