/**
 * Child-process entry for startSimProcess: the simulator in a process of its own (its own heap,
 * event loop and garbage collector; the OS schedules it like any other program), answering
 * admin messages over the IPC channel. Options arrive as the first message.
 */
import { readyOf, runAdmin } from './admin.js';
import { startSim, type SimHandle, type SimOptions } from './sim.js';

let sim: SimHandle | null = null;
const send = (m: unknown): void => {
  process.send!(m);
};
process.on('message', async (m: { init?: SimOptions; id?: number; op?: string; args?: unknown[] }) => {
  if (m.init) {
    try {
      sim = await startSim(m.init);
      send({ ready: readyOf(sim) });
    } catch (e) {
      send({ initError: (e as Error).stack ?? String(e) });
    }
    return;
  }
  try {
    if (!sim) throw new Error('simulator not started');
    send({ id: m.id, result: await runAdmin(sim, m.op ?? '', m.args ?? []) });
  } catch (e) {
    send({ id: m.id, error: (e as Error).message });
  }
});
// the parent died or closed the channel: nothing left to serve
process.on('disconnect', () => process.exit(0));
