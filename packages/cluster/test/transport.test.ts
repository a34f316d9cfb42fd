/**
 * The NATS transport against a real nats-server: each connection stands for one process.
 */
import { expect, it } from 'vitest';
import { BatchEncoder, decodeBatch, kmm } from '@kmm/shared';
import { LocalInbox, MarketFeed, NatsTransport, type Delivery } from '../src/shell/transport.js';
import { gatewayActor, gatewayRoute, isGatewayActor } from '../src/shell/gateway.js';
import { describeNats, useNatsServer } from './nats.js';

type Envelope = kmm.v1.Envelope;

function place(cid: string): kmm.v1.IEnvelope {
  return { header: { senderSeq: 1 }, orderCommand: { kind: kmm.v1.CommandKind.PLACE, market: 'MKT-A', clientOrderId: cid, side: kmm.v1.BookSide.YES_BID, price: 41, countCenti: 100 } };
}
function features(market: string, bestBid: number): kmm.v1.IEnvelope {
  return { header: { senderSeq: bestBid }, bookFeatures: { market, bestBid } };
}
/** Resolves with the first `n` envelopes a collector received. */
function collector(): { got: Array<{ env: Envelope; from: string }>; until(n: number): Promise<void>; push(env: Envelope, from: string): void } {
  const got: Array<{ env: Envelope; from: string }> = [];
  const waiters: Array<[number, () => void]> = [];
  return {
    got,
    push(env, from) {
      got.push({ env, from });
      for (const w of waiters.splice(0)) if (got.length >= w[0]) w[1]();
      else waiters.push(w);
    },
    until(n) {
      return got.length >= n ? Promise.resolve() : new Promise((r) => waiters.push([n, r]));
    },
  };
}

