/**
 * The real worker shell (dist/shell/main.js) under the runtime's Supervisor: a start-up position
 * over the cap must come back as startup_position_cap_breach, and ACK_BREACH must lift it.
 * Event-driven (awaits ops events), no sleeps. Needs `tsc` to have built dist/.
 */
import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { kmm, resolveConfig, Supervisor } from '@kmm/shared';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.resolve(here, '../dist/shell/main.js');
let sup: Supervisor | null = null;

function nextOps(s: Supervisor, event: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const on = (ev: kmm.v1.IOpsEvent) => {
      if (ev.event === event) {
        s.off('ops', on);
        resolve(JSON.parse(ev.json ?? '{}'));
      }
    };
    s.on('ops', on);
  });
}

describe.skipIf(!existsSync(script))('strategy worker shell', () => {
  afterAll(async () => {
    if (sup) await sup.stop();
  });
  it('start-up over cap -> read-only event; ACK_BREACH -> acknowledged', async () => {
    sup = new Supervisor({
      actors: [{ name: 'strategy', kind: kmm.v1.ActorKind.STRATEGY, script, extra: { markets: [{ market: 'SAMPLE.MKT', status: 2, closeTimeMs: Date.now() + 86_400_000 }] } }],
      edges: [],
      config: resolveConfig({ MM_MAX_POS: 5, MM_MAX_LONG_POS: 5, MM_MAX_SHORT_POS: 5, kmm_startup_settle_ms: 0, kmm_startup_wait_max_ms: 60_000 }),
      heartbeatMs: 200,
    });
    await sup.start();
    const breach = nextOps(sup, 'startup_position_cap_breach');
    sup.send('strategy', { position: { market: 'SAMPLE.MKT', positionCenti: 700, fromExchange: true } });
    expect(await breach).toMatchObject({ status: 'TRADING_DISABLED', breached_markets: [{ ticker: 'SAMPLE.MKT', position: 7 }] });
    const ack = nextOps(sup, 'startup_position_cap_breach_ack');
    sup.send('strategy', { control: { kind: kmm.v1.ControlKind.ACK_BREACH, reason: 'test' } });
    expect(await ack).toMatchObject({ status: 'TRADING_ENABLED' });
  }, 20_000);
});
