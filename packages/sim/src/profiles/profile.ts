/**
 * Market profiles: the figures that drive the simulator's calibrated order flow
 * (flow/profile-flow.ts), one set per kind of market, each fitted to real recordings by
 * `kmm calibrate` and carrying its sources and the statistics it reproduces.
 *
 * A profile is plain JSON (a file) or one of the built-in ones (profiles/builtin.ts):
 *   book      the resting book: touch size distribution, spread in ticks of 1¢, levels kept per
 *             side, the share of those prices left empty (gaps), sizes deeper in the book, and
 *             how many book changes a second the liquidity providers make;
 *   trades    public trades: isolated prints and bursts (arrivals per hour, trades per burst,
 *             gap inside a burst), size distribution, persistent price impact;
 *   news      jumps of the fair value, with informed traders taking liquidity in the jump's
 *             direction from `informedLeadS` before it and sweeping the book as it happens;
 *   diffusion the small continuous drift of the fair value between jumps;
 *   activity  spread of activity across markets, quiet periods (all rates cut), hour-of-day
 *             multipliers (New York time) and the ramp of activity before a market's close.
 * The `synthetic` profile is not of this shape: it names the original uncalibrated flow
 * (flow/synthetic.ts), kept for the deterministic simulation tests that need fills in minutes.
 *
 * validateProfile() checks a parsed value field by field and throws naming the bad field.
 */

export interface MarketProfile {
  name: string;
  description: string;
  /** where the figures come from (files, commands) */
  sources: string[];
  /** the statistics the profile reproduces, as `kmm market-stats` labels them, with the real value */
  matches: Record<string, number>;
  book: {
    touchSizeContracts: { median: number; p10: number; p90: number };
    /** spread of the liquidity providers' quotes in ticks of 1¢, with weights */
    spreadTicks: Array<{ ticks: number; weight: number }>;
    /** price levels kept per side (the touch and deeper) */
    depthLevels: number;
    /** share of the prices within depthLevels left empty (gaps), touch excluded */
    gapShare: number;
    /** median size of a level behind the touch */
    deepLevelContracts: number;
    /** book changes per market per second made by the liquidity providers */
    deltasPerS: number;
  };
  trades: {
    isolatedPerHour: number;
    burstsPerHour: number;
    /** mean trades per burst (at least 2) */
    tradesPerBurst: number;
    /** mean gap between the trades of a burst */
    burstGapS: number;
    sizeContracts: { median: number; mean: number; max: number };
    /** persistent move of the fair value, in ticks, per touch-median of contracts traded */
    impactTicksPerTouch: number;
  };
  news: {
    jumpsPerHour: number;
    jumpMedianCents: number;
    /** informed trades start this long before a jump */
    informedLeadS: number;
    /** informed trades in that lead time (each of a trade's size) */
    informedTrades: number;
    /** size of the informed sweep at the jump, in trade sizes (it takes the quotes left stale between the old touch and the new fair value) */
    sweepTrades: number;
  };
  diffusion: { centsPerSqrtHour: number };
  activity: {
    /** lognormal sd of the per-market activity multiplier (mean 1) */
    marketSd: number;
    quiet: { share: number; meanS: number; rateMultiplier: number };
    /** 24 multipliers by New York hour (mean about 1) for trades and news */
    hourOfDay: number[];
    /** hours before close over which activity ramps up to closeMultiplier */
    closeRampHours: number;
    closeMultiplier: number;
  };
}

export type ProfileSpec = MarketProfile | 'synthetic';

export class ProfileError extends Error {}

function fail(where: string, msg: string): never {
  throw new ProfileError(`profile field ${where} ${msg}`);
}

function obj(v: unknown, where: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(where, `must be an object, got ${JSON.stringify(v)}`);
  return v as Record<string, unknown>;
}

function num(o: Record<string, unknown>, key: string, where: string, min: number, max = Infinity): number {
  const v = o[key];
  const w = where ? `${where}.${key}` : key;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(w, `must be a number, got ${JSON.stringify(v)}`);
  if (v < min || v > max) fail(w, `must be between ${min} and ${max}, got ${v}`);
  return v;
}

