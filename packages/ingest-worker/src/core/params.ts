/**
 * Typed ingest parameters built from the flat configuration record (keys exactly as named in
 * the seeds / `kmm_` system keys), with the defaults used when a key is absent. A present but
 * unusable value is an error naming the key, never a silent default.
 */

export interface IngestParams {
  /** no data for a market for this long -> STALE (003: "No ticks 5s") */
  staleWindowNs: number;
  /** no frame and no ping on the socket for this long -> reconnect (Kalshi pings every 10 s) */
  heartbeatTimeoutNs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /** consecutive failed (re)connects before giving up (the worker then crashes and is restarted) */
  reconnectMaxAttempts: number;
  /** wait for a get_snapshot answer before falling back to unsubscribe + subscribe */
  resyncTimeoutNs: number;
  /** resync rounds for one market before forcing a reconnect */
  resyncMaxAttempts: number;
  /** limit on tracked markets; an ADD beyond it is refused with an error event */
  marketsMax: number;
  /** limit on commands awaiting an answer; the oldest is forgotten on overflow */
  pendingCommandsMax: number;
}

export const INGEST_DEFAULTS = {
  kmm_stale_window_s: 5,
  kmm_heartbeat_timeout_s: 30,
  kmm_reconnect_base_ms: 250,
  kmm_reconnect_max_ms: 10_000,
  kmm_reconnect_max_attempts: 50,
  kmm_resync_timeout_ms: 3_000,
  kmm_resync_max_attempts: 3,
  kmm_markets_max: 10_000,
  kmm_ws_pending_commands_max: 1_024,
} as const;

function num(config: Record<string, unknown>, key: keyof typeof INGEST_DEFAULTS, min: number): number {
  const v = config[key];
  if (v === undefined || v === null) return INGEST_DEFAULTS[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new Error(`config ${key}: expected a number >= ${min}, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function ingestParamsFrom(config: Record<string, unknown>): IngestParams {
  const baseMs = num(config, 'kmm_reconnect_base_ms', 1);
  const maxMs = num(config, 'kmm_reconnect_max_ms', 1);
  if (maxMs < baseMs) throw new Error(`config kmm_reconnect_max_ms (${maxMs}) is below kmm_reconnect_base_ms (${baseMs})`);
  return {
    staleWindowNs: Math.round(num(config, 'kmm_stale_window_s', 0.001) * 1e9),
    heartbeatTimeoutNs: Math.round(num(config, 'kmm_heartbeat_timeout_s', 0.001) * 1e9),
    reconnectBaseMs: baseMs,
    reconnectMaxMs: maxMs,
    reconnectMaxAttempts: Math.floor(num(config, 'kmm_reconnect_max_attempts', 1)),
    resyncTimeoutNs: Math.round(num(config, 'kmm_resync_timeout_ms', 1) * 1e6),
    resyncMaxAttempts: Math.floor(num(config, 'kmm_resync_max_attempts', 1)),
    marketsMax: Math.floor(num(config, 'kmm_markets_max', 1)),
    pendingCommandsMax: Math.floor(num(config, 'kmm_ws_pending_commands_max', 1)),
  };
}
