/** Worker entry for startSimThread: runs startSim and answers admin messages (admin.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { readyOf, runAdmin } from './admin.js';
import { startSim, type SimOptions } from './sim.js';

const port = parentPort!;
const sim = await startSim(workerData as SimOptions);
port.postMessage({ ready: readyOf(sim) });
port.on('message', async (m: { id: number; op: string; args: unknown[] }) => {
  try {
    port.postMessage({ id: m.id, result: await runAdmin(sim, m.op, m.args) });
  } catch (e) {
    port.postMessage({ id: m.id, error: (e as Error).message });
  }
});
