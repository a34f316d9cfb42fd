import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { createLogger, flushLogger, scrubString, REDACTED } from '../src/log/index.js';

let tmp: string;
let pem: string;
let signature: string;
let pemBody: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kmm-log-'));
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  // a line from the middle of the key: must never appear anywhere in the output
  pemBody = pem.split('\n')[5];
  signature = crypto.sign('sha256', Buffer.from('1700000000000GET/trade-api/ws/v2'), {
    key: privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST,
  }).toString('base64');
});
afterAll(() => { fs.rmSync(tmp, { recursive: true, force: true }); });

function logSecrets(log: ReturnType<typeof createLogger>): void {
  log.info({ privateKeyPem: pem, keyId: 'key-123' }, 'loaded key');
  log.info({ headers: { 'KALSHI-ACCESS-KEY': 'key-123', 'KALSHI-ACCESS-SIGNATURE': signature, 'KALSHI-ACCESS-TIMESTAMP': '1700000000000' } }, 'ws upgrade');
  log.warn({ req: { method: 'POST', headers: { 'KALSHI-ACCESS-SIGNATURE': signature, authorization: 'Bearer abc' } } }, 'rest call');
  log.info({ 'KALSHI-ACCESS-SIGNATURE': signature, signature, private_key: pem, password: 'hunter2', token: 'tok-1' }, 'top level');
  log.error({ deep: { a: { b: { c: { privateKey: pem } } } }, note: `key text ${pem}` }, 'deep');
  log.error({ err: new Error(`could not parse ${pem}`) }, 'error with pem');
  log.info(`message containing ${pem}`);
  log.info('interpolated %s', pem);
}

function checkNoSecrets(out: string): void {
  expect(out.length).toBeGreaterThan(0);
  expect(out).not.toContain(pemBody);
  expect(out).not.toContain('PRIVATE KEY');
  expect(out).not.toContain(signature);
  expect(out).not.toContain(signature.slice(0, 40));
  expect(out).not.toContain('hunter2');
  expect(out).not.toContain('tok-1');
  expect(out).not.toContain('Bearer abc');
  expect(out).toContain(REDACTED);
  // non-secret fields survive
  expect(out).toContain('key-123');
  expect(out).toContain('1700000000000');
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.length).toBe(8);
  expect(lines.map((l) => l.msg)).toEqual([
    'loaded key', 'ws upgrade', 'rest call', 'top level', 'deep', 'error with pem',
    'message containing [Redacted PEM]\n', 'interpolated [Redacted PEM]\n',
  ]);
  expect((lines[1].headers as Record<string, string>)['KALSHI-ACCESS-SIGNATURE']).toBe(REDACTED);
  expect(lines[0].name).toBe('test');
}

describe('logger redaction', () => {
  it('never writes a signature or a PEM (sync file destination)', async () => {
    const file = path.join(tmp, 'sync', 'ops.log');
    const log = createLogger({ name: 'test', file, sync: true });
    logSecrets(log);
    await flushLogger(log);
    checkNoSecrets(fs.readFileSync(file, 'utf8'));
  });

  it('never writes a signature or a PEM (writable stream)', async () => {
    const chunks: string[] = [];
    const stream = new Writable({ write(c, _e, cb) { chunks.push(String(c)); cb(); } });
    const log = createLogger({ name: 'test', stream });
    logSecrets(log);
    await flushLogger(log);
    checkNoSecrets(chunks.join(''));
  });

  it('does not modify the caller objects', () => {
    const chunks: string[] = [];
    const stream = new Writable({ write(c, _e, cb) { chunks.push(String(c)); cb(); } });
    const log = createLogger({ name: 'test', stream });
    const obj = { headers: { 'KALSHI-ACCESS-SIGNATURE': signature }, nested: { x: { privateKey: pem } } };
    log.info(obj, 'x');
    expect(obj.headers['KALSHI-ACCESS-SIGNATURE']).toBe(signature);
    expect(obj.nested.x.privateKey).toBe(pem);
    expect(chunks.join('')).not.toContain(signature);
  });

  it('scrubs PEM blocks, including a truncated one', () => {
    expect(scrubString(`a ${pem} b`)).toBe('a [Redacted PEM]\n b');
    expect(scrubString(`cut: ${pem.slice(0, 200)}`)).toBe('cut: [Redacted PEM]');
    expect(scrubString('plain text')).toBe('plain text');
  });
});

describe('logger transport (own thread)', () => {
  it('writes JSON lines to ops.log through pino/file and flushes on shutdown', async () => {
    const file = path.join(tmp, 'run', 'ops.log');
    const log = createLogger({ name: 'sup', file, level: 'info' });
    for (let i = 0; i < 100; i++) log.info({ i }, 'line');
    log.debug('not at info level');
    log.info({ signature }, 'signed');
    await flushLogger(log);
    await flushLogger(log); // idempotent
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBe(101);
    expect(lines[0]).toMatchObject({ name: 'sup', msg: 'line', i: 0, level: 30 });
    expect(lines[99].i).toBe(99);
    expect(lines[100]).toMatchObject({ msg: 'signed', signature: REDACTED });
  });

  it('a top-level await of flushLogger keeps the process alive until ops.log is closed (exit 0, not 13)', () => {
    // issue 14 item 10: the transport thread is unref'd; awaiting it with nothing else pending
    // let the event loop empty and Node exited with code 13 before the summary was printed
    const dist = path.resolve(__dirname, '../dist/index.js');
    const script = path.join(tmp, 'flush-exit.mjs');
    const file = path.join(tmp, 'exit', 'ops.log');
    fs.writeFileSync(script, `import { createLogger, flushLogger } from ${JSON.stringify(dist)};
const log = createLogger({ name: 'x', file: ${JSON.stringify(file)} });
for (let i = 0; i < 50; i++) log.info({ i }, 'line');
await flushLogger(log);
process.stdout.write('after flush\\n');
`);
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('after flush\n');
    expect(fs.readFileSync(file, 'utf8').trim().split('\n').length).toBe(50);
  });

  it('honours the level', async () => {
    const file = path.join(tmp, 'lvl', 'ops.log');
    const log = createLogger({ name: 'x', file, level: 'warn' });
    log.info('dropped');
    log.warn('kept');
    await flushLogger(log);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.length).toBe(1);
    expect(JSON.parse(lines[0]).msg).toBe('kept');
  });
});
