/**
 * Seeded market catalogue: realistic series (fee types and multipliers as documented), event
 * and market tickers in Kalshi's shapes, price grids (mostly linear_cent, a few sub-penny
 * structures), open/close times. Deterministic in (seed, count, start time).
 *
 * Events: markets share an event when their event tickers match (two S&P ranges of one year, two
 * temperature bands of one day). The series in EXCLUSIVE_SERIES have mutually exclusive events (a
 * game's winner, ranges of one value, a rate decision): at most one market of the event settles
 * YES, and the flows keep their fair values consistent (flow/events.ts); thresholds ("above X")
 * and qualifiers are not exclusive.
 */
import { ONE_CENT, ONE_DOLLAR, type PriceBand, type Rng } from '@kmm/shared';
import { uuidFrom } from '../engine/ids.js';
import type { MarketSpec, SeriesSpec } from '../engine/types.js';

export const SERIES: SeriesSpec[] = [
  { ticker: 'KXNBAGAME', title: 'Pro basketball game winner', category: 'Sports', feeType: 'quadratic_with_maker_fees', feeMultiplierMilli: 1000 },
  { ticker: 'KXNEXTTEAMNBA', title: 'Next team of a basketball player', category: 'Sports', feeType: 'quadratic', feeMultiplierMilli: 1000 },
  { ticker: 'KXBTCD', title: 'Bitcoin price above at a time', category: 'Crypto', feeType: 'quadratic', feeMultiplierMilli: 1000 },
  { ticker: 'KXCPI', title: 'CPI month over month', category: 'Economics', feeType: 'quadratic_with_maker_fees', feeMultiplierMilli: 1000 },
  { ticker: 'KXINXY', title: 'S&P 500 year-end range', category: 'Financials', feeType: 'quadratic', feeMultiplierMilli: 500 },
  { ticker: 'KXHIGHNY', title: 'Highest temperature in NYC', category: 'Climate and Weather', feeType: 'quadratic', feeMultiplierMilli: 1000 },
  { ticker: 'KXFEDDECISION', title: 'Fed rate decision', category: 'Economics', feeType: 'quadratic_with_maker_fees', feeMultiplierMilli: 1000 },
  { ticker: 'KXNCAAFPLAYOFF', title: 'College football playoff qualifiers', category: 'Sports', feeType: 'quadratic', feeMultiplierMilli: 1000 },
];

/** Series whose events are mutually exclusive (one winner, one range, one decision). */
export const EXCLUSIVE_SERIES: ReadonlySet<string> = new Set(['KXNBAGAME', 'KXNEXTTEAMNBA', 'KXINXY', 'KXHIGHNY', 'KXFEDDECISION']);

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const NBA = ['LAL', 'BOS', 'GSW', 'MIA', 'CLE', 'NYK', 'DEN', 'PHX', 'MIL', 'DAL', 'OKC', 'MIN'];
const NCAA = ['MIA', 'OSU', 'UGA', 'TEX', 'ORE', 'PSU', 'ND', 'BAMA', 'LSU', 'CLEM'];

export function priceStructureBands(structure: string): PriceBand[] {
  switch (structure) {
    case 'deci_cent':
      return [{ startPrice: 10, endPrice: ONE_DOLLAR - 10, stepPrice: 10 }];
    case 'tapered_deci_cent':
      return [
        { startPrice: 10, endPrice: 1000, stepPrice: 10 },
        { startPrice: 1000, endPrice: 9000, stepPrice: ONE_CENT },
        { startPrice: 9000, endPrice: ONE_DOLLAR - 10, stepPrice: 10 },
      ];
    default:
      return [{ startPrice: ONE_CENT, endPrice: ONE_DOLLAR - ONE_CENT, stepPrice: ONE_CENT }];
  }
}

export interface CatalogMarket {
  spec: MarketSpec;
  /** initial hidden fair value (price units) */
  fair0: number;
  /** relative activity; a run has quiet (<1) and busy (>1) markets */
  intensity: number;
}

