/**
 * The simulator in its own worker_thread (so a benchmark's client does not share a thread with
 * it). Same handle shape for URLs, key and admin; admin calls travel as messages and resolve
 * as promises. The engine object itself stays in the worker (records() returns a copy).
 */
import { Worker } from 'node:worker_threads';
import type { FaultConfig } from './faults.js';
import type { SimOptions, SimRecords } from './sim.js';

export interface SimThreadHandle {
  restBaseUrl: string;
  wsUrl: string;
  keyId: string;
  privateKeyPem: string;
  privateKeyPath: string;
  port: number;
  userId: string;
  faults: { set(p: Partial<FaultConfig>): Promise<void>; clear(): Promise<void> };
  records(): Promise<SimRecords>;
  book(ticker: string): Promise<{ yes_dollars: string[][]; no_dollars: string[][] } | null>;
  marketTickers(): Promise<string[]>;
  pauseExchange(): Promise<void>;
  resumeExchange(): Promise<void>;
  settleMarket(ticker: string, result: 'yes' | 'no'): Promise<void>;
  dropWebSockets(): Promise<void>;
  /** benchmark helper: `ops` liquidity-provider requotes on one market, run in the worker */
  burst(ops: number, ticker?: string): Promise<{ wsFramesSent: number }>;
  stats(): Promise<{ wsFramesSent: number; restRequests: number; rest429: number; wsConnections: number }>;
  close(): Promise<void>;
}

export async function startSimThread(opts: Omit<SimOptions, 'clock'> = {}): Promise<SimThreadHandle> {
  const worker = new Worker(new URL('./thread-worker.js', import.meta.url), { workerData: opts });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: { id?: number; ready?: Record<string, unknown>; result?: unknown; error?: string }) => {
      if (m.ready) return resolve(m.ready);
      const p = m.id !== undefined ? pending.get(m.id) : undefined;
      if (!p) return;
      pending.delete(m.id!);
      if (m.error) p.reject(new Error(m.error));
      else p.resolve(m.result);
    });
  });
  const info = await ready;
  const call = <T>(op: string, ...args: unknown[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, op, args });
    });
  return {
    restBaseUrl: info.restBaseUrl as string,
    wsUrl: info.wsUrl as string,
    keyId: info.keyId as string,
    privateKeyPem: info.privateKeyPem as string,
    privateKeyPath: info.privateKeyPath as string,
    port: info.port as number,
    userId: info.userId as string,
    faults: { set: (p) => call('faults.set', p), clear: () => call('faults.clear') },
    records: () => call('records'),
    book: (t) => call('book', t),
    marketTickers: () => call('marketTickers'),
    pauseExchange: () => call('pauseExchange'),
    resumeExchange: () => call('resumeExchange'),
    settleMarket: (t, r) => call('settleMarket', t, r),
    dropWebSockets: () => call('dropWebSockets'),
    burst: (ops, t) => call('burst', ops, t),
    stats: () => call('stats'),
    close: async () => {
      await call('close');
      await worker.terminate();
    },
  };
}
