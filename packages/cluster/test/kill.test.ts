/**
 * The kill switch against a real nats-server: every gateway hears each trip exactly once (the
 * broadcast and the KV key both deliver it), a gateway that starts later reads it from KV, and
 * a clear is heard too.
 */
import { expect, it } from 'vitest';
import { openBuckets } from '../src/shell/buckets.js';
import { KillWatch, clearKillSwitch, readKillSwitch, tripKillSwitch, type KillState } from '../src/shell/kill.js';
import { describeNats, next, useNatsServer } from './nats.js';

describeNats('kill switch', () => {
  const fx = useNatsServer();

  it('reaches every gateway once per trip, late joiners included, and clears', async () => {
    const timing = { leaseMs: 1000, nodeMs: 1000 };
    const gws: KillWatch[] = [];
    const heard: Array<Array<[string, string]>> = [];
    for (let i = 0; i < 3; i++) {
      const nc = await fx.connect();
      const b = await openBuckets(nc, 'kill1', timing);
      const w = new KillWatch(nc, b.control, 'kill1');
      const log: Array<[string, string]> = [];
      w.on('kill', (s: KillState) => log.push(['kill', s.id]));
      w.on('clear', (s: KillState) => log.push(['clear', s.id]));
      await w.start();
      gws.push(w);
      heard.push(log);
    }
    const riskNc = await fx.connect();
    const risk = await openBuckets(riskNc, 'kill1', timing);
    const killed = gws.map((w) => next<[KillState]>(w, 'kill'));
    const state = await tripKillSwitch(riskNc, risk.control, 'kill1', 'risk-1', 'drawdown limit');
    const got = await Promise.all(killed);
    for (const [s] of got) expect(s).toMatchObject({ active: true, id: state.id, reason: 'drawdown limit' });

    // a gateway that starts after the trip is killed from the KV key
    const lateNc = await fx.connect();
    const late = new KillWatch(lateNc, (await openBuckets(lateNc, 'kill1', timing)).control, 'kill1');
    const lateKilled = next<[KillState]>(late, 'kill');
    await late.start();
    expect((await lateKilled)[0].id).toBe(state.id);

    const cleared = [...gws, late].map((w) => next<[KillState]>(w, 'clear'));
    await clearKillSwitch(risk.control, 'operator', 'resumed');
    await Promise.all(cleared);
    expect((await readKillSwitch(risk.control))!.active).toBe(false);
    // both paths delivered the trip, yet each gateway acted on it once
    for (const log of heard) expect(log).toEqual([
      ['kill', state.id],
      ['clear', log[1][1]],
    ]);
    for (const w of [...gws, late]) {
      expect(w.active).toBe(false);
      w.stop();
    }
    await expect(tripKillSwitch(riskNc, risk.control, 'kill1', 'risk-1', '')).rejects.toThrow(/needs a reason/);
  });
});