function dateCode(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getUTCFullYear() % 100).padStart(2, '0')}${MONTHS[d.getUTCMonth()]}${String(d.getUTCDate()).padStart(2, '0')}`;
}

export function buildCatalog(rng: Rng, count: number, nowMs: number): CatalogMarket[] {
  const out: CatalogMarket[] = [];
  const used = new Set<string>();
  for (let i = 0; out.length < count && i < count * 20; i++) {
    const s = SERIES[i % SERIES.length];
    const closeMs = nowMs + rng.int(1, 30) * 86_400_000 + rng.int(0, 23) * 3_600_000;
    const dc = dateCode(closeMs);
    let eventTicker: string;
    let ticker: string;
    let subtitle: string;
    switch (s.ticker) {
      case 'KXNBAGAME': {
        const a = rng.pick(NBA);
        let b = rng.pick(NBA);
        if (b === a) b = NBA[(NBA.indexOf(a) + 1) % NBA.length];
        eventTicker = `${s.ticker}-${dc}${a}${b}`;
        ticker = `${eventTicker}-${a}`;
        subtitle = `${a} wins`;
        break;
      }
      case 'KXNEXTTEAMNBA': {
        eventTicker = `${s.ticker}-26${rng.pick(['LJAM', 'KDUR', 'JBROWN7', 'GANT'])}`;
        ticker = `${eventTicker}-${rng.pick(NBA)}`;
        subtitle = 'Next team';
        break;
      }
      case 'KXBTCD': {
        eventTicker = `${s.ticker}-${dc}17`;
        const strike = 55_000 + rng.int(0, 20) * 500;
        ticker = `${eventTicker}-T${strike - 1}.99`;
        subtitle = `$${strike} or above`;
        break;
      }
      case 'KXINXY': {
        eventTicker = `${s.ticker}-26DEC31`;
        const lo = 5_800 + rng.int(0, 30) * 50;
        ticker = `${eventTicker}-B${lo + 25}`;
        subtitle = `${lo} to ${lo + 49.99}`;
        break;
      }
      case 'KXHIGHNY': {
        eventTicker = `${s.ticker}-${dc}`;
        const t = 60 + rng.int(0, 30);
        ticker = `${eventTicker}-B${t}.5`;
        subtitle = `${t}° to ${t + 1}°`;
        break;
      }
      case 'KXCPI': {
        eventTicker = `${s.ticker}-26${MONTHS[rng.int(0, 11)]}`;
        ticker = `${eventTicker}-T${(rng.int(-2, 8) / 10).toFixed(1)}`;
        subtitle = 'CPI above';
        break;
      }
      case 'KXFEDDECISION': {
        eventTicker = `${s.ticker}-26${MONTHS[rng.int(0, 11)]}`;
        ticker = `${eventTicker}-${rng.pick(['H0', 'C25', 'C26', 'H25'])}`;
        subtitle = 'Fed decision';
        break;
      }
      default: {
        eventTicker = `${s.ticker}-25`;
        ticker = `${eventTicker}-${rng.pick(NCAA)}`;
        subtitle = 'Makes the playoff';
      }
    }
    if (used.has(ticker)) continue;
    used.add(ticker);
    // One or two sub-penny markets per run (crypto / index style), the rest whole cents.
    const n = out.length;
    const structure = n === 3 ? 'tapered_deci_cent' : n === 11 ? 'deci_cent' : 'linear_cent';
    const fair0 = Math.round((0.06 + rng.next() * 0.88) * ONE_DOLLAR);
    const intensity = Math.min(4, Math.max(0.35, Math.exp(rng.normal() * 0.8)));
    out.push({
      spec: {
        ticker,
        marketId: uuidFrom(rng),
        eventTicker,
        seriesTicker: s.ticker,
        title: `${s.title}: ${subtitle}`,
        yesSubTitle: subtitle,
        priceLevelStructure: structure,
        bands: priceStructureBands(structure),
        openTimeMs: nowMs - 86_400_000,
        closeTimeMs: closeMs,
        createdTimeMs: nowMs - 2 * 86_400_000,
        settlementTimerS: 600,
        exchangeIndex: 0,
        mutuallyExclusive: EXCLUSIVE_SERIES.has(s.ticker),
      },
      fair0,
      intensity,
    });
  }
  return out;
}
