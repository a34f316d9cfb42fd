/**
 * The built-in calibrated market profiles (profiles/profile.ts), written by `kmm calibrate` from
 * the real recordings in ../shared/data (derived statistics only; no recorded data is copied):
 *
 *   active: ./kmm calibrate ../shared/data/kalshi-ws-capture-2026-07-01/session.jsonl --top 2 \
 *             --trades ../shared/data/kalshi-trades-kxncaafplayoff-2025/NCAA_trade25.csv --trades-top 1 \
 *             --name active --description "..." --out active.json
 *           book: the two busiest markets of the demo websocket capture (KXNEXTTEAMNBA-26LJAM-GSW
 *           and -MIA); trades and jumps: the busiest market of the NCAA playoff prints (-MIA).
 *   quiet:  ./kmm calibrate ../shared/data/kalshi-ws-capture-2026-07-01/session.jsonl \
 *             --market KXNEXTTEAMNBA-26LJAM-CLE \
 *             --book-from ../shared/data/kalshi-trades-kxncaafplayoff-2025/orderbook_snapshots_KXINXY-25DEC31.csv \
 *             --trades ../shared/data/kalshi-trades-kxncaafplayoff-2025/NCAA_trade25.csv \
 *             --name quiet --description "..." --out quiet.json
 *           long-dated futures: the KXINXY production books (shape), all 58 NCAA playoff markets'
 *           prints (trades), the quietest market of the demo capture (book changes per second).
 *
 * `matches` holds the real values; `kmm market-stats` of a simulator capture compared with the
 * recordings shows how close the simulator comes (bench/RESULTS.md).
 */
import type { MarketProfile } from './profile.js';

export const ACTIVE_PROFILE: MarketProfile = {
  "name": "active",
  "description": "the busiest markets of the demo websocket capture (book) with the busiest market of the NCAA playoff prints (trades)",
  "sources": [
    "book deltas per second: ../shared/data/kalshi-ws-capture-2026-07-01/session.jsonl (markets: KXNEXTTEAMNBA-26LJAM-GSW, KXNEXTTEAMNBA-26LJAM-MIA)",
    "book shape: ../shared/data/kalshi-ws-capture-2026-07-01/session.jsonl (markets: KXNEXTTEAMNBA-26LJAM-GSW, KXNEXTTEAMNBA-26LJAM-MIA)",
    "trades, jumps, hour of day, close ramp: ../shared/data/kalshi-trades-kxncaafplayoff-2025/NCAA_trade25.csv (markets: KXNCAAFPLAYOFF-25-MIA)",
    "assumed (no recording shows them): trades.impactTicksPerTouch 0.5, news.informedLeadS 30, news.informedTrades 3, news.sweepTrades 3, activity.quiet {\"share\":0.25,\"meanS\":600,\"rateMultiplier\":0.2}, book.depthLevels 10"
  ],
  "matches": {
    "touch size median (contracts)": 24600,
    "touch size p10 (contracts)": 4160,
    "touch size p90 (contracts)": 177000,
    "spread median (ticks)": 1,
    "spread mean (ticks)": 1,
    "depth within 10 ticks (contracts/side)": 325000,
    "empty prices within 10 ticks (share)": 0.325,
    "book deltas per second": 4.36,
    "trades per minute": 0.0556,
    "trade size median (contracts)": 49,
    "trade size mean (contracts)": 278,
    "realised vol (c/sqrt h)": 5.61,
    "variance share of moves >= 5c": 0.834
  },
  "book": {
    "touchSizeContracts": {
      "median": 24600,
      "p10": 4160,
      "p90": 177000
    },
    "spreadTicks": [
      {
        "ticks": 1,
        "weight": 1
      }
    ],
    "depthLevels": 10,
    "gapShare": 0.361,
    "deepLevelContracts": 34800,
    "deltasPerS": 5.45
  },
  "trades": {
    "isolatedPerHour": 0.64,
    "burstsPerHour": 0.512,
    "tradesPerBurst": 6.89,
    "burstGapS": 9.27,
    "sizeContracts": {
      "median": 49,
      "mean": 278,
      "max": 4130
    },
    "impactTicksPerTouch": 0.5
  },
  "news": {
    "jumpsPerHour": 0.319,
    "jumpMedianCents": 7,
    "informedLeadS": 30,
    "informedTrades": 3,
    "sweepTrades": 3
  },
  "diffusion": {
    "centsPerSqrtHour": 2.29
  },
  "activity": {
    "marketSd": 0.216,
    "quiet": {
      "share": 0.25,
      "meanS": 600,
      "rateMultiplier": 0.2
    },
    "hourOfDay": [
      1.41,
      0.653,
      0.296,
      0.214,
      0.173,
      0.0675,
      0.191,
      0.375,
      0.383,
      0.814,
      1.34,
      2.37,
      3.59,
      0.795,
      0.923,
      1.17,
      1.09,
      1.05,
      1.41,
      1.88,
      0.912,
      0.897,
      0.96,
      1.04
    ],
    "closeRampHours": 24,
    "closeMultiplier": 92.2
  }
};

