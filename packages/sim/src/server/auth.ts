/**
 * Request authentication as the venue does it (kalshi-api.md section 1): RSA-PSS / SHA-256
 * signature of `timestamp_ms + METHOD + path` (path without query), a timestamp window, and a
 * registry of public keys by key id. Salt length AUTO on verify tolerates clients that sign with
 * the maximum salt (the venue's exact tolerance is uncertain; `strictSalt` makes it digest-only).
 * Failures are typed values carrying the observed 401 envelopes.
 */
import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';

export interface AuthFailure {
  ok: false;
  http: 401;
  code: string;
  message: string;
  details?: string;
}
export interface AuthOk {
  ok: true;
  userId: string;
  keyId: string;
}

export class KeyRegistry {
  private readonly keys = new Map<string, { key: KeyObject; userId: string }>();
  constructor(
    /** accepted |now - timestamp| in ms (observed: 5 s accepted, 30 s rejected) */
    public windowMs = 5_000,
    public strictSalt = false,
  ) {}

  add(keyId: string, publicKeyPem: string, userId: string): void {
    this.keys.set(keyId, { key: createPublicKey(publicKeyPem), userId });
  }
  has(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  check(headers: Record<string, string | string[] | undefined>, method: string, rawPath: string, nowMs: number): AuthOk | AuthFailure {
    const keyId = one(headers['kalshi-access-key']);
    const ts = one(headers['kalshi-access-timestamp']);
    const sig = one(headers['kalshi-access-signature']);
    if (!sig) return { ok: false, http: 401, code: 'signature_is_missing_from_headers', message: 'signature is missing from headers' };
    if (!keyId) return { ok: false, http: 401, code: 'authentication_error', message: 'authentication error', details: 'NOT_FOUND' };
    if (!ts || !/^\d{1,16}$/.test(ts)) return { ok: false, http: 401, code: 'header_timestamp_expired', message: 'header timestamp expired' };
    if (Math.abs(nowMs - Number(ts)) > this.windowMs) {
      return { ok: false, http: 401, code: 'header_timestamp_expired', message: 'header timestamp expired' };
    }
    const entry = this.keys.get(keyId);
    if (!entry) return { ok: false, http: 401, code: 'authentication_error', message: 'authentication error', details: 'NOT_FOUND' };
    const q = rawPath.indexOf('?');
    const path = q >= 0 ? rawPath.slice(0, q) : rawPath;
    let good = false;
    try {
      good = verify(
        'sha256',
        Buffer.from(ts + method.toUpperCase() + path),
        {
          key: entry.key,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: this.strictSalt ? constants.RSA_PSS_SALTLEN_DIGEST : constants.RSA_PSS_SALTLEN_AUTO,
        },
        Buffer.from(sig, 'base64'),
      );
    } catch {
      good = false;
    }
    if (!good) return { ok: false, http: 401, code: 'authentication_error', message: 'authentication error', details: 'INCORRECT_API_KEY_SIGNATURE' };
    return { ok: true, userId: entry.userId, keyId };
  }
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
