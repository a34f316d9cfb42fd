/**
 * One hop of an actor envelope, side by side: a MessageChannel between two worker threads (the
 * single-process transport) against a NATS publish/subscribe through a loopback nats-server
 * (the cluster transport), both carrying the same encoded BookFeatures batch.
 *
 * Method: ping-pong of one batch, N round trips after a warm-up; one hop = round trip / 2.
 * The echo side of both runs in another thread (MessageChannel) or another connection
 * (NATS), so each hop crosses a thread or a socket boundary as in production.
 *   node bench/hop.bench.mjs [--n 5000]     (build first: it imports dist/)
 */
import { Worker, MessageChannel } from 'node:worker_threads';
import { createHistogram } from 'node:perf_hooks';
import { connect } from '@nats-io/transport-node';
import { BatchEncoder } from '@kmm/shared';
import { startNatsServer } from '../dist/shell/nats-server.js';

const nAt = process.argv.indexOf('--n');
const n = nAt >= 0 ? Number(process.argv[nAt + 1]) : 5000;
if (!Number.isInteger(n) || n < 100) throw new Error(`--n must be a whole number >= 100, got ${process.argv[nAt + 1]}`);
const warm = 500;

function batch() {
  const enc = new BatchEncoder();
  enc.add({ header: { senderSeq: 1 }, bookFeatures: { market: 'KXBENCH-26JAN01-M1', bestBid: 4700, bestAsk: 4800, mid: 4750, spread: 100, bidsTop: [{ price: 4700, countCenti: 120000 }], asksTop: [{ price: 4800, countCenti: 98000 }] } });
  return new Uint8Array(enc.finish());
}

function summary(name, h) {
  const us = (v) => (v / 1000 / 2).toFixed(1); // ns round trip -> us one hop
  return { transport: name, hops: h.count, p50_us: Number(us(h.percentile(50))), p99_us: Number(us(h.percentile(99))), max_us: Number(us(h.max)) };
}

async function messageChannel() {
  const { port1, port2 } = new MessageChannel();
  const echo = new Worker(`const { parentPort } = require('node:worker_threads'); parentPort.once('message', (p) => p.on('message', (b) => p.postMessage(b, [b])));`, { eval: true });
  echo.postMessage(port2, [port2]);
  const h = createHistogram();
  const payload = batch();
  await new Promise((resolve) => {
    let i = 0;
    let t0 = 0n;
    const send = () => {
      const b = payload.slice().buffer;
      t0 = process.hrtime.bigint();
      port1.postMessage(b, [b]);
    };
    port1.on('message', () => {
      const dt = Number(process.hrtime.bigint() - t0);
      if (++i > warm) h.record(Math.max(1, dt));
      if (i < warm + n) send();
      else resolve();
    });
    send();
  });
  port1.close();
  await echo.terminate();
  return summary('MessageChannel (worker thread)', h);
}

async function nats(url) {
  const a = await connect({ servers: url });
  const b = await connect({ servers: url });
  b.subscribe('bench.ping', { callback: (_e, m) => b.publish('bench.pong', m.data) });
  await b.flush();
  const h = createHistogram();
  const payload = batch();
  await new Promise((resolve) => {
    let i = 0;
    let t0 = 0n;
    const send = () => {
      t0 = process.hrtime.bigint();
      a.publish('bench.ping', payload);
    };
    a.subscribe('bench.pong', {
      callback: () => {
        const dt = Number(process.hrtime.bigint() - t0);
        if (++i > warm) h.record(Math.max(1, dt));
        if (i < warm + n) send();
        else resolve();
      },
    });
    a.flush().then(send);
  });
  await a.close();
  await b.close();
  return summary('NATS (loopback nats-server, two connections)', h);
}

const server = await startNatsServer({ name: 'kmm-bench' });
try {
  const rows = [await messageChannel(), await nats(server.url)];
  console.log(JSON.stringify({ bench: 'hop', n, payloadBytes: batch().length, rows }, null, 1));
} finally {
  await server.stop();
}
