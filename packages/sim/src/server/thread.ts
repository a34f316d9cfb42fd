/**
 * The simulator out of the caller's thread: in a worker_thread (startSimThread: a benchmark's
 * client does not share a thread with it) or in a child process (startSimProcess: nor a heap, a
 * garbage collector or an event loop; `kmm bench latency` measures KMM, not the exchange). Same
 * handle shape for URLs, key and admin; admin calls travel as messages (admin.ts) and resolve as
 * promises. The engine object itself stays with the simulator (records() returns a copy).
 */
import { fork, type ChildProcess } from 'node:child_process';
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
  /** benchmark burst: every market's fair value moves `cents` at once (calibrated profiles); the frames it sent */
  moveAll(cents: number): Promise<{ framesSent: number; startMonoNs: number; endMonoNs: number }>;
  /** the simulator's host: its RSS (the whole process for a thread) and CPU time */
  usage(): Promise<{ rssMb: number; cpuUs: { user: number; system: number } }>;
  /** the child's process id (startSimProcess), else this process's */
  readonly pid: number;
  close(): Promise<void>;
}

type Reply = { id?: number; ready?: Record<string, unknown>; initError?: string; result?: unknown; error?: string };

/** The handle over a message channel to the simulator (worker or child process). */
function handleOver(info: Record<string, unknown>, post: (m: unknown) => void, pending: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>, pid: number, stop: () => Promise<void>): SimThreadHandle {
  let nextId = 1;
  const call = <T>(op: string, ...args: unknown[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      post({ id, op, args });
    });
  return {
    restBaseUrl: info.restBaseUrl as string,
    wsUrl: info.wsUrl as string,
    keyId: info.keyId as string,
    privateKeyPem: info.privateKeyPem as string,
    privateKeyPath: info.privateKeyPath as string,
    port: info.port as number,
    userId: info.userId as string,
    pid,
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
    moveAll: (cents) => call('moveAll', cents),
    usage: () => call('usage'),
    close: async () => {
      await call('close');
      await stop();
    },
  };
}

function onReply(pending: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>, m: Reply): void {
  const p = m.id !== undefined ? pending.get(m.id) : undefined;
  if (!p) return;
  pending.delete(m.id!);
  if (m.error) p.reject(new Error(m.error));
  else p.resolve(m.result);
}



export async function startSimThread(opts: Omit<SimOptions, 'clock'> = {}): Promise<SimThreadHandle> {
  const worker = new Worker(new URL('./thread-worker.js', import.meta.url), { workerData: opts });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: Reply) => (m.ready ? resolve(m.ready) : onReply(pending, m)));
  });
  return handleOver(info, (m) => worker.postMessage(m), pending, process.pid, async () => {
    await worker.terminate();
  });
}

/**
 * The simulator in a child process (node's fork of process-child.js, IPC channel). `execArgv`
 * is left empty: the child does not inherit profiling or inspector flags of the caller.
 */
export async function startSimProcess(opts: Omit<SimOptions, 'clock'> = {}): Promise<SimThreadHandle> {
  const child: ChildProcess = fork(new URL('./process-child.js', import.meta.url), [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`simulator process exited with code ${code} before it was ready`)));
    child.on('message', (m: Reply) => {
      if (m.ready) resolve(m.ready);
      else if (m.initError) reject(new Error(`simulator process failed to start: ${m.initError}`));
      else onReply(pending, m);
    });
    child.send({ init: opts });
  });
  return handleOver(info, (m) => child.send(m as object), pending, child.pid ?? 0, async () => {
    child.disconnect();
    await exited;
  });
}
