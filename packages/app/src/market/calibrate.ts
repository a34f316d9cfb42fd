/**
 * `kmm calibrate`'s fit: market statistics (core/market-stats.ts) -> a simulator MarketProfile
 * (@kmm/sim profiles), with the list of sources and the statistics it is meant to reproduce.
 *
 * What is measured and what is assumed (the profile's `sources` lists the assumed fields too):
 *   book      touch size quantiles, spread shares, empty prices and depth within 10 ticks, book
 *             deltas per second: from the book recordings (captures, book-snapshot CSVs);
 *   trades    isolated trades and bursts per hour, trades per burst, gap inside a burst, size
 *             median/mean/p99: from the trade recordings (trade-print CSVs or captures' trades);
 *   news      jumps = price moves of 5c or more: their rate and median size, from the trades;
 *   diffusion the volatility not explained by those moves;
 *   activity  spread of activity across markets (sd of log deltas/s); hour of day from the
 *             trades' New York hours; the close ramp from the trades in the last day of markets
 *             recorded up to their close.
 *   Assumed (no recording shows them: public prints carry no taker side, no recording shows who
 *   traded before a jump): impact per trade, informed lead time and count, sweep size, quiet
 *   periods. Their values are the CALIBRATION_ASSUMPTIONS below.
 */
import type { MarketProfile } from '@kmm/sim';
import type { MarketStats } from '../core/market-stats.js';

export const CALIBRATION_ASSUMPTIONS = {
  /** a trade of the median touch size moves the fair value half a tick, for good */
  impactTicksPerTouch: 0.5,
  /** informed traders act in the 30 s before a jump... */
  informedLeadS: 30,
  /** ...with 3 trades on average */
  informedTrades: 3,
  /** at the jump the liquidity providers pull their stale quotes and an informed sweep of 3 trade sizes takes what is left up to the new fair value */
  sweepTrades: 3,
  /** a quarter of the time a market is quiet (every rate x0.2), for 10 minutes on average */
  quiet: { share: 0.25, meanS: 600, rateMultiplier: 0.2 },
  /** levels kept per side */
  depthLevels: 10,
  /** activity spread across markets when the book recording has fewer than 2 markets */
  marketSd: 0.5,
};

export interface CalibrationInput {
  name: string;
  description?: string;
  /** pooled statistics of the book recordings (touch, spread, depth) */
  book: MarketStats;
  /** per-market statistics of the activity recordings (book deltas per second) */
  activity: MarketStats;
  activityMarkets: MarketStats[];
  /** pooled statistics of the trade recordings */
  trades: MarketStats;
  sources: string[];
}

function need<T>(v: T | null | undefined, what: string): T {
  if (v === null || v === undefined) throw new Error(`cannot calibrate: the recordings give no ${what}`);
  return v;
}

const r3 = (v: number) => Number(v.toPrecision(3));

