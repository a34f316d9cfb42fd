/**
 * The simulator's admin operations as messages, shared by the two out-of-thread hosts: the
 * worker thread (thread-worker.ts, startSimThread) and the child process (process-child.ts,
 * startSimProcess). `op` names the operation, `args` its arguments; the result is plain data.
 */
import type { SimHandle } from './sim.js';

export interface AdminReady {
  restBaseUrl: string;
  wsUrl: string;
  keyId: string;
  privateKeyPem: string;
  privateKeyPath: string;
  port: number;
  userId: string;
}

export function readyOf(sim: SimHandle): AdminReady {
  return { restBaseUrl: sim.restBaseUrl, wsUrl: sim.wsUrl, keyId: sim.keyId, privateKeyPem: sim.privateKeyPem, privateKeyPath: sim.privateKeyPath, port: sim.port, userId: sim.userId };
}

export async function runAdmin(sim: SimHandle, op: string, args: unknown[]): Promise<unknown> {
  switch (op) {
    case 'faults.set':
      sim.faults.set(args[0] as Record<string, unknown>);
      return undefined;
    case 'faults.clear':
      sim.faults.clear();
      return undefined;
    case 'records':
      return sim.records();
    case 'book':
      return sim.book(args[0] as string);
    case 'marketTickers':
      return sim.markets().map((x) => x.spec.ticker);
    case 'pauseExchange':
      sim.pauseExchange();
      return undefined;
    case 'resumeExchange':
      sim.resumeExchange();
      return undefined;
    case 'settleMarket': {
      const r = sim.settleMarket(args[0] as string, args[1] as 'yes' | 'no');
      if ('http' in r) throw new Error(r.message);
      return undefined;
    }
    case 'dropWebSockets':
      sim.dropWebSockets();
      return undefined;
    case 'burst':
      sim.flow?.burst(args[0] as number, args[1] as string | undefined);
      return sim.stats();
    case 'moveAll': {
      // frames counted before and after: what the burst put on the wire
      if (!sim.flow) throw new Error('moveAll: the simulator runs no flow');
      const before = sim.stats().wsFramesSent;
      // process.hrtime is CLOCK_MONOTONIC: the caller's stamps in another process compare with these
      const startMonoNs = Number(process.hrtime.bigint());
      sim.flow.moveAll(args[0] as number);
      const endMonoNs = Number(process.hrtime.bigint());
      return { framesSent: sim.stats().wsFramesSent - before, startMonoNs, endMonoNs };
    }
    case 'stats':
      return sim.stats();
    case 'usage':
      return { rssMb: process.memoryUsage().rss / 1048576, cpuUs: process.cpuUsage() };
    case 'close':
      await sim.close();
      return undefined;
    default:
      throw new Error(`unknown op ${op}`);
  }
}
