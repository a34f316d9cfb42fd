/** Worker entry for startSimThread: runs startSim and answers admin messages. */
import { parentPort, workerData } from 'node:worker_threads';
import { startSim, type SimOptions } from './sim.js';

const port = parentPort!;
const sim = await startSim(workerData as SimOptions);
port.postMessage({
  ready: {
    restBaseUrl: sim.restBaseUrl,
    wsUrl: sim.wsUrl,
    keyId: sim.keyId,
    privateKeyPem: sim.privateKeyPem,
    privateKeyPath: sim.privateKeyPath,
    port: sim.port,
    userId: sim.userId,
  },
});
port.on('message', async (m: { id: number; op: string; args: unknown[] }) => {
  try {
    let result: unknown = undefined;
    switch (m.op) {
      case 'faults.set':
        sim.faults.set(m.args[0] as Record<string, unknown>);
        break;
      case 'faults.clear':
        sim.faults.clear();
        break;
      case 'records':
        result = sim.records();
        break;
      case 'book':
        result = sim.book(m.args[0] as string);
        break;
      case 'marketTickers':
        result = sim.markets().map((x) => x.spec.ticker);
        break;
      case 'pauseExchange':
        sim.pauseExchange();
        break;
      case 'resumeExchange':
        sim.resumeExchange();
        break;
      case 'settleMarket': {
        const r = sim.settleMarket(m.args[0] as string, m.args[1] as 'yes' | 'no');
        if ('http' in r) throw new Error(r.message);
        break;
      }
      case 'dropWebSockets':
        sim.dropWebSockets();
        break;
      case 'burst':
        sim.flow?.burst(m.args[0] as number, m.args[1] as string | undefined);
        result = sim.stats();
        break;
      case 'stats':
        result = sim.stats();
        break;
      case 'close':
        await sim.close();
        break;
      default:
        throw new Error(`unknown op ${m.op}`);
    }
    port.postMessage({ id: m.id, result });
  } catch (e) {
    port.postMessage({ id: m.id, error: (e as Error).message });
  }
});
