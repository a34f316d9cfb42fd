/**
 * Fault injection settings. All probabilistic faults draw from a seeded Rng so a fault schedule
 * is reproducible. Settable at start (SimOptions.faults), through the handle, or over HTTP
 * (POST /sim/admin/faults with a partial FaultConfig; DELETE clears).
 */
export interface FaultConfig {
  /** probability per websocket data frame that the connection is dropped (closed 1006-style) after it */
  wsDropProb: number;
  /** probability per orderbook frame that a seq number is skipped (gap) */
  seqSkipProb: number;
  /** probability per orderbook frame that it is sent twice (duplicate seq) */
  seqDupProb: number;
  /** markets whose websocket messages are withheld (the book keeps changing) */
  silenceMarkets: string[];
  /**
   * every websocket data frame of every market, user data included (fills, order updates,
   * positions), is withheld while the connection stays open and heartbeat pings go on; the
   * exchange keeps matching. What is withheld is lost, as on a real stalled feed.
   */
  wsSilent: boolean;
  /** every REST call answers 429 */
  rate429Storm: boolean;
  /** probability per REST call of a 500/503 answer */
  rest5xxProb: number;
  /**
   * every read of the account (GET of /portfolio/positions, /portfolio/orders, /portfolio/fills)
   * answers 503; everything else is served. Set before a start to fail KMM's start-up reads.
   */
  accountReadsFail: boolean;
  /** probability per REST call that it never answers (socket closed after restTimeoutMs) */
  restTimeoutProb: number;
  /** how long a "timed out" REST call hangs before the socket is destroyed */
  restTimeoutMs: number;
  /**
   * probability per REST write (POST, PUT, DELETE) that it is carried out but its answer is lost
   * (the connection resets at once): the client does not learn the order it created, nor its
   * id (restTimeoutProb drops the request instead)
   */
  restLostReplyProb: number;
  /** added latency on every REST answer (ms) */
  restLatencyMs: number;
  /** added latency on every websocket data frame (ms; order preserved) */
  wsLatencyMs: number;
  /** probability per websocket data frame of a malformed (non-JSON) frame sent before it */
  malformedFrameProb: number;
  /**
   * user data reordered across channels (ms): every `fill` and every `market_position` frame is
   * held back by its own seeded delay drawn uniformly in [0, userDataReorderMs], each channel
   * kept in order within itself (as Kalshi orders each channel, not across them). So a position
   * update can arrive before its fill, after it, or after later fills of the same market.
   */
  userDataReorderMs: number;
  /** exchange paused (the rare exchange pause: no trading, no cancels) */
  exchangePaused: boolean;
  /**
   * trading paused as in the weekly maintenance: no place or amend, cancels and decreases
   * allowed, resting orders stay except those placed with cancel_order_on_pause
   */
  tradingPaused: boolean;
}

export function defaultFaults(): FaultConfig {
  return {
    wsDropProb: 0,
    seqSkipProb: 0,
    seqDupProb: 0,
    silenceMarkets: [],
    wsSilent: false,
    rate429Storm: false,
    rest5xxProb: 0,
    accountReadsFail: false,
    restTimeoutProb: 0,
    restTimeoutMs: 30_000,
    restLostReplyProb: 0,
    restLatencyMs: 0,
    wsLatencyMs: 0,
    malformedFrameProb: 0,
    userDataReorderMs: 0,
    exchangePaused: false,
    tradingPaused: false,
  };
}

const NUM_KEYS = ['wsDropProb', 'seqSkipProb', 'seqDupProb', 'rest5xxProb', 'restTimeoutProb', 'restLostReplyProb', 'restTimeoutMs', 'restLatencyMs', 'wsLatencyMs', 'malformedFrameProb', 'userDataReorderMs'] as const;
const BOOL_KEYS = ['rate429Storm', 'exchangePaused', 'tradingPaused', 'wsSilent', 'accountReadsFail'] as const;

/** Validates an untrusted partial config; returns an error string naming the bad key. */
export function checkFaults(input: unknown): Partial<FaultConfig> | string {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return 'faults must be a JSON object';
  const o = input as Record<string, unknown>;
  const out: Partial<FaultConfig> = {};
  for (const k of Object.keys(o)) {
    const v = o[k];
    if ((NUM_KEYS as readonly string[]).includes(k)) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return `${k} must be a non-negative number`;
      if (k.endsWith('Prob') && v > 1) return `${k} must be a probability in [0, 1]`;
      (out as Record<string, unknown>)[k] = v;
    } else if ((BOOL_KEYS as readonly string[]).includes(k)) {
      if (typeof v !== 'boolean') return `${k} must be a boolean`;
      (out as Record<string, unknown>)[k] = v;
    } else if (k === 'silenceMarkets') {
      if (!Array.isArray(v) || v.some((t) => typeof t !== 'string')) return 'silenceMarkets must be an array of tickers';
      out.silenceMarkets = v as string[];
    } else {
      return `unknown fault key '${k}'`;
    }
  }
  return out;
}
