/**
 * Issue 14 item 11: key and config files are size-checked regular files (no /dev/zero read
 * without limit, no FIFO hang), a non-RSA key is refused with a clear message, a too-large or
 * alias-bomb config fails fast with a short message that never echoes the whole value.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoundedFileError, CONFIG_FILE_MAX_BYTES, KEY_FILE_MAX_BYTES, makeDirsSync, openRegularFile, readBoundedFile } from '../src/io/bounded-file.js';
import { loadPrivateKeyPem, Signer } from '../src/auth/sign.js';
import { ConfigError, loadConfig } from '../src/config/index.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kmm-bounded-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function failure(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('readBoundedFile', () => {
  it('reads a regular file within the limit', () => {
    const p = join(dir, 'ok.txt');
    writeFileSync(p, 'hello');
    expect(readBoundedFile(p, 5, 'test file')).toBe('hello');
  });

  it('refuses a file over the limit without reading it', () => {
    const p = join(dir, 'big.txt');
    writeFileSync(p, 'x'.repeat(6));
    const e = failure(() => readBoundedFile(p, 5, 'test file'));
    expect(e).toBeInstanceOf(BoundedFileError);
    expect(e.message).toBe(`test file ${p} is 6 bytes, more than the limit of 5 bytes`);
  });

  it('refuses /dev/zero, a FIFO and a folder at once (no endless read, no hang)', () => {
    expect(failure(() => loadPrivateKeyPem('/dev/zero')).message).toBe('private key file /dev/zero is a device, expected a regular file');
    const fifo = join(dir, 'key.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(failure(() => loadPrivateKeyPem(fifo)).message).toBe(`private key file ${fifo} is a FIFO (named pipe), expected a regular file`);
    expect(failure(() => loadPrivateKeyPem(dir)).message).toBe(`private key file ${dir} is a folder, expected a regular file`);
    expect(failure(() => loadPrivateKeyPem(join(dir, 'none.pem'))).message).toBe(`private key file not found: ${join(dir, 'none.pem')}`);
  });

  it('caps a key file at KEY_FILE_MAX_BYTES', () => {
    const p = join(dir, 'huge.pem');
    writeFileSync(p, 'A'.repeat(KEY_FILE_MAX_BYTES + 1), { mode: 0o600 });
    expect(failure(() => loadPrivateKeyPem(p)).message).toContain(`more than the limit of ${KEY_FILE_MAX_BYTES} bytes`);
  });
});

describe('openRegularFile', () => {
  it('hands back a regular file; refuses /dev/urandom, a FIFO and a folder without reading', () => {
    const p = join(dir, 'cap.jsonl');
    writeFileSync(p, 'abc');
    const { fd, size } = openRegularFile(p, 'capture');
    closeSync(fd);
    expect(size).toBe(3);
    expect(failure(() => openRegularFile('/dev/urandom', 'capture')).message).toBe('capture /dev/urandom is a device, expected a regular file');
    const fifo = join(dir, 'cap.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(failure(() => openRegularFile(fifo, 'capture')).message).toBe(`capture ${fifo} is a FIFO (named pipe), expected a regular file`);
    expect(failure(() => openRegularFile(dir, 'capture')).message).toBe(`capture ${dir} is a folder, expected a regular file`);
  });
});

describe('makeDirsSync', () => {
  it('creates the missing folders with the mode, and accepts an existing folder', () => {
    const p = join(dir, 'a', 'b', 'c');
    makeDirsSync(p, 0o700);
    for (const d of [join(dir, 'a'), join(dir, 'a', 'b'), p]) expect(statSync(d).mode & 0o777).toBe(0o700);
    makeDirsSync(p, 0o700);
    expect(existsSync(p)).toBe(true);
  });

  it('fails with the errno code under a file (ENOTDIR) and where mkdir answers ENOENT under an existing parent (/proc: Node\'s recursive mkdir never returns there)', () => {
    const f = join(dir, 'plain');
    writeFileSync(f, '');
    expect((failure(() => makeDirsSync(join(f, 'x'))) as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    expect((failure(() => makeDirsSync(f)) as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    if (existsSync('/proc/self')) expect((failure(() => makeDirsSync('/proc/kmm-no-such/run')) as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});

describe('Signer', () => {
  it('accepts an RSA key and refuses an EC key, naming the problem', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(new Signer('k1', rsa).signature(1, 'GET', '/trade-api/v2/x')).toMatch(/^[A-Za-z0-9+/=]+$/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string;
    expect(failure(() => new Signer('k1', ec)).message).toBe('private key for key id k1 is an EC key; Kalshi API keys are RSA (PEM "RSA PRIVATE KEY" or PKCS#8)');
  });
});

describe('config files', () => {
  it('a config over CONFIG_FILE_MAX_BYTES fails with a short message', () => {
    const p = join(dir, 'big.yaml');
    writeFileSync(p, `kmm_api_key_id: "${'k'.repeat(CONFIG_FILE_MAX_BYTES)}"\n`);
    const e = failure(() => loadConfig({ file: p, env: {} }));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toContain('more than the limit of 1048576 bytes');
    expect(e.message.length).toBeLessThan(300);
  });

  it('a huge bad value or unknown key is clipped in the message', () => {
    const p = join(dir, 'long.json');
    writeFileSync(p, JSON.stringify({ MM_MAX_POS: '9'.repeat(500_000), ['z'.repeat(100_000)]: 1 }));
    const e = failure(() => loadConfig({ file: p, env: {} }));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toContain('(500000 characters)');
    expect(e.message).toContain('(100000 characters)');
    expect(e.message.length).toBeLessThan(1000);
  });

  it('a YAML alias bomb (billion laughs) is refused by the alias limit', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const p = join(dir, 'lol.yaml');
    writeFileSync(p, lines.join('\n') + '\n');
    const e = failure(() => loadConfig({ file: p, env: {} }));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(/^.*lol\.yaml: invalid YAML: .*alias/i);
  });
});
