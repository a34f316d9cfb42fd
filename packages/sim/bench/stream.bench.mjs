// Deltas per second the sim streams to one websocket client.
// Run: cd packages/sim && npx tsc -p tsconfig.json && node bench/stream.bench.mjs [seconds]
// The sim runs in its own worker thread (startSimThread); this thread is the client. The sim is
// driven by liquidity-provider re-quote bursts on one market (each emits >= 1 orderbook_delta).
import os from 'node:os';
import { Signer } from '@kmm/shared';
import WebSocket from 'ws';
import { startSimThread } from '../dist/index.js';

const seconds = Number(process.argv[2] ?? 5);
const cpu = os.cpus()[0]?.model ?? 'unknown';
console.log(`machine: ${cpu}, ${os.cpus().length} cores, node ${process.version}, ${os.platform()} ${os.release()}`);

const sim = await startSimThread({ seed: 1, markets: 4, speed: 0, tier: 'unlimited', wsPingMs: 10_000 });
const tickers = await sim.marketTickers();
const ticker = tickers[0];
const signer = new Signer(sim.keyId, sim.privateKeyPem);
const ws = new WebSocket(sim.wsUrl, { headers: { ...signer.headers(Date.now(), 'GET', '/trade-api/ws/v2') }, perMessageDeflate: false });
let deltas = 0;
let parsedOk = 0;
let snapshot = false;
const PARSE = process.env.BENCH_PARSE !== '0';
ws.on('message', (d) => {
  const s = d.toString();
  if (s.charCodeAt(9) === 111 /* o */ && s.startsWith('{"type":"orderbook_delta"')) {
    deltas++;
    if (PARSE && JSON.parse(s).msg.delta_fp) parsedOk++;
  } else if (s.includes('orderbook_snapshot')) snapshot = true;
});
await new Promise((r) => ws.once('open', r));
ws.send(JSON.stringify({ id: 1, cmd: 'subscribe', params: { channels: ['orderbook_delta'], market_tickers: [ticker] } }));
while (!snapshot) await new Promise((r) => setTimeout(r, 5));

const BURST = 5_000;
const MAX_BACKLOG = 50_000;
const startFrames = (await sim.stats()).wsFramesSent;
const t0 = process.hrtime.bigint();
let sent = 0;
const deadline = Date.now() + seconds * 1000;
while (Date.now() < deadline) {
  const st = await sim.burst(BURST, ticker);
  sent = st.wsFramesSent - startFrames;
  while (sent - deltas > MAX_BACKLOG) await new Promise((r) => setImmediate(r));
}
while (deltas < sent) await new Promise((r) => setImmediate(r));
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`deltas received: ${deltas} in ${secs.toFixed(2)} s (${PARSE ? 'each JSON.parsed by the client' : 'not parsed'})`);
console.log(`deltas/s to one client: ${Math.round(deltas / secs)}`);
ws.close();
await sim.close();