describeNats('NATS transport', () => {
  const fx = useNatsServer();

  it('carries envelope batches between processes in order, naming the sender', async () => {
    const a = new NatsTransport(await fx.connect(), 't1');
    const b = new NatsTransport(await fx.connect(), 't1');
    const inbox = collector();
    b.serve('exec', (env, from) => void inbox.push(env, from));
    await b.nc.flush();
    for (let i = 1; i <= 50; i++) a.send('strategy', 'exec', [{ header: { senderSeq: i }, targetQuotes: { market: "MKT-A", bestBid: i } }]);
    a.send('book.2', 'exec', [features('MKT-B', 7), features('MKT-C', 8)]);
    await inbox.until(52);
    expect(inbox.got.slice(0, 50).map((g) => g.env.targetQuotes!.bestBid)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(inbox.got[0].from).toBe('strategy');
    expect(inbox.got[50]).toMatchObject({ from: 'book.2' });
    expect(inbox.got[51].env.bookFeatures!.market).toBe('MKT-C');
  });

  it('commands are request/reply: admitted, refused by a full mailbox, or refused when nobody serves', async () => {
    const a = new NatsTransport(await fx.connect(), 't2', { commandTimeoutMs: 5000 });
    const b = new NatsTransport(await fx.connect(), 't2');
    const inbox = collector();
    let answer: Delivery = 'queued';
    b.serve('exec', (env, from) => {
      inbox.push(env, from);
      return answer;
    });
    await b.nc.flush();
    expect(await a.command('strategy', 'exec', place('c-1'))).toBeNull();
    expect(inbox.got[0].env.orderCommand!.clientOrderId).toBe('c-1');
    answer = 'rejected';
    const full = await a.command('strategy', 'exec', place('c-2'));
    expect(full!.orderReject).toMatchObject({ code: kmm.v1.RejectCode.MAILBOX_FULL, clientOrderId: 'c-2', market: 'MKT-A', message: 'exec mailbox full' });
    const none = await a.command('strategy', 'exec.9', place('c-3'));
    expect(none!.orderReject).toMatchObject({ code: kmm.v1.RejectCode.OTHER, clientOrderId: 'c-3' });
    expect(none!.orderReject!.message).toMatch(/no actor 'exec.9' is serving/);
    await expect(a.command('strategy', 'exec', features('M', 1))).rejects.toThrow(/OrderCommand or TakerIntent/);
  });

  it('bridges two worker ports across processes: batches both ways, commands acknowledged', async () => {
    // process A hosts 'strategy' (a worker whose peer 'exec' is remote), process B hosts 'exec'
    const ta = new NatsTransport(await fx.connect(), 't3');
    const tb = new NatsTransport(await fx.connect(), 't3');
    const inA = new LocalInbox(ta, 'strategy');
    const inB = new LocalInbox(tb, 'exec');
    const strategyPort = ta.bridge('strategy', 'exec', inA); // what the strategy worker would hold
    const execPort = tb.bridge('exec', 'strategy', inB); // what the exec worker would hold
    await Promise.all([ta.nc.flush(), tb.nc.flush()]);
    const atExec = collector();
    const atStrategy = collector();
    execPort.on('message', (batch: ArrayBuffer) => decodeBatch(batch, (e) => atExec.push(e, 'strategy')));
    strategyPort.on('message', (batch: ArrayBuffer) => decodeBatch(batch, (e) => atStrategy.push(e, 'exec')));
    const enc = new BatchEncoder();
    enc.add({ header: { senderSeq: 1 }, targetQuotes: { market: 'MKT-A', bestBid: 40 } });
    enc.add(place('c-9'));
    enc.add({ header: { senderSeq: 3 }, targetQuotes: { market: 'MKT-A', bestBid: 41 } });
    const batch = enc.finish();
    strategyPort.postMessage(batch, [batch]);
    await atExec.until(3);
    expect(atExec.got.map((g) => g.env.body)).toEqual(['targetQuotes', 'orderCommand', 'targetQuotes']);
    const back = new BatchEncoder();
    back.add({ header: { senderSeq: 1 }, orderAck: { market: 'MKT-A', clientOrderId: 'c-9', orderId: 'o-1' } });
    const bb = back.finish();
    execPort.postMessage(bb, [bb]);
    await atStrategy.until(1);
    expect(atStrategy.got[0].env.orderAck!.orderId).toBe('o-1');
    expect(ta.stats.commandRejects).toBe(0);
    // a sender the topology did not connect is dropped and counted; its command refused with a reason
    const stranger = new NatsTransport(await fx.connect(), 't3');
    const rej = await stranger.command('ingest', 'exec', place('c-10'));
    expect(rej!.orderReject!.message).toBe("exec is not connected to 'ingest'");
    expect(inB.unknownSender).toBe(1);
    inA.close();
    inB.close();
  });

  it('market data is conflated per market at the consumer', async () => {
    // the feed itself: a burst between two deliveries collapses to each market's newest state
    const delivered: Envelope[] = [];
    const feed = new MarketFeed((e) => delivered.push(e));
    for (let i = 1; i <= 100; i++) feed.offer(kmm.v1.Envelope.create(features('MKT-A', i)));
    feed.offer(kmm.v1.Envelope.create(features('MKT-B', 5)));
    await new Promise<void>((r) => setImmediate(r));
    expect(delivered.map((e) => [e.bookFeatures!.market, e.bookFeatures!.bestBid])).toEqual([
      ['MKT-A', 100],
      ['MKT-B', 5],
    ]);
    expect(feed.conflated).toBe(99);

    // over NATS: whatever the socket batching, the last state delivered per market is the newest,
    // and states of one market never go backwards
    const pub = new NatsTransport(await fx.connect(), 't4');
    const sub = new NatsTransport(await fx.connect(), 't4');
    const seen = new Map<string, number[]>();
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    sub.marketFeed(['MKT-A', 'MKT-B.5'], (e) => {
      const m = e.bookFeatures!.market;
      seen.set(m, [...(seen.get(m) ?? []), e.bookFeatures!.bestBid]);
      if (seen.get('MKT-A')?.at(-1) === 500 && seen.get('MKT-B.5')?.at(-1) === 500) done();
    });
    await sub.nc.flush();
    for (let i = 1; i <= 500; i++) {
      pub.publishMarket(features('MKT-A', i));
      pub.publishMarket(features('MKT-B.5', i));
    }
    await pub.nc.flush();
    await finished;
    for (const xs of seen.values()) for (let i = 1; i < xs.length; i++) expect(xs[i]).toBeGreaterThan(xs[i - 1]);
    expect(() => pub.publishMarket({ bookDelta: { market: 'MKT-A' } })).toThrow(/not 'bookDelta'/);
  });

  it("routes a strategy's 'exec' peer to the gateway of each market's shard, and brings every gateway's replies back", async () => {
    const ts = new NatsTransport(await fx.connect(), 't5', { commandTimeoutMs: 5000 });
    const g1 = new NatsTransport(await fx.connect(), 't5');
    const g2 = new NatsTransport(await fx.connect(), 't5');
    const at1 = collector();
    const at2 = collector();
    g1.serve(gatewayActor(1), (env, from) => void at1.push(env, from));
    g2.serve(gatewayActor(2), (env, from) => void at2.push(env, from));
    await Promise.all([g1.nc.flush(), g2.nc.flush()]);
    const inbox = new LocalInbox(ts, 'strategy.n1');
    const route = gatewayRoute(new Map([['MKT-A', 1], ['MKT-B', 2]]), [1, 2]);
    const execPort = ts.groupBridge('strategy.n1', 'exec', route, isGatewayActor, inbox); // the strategy worker's peer 'exec'
    await ts.nc.flush();
    const back = collector();
    execPort.on('message', (b: ArrayBuffer) => decodeBatch(b, (e) => back.push(e, 'exec')));

    const enc = new BatchEncoder();
    enc.add({ header: { senderSeq: 1 }, targetQuotes: { market: 'MKT-A', bestBid: 40 } });
    enc.add({ header: { senderSeq: 2 }, targetQuotes: { market: 'MKT-B', bestBid: 50 } });
    enc.add({ header: { senderSeq: 3 }, control: { kind: kmm.v1.ControlKind.RECONCILE } });
    enc.add(place('c-7')); // MKT-A
    enc.add({ header: { senderSeq: 5 }, targetQuotes: { market: 'MKT-Z', bestBid: 1 } }); // no shard known
    const batch = enc.finish();
    execPort.postMessage(batch, [batch]);
    await at1.until(3);
    await at2.until(2);
    expect(at1.got.map((g) => g.env.body)).toEqual(['targetQuotes', 'control', 'orderCommand']);
    expect(at2.got.map((g) => g.env.body)).toEqual(['targetQuotes', 'control']);
    expect(at1.got[0].from).toBe('strategy.n1');
    expect(ts.stats.unrouted).toBe(1);

    // both gateways answer; the strategy worker sees both as its peer 'exec'
    g1.send(gatewayActor(1), 'strategy.n1', [{ header: { senderSeq: 1 }, orderAck: { market: 'MKT-A', clientOrderId: 'c-7', orderId: 'o-7' } }]);
    g2.send(gatewayActor(2), 'strategy.n1', [{ header: { senderSeq: 1 }, workingOrders: { market: 'MKT-B' } }]);
    await back.until(2);
    expect(back.got.map((g) => g.env.body).sort()).toEqual(['orderAck', 'workingOrders']);
    // a command for a market no gateway serves is refused to the worker
    const enc2 = new BatchEncoder();
    enc2.add({ header: { senderSeq: 9 }, orderCommand: { kind: kmm.v1.CommandKind.PLACE, market: 'MKT-Z', clientOrderId: 'c-8' } });
    const b2 = enc2.finish();
    execPort.postMessage(b2, [b2]);
    await back.until(3);
    expect(back.got[2].env.orderReject).toMatchObject({ clientOrderId: 'c-8', message: "no exec serves market 'MKT-Z'" });
    inbox.close();
  });
});
