/** Fees against the documented worked examples (kalshi-api.md section 6) and recorded fills. */
import { describe, expect, it } from 'vitest';
import { orderFeeCents, SeededRng, SimClock, tradeFee } from '@kmm/shared';
import { Engine } from '../src/engine/engine.js';
import { NULL_LISTENER, type FillRec } from '../src/engine/types.js';
import { priceStructureBands, SERIES } from '../src/flow/catalog.js';
import { money6 } from '../src/server/wire.js';

describe('fee schedule examples', () => {
  it('taker fee per order rounds up to the cent', () => {
    expect(orderFeeCents(true, 5000, 100_00)).toBe(17_500); // 100 @ $0.50 -> $1.75 (money units)
    expect(orderFeeCents(true, 5000, 1_00)).toBe(200); // 1 @ $0.50 -> $0.02
    expect(orderFeeCents(true, 100, 100_00)).toBe(700); // 100 @ $0.01 -> $0.07
  });
  it('per-fill fee_cost rounds up to $0.0001 (recorded fills)', () => {
    expect(money6(tradeFee(true, 5200, 1_00))).toBe('0.017500');
    expect(money6(tradeFee(true, 9900, 1_00))).toBe('0.000700');
    expect(money6(tradeFee(true, 1700, 552))).toBe('0.054600'); // ws capture fill
    expect(money6(tradeFee(true, 1600, 116))).toBe('0.011000'); // ws capture fill
  });
});

function fillsFor(series: string): FillRec[] {
  const clock = new SimClock();
  const e = new Engine({ clock, rng: new SeededRng(3) });
  for (const s of SERIES) e.addSeries(s);
  e.addMarket({
    ticker: 'M',
    marketId: 'x',
    eventTicker: 'E',
    seriesTicker: series,
    title: '',
    yesSubTitle: '',
    priceLevelStructure: 'linear_cent',
    bands: priceStructureBands('linear_cent'),
    openTimeMs: 0,
    closeTimeMs: clock.wallMs() + 1e9,
    createdTimeMs: 0,
    settlementTimerS: 0,
    exchangeIndex: 0,
  });
  e.createAccount('m', 1e12, { keepHistory: true });
  e.createAccount('t', 1e12, { keepHistory: true });
  const fills: FillRec[] = [];
  e.listener = { ...NULL_LISTENER, onFill: (f) => fills.push(f) };
  e.createOrder('m', { ticker: 'M', side: 'ask', price: 5000, countCenti: 100_00, tif: 'good_till_canceled', stp: 'maker' });
  e.createOrder('t', { ticker: 'M', side: 'bid', price: 5000, countCenti: 100_00, tif: 'immediate_or_cancel', stp: 'maker' });
  expect(e.moneyImbalanceMicro()).toBe(0);
  return fills;
}

describe('engine applies fee type and multiplier per series', () => {
  it('quadratic: taker pays 0.07 m C P(1-P), maker pays nothing', () => {
    const f = fillsFor('KXBTCD');
    expect(f.find((x) => x.isTaker)!.feeMoney).toBe(17_500); // $1.75
    expect(f.find((x) => !x.isTaker)!.feeMoney).toBe(0);
  });
  it('quadratic_with_maker_fees: maker pays 0.0175 m C P(1-P)', () => {
    const f = fillsFor('KXNBAGAME');
    expect(f.find((x) => !x.isTaker)!.feeMoney).toBe(4_375); // $0.4375
  });
  it('multiplier 0.5 halves the taker fee (S&P series)', () => {
    const f = fillsFor('KXINXY');
    expect(f.find((x) => x.isTaker)!.feeMoney).toBe(8_750);
  });
});
