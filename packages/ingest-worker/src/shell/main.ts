/**
 * Ingest worker entry (worker_thread). Thin shell around IngestCore:
 *  - opens the exchange websocket with `ws`, signing the upgrade (KALSHI-ACCESS-* headers) when
 *    a key is configured (always for demo/prod; the sim accepts its own key too);
 *  - appends every raw frame with its receive time to `${runDir}/capture.jsonl` BEFORE parsing;
 *  - feeds frames, pings/pongs, open/close into the core; the core's sends go out with
 *    ctx.send (header causation_id = frame id, recv_mono_ns, exchange_ts_ms);
 *  - timers as messages: `ingest.tick` (liveness, resync deadlines), `ingest.ping` (client ping),
 *    `ingest.reconnect` (backoff delay chosen by the core), `ingest.giveup`;
 *  - Control ADD_MARKETS / REMOVE_MARKETS (json = MarketInfo list) change subscriptions live;
 *  - MarketTrust UNTRUSTED from a book shard (its apply failed) triggers a resync of that market.
 * When reconnect attempts are exhausted it reports an ops error and then crashes on purpose,
 * so the supervisor restarts it through the cold-start path.
 *
 * extra: wsUrl, keyId, privateKeyPath, runDir, markets (IMarketInfo[]).
 */
import { join } from 'node:path';
import WebSocket from 'ws';
import { kmm, loadPrivateKeyPem, runActor, SeededRng, Signer, type ActorContext, type Causation, type EnvelopeBody, type KmmConfig } from '@kmm/shared';
import { IngestCore, type IngestSink, type LogLevel, type WsCommand } from '../core/ingest.js';
import { ingestParamsOf } from '../core/params.js';
import { CaptureWriter, CAPTURE_BUFFER_MAX_BYTES_DEFAULT } from './capture.js';

const TICK_MS = 250;
const PING_MS = 10_000;

let core: IngestCore | undefined;
let capture: CaptureWriter | undefined;
let signer: Signer | undefined;
let socket: WebSocket | undefined;
let wsUrl = '';
let stopping = false;
const knownPeers = new Set<string>();

function peerExists(ctx: ActorContext, peer: string): boolean {
  if (knownPeers.has(peer)) return true;
  for (const p of ctx.peers) knownPeers.add(p);
  return knownPeers.has(peer);
}

function makeSink(ctx: ActorContext): IngestSink {
  // paper mode: exec's simulated venue fills our orders from the live book, so it gets book data too
  const paper = ctx.extra.paper === true;
  return {
    send(peer: string, body: EnvelopeBody, cause?: Causation): void {
      if (peerExists(ctx, peer)) ctx.send(peer, body, cause);
      else ctx.stat('sends_no_peer');
      if (paper && (body.bookSnapshot || body.bookDelta || body.publicTrade) && peerExists(ctx, 'exec')) ctx.send('exec', body, cause);
    },
    wsSend(command: WsCommand): void {
      const s = socket;
      if (s !== undefined && s.readyState === WebSocket.OPEN) s.send(JSON.stringify(command));
      else ctx.stat('ws_commands_unsent');
    },
    dropConnection(reason: string): void {
      ctx.log.warn({ event: 'ws_drop', reason }, 'dropping websocket');
      // terminate() closes without the close handshake; the 'close' event reports back.
      socket?.terminate();
    },
    log(level: LogLevel, event: string, fields: Record<string, unknown>): void {
      ctx.log[level]({ event, ...fields }, event);
      if (level === 'error') ctx.ops(event, typeof fields.market === 'string' ? fields.market : '', level, fields);
    },
    stat(name: string, delta?: number): void {
      ctx.stat(name, delta);
    },
  };
}

function connect(ctx: ActorContext): void {
  if (stopping || core === undefined) return;
  const c = core;
  let headers: Record<string, string> = {};
  if (signer !== undefined) headers = { ...signer.headers(ctx.clock.wallMs(), 'GET', new URL(wsUrl).pathname) };
  const s = new WebSocket(wsUrl, { headers, perMessageDeflate: false, handshakeTimeout: 10_000, maxPayload: 16 * 1024 * 1024 });
  socket = s;
  s.on('open', () => {
    if (socket === s) c.onConnected(ctx.clock.monoNs());
  });
  s.on('message', (data: WebSocket.RawData) => {
    if (socket !== s) return;
    const recvNs = ctx.clock.monoNs();
    const recvMs = ctx.clock.wallMs();
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    capture?.write(recvNs, recvMs, text);
    c.onFrame(text, recvNs, recvMs);
  });
  s.on('ping', () => {
    if (socket === s) c.onHeartbeat(ctx.clock.monoNs());
  });
  s.on('pong', () => {
    if (socket === s) c.onHeartbeat(ctx.clock.monoNs());
  });
  s.on('error', (err: Error) => {
    ctx.log.warn({ event: 'ws_socket_error', error: err.message }, 'websocket error');
  });
  s.on('close', (code: number, reason: Buffer) => {
    if (socket !== s) return;
    socket = undefined;
    if (stopping) return;
    const delayMs = c.onDisconnected(ctx.clock.monoNs(), `close_${code}${reason.length > 0 ? ':' + reason.toString('utf8') : ''}`);
    if (delayMs === null) {
      ctx.ops('ws_reconnect_exhausted', '', 'error', { attempts: c.reconnectAttempt() });
      ctx.after('ingest.giveup', 0);
    } else {
      ctx.stat('ws_reconnects');
      ctx.after('ingest.reconnect', delayMs);
    }
  });
}