function str(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') fail(key, `must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

/** Checks a parsed profile; returns it typed. Throws ProfileError naming the first bad field. */
export function validateProfile(value: unknown): MarketProfile {
  const p = obj(value, '(root)');
  str(p, 'name');
  str(p, 'description');
  if (!Array.isArray(p.sources) || p.sources.some((s) => typeof s !== 'string')) fail('sources', 'must be a list of strings');
  const m = obj(p.matches, 'matches');
  for (const k of Object.keys(m)) if (typeof m[k] !== 'number') fail(`matches.${k}`, `must be a number, got ${JSON.stringify(m[k])}`);

  const b = obj(p.book, 'book');
  const t = obj(b.touchSizeContracts, 'book.touchSizeContracts');
  const p10 = num(t, 'p10', 'book.touchSizeContracts', 0.01);
  const med = num(t, 'median', 'book.touchSizeContracts', p10);
  num(t, 'p90', 'book.touchSizeContracts', med);
  if (!Array.isArray(b.spreadTicks) || b.spreadTicks.length === 0) fail('book.spreadTicks', 'must be a non-empty list of {ticks, weight}');
  (b.spreadTicks as unknown[]).forEach((x, i) => {
    const e = obj(x, `book.spreadTicks[${i}]`);
    const ticks = num(e, 'ticks', `book.spreadTicks[${i}]`, 1, 50);
    if (!Number.isInteger(ticks)) fail(`book.spreadTicks[${i}].ticks`, `must be a whole number, got ${ticks}`);
    num(e, 'weight', `book.spreadTicks[${i}]`, 0);
  });
  num(b, 'depthLevels', 'book', 1, 99);
  num(b, 'gapShare', 'book', 0, 0.95);
  num(b, 'deepLevelContracts', 'book', 0.01);
  num(b, 'deltasPerS', 'book', 0, 10_000);

  const tr = obj(p.trades, 'trades');
  num(tr, 'isolatedPerHour', 'trades', 0, 1e6);
  num(tr, 'burstsPerHour', 'trades', 0, 1e6);
  num(tr, 'tradesPerBurst', 'trades', 2, 1e5);
  num(tr, 'burstGapS', 'trades', 0.001, 3600);
  const sz = obj(tr.sizeContracts, 'trades.sizeContracts');
  const smed = num(sz, 'median', 'trades.sizeContracts', 0.01);
  num(sz, 'mean', 'trades.sizeContracts', smed);
  num(sz, 'max', 'trades.sizeContracts', smed);
  num(tr, 'impactTicksPerTouch', 'trades', 0, 100);

  const n = obj(p.news, 'news');
  num(n, 'jumpsPerHour', 'news', 0, 1e4);
  num(n, 'jumpMedianCents', 'news', 0, 99);
  num(n, 'informedLeadS', 'news', 0, 3600);
  num(n, 'informedTrades', 'news', 0, 1e4);
  num(n, 'sweepTrades', 'news', 0, 1000);

  num(obj(p.diffusion, 'diffusion'), 'centsPerSqrtHour', 'diffusion', 0, 100);

  const a = obj(p.activity, 'activity');
  num(a, 'marketSd', 'activity', 0, 5);
  const q = obj(a.quiet, 'activity.quiet');
  num(q, 'share', 'activity.quiet', 0, 0.99);
  num(q, 'meanS', 'activity.quiet', 0.001, 1e7);
  num(q, 'rateMultiplier', 'activity.quiet', 0, 1);
  if (!Array.isArray(a.hourOfDay) || a.hourOfDay.length !== 24) fail('activity.hourOfDay', `must be a list of 24 numbers, got ${Array.isArray(a.hourOfDay) ? a.hourOfDay.length + ' entries' : JSON.stringify(a.hourOfDay)}`);
  (a.hourOfDay as unknown[]).forEach((h, i) => {
    if (typeof h !== 'number' || !(h >= 0) || !Number.isFinite(h)) fail(`activity.hourOfDay[${i}]`, `must be a number >= 0, got ${JSON.stringify(h)}`);
  });
  num(a, 'closeRampHours', 'activity', 0, 1e4);
  num(a, 'closeMultiplier', 'activity', 0, 1000);
  return value as MarketProfile;
}
