/**
 * Floor worker for bench/transport.bench.mjs: the same source -> relay* -> sink roles as the
 * runtime's chain actor, but over raw MessageChannels with plain JS objects (structured clone):
 * no protobuf, no batching, no mailbox, no setImmediate drain. What the runtime costs on top of
 * this is what the benchmark reports.
 *
 * Control (from the main thread over parentPort):
 *   {type:'init', in?: MessagePort, out?: MessagePort}  -> {type:'ready'}
 *   sink:   {type:'expect', n} -> {type:'ack'}; after n messages -> {type:'report', count, p50Ns,
 *           p99Ns, maxNs, firstSentNs, lastRecvNs} (same fields as the chain actor's sink_report)
 *   source: {type:'emit', n, paced, gapMs?}: paced = one message per event-loop turn (setImmediate),
 *           or one every gapMs (setTimeout) when gapMs > 0, as the chain actor does; otherwise a
 *           synchronous burst.
 * Data: {header:{senderSeq, emitMonoNs, causationId, recvMonoNs, ...}, bookFeatures:{...}}, the plain
 * equivalent of the runtime's Envelope; header.recvMonoNs is the source's hrtime stamp.
 * workerData.codec = true (the "floor + protobuf" variant): the same Envelope is encoded with the
 * runtime's BatchEncoder (one message per batch), the owned ArrayBuffer is transferred, and every
 * receiver decodes it with decodeBatch (a relay re-encodes, as a runtime relay does) - the codec
 * cost without the runtime's mailbox, drain scheduling and flush scheduling.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createHistogram } from 'node:perf_hooks';

const role = workerData.role;
const codec = workerData.codec === true;
const { BatchEncoder, decodeBatch } = codec ? await import('../packages/shared/dist/transport/codec.js') : {};
const encoder = codec ? new BatchEncoder() : null;
const latency = createHistogram();
let inPort = null;
let outPort = null;
let count = 0;
let expect = 0;
let firstSentNs = 0;
let lastRecvNs = 0;
let seq = 0;

const hr = process.hrtime.bigint;

/** Field for field the BookFeatures the chain actor builds (see chain-actor.ts). */
function features(i, nowNs) {
  return {
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
    volRegime: 2,
    trendFast: 4751,
    trendSlow: 4749,
    trust: 1,
    bookVersion: i,
    lastTradePrice: 4700,
    lastTradeCenti: 500,
    bidsTop: [{ price: 4700, countCenti: 120000 }, { price: 4600, countCenti: 5000 }],
    asksTop: [{ price: 4800, countCenti: 98000 }, { price: 4900, countCenti: 7000 }],
    totalBidCenti: nowNs % 1000,
  };
}

function post(env) {
  if (!codec) {
    outPort.postMessage(env);
    return;
  }
  encoder.add(env);
  const batch = encoder.finish();
  outPort.postMessage(batch, [batch]);
}

function sendOne(i) {
  const now = Number(hr());
  post({
    header: { senderSeq: ++seq, emitMonoNs: now, causationId: i + 1, recvMonoNs: now, exchangeTsMs: 0, senderId: 1000 },
    bookFeatures: features(i, now),
  });
}

function onData(data) {
  if (codec) decodeBatch(data, onEnvelope);
  else onEnvelope(data);
}

function onEnvelope(msg) {
  if (role === 'relay') {
    if (!codec) {
      outPort.postMessage(msg);
      return;
    }
    const h = msg.header;
    post({
      header: { senderSeq: ++seq, emitMonoNs: Number(hr()), causationId: h.causationId, recvMonoNs: h.recvMonoNs, exchangeTsMs: h.exchangeTsMs, senderId: 3000 },
      bookFeatures: msg.bookFeatures,
    });
    return;
  }
  // sink
  count++;
  const recv = Number(msg.header.recvMonoNs);
  const now = Number(hr());
  latency.record(Math.max(1, now - recv));
  if (count === 1) firstSentNs = recv;
  lastRecvNs = now;
  if (expect > 0 && count === expect) {
    parentPort.postMessage({
      type: 'report',
      count,
      p50Ns: latency.percentile(50),
      p99Ns: latency.percentile(99),
      maxNs: latency.max,
      firstSentNs,
      lastRecvNs,
    });
  }
}

parentPort.on('message', (m) => {
  if (m.type === 'init') {
    inPort = m.in ?? null;
    outPort = m.out ?? null;
    if (inPort) inPort.on('message', onData);
    parentPort.postMessage({ type: 'ready' });
  } else if (m.type === 'expect') {
    expect = m.n;
    count = 0;
    firstSentNs = 0;
    lastRecvNs = 0;
    latency.reset();
    parentPort.postMessage({ type: 'ack' });
  } else if (m.type === 'emit') {
    const n = m.n;
    if (!m.paced) {
      for (let i = 0; i < n; i++) sendOne(i);
    } else {
      const gapMs = Number(m.gapMs ?? 0);
      let i = 0;
      const step = () => {
        sendOne(i);
        if (++i < n) {
          if (gapMs > 0) setTimeout(step, gapMs);
          else setImmediate(step);
        }
      };
      step();
    }
  } else if (m.type === 'close') {
    inPort?.close();
    outPort?.close();
    parentPort.close();
  }
});
