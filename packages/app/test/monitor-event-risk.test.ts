/**
 * The dashboard's event risk rows (system/monitor.ts eventRisk): from exec's WorkingOrders
 * (event_key, event_worst_money), one row per event with two or more of our markets or a worst
 * case above zero, the loss in dollars.
 */
import { describe, expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import { Monitor } from '../src/system/monitor.js';

describe('monitor event risk', () => {
  it('groups markets by exec-reported event and shows its worst-case loss', () => {
    const mon = new Monitor('sim');
    const wo = (market: string, eventKey: string, eventWorstMoney: number) => mon.onMessage(kmm.v1.Envelope.create({ workingOrders: { market, eventKey, eventWorstMoney } }));
    wo('EV-A', 'EV', 123_400);
    wo('EV-B', 'EV', 123_400);
    wo('SOLO', 'market:SOLO', 0); // alone and flat: not shown
    wo('RISKY', 'market:RISKY', 50_000);
    expect(mon.snapshot().eventRisk).toEqual([
      { event: 'EV', markets: ['EV-A', 'EV-B'], worstLoss: '12.3400' },
      { event: 'market:RISKY', markets: ['RISKY'], worstLoss: '5.0000' },
    ]);
  });
});
