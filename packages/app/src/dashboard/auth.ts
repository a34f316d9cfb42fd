/**
 * Token checks for the dashboard and metrics HTTP servers (127.0.0.1 only).
 *
 * A request may carry the token as `Authorization: Bearer <token>`, as the `kmm_token`
 * cookie (set when the page is first opened with `?token=`), or as the `token` query
 * parameter. Comparison is constant-time over SHA-256 digests so neither the length nor a
 * prefix of the token leaks through timing. No token -> 401, wrong token -> 403.
 * The Host header must name the loopback address and our port, which stops DNS-rebinding
 * pages from reaching the server through a hostname they control.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'kmm_token';
/** Bytes of randomness in a generated token (hex-encoded: 2 chars per byte). */
export const TOKEN_BYTES = 24;

export function generateToken(): string {
  return randomBytes(TOKEN_BYTES).toString('hex');
}

export type AuthResult =
  | { ok: true; via: 'header' | 'cookie' | 'query' }
  | { ok: false; status: 401 | 403; why: string };

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export function tokenEquals(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export interface TokenSources {
  header?: string;
  cookie?: string;
  query?: string;
}

/** Every place a token can arrive; the caller decides which ones it accepts. */
export function tokenSources(req: IncomingMessage, url: URL): TokenSources {
  const out: TokenSources = {};
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) out.header = auth.slice(7).trim();
  const c = cookieValue(req.headers.cookie, TOKEN_COOKIE);
  if (c !== undefined) out.cookie = c;
  const q = url.searchParams.get('token');
  if (q !== null) out.query = q;
  return out;
}

/**
 * Checks the first present source in the order header, query, cookie. The query wins over
 * the cookie so that opening the page with a fresh token (after a restart) replaces a stale
 * cookie instead of being refused because of it.
 */
export function checkToken(
  src: TokenSources,
  expected: string,
  accept: { header: boolean; cookie: boolean; query: boolean },
): AuthResult {
  let via: 'header' | 'cookie' | 'query' | undefined;
  let given: string | undefined;
  if (accept.header && src.header !== undefined) {
    via = 'header';
    given = src.header;
  } else if (accept.query && src.query !== undefined) {
    via = 'query';
    given = src.query;
  } else if (accept.cookie && src.cookie !== undefined) {
    via = 'cookie';
    given = src.cookie;
  }
  if (via === undefined || given === undefined) return { ok: false, status: 401, why: 'token required' };
  if (!tokenEquals(given, expected)) return { ok: false, status: 403, why: 'bad token' };
  return { ok: true, via };
}

/** Host header must be 127.0.0.1:port or localhost:port (DNS-rebinding guard). */
export function hostAllowed(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host;
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/** Origin, when a browser sends one, must be our own page. Non-browser clients send none. */
export function originAllowed(req: IncomingMessage, port: number): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}
