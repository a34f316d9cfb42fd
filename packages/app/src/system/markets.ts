/**
 * Market discovery over public REST (start-up and refresh only, never on the hot path):
 * GET /markets (cursor pagination), GET /series/{ticker} for fee_type / fee_multiplier and
 * GET /events/{event_ticker} for `mutually_exclusive` (an event that cannot be read counts as not
 * exclusive: its markets' risks then add up, the larger measure, README "Event risk"), converted once into kmm.v1.IMarketInfo with exact integer units. 5xx and connection failures
 * throw TransientStartupError so start-up can retry them (preflight.ts withStartupRetry).
 */
import { kmm, parseCount, parsePrice, bandsFromVenue, parseMoney } from '@kmm/shared';
import { TransientStartupError } from './preflight.js';

/** Per-request timeout of market discovery. */
const GET_TIMEOUT_MS = 15_000;

interface VenueMarket {
  ticker: string;
  event_ticker?: string;
  status?: string;
  price_ranges?: Array<{ start: string; end: string; step: string }>;
  open_time?: string;
  close_time?: string;
  volume_24h_fp?: string;
  liquidity_dollars?: string;
  result?: string;
}

const STATUS: Record<string, kmm.v1.MarketStatus> = {
  initialized: kmm.v1.MarketStatus.MARKET_INITIALIZED,
  active: kmm.v1.MarketStatus.MARKET_ACTIVE,
  inactive: kmm.v1.MarketStatus.MARKET_INACTIVE,
  closed: kmm.v1.MarketStatus.MARKET_CLOSED,
  determined: kmm.v1.MarketStatus.MARKET_DETERMINED,
  finalized: kmm.v1.MarketStatus.MARKET_FINALIZED,
};

/** Series ticker from an event ticker: the part before the first '-' (KXBTCD-26JUL03 -> KXBTCD). */
export function seriesOf(eventTicker: string): string {
  const i = eventTicker.indexOf('-');
  return i < 0 ? eventTicker : eventTicker.slice(0, i);
}

/** Public GET as JSON. A 5xx or a connection failure is a TransientStartupError (callers retry it). */
async function getJson(url: string): Promise<any> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(GET_TIMEOUT_MS) });
    text = await res.text();
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    throw new TransientStartupError(`GET ${url} failed (${cause})`);
  }
  if (res.status >= 500) throw new TransientStartupError(`GET ${url} -> HTTP ${res.status}: ${text.slice(0, 200)}`);
  if (!res.ok) throw new Error(`GET ${url} -> HTTP ${res.status}: ${text.slice(0, 200)}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`GET ${url} returned a body that is not JSON: ${text.slice(0, 120)}`);
  }
}

/** The event's `mutually_exclusive` (GET /events/{event_ticker}); false when it cannot be read. */
export async function fetchEventExclusive(restBaseUrl: string, eventTicker: string): Promise<boolean> {
  if (!eventTicker) return false;
  try {
    const body = await getJson(`${restBaseUrl}/events/${encodeURIComponent(eventTicker)}`);
    return body?.event?.mutually_exclusive === true;
  } catch {
    return false;
  }
}

export function marketInfoFromVenue(m: VenueMarket, fee: { feeType: string; multiplierMilli: number }, mutuallyExclusive = false): kmm.v1.IMarketInfo {
  if (typeof m.ticker !== 'string' || m.ticker.length === 0) throw new Error(`market without a ticker: ${JSON.stringify(m).slice(0, 120)}`);
  const bands = m.price_ranges?.length ? bandsFromVenue(m.price_ranges, parsePrice) : [];
  return {
    market: m.ticker,
    eventTicker: m.event_ticker ?? '',
    seriesTicker: seriesOf(m.event_ticker ?? m.ticker),
    status: STATUS[m.status ?? ''] ?? kmm.v1.MarketStatus.MARKET_STATUS_UNSPECIFIED,
    priceRanges: bands.map((b) => ({ startPrice: b.startPrice, endPrice: b.endPrice, stepPrice: b.stepPrice })),
    openTimeMs: m.open_time ? Date.parse(m.open_time) : 0,
    closeTimeMs: m.close_time ? Date.parse(m.close_time) : 0,
    feeType: fee.feeType,
    feeMultiplierMilli: fee.multiplierMilli,
    volumeDayCenti: m.volume_24h_fp ? parseCount(m.volume_24h_fp, 'volume_24h_fp') : 0,
    liquidityMoney: m.liquidity_dollars ? parseMoney(m.liquidity_dollars, 'liquidity_dollars') : 0,
    result: m.result ?? '',
    mutuallyExclusive,
  };
}

/** Open markets, most active first, at most `limit`. */
export async function fetchMarkets(restBaseUrl: string, limit: number): Promise<kmm.v1.IMarketInfo[]> {
  const raw: VenueMarket[] = [];
  let cursor = '';
  for (let page = 0; page < 50 && raw.length < Math.max(limit * 5, 200); page++) {
    const url = `${restBaseUrl}/markets?status=open&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const body = await getJson(url);
    if (!Array.isArray(body.markets)) throw new Error(`GET /markets: response has no "markets" array`);
    raw.push(...body.markets);
    cursor = body.cursor ?? '';
    if (!cursor) break;
  }
  raw.sort((a, b) => (b.volume_24h_fp ? Number.parseInt(b.volume_24h_fp, 10) : 0) - (a.volume_24h_fp ? Number.parseInt(a.volume_24h_fp, 10) : 0));
  const chosen = raw.slice(0, limit);
  const fees = new Map<string, { feeType: string; multiplierMilli: number }>();
  for (const m of chosen) {
    const series = seriesOf(m.event_ticker ?? m.ticker);
    if (fees.has(series)) continue;
    try {
      const s = (await getJson(`${restBaseUrl}/series/${encodeURIComponent(series)}`)).series ?? {};
      const mult = String(s.fee_multiplier ?? '1');
      fees.set(series, { feeType: String(s.fee_type ?? 'quadratic'), multiplierMilli: Math.round(Number(mult) * 1000) });
    } catch {
      fees.set(series, { feeType: 'quadratic', multiplierMilli: 1000 }); // documented default for most series
    }
  }
  const exclusive = new Map<string, boolean>();
  for (const m of chosen) {
    const ev = m.event_ticker ?? '';
    if (ev && !exclusive.has(ev)) exclusive.set(ev, await fetchEventExclusive(restBaseUrl, ev));
  }
  return chosen.map((m) => marketInfoFromVenue(m, fees.get(seriesOf(m.event_ticker ?? m.ticker))!, exclusive.get(m.event_ticker ?? '') ?? false));
}
