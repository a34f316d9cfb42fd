/**
 * Ingest worker entry: runs the ingest descriptor (actor/index.ts) in a worker thread with its
 * live environment: a `ws` websocket to the exchange, the upgrade signed with the KALSHI-ACCESS-*
 * headers when a key is configured (always for demo/prod; the sim accepts its own key too), and
 * the capture file `${runDir}/capture.jsonl`.
 *
 * extra: wsUrl, keyId, privateKeyPath, runDir, env, paper, markets.
 */
import { join } from 'node:path';
import WebSocket from 'ws';
import { loadPrivateKeyPem, runActor, Signer, type WorkerEnvContext } from '@kmm/shared';
import { ingestActor, type IngestEnv, type WsEvents, type IngestSocket } from '../actor/index.js';
import { CaptureWriter, CAPTURE_BUFFER_MAX_BYTES_DEFAULT } from './capture.js';

function liveEnv(ctx: WorkerEnvContext): IngestEnv {
  const extra = ctx.extra;
  const wsUrl = String(extra.wsUrl ?? (ctx.config as unknown as Record<string, unknown>).kmm_ws_url ?? '');
  if (!/^wss?:\/\//.test(wsUrl)) throw new Error(`ingest: extra.wsUrl must be a ws:// or wss:// URL, got ${JSON.stringify(wsUrl)}`);
  const keyId = String(extra.keyId ?? '');
  const keyPath = String(extra.privateKeyPath ?? '');
  let signer: Signer | undefined;
  if (keyId !== '' && keyPath !== '') signer = new Signer(keyId, loadPrivateKeyPem(keyPath, (msg) => ctx.log.warn({ event: 'key_file_mode' }, msg)));
  else if (extra.env === 'demo' || extra.env === 'prod') throw new Error(`ingest: env ${extra.env} needs extra.keyId and extra.privateKeyPath`);
  const runDir = String(extra.runDir ?? ctx.startup.runDir ?? '');
  // kmm_capture_enabled=false: no capture file (the run cannot be replayed or backtested)
  const capture = runDir !== '' && ctx.config.kmm_capture_enabled ? new CaptureWriter(join(runDir, 'capture.jsonl'), CAPTURE_BUFFER_MAX_BYTES_DEFAULT, (event, fields) => ctx.io.ops(event, '', 'warn', fields)) : null;
  let turn = 0;
  let turnOpen = false;
  const closeTurn = (): void => {
    turnOpen = false;
  };
  return {
    capture,
    connect(events: WsEvents): IngestSocket {
      const headers = signer !== undefined ? { ...signer.headers(ctx.clock.wallMs(), 'GET', new URL(wsUrl).pathname) } : {};
      const s = new WebSocket(wsUrl, { headers, perMessageDeflate: false, handshakeTimeout: 10_000, maxPayload: 16 * 1024 * 1024 });
      s.on('open', () => events.open());
      s.on('message', (data: WebSocket.RawData) => {
        const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
        // frames with no microtask between them came in one read: one turn (WsEvents.message)
        if (!turnOpen) {
          turnOpen = true;
          turn++;
          queueMicrotask(closeTurn);
        }
        events.message(text, turn);
      });
      s.on('ping', () => events.heartbeat());
      s.on('pong', () => events.heartbeat());
      s.on('error', (err: Error) => ctx.log.warn({ event: 'ws_socket_error', error: err.message }, 'websocket error'));
      s.on('close', (code: number, reason: Buffer) => events.close(code, reason.toString('utf8')));
      return {
        send(text: string): boolean {
          if (s.readyState !== WebSocket.OPEN) return false;
          s.send(text);
          return true;
        },
        ping(): void {
          if (s.readyState === WebSocket.OPEN) s.ping();
        },
        terminate(): void {
          // terminate() closes without the close handshake; the 'close' event reports back
          s.terminate();
        },
        close(): void {
          s.close(1000, 'shutdown');
        },
      };
    },
  };
}

runActor(ingestActor, liveEnv);
