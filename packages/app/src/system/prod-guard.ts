/**
 * The production guard: Kalshi's production exchange is reached only on purpose. Whatever
 * `--env` says, a run whose REST or websocket URL (from --env, a flag, the config file
 * `kmm_rest_base_url` / `kmm_ws_url`, or KMM_* environment variables) names a production host
 * needs `--confirm-prod`. Production is every host under kalshi.com (external-api, external-api-ws,
 * api.elections, the older trading-api, and any future one); demo lives under kalshi.co.
 * A URL that does not parse is reported as such (it would not connect anyway).
 */

/** Kalshi's production domain: the host itself or any subdomain is production. */
export const KALSHI_PROD_DOMAIN = 'kalshi.com';

/** True when `url` (http/https/ws/wss) points at a Kalshi production host. */
export function isKalshiProductionUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  host = host.replace(/\.+$/, ''); // "api.elections.kalshi.com." is the same host
  return host === KALSHI_PROD_DOMAIN || host.endsWith(`.${KALSHI_PROD_DOMAIN}`);
}

/**
 * The refusal message when any of `urls` is production and the run was not confirmed, else null.
 * `flag` is how the confirmation is spelled on this command.
 */
export function productionRefusal(urls: readonly string[], confirmed: boolean, flag = '--confirm-prod'): string | null {
  if (confirmed) return null;
  const prod = urls.filter(isKalshiProductionUrl);
  if (prod.length === 0) return null;
  return `refusing to trade on Kalshi production without ${flag}: ${[...new Set(prod)].join(', ')} ${prod.length > 1 ? 'are production hosts' : 'is a production host'} (under ${KALSHI_PROD_DOMAIN}), whatever --env says`;
}
