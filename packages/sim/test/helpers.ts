/** Test helpers: signed REST calls and a websocket client that collects frames. */
import { Signer } from '@kmm/shared';
import WebSocket from 'ws';
import type { SimHandle } from '../src/index.js';

export async function call(
  sim: SimHandle,
  method: string,
  path: string,
  body?: unknown,
  opts: { tsMs?: number; signer?: Signer | null; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: any; text: string }> {
  const url = sim.restBaseUrl + path;
  const fullPath = new URL(url).pathname;
  const signer = opts.signer === undefined ? new Signer(sim.keyId, sim.privateKeyPem) : opts.signer;
  const ts = opts.tsMs ?? sim.engine.clock.wallMs();
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(signer ? signer.headers(ts, method, fullPath) : {}), ...(opts.headers ?? {}) };
  const r = await fetch(url, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await r.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: r.status, json, text };
}

export class WsClient {
  readonly frames: string[] = [];
  readonly ws: WebSocket;
  private waiters: Array<() => void> = [];
  closed = false;
  constructor(sim: SimHandle, tsMs?: number) {
    const signer = new Signer(sim.keyId, sim.privateKeyPem);
    this.ws = new WebSocket(sim.wsUrl, { headers: { ...signer.headers(tsMs ?? sim.engine.clock.wallMs(), 'GET', '/trade-api/ws/v2') } });
    this.ws.on('message', (d) => {
      this.frames.push(d.toString());
      this.wake();
    });
    this.ws.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }
  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
  }
  send(o: unknown): void {
    this.ws.send(JSON.stringify(o));
  }
  /** Resolves when pred holds over the frames received (event-driven, no sleeps). */
  until(pred: (frames: string[]) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (pred(this.frames) || this.closed) resolve();
        else this.waiters.push(check);
      };
      check();
    });
  }
  json(): any[] {
    return this.frames.map((f) => {
      try {
        return JSON.parse(f);
      } catch {
        return { malformed: f };
      }
    });
  }
  close(): void {
    this.ws.close();
  }
}