export function fitProfile(inp: CalibrationInput): MarketProfile {
  const A = CALIBRATION_ASSUMPTIONS;
  const touch = need(inp.book.touchSizeContracts, 'touch sizes (a book snapshot or capture is needed)');
  const gap10 = need(inp.book.gapShare10, 'book depth');
  const depth10 = need(inp.book.depth10Contracts, 'book depth');
  const deltasPerS = need(inp.activity.deltasPerS, 'book deltas per second (a websocket capture is needed)');
  const sizes = need(inp.trades.tradeSizeContracts, 'trades (a trade-print CSV or a capture with trades is needed)');
  const clusters = need(inp.trades.tradeClusters, 'trade times');

  // the touch is never empty: the gap share of the 9 prices behind it
  const gapShare = Math.min(0.9, (gap10 * 10) / 9);
  // deeper levels: what is left of the depth, spread over the non-empty levels (lognormal sd 0.9: mean = 1.5 x median)
  const deep = Math.max(1, (depth10 - touch.median) / (9 * Math.max(0.1, 1 - gapShare)) / Math.exp(0.9 ** 2 / 2));
  const spreads = new Map<number, number>();
  for (const s of inp.book.spreadShares) {
    const t = Math.max(1, Math.round(s.ticks));
    spreads.set(t, (spreads.get(t) ?? 0) + s.share);
  }
  // activity measured over all of the recording's time: the rates outside quiet periods are higher
  const q = A.quiet;
  const quietNorm = 1 / (1 - q.share + q.share * q.rateMultiplier);
  const logs = inp.activityMarkets.filter((m) => (m.deltasPerS ?? 0) > 0).map((m) => Math.log(m.deltasPerS!));
  let marketSd = A.marketSd;
  if (logs.length >= 2) {
    const mu = logs.reduce((a, x) => a + x, 0) / logs.length;
    marketSd = Math.sqrt(logs.reduce((a, x) => a + (x - mu) ** 2, 0) / (logs.length - 1));
  }
  const hours = inp.trades.tradesByNyHour;
  const hourTotal = hours.reduce((a, x) => a + x, 0);
  const hourOfDay = hours.map((h) => (hourTotal > 0 ? r3((h * 24) / hourTotal) : 1));
  const vol = inp.trades.volCentsPerSqrtHour ?? 0;
  const bigShare = inp.trades.varShareGe5c ?? 0;
  const big = inp.trades.bigMoves;

  const matches: Record<string, number> = {};
  const note = (label: string, v: number | null | undefined) => {
    if (v !== null && v !== undefined && Number.isFinite(v)) matches[label] = r3(v);
  };
  note('touch size median (contracts)', touch.median);
  note('touch size p10 (contracts)', touch.p10);
  note('touch size p90 (contracts)', touch.p90);
  note('spread median (ticks)', inp.book.spreadTicks?.median);
  note('spread mean (ticks)', inp.book.spreadTicks?.mean);
  note('depth within 10 ticks (contracts/side)', depth10);
  note('empty prices within 10 ticks (share)', gap10);
  note('book deltas per second', deltasPerS);
  note('trades per minute', inp.trades.tradesPerMin);
  note('trade size median (contracts)', sizes.median);
  note('trade size mean (contracts)', sizes.mean);
  note('realised vol (c/sqrt h)', inp.trades.volCentsPerSqrtHour);
  note('variance share of moves >= 5c', inp.trades.varShareGe5c);

  return {
    name: inp.name,
    description: inp.description ?? `fitted by kmm calibrate from ${inp.sources.length} recording(s)`,
    sources: [
      ...inp.sources,
      `assumed (no recording shows them): trades.impactTicksPerTouch ${A.impactTicksPerTouch}, news.informedLeadS ${A.informedLeadS}, news.informedTrades ${A.informedTrades}, news.sweepTrades ${A.sweepTrades}, activity.quiet ${JSON.stringify(A.quiet)}, book.depthLevels ${A.depthLevels}${logs.length < 2 ? `, activity.marketSd ${A.marketSd}` : ''}`,
    ],
    matches,
    book: {
      touchSizeContracts: { median: r3(touch.median), p10: r3(touch.p10), p90: r3(touch.p90) },
      spreadTicks: [...spreads].sort((a, b) => a[0] - b[0]).map(([ticks, w]) => ({ ticks, weight: r3(w) })),
      depthLevels: A.depthLevels,
      gapShare: r3(gapShare),
      deepLevelContracts: r3(deep),
      deltasPerS: r3(deltasPerS * quietNorm),
    },
    trades: {
      isolatedPerHour: r3(clusters.isolatedPerHour * quietNorm),
      burstsPerHour: r3(clusters.burstsPerHour * quietNorm),
      tradesPerBurst: r3(Math.max(2, clusters.tradesPerBurst)),
      burstGapS: r3(Math.max(0.001, clusters.burstGapS)),
      sizeContracts: { median: r3(sizes.median), mean: r3(Math.max(sizes.mean, sizes.median)), max: r3(Math.max(sizes.p99, sizes.median)) },
      impactTicksPerTouch: A.impactTicksPerTouch,
    },
    news: {
      jumpsPerHour: r3((big?.perHour ?? 0) * quietNorm),
      jumpMedianCents: r3(big?.medianCents ?? 0),
      informedLeadS: A.informedLeadS,
      informedTrades: A.informedTrades,
      sweepTrades: A.sweepTrades,
    },
    diffusion: { centsPerSqrtHour: r3(vol * Math.sqrt(Math.max(0, 1 - bigShare))) },
    activity: {
      marketSd: r3(marketSd),
      quiet: { ...q },
      hourOfDay,
      closeRampHours: inp.trades.lastDayRateRatio !== null ? 24 : 0,
      // the ramp is linear from x1 a day out to xM at the close: its day averages (1 + M) / 2
      closeMultiplier: r3(Math.max(1, 2 * (inp.trades.lastDayRateRatio ?? 1) - 1)),
    },
  };
}