function parseMarketInfos(control: kmm.v1.IControl): kmm.v1.IMarketInfo[] {
  const out: kmm.v1.IMarketInfo[] = [];
  if (control.json) {
    let v: unknown;
    try {
      v = JSON.parse(control.json);
    } catch (err) {
      throw new Error(`Control ${control.kind}: json is not JSON (${(err as Error).message})`);
    }
    const list = Array.isArray(v) ? v : [v];
    for (const item of list) {
      if (item !== null && typeof item === 'object' && typeof (item as { market?: unknown }).market === 'string') out.push(item as kmm.v1.IMarketInfo);
    }
  }
  if (out.length === 0 && control.markets) for (const m of control.markets) out.push({ market: m });
  return out;
}

runActor({
  kind: kmm.v1.ActorKind.INGEST,
  onStart(ctx: ActorContext) {
    const params = ingestParamsOf(ctx.config as KmmConfig);
    const extra = ctx.extra;
    wsUrl = String(extra.wsUrl ?? ctx.config.kmm_ws_url ?? '');
    if (!/^wss?:\/\//.test(wsUrl)) throw new Error(`ingest: extra.wsUrl must be a ws:// or wss:// URL, got ${JSON.stringify(wsUrl)}`);
    const keyId = String(extra.keyId ?? '');
    const keyPath = String(extra.privateKeyPath ?? '');
    if (keyId !== '' && keyPath !== '') {
      signer = new Signer(keyId, loadPrivateKeyPem(keyPath, (msg) => ctx.log.warn({ event: 'key_file_mode' }, msg)));
    } else if (extra.env === 'demo' || extra.env === 'prod') {
      throw new Error(`ingest: env ${extra.env} needs extra.keyId and extra.privateKeyPath`);
    }
    const runDir = String(extra.runDir ?? ctx.startup.runDir ?? '');
    if (runDir !== '') {
      capture = new CaptureWriter(join(runDir, 'capture.jsonl'), CAPTURE_BUFFER_MAX_BYTES_DEFAULT, (event, fields) => ctx.ops(event, '', 'warn', fields));
    }
    const seed = Number(ctx.config.kmm_seed ?? 1) ^ (ctx.startup.restartCount ?? 0);
    const markets: kmm.v1.IMarketInfo[] = Array.isArray(extra.markets) ? extra.markets : [];
    core = new IngestCore(params, Math.max(1, ctx.startup.shardCount ?? 1), new SeededRng(seed >>> 0).fork('ingest.backoff'), makeSink(ctx), markets);
    ctx.every('ingest.tick', TICK_MS);
    ctx.every('ingest.ping', PING_MS);
    connect(ctx);
  },
  onMessage(env: kmm.v1.Envelope, from: string, ctx: ActorContext) {
    const c = core;
    if (c === undefined) return;
    if (env.timer) {
      switch (env.timer.name) {
        case 'ingest.tick':
          c.onTick(ctx.clock.monoNs());
          if (capture !== undefined) ctx.setStat('capture_dropped', capture.dropped);
          break;
        case 'ingest.ping':
          if (socket !== undefined && socket.readyState === WebSocket.OPEN) socket.ping();
          break;
        case 'ingest.reconnect':
          connect(ctx);
          break;
        case 'ingest.giveup':
          throw new Error('ingest: websocket reconnect attempts exhausted');
      }
      return;
    }
    if (env.marketTrust && from.startsWith('book.') && env.marketTrust.state === kmm.v1.TrustState.UNTRUSTED) {
      c.requestResync(env.marketTrust.market ?? '', env.marketTrust.reason ?? 'book_invalid', ctx.clock.monoNs());
      return;
    }
    if (env.control) {
      const k = env.control.kind;
      if (k === kmm.v1.ControlKind.ADD_MARKETS) {
        const added = c.addMarkets(parseMarketInfos(env.control), ctx.clock.monoNs());
        ctx.log.info({ event: 'markets_added', markets: added }, 'markets added');
      } else if (k === kmm.v1.ControlKind.REMOVE_MARKETS) {
        const removed = c.removeMarkets(env.control.markets ?? [], ctx.clock.monoNs());
        ctx.log.info({ event: 'markets_removed', markets: removed }, 'markets removed');
      }
    }
  },
  async onStop() {
    stopping = true;
    socket?.close(1000, 'shutdown');
    socket = undefined;
    await capture?.close();
  },
});