export const QUIET_PROFILE: MarketProfile = {
  "name": "quiet",
  "description": "long-dated futures: KXINXY production books (shape), all KXNCAAFPLAYOFF prints (trades), the quietest market of the demo capture (book changes)",
  "sources": [
    "book deltas per second: ../shared/data/kalshi-ws-capture-2026-07-01/session.jsonl (markets: KXNEXTTEAMNBA-26LJAM-CLE)",
    "book shape: ../shared/data/kalshi-trades-kxncaafplayoff-2025/orderbook_snapshots_KXINXY-25DEC31.csv",
    "trades, jumps, hour of day, close ramp: ../shared/data/kalshi-trades-kxncaafplayoff-2025/NCAA_trade25.csv",
    "assumed (no recording shows them): trades.impactTicksPerTouch 0.5, news.informedLeadS 30, news.informedTrades 3, news.sweepTrades 3, activity.quiet {\"share\":0.25,\"meanS\":600,\"rateMultiplier\":0.2}, book.depthLevels 10, activity.marketSd 0.5"
  ],
  "matches": {
    "touch size median (contracts)": 4330,
    "touch size p10 (contracts)": 961,
    "touch size p90 (contracts)": 100000,
    "spread median (ticks)": 1,
    "spread mean (ticks)": 1.38,
    "depth within 10 ticks (contracts/side)": 110000,
    "empty prices within 10 ticks (share)": 0.425,
    "book deltas per second": 0.425,
    "trades per minute": 0.00594,
    "trade size median (contracts)": 34,
    "trade size mean (contracts)": 290,
    "realised vol (c/sqrt h)": 2.47,
    "variance share of moves >= 5c": 0.911
  },
  "book": {
    "touchSizeContracts": {
      "median": 4330,
      "p10": 961,
      "p90": 100000
    },
    "spreadTicks": [
      {
        "ticks": 1,
        "weight": 0.625
      },
      {
        "ticks": 2,
        "weight": 0.375
      }
    ],
    "depthLevels": 10,
    "gapShare": 0.472,
    "deepLevelContracts": 14900,
    "deltasPerS": 0.531
  },
  "trades": {
    "isolatedPerHour": 0.148,
    "burstsPerHour": 0.0672,
    "tradesPerBurst": 4.43,
    "burstGapS": 9.17,
    "sizeContracts": {
      "median": 34,
      "mean": 290,
      "max": 5000
    },
    "impactTicksPerTouch": 0.5
  },
  "news": {
    "jumpsPerHour": 0.0483,
    "jumpMedianCents": 8,
    "informedLeadS": 30,
    "informedTrades": 3,
    "sweepTrades": 3
  },
  "diffusion": {
    "centsPerSqrtHour": 0.739
  },
  "activity": {
    "marketSd": 0.5,
    "quiet": {
      "share": 0.25,
      "meanS": 600,
      "rateMultiplier": 0.2
    },
    "hourOfDay": [
      1.22,
      0.741,
      0.369,
      0.26,
      0.177,
      0.104,
      0.211,
      0.349,
      0.582,
      0.912,
      1.23,
      1.75,
      2.41,
      1.01,
      1,
      1.25,
      1.11,
      1.18,
      1.47,
      1.66,
      1.24,
      1.16,
      1.23,
      1.38
    ],
    "closeRampHours": 24,
    "closeMultiplier": 42.4
  }
};

export const BUILTIN_PROFILES: Record<string, MarketProfile> = { active: ACTIVE_PROFILE, quiet: QUIET_PROFILE };
