/**
 * Ingest parameters: ingest's unit-named view of the effective configuration.
 *
 * Role: a pure derivation, `ingestParamsOf(cfg)`, from a `KmmConfig` that the shared config
 * registry has already validated. Defaults and ranges are written once, in `@kmm/shared`
 * CONFIG_SPECS (`kmm config explain`); here only unit conversions (s / ms -> ns) are done.
 */
import type { KmmConfig } from '@kmm/shared';

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

const NS_PER_S = 1e9;
const NS_PER_MS = 1e6;

/** Ingest's parameters from a validated configuration (no checks: the registry did them). */
export function ingestParamsOf(cfg: Readonly<KmmConfig>): IngestParams {
  return {
    staleWindowNs: Math.round(cfg.kmm_stale_window_s * NS_PER_S),
    heartbeatTimeoutNs: Math.round(cfg.kmm_heartbeat_timeout_s * NS_PER_S),
    reconnectBaseMs: cfg.kmm_reconnect_base_ms,
    reconnectMaxMs: cfg.kmm_reconnect_max_ms,
    reconnectMaxAttempts: cfg.kmm_reconnect_max_attempts,
    resyncTimeoutNs: cfg.kmm_resync_timeout_ms * NS_PER_MS,
    resyncMaxAttempts: cfg.kmm_resync_max_attempts,
    marketsMax: cfg.kmm_markets_max,
    pendingCommandsMax: cfg.kmm_ws_pending_commands_max,
  };
}
