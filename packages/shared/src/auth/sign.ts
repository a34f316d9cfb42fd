/**
 * Kalshi request signing (kalshi-api.md section 1): RSA-PSS / SHA-256 / MGF1(SHA-256),
 * salt length = digest length, over `timestamp_ms + METHOD + path` (path without query),
 * base64 into the KALSHI-ACCESS-* headers. Used by exec (REST) and ingest (websocket upgrade).
 * The private key is parsed once; it is never logged (see the logger's redact paths).
 */
import { constants, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { statSync } from 'node:fs';
import { KEY_FILE_MAX_BYTES, readBoundedFile } from '../io/bounded-file.js';

export interface AuthHeaders {
  'KALSHI-ACCESS-KEY': string;
  'KALSHI-ACCESS-TIMESTAMP': string;
  'KALSHI-ACCESS-SIGNATURE': string;
}

export class Signer {
  private readonly key: KeyObject;
  constructor(
    readonly keyId: string,
    privateKeyPem: string,
  ) {
    try {
      this.key = createPrivateKey(privateKeyPem);
    } catch (err) {
      throw new Error(`private key for key id ${keyId} is not a valid PEM RSA key (${(err as Error).message})`);
    }
    // Kalshi signs with RSA-PSS only: an EC or Ed25519 key would sign (padding is ignored) and
    // every request would then be refused with 401; say so here instead.
    if (this.key.asymmetricKeyType !== 'rsa' && this.key.asymmetricKeyType !== 'rsa-pss') {
      throw new Error(`private key for key id ${keyId} is a${this.key.asymmetricKeyType === 'ec' ? 'n' : ''} ${String(this.key.asymmetricKeyType).toUpperCase()} key; Kalshi API keys are RSA (PEM "RSA PRIVATE KEY" or PKCS#8)`);
    }
  }
  /** Signs `tsMs + METHOD + path`; `path` must include /trade-api/v2 and no query string. */
  signature(tsMs: number, method: string, path: string): string {
    const q = path.indexOf('?');
    const bare = q >= 0 ? path.slice(0, q) : path;
    return sign('sha256', Buffer.from(`${tsMs}${method.toUpperCase()}${bare}`), {
      key: this.key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    }).toString('base64');
  }
  /**
   * The same signature made on libuv's thread pool (node:crypto's callback form): the calling
   * thread is not blocked for the RSA operation (~250 us for a 2048-bit key). Live only: its
   * completion time is the pool's, not a simulated clock's.
   */
  signatureAsync(tsMs: number, method: string, path: string): Promise<string> {
    const q = path.indexOf('?');
    const bare = q >= 0 ? path.slice(0, q) : path;
    return new Promise((resolve, reject) =>
      sign('sha256', Buffer.from(`${tsMs}${method.toUpperCase()}${bare}`), { key: this.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, (err, sig) =>
        err ? reject(err) : resolve(sig.toString('base64')),
      ),
    );
  }
  async headersAsync(tsMs: number, method: string, path: string): Promise<AuthHeaders> {
    return { 'KALSHI-ACCESS-KEY': this.keyId, 'KALSHI-ACCESS-TIMESTAMP': String(tsMs), 'KALSHI-ACCESS-SIGNATURE': await this.signatureAsync(tsMs, method, path) };
  }
  headers(tsMs: number, method: string, path: string): AuthHeaders {
    return {
      'KALSHI-ACCESS-KEY': this.keyId,
      'KALSHI-ACCESS-TIMESTAMP': String(tsMs),
      'KALSHI-ACCESS-SIGNATURE': this.signature(tsMs, method, path),
    };
  }
}

/**
 * Loads a PEM key file: a regular file of at most KEY_FILE_MAX_BYTES (BoundedFileError otherwise);
 * `warn` is called when the file is readable by group/others.
 */
export function loadPrivateKeyPem(path: string, warn?: (msg: string) => void): string {
  const pem = readBoundedFile(path, KEY_FILE_MAX_BYTES, 'private key file');
  const mode = statSync(path).mode;
  if (warn && (mode & 0o077) !== 0) warn(`private key file ${path} is readable by other users (mode ${(mode & 0o777).toString(8)}); run chmod 600`);
  return pem;
}
