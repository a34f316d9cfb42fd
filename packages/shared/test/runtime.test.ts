/**
 * Actor runtime end to end with real worker threads: supervisor -> source -> relay -> sink.
 * No sleeps: every wait is on an event the system emits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Supervisor, chainActorScript, kmm } from '../src/index.js';

const sinkReport = (sup: Supervisor) =>
  new Promise<{ count: number; p50Ns: number }>((resolve) => {
    const on = (ev: { event: string; json: string }) => {
      if (ev.event === 'sink_report') {
        sup.off('ops', on);
        resolve(JSON.parse(ev.json));
      }
    };
    sup.on('ops', on);
  });

const control = (json: object): kmm.v1.IEnvelope => ({ control: { kind: kmm.v1.ControlKind.CONTROL_KIND_UNSPECIFIED, json: JSON.stringify(json) } });

function chain(): Supervisor {
  const script = chainActorScript();
  return new Supervisor({
    actors: [
      { name: 'source', kind: kmm.v1.ActorKind.INGEST, script, extra: { role: 'source', next: 'relay' } },
      { name: 'relay', kind: kmm.v1.ActorKind.BOOK, script, extra: { role: 'relay', next: 'sink' } },
      { name: 'sink', kind: kmm.v1.ActorKind.STRATEGY, script, extra: { role: 'sink' } },
    ],
    edges: [
      ['source', 'relay'],
      ['relay', 'sink'],
    ],
    config: {},
    heartbeatMs: 50,
    shutdownOrder: ['source', 'relay', 'sink'],
  });
}

let sup: Supervisor | null = null;
afterEach(async () => {
  await sup?.stop();
  sup = null;
});

describe('actor runtime', () => {
  it('starts actors, waits for Ready, and moves messages through a chain', async () => {
    sup = chain();
    await sup.start();
    const done = sinkReport(sup);
    sup.send('sink', control({ expect: 1000 }));
    sup.send('source', control({ emit: 1000 }));
    const r = await done;
    expect(r.count).toBe(1000);
  });

  it('restarts a crashed worker through the cold-start path, reports in-flight, and the pipeline resumes', async () => {
    sup = chain();
    await sup.start();
    const first = sinkReport(sup);
    sup.send('sink', control({ expect: 200 }));
    sup.send('source', control({ emit: 200 }));
    expect((await first).count).toBe(200);

    const restarted = new Promise<{ actor: string; reason: string }>((resolve) => sup!.once('restart', resolve));
    const inFlight = new Promise<{ json: string }>((resolve) => {
      const on = (ev: { event: string; json: string }) => {
        if (ev.event === 'in_flight_lost') {
          sup!.off('ops', on);
          resolve(ev);
        }
      };
      sup!.on('ops', on);
    });
    sup.send('relay', control({ crash: true }));
    const r = await restarted;
    expect(r.actor).toBe('relay');
    const lost = JSON.parse((await inFlight).json);
    expect(lost.restarted).toBe('relay');
    expect(lost.inFlightUpperBound).toBeGreaterThanOrEqual(0);

    // Wait for the rewired health of the new relay, then stream again.
    await new Promise<void>((resolve) => {
      const on = (h: kmm.v1.IHealth) => {
        if (h.actor === 'relay') {
          sup!.off('health', on);
          resolve();
        }
      };
      sup!.on('health', on);
    });
    const second = sinkReport(sup);
    sup.send('sink', control({ expect: 300 }));
    sup.send('source', control({ emit: 300 }));
    expect((await second).count).toBe(300);
    expect(sup.totalRestarts).toBe(1);
  });

  it('reports a per-actor load profile while running', async () => {
    sup = chain();
    await sup.start();
    const done = sinkReport(sup);
    sup.send('sink', control({ expect: 500 }));
    sup.send('source', control({ emit: 500 }));
    await done;
    const h = await new Promise<kmm.v1.IHealth>((resolve) => {
      const on = (x: kmm.v1.IHealth) => {
        // Each actor reports on its own timer: wait for the sink's report
        // after the run and for the relay's first one (order not fixed).
        const sink = sup!.health().get('sink');
        if (sink && Number(sink.msgsIn) >= 500 && sup!.health().has('relay')) {
          sup!.off('health', on);
          resolve(sink);
        }
      };
      sup!.on('health', on);
    });
    expect(h.handler!.count).toBeGreaterThanOrEqual(500);
    expect(h.elu).toBeGreaterThanOrEqual(0);
    expect(sup.health().get('relay')).toBeDefined();
  });
});
