/**
 * Real actor worker threads on both sides of NATS: "process" A (its own Supervisor and NATS
 * connection) runs `source`; "process" B runs `relay` and `sink`. source -> relay crosses NATS
 * through the bridge ports (the workers' runtime is unchanged); relay -> sink is a local
 * MessageChannel. The sink counts every BookFeatures; a restarted relay is rewired to NATS.
 */
import { afterEach, expect, it } from 'vitest';
import { Supervisor, chainActorScript, kmm } from '@kmm/shared';
import { LocalInbox, NatsTransport } from '../src/shell/transport.js';
import { describeNats, useNatsServer } from './nats.js';

const control = (json: object): kmm.v1.IEnvelope => ({ control: { kind: kmm.v1.ControlKind.CONTROL_KIND_UNSPECIFIED, json: JSON.stringify(json) } });

function sinkReport(sup: Supervisor): Promise<{ count: number }> {
  return new Promise((resolve) => {
    const on = (ev: { event: string; json: string }) => {
      if (ev.event === 'sink_report') {
        sup.off('ops', on);
        resolve(JSON.parse(ev.json));
      }
    };
    sup.on('ops', on);
  });
}

const sups: Supervisor[] = [];
afterEach(async () => {
  for (const s of sups.splice(0)) await s.stop();
});

describeNats('actor workers across NATS', () => {
  const fx = useNatsServer();

  it('moves protobuf envelopes from a worker in one process to a worker in another, and survives a restart of the receiver', async () => {
    const script = chainActorScript();
    const ta = new NatsTransport(await fx.connect(), 'wb');
    const tb = new NatsTransport(await fx.connect(), 'wb');
    const inboxSource = new LocalInbox(ta, 'source');
    const inboxRelay = new LocalInbox(tb, 'relay');
    const a = new Supervisor({
      actors: [{ name: 'source', kind: kmm.v1.ActorKind.INGEST, script, extra: { role: 'source', next: 'relay' } }],
      edges: [],
      config: {},
      heartbeatMs: 50,
      externalPorts: (actor) => (actor === 'source' ? { relay: ta.bridge('source', 'relay', inboxSource) } : {}),
    });
    const b = new Supervisor({
      actors: [
        { name: 'relay', kind: kmm.v1.ActorKind.BOOK, script, extra: { role: 'relay', next: 'sink' } },
        { name: 'sink', kind: kmm.v1.ActorKind.STRATEGY, script, extra: { role: 'sink' } },
      ],
      edges: [['relay', 'sink']],
      config: {},
      heartbeatMs: 50,
      externalPorts: (actor) => (actor === 'relay' ? { source: tb.bridge('relay', 'source', inboxRelay) } : {}),
    });
    sups.push(a, b);
    await Promise.all([a.start(), b.start()]);
    await Promise.all([ta.nc.flush(), tb.nc.flush()]);

    const first = sinkReport(b);
    b.send('sink', control({ expect: 1000 }));
    a.send('source', control({ emit: 1000 }));
    expect((await first).count).toBe(1000);

    // the relay crashes; its restart asks for fresh external ports (a new bridge) and traffic resumes
    const restarted = new Promise<void>((resolve) => b.once('restart', () => resolve()));
    b.send('relay', control({ crash: true }));
    await restarted;
    await new Promise<void>((resolve) => {
      const on = (h: kmm.v1.IHealth) => {
        if (h.actor === 'relay') {
          b.off('health', on);
          resolve();
        }
      };
      b.on('health', on);
    });
    const second = sinkReport(b);
    b.send('sink', control({ expect: 500 }));
    a.send('source', control({ emit: 500 }));
    expect((await second).count).toBe(500);
    expect(b.totalRestarts).toBe(1);
    expect(inboxRelay.unknownSender).toBe(0);
    inboxSource.close();
    inboxRelay.close();
  });
});
