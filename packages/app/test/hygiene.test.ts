/**
 * Issue 14 items 5, 7, 11, 12 as a user meets them: the built CLI (dist/cli.js) spawned against
 * an in-process simulator on 127.0.0.1. Each test waits for conditions (process exit, a file),
 * never for time.
 *  5  a production URL needs --confirm-prod whatever --env says (flag, config file, env var)
 *  7  one owner per run folder (lock naming the holder's pid; a dead holder's lock is taken over)
 *  9  a torn last journal line (a crash mid-write) is cut, and reported, before the next run appends
 * 11  a key the exchange rejects: "the exchange rejected the key id / signature", exit non-zero
 *     at once; an EC key, /dev/zero and a FIFO as key files fail at once with a clear message
 *  8  (the CLI end of it) atomic saves of kmm run's config file reload; a raised risk limit
 *     waits for `kmm ack-config`, a lowered one applies at once
 * 12  transient 5xx at start-up retried; no stack traces for operating errors (--debug shows
 *     them); garbage replay/backtest input exits 1; probe --config; unknown-market pause refused
 *     without flipping the global flag; run folder 0700 and its files 0600.
 */
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '@kmm/sim';
import { readJournal } from '@kmm/exec-worker';
import { Signer, loadPrivateKeyPem } from '@kmm/shared';
import { isKalshiProductionUrl, productionRefusal } from '../src/system/prod-guard.js';
import { acquireRunLock, RUN_LOCK_FILE, RunLockError } from '../src/system/run-lock.js';
import { checkCredentials, StartupError, withStartupRetry } from '../src/system/preflight.js';
import { fetchMarkets } from '../src/system/markets.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '../dist/cli.js');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}
function kmm(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<Ran> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env }, cwd }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

let dir: string;
let sim: SimHandle;
let simArgs: string[];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kmm-hygiene-'));
  sim = await startSim({ port: 0, seed: 3, markets: 3, keyDir: join(dir, 'simkey') });
  simArgs = ['--env', 'sim', '--set', `kmm_rest_base_url=${sim.restBaseUrl}`, '--set', `kmm_ws_url=${sim.wsUrl}`, '--no-dashboard'];
});
afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

function writeKey(name: string, type: 'rsa' | 'ec'): string {
  const k = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) : generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' });
  const p = join(dir, name);
  writeFileSync(p, k, { mode: 0o600 });
  return p;
}

describe('5: production only on purpose', () => {
  it('knows the production hosts (every host under kalshi.com), not the demo ones', () => {
    for (const u of ['https://external-api.kalshi.com/trade-api/v2', 'https://api.elections.kalshi.com/trade-api/v2', 'wss://external-api-ws.kalshi.com/trade-api/ws/v2', 'wss://api.elections.kalshi.com/trade-api/ws/v2', 'https://trading-api.kalshi.com/trade-api/v2', 'https://API.ELECTIONS.KALSHI.COM./trade-api/v2', 'https://kalshi.com']) {
      expect(isKalshiProductionUrl(u), u).toBe(true);
    }
    for (const u of ['https://external-api.demo.kalshi.co/trade-api/v2', 'wss://demo-api.kalshi.co/trade-api/ws/v2', 'http://127.0.0.1:9000/trade-api/v2', 'https://notkalshi.com/x', 'https://kalshi.com.evil.example/x', 'not a url']) {
      expect(isKalshiProductionUrl(u), u).toBe(false);
    }
    expect(productionRefusal(['http://127.0.0.1:1', 'wss://api.elections.kalshi.com/x'], false)).toContain('wss://api.elections.kalshi.com/x is a production host');
    expect(productionRefusal(['wss://api.elections.kalshi.com/x'], true)).toBeNull();
  });

  it('kmm run refuses a production URL under --env demo/sim from a flag, a config file or an environment variable', async () => {
    const key = ['--set', 'kmm_api_key_id=k', '--set', `kmm_private_key_path=${sim.privateKeyPath}`];
    const cfg = join(dir, 'prod.yaml');
    writeFileSync(cfg, 'kmm_rest_base_url: https://external-api.kalshi.com/trade-api/v2\nkmm_ws_url: ws://127.0.0.1:1/trade-api/ws/v2\n');
    const runs = await Promise.all([
      kmm(['run', '--env', 'sim', '--set', 'kmm_rest_base_url=https://api.elections.kalshi.com/trade-api/v2', '--set', `kmm_ws_url=${sim.wsUrl}`, ...key]),
      kmm(['run', '--env', 'demo', '--config', cfg, ...key]),
      kmm(['run', '--env', 'demo', ...key], { KMM_WS_URL: 'wss://external-api-ws.kalshi.com/trade-api/ws/v2' }),
      kmm(['probe', '--env', 'demo', '--base-url', 'https://api.elections.kalshi.com/trade-api/v2']),
    ]);
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^error: refusing to trade on Kalshi production without --confirm-prod: \S*kalshi\.com\S* is a production host/m);
    }
  });
});

describe('7: one owner per run folder', () => {
  it('a second owner is refused naming the holder; a dead holder is taken over with a message', () => {
    const runDir = join(dir, 'locked');
    mkdirSync(runDir);
    // a live holder: a child process that is still running
    const holder = spawn(process.execPath, ['-e', 'process.stdin.resume()'], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      writeFileSync(join(runDir, RUN_LOCK_FILE), `${holder.pid}\n`);
      let refused: unknown = null;
      try {
        acquireRunLock(runDir);
      } catch (e) {
        refused = e;
      }
      expect(refused).toBeInstanceOf(RunLockError);
      expect((refused as RunLockError).holderPid).toBe(holder.pid);
      expect((refused as Error).message).toContain(`in use by another kmm (pid ${holder.pid}`);
    } finally {
      holder.kill();
    }
    // a dead holder: a process that has exited
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    writeFileSync(join(runDir, RUN_LOCK_FILE), `${deadPid}\n`);
    const said: string[] = [];
    const lock = acquireRunLock(runDir, (l) => said.push(l));
    expect(lock.tookOverFromPid).toBe(deadPid);
    expect(said.join('\n')).toContain(`took over the lock of pid ${deadPid}, which is no longer running`);
    expect(readFileSync(lock.path, 'utf8').split('\n')[0]).toBe(String(process.pid));
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
    expect(readdirSync(runDir)).toEqual([]);
  });

  it('kmm run on a folder another kmm holds exits 2 naming its pid, and leaves the lock alone', async () => {
    const runDir = join(dir, 'held');
    mkdirSync(runDir);
    const lock = acquireRunLock(runDir); // held by this (live) test process
    try {
      const r = await kmm(['run', ...simArgs, '--set', `kmm_api_key_id=${sim.keyId}`, '--set', `kmm_private_key_path=${sim.privateKeyPath}`, '--out', runDir, '--duration', '1']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`run folder ${runDir} is in use by another kmm (pid ${process.pid}`);
      expect(readFileSync(lock.path, 'utf8').split('\n')[0]).toBe(String(process.pid));
      expect(readdirSync(runDir)).toEqual([RUN_LOCK_FILE]);
    } finally {
      lock.release();
    }
  });
});

describe('9: a journal that cannot lose a record', () => {
  it('a kmm run after a crash that tore the journal\'s last line cuts it (reported in ops.log) and keeps its own start record', async () => {
    const runDir = join(dir, 'torn-run');
    const run = () => kmm(['run', ...simArgs, '--set', `kmm_api_key_id=${sim.keyId}`, '--set', `kmm_private_key_path=${sim.privateKeyPath}`, '--out', runDir, '--duration', '1']);
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    const journal = join(runDir, 'journal.jsonl');
    const before = readJournal(journal).records.length;
    // a crash in the middle of a write: half a record, no newline
    appendFileSync(journal, '{"k":"fill","t":1767225600000,"s":99999,"tradeId":"tor');
    expect(readJournal(journal).tornTail).toBe(true);
    const second = await run();
    expect(second.code, second.stderr).toBe(0);
    const after = readJournal(journal);
    expect(after.badLines).toBe(0);
    expect(after.tornTail).toBe(false);
    expect(after.records.slice(0, before).length).toBe(before); // nothing complete was dropped
    expect(after.records.filter((r) => r.k === 'start')).toHaveLength(2);
    expect(after.records.filter((r) => r.k === 'shutdown').map((r) => (r as { verified?: boolean }).verified)).toEqual([true, true]);
    expect(readFileSync(join(runDir, 'ops.log'), 'utf8')).toContain('cut a torn last line of 54 bytes');
  });
});

describe('11: clear, bounded failure for bad keys', () => {
  it('a valid RSA key the exchange does not know: "the exchange rejected the key id / signature", exit 1, no retry', async () => {
    const unknown = writeKey('unknown-rsa.pem', 'rsa');
    const before = sim.stats().restRequests;
    const r = await kmm(['run', ...simArgs, '--set', `kmm_api_key_id=${sim.keyId}`, '--set', `kmm_private_key_path=${unknown}`, '--out', join(dir, 'r401')]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^error: the exchange rejected the key id \/ signature \(HTTP 401 /m);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(sim.stats().restRequests - before).toBe(1); // one signed read, not a retry loop
    expect(existsSync(join(dir, 'r401'))).toBe(false); // refused before any run folder
  });

  it('an EC key, /dev/zero and a FIFO as the key file fail at once with a message naming the problem', async () => {
    const ec = writeKey('ec.pem', 'ec');
    const fifo = join(dir, 'key.fifo');
    execFileSync('mkfifo', [fifo]);
    const base = ['run', ...simArgs, '--set', `kmm_api_key_id=${sim.keyId}`];
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a key at all\n', { mode: 0o600 });
    const [a, b, c, d] = await Promise.all([ec, '/dev/zero', fifo, garbage].map((p) => kmm([...base, '--set', `kmm_private_key_path=${p}`])));
    expect(a.stderr).toContain('is an EC key; Kalshi API keys are RSA');
    expect(b.stderr).toContain('private key file /dev/zero is a device, expected a regular file');
    expect(c.stderr).toContain(`private key file ${fifo} is a FIFO (named pipe), expected a regular file`);
    expect(d.stderr).toContain(`private key for key id ${sim.keyId} is not a valid PEM RSA key`);
    for (const r of [a, b, c, d]) {
      expect(r.code).toBe(1);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });
});

describe('12: start-up retries, operating errors, inputs, controls, privacy', () => {
  it('(item 11) a 50 MB config file fails at once with a short message that does not echo its value', async () => {
    // issue 14 item 11: it took 21 s and 1.9 GB, and the error echoed the whole value
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `kmm_api_key_id: ${'k'.repeat(50_000_000)}\n`);
    const [run, explain] = await Promise.all([kmm(['run', '--env', 'demo', '--config', big]), kmm(['config', 'explain', '--config', big])]);
    for (const r of [run, explain]) {
      expect(r.code, r.stderr.slice(0, 500)).toBe(2);
      expect(r.stderr).toMatch(/^error: config file \S+big\.yaml is 50000017 bytes, more than the limit of 1048576 bytes$/m);
      expect(r.stderr.length).toBeLessThan(500);
    }
    // the size in the message comes from the file's stat: refused before any read or parse
    rmSync(big);
  });

  it('a single HTTP 500 at start-up is retried with backoff; a persistent one gives up after the bound', async () => {
    // a proxy in front of the sim answering 500 to the first request of each path
    const seen = new Set<string>();
    let always500 = false;
    const proxy: Server = createServer(async (req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (always500 || !seen.has(path)) {
        seen.add(path);
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"internal_server_error","message":"boom"}}');
        return;
      }
      const upstream = await fetch(`http://127.0.0.1:${sim.port}${req.url}`, { headers: req.headers as Record<string, string> });
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const port = (proxy.address() as { port: number }).port;
    const base = `http://127.0.0.1:${port}/trade-api/v2`;
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    try {
      const signer = new Signer(sim.keyId, loadPrivateKeyPem(sim.privateKeyPath));
      await checkCredentials(base, signer, { sleep });
      const markets = await withStartupRetry('market discovery', () => fetchMarkets(base, 2), { sleep });
      expect(markets.length).toBe(2);
      expect(waits).toEqual([250, 250]); // one retry each
      always500 = true;
      waits.length = 0;
      const failed = await checkCredentials(base, signer, { sleep }).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(StartupError);
      expect((failed as Error).message).toContain('failed 5 times at start-up, giving up');
      expect(waits).toEqual([250, 500, 1000, 2000]);
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });

  it('kmm run through an exchange answering HTTP 500 to the first read of every path: retried, it trades and stops verified (exit 0)', async () => {
    // a proxy in front of the sim: the first GET of each path (the key check, market discovery,
    // exec's start-up reads, ...) answers 500; everything else, bodies included, goes through
    const seen = new Set<string>();
    let first500 = 0;
    const proxy: Server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'GET' && !seen.has(path)) {
        seen.add(path);
        first500++;
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"internal_server_error","message":"boom"}}');
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const headers = { ...(req.headers as Record<string, string>) };
        delete headers.host;
        fetch(`http://127.0.0.1:${sim.port}${req.url}`, { method: req.method, headers, body: body.length > 0 ? body : undefined }).then(
          async (up) => res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await up.arrayBuffer())),
          () => res.writeHead(502).end(),
        );
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const port = (proxy.address() as { port: number }).port;
    try {
      const runDir = join(dir, 'r500');
      const args = ['run', '--env', 'sim', '--set', `kmm_rest_base_url=http://127.0.0.1:${port}/trade-api/v2`, '--set', `kmm_ws_url=${sim.wsUrl}`, '--no-dashboard'];
      const r = await kmm([...args, '--set', `kmm_api_key_id=${sim.keyId}`, '--set', `kmm_private_key_path=${sim.privateKeyPath}`, '--out', runDir, '--duration', '2']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^authenticated read: GET \/portfolio\/balance: HTTP 500 internal_server_error: boom; retrying in 250 ms \(attempt 2 of 5\)$/m);
      expect(r.stderr).toMatch(/^market discovery: .*500.*; retrying in 250 ms \(attempt 2 of 5\)$/m);
      expect(r.stdout).toContain('shutdown verified');
      expect(first500).toBeGreaterThanOrEqual(2);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });

  it('operating errors print one line, no stack trace (--debug shows it); stray words are refused', async () => {
    const lol = join(dir, 'lol.yaml');
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    writeFileSync(lol, lines.join('\n') + '\n');
    const [simBad, simDebug, out, bomb, stray, proc] = await Promise.all([
      kmm(['sim', '--key-dir', '/dev/null/x']),
      kmm(['--debug', 'sim', '--key-dir', '/dev/null/x']),
      kmm(['demo', '--out', '/dev/null/run', '--duration', '1']),
      kmm(['config', 'explain', '--config', lol]),
      kmm(['demo', '500']),
      // a parent that exists but refuses the folder with ENOENT: Node's recursive mkdir spun there forever
      kmm(['demo', '--out', '/proc/kmm-no-such/run', '--duration', '1']),
    ]);
    expect(simBad.code).toBe(1);
    expect(simBad.stderr).toBe("error: ENOTDIR: not a directory, mkdir '/dev/null/x'\n(run again with --debug for the stack trace)\n");
    expect(simDebug.code).toBe(1);
    expect(simDebug.stderr).toMatch(/^\s+at /m);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('error: cannot create the run folder /dev/null/run: ENOTDIR');
    expect(bomb.code).toBe(2);
    expect(bomb.stderr).toMatch(/^error: .*lol\.yaml: invalid YAML: .*alias/im);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain("too many arguments for 'demo'");
    expect(proc.code).toBe(2);
    expect(proc.stderr).toContain('error: cannot create the run folder /proc/kmm-no-such/run: ENOENT');
    for (const r of [simBad, out, bomb, stray, proc]) expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('replay and backtest of binary garbage exit 1 with a clear message', async () => {
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256)));
    const [rp, bt] = await Promise.all([kmm(['replay', junk]), kmm(['backtest', '--capture', junk, '--out', join(dir, 'bt')])]);
    for (const r of [rp, bt]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${junk} is not a capture: none of its`);
    }
  });

  it('replay, backtest and sim --replay of a device or a FIFO exit 1 at once (no endless read, no hang)', async () => {
    // `kmm replay /dev/urandom` read the device without end and died of heap exhaustion (~90 s)
    const fifo = join(dir, 'capture.fifo');
    execFileSync('mkfifo', [fifo]);
    const [rp, bt, rf, sm] = await Promise.all([kmm(['replay', '/dev/urandom']), kmm(['backtest', '--capture', '/dev/urandom', '--out', join(dir, 'bt-dev')]), kmm(['replay', fifo]), kmm(['sim', '--replay', '/dev/urandom'])]);
    for (const r of [rp, bt, sm]) expect(r.stderr).toContain('capture /dev/urandom is a device, expected a regular file');
    expect(rf.stderr).toContain(`capture ${fifo} is a FIFO (named pipe), expected a regular file`);
    for (const r of [rp, bt, rf, sm]) {
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });

  it('kmm probe --config FILE works as the README shows (URL and key from the file)', async () => {
    const cfg = join(dir, 'probe.yaml');
    writeFileSync(cfg, `kmm_api_key_id: ${sim.keyId}\nkmm_private_key_path: ${sim.privateKeyPath}\nkmm_rest_base_url: ${sim.restBaseUrl}\n`);
    const r = await kmm(['probe', '--env', 'demo', '--config', cfg]);
    expect(r.stdout).toContain(`OK   connect`);
    expect(r.stdout).toContain(sim.restBaseUrl);
    expect(r.stdout).toContain('probe passed');
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('8: kmm run follows atomic saves of its config file; a raised MM_MAX_POS waits for `kmm ack-config`, a lowered one applies at once', async () => {
    const runDir = join(dir, 'reload-run');
    const cfgDir = join(dir, 'reload-cfg');
    mkdirSync(cfgDir);
    const cfg = join(cfgDir, 'kmm.yaml');
    const base = `kmm_rest_base_url: ${sim.restBaseUrl}\nkmm_ws_url: ${sim.wsUrl}\nkmm_api_key_id: ${sim.keyId}\nkmm_private_key_path: ${sim.privateKeyPath}\n`;
    writeFileSync(cfg, `${base}MM_MAX_POS: 5\n`);
    // an editor's save: a temp file renamed over the config (a new inode every time)
    const save = (text: string) => {
      writeFileSync(join(cfgDir, '.kmm.yaml.swp'), text);
      renameSync(join(cfgDir, '.kmm.yaml.swp'), cfg);
    };
    const child = spawn(process.execPath, [CLI, 'run', '--env', 'sim', '--config', cfg, '--dashboard-port', '0', '--out', runDir, '--duration', '120'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const waiters: Array<{ text: string; resolve: () => void }> = [];
    const onData = (d: Buffer) => {
      out += d.toString();
      for (const w of waiters.splice(0)) (out.includes(w.text) ? w.resolve : () => waiters.push(w))();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const printedText = (text: string) =>
      new Promise<void>((resolve, reject) => {
        if (out.includes(text)) return resolve();
        waiters.push({ text, resolve });
        child.once('exit', () => reject(new Error(`kmm run exited before printing '${text}':\n${out}`)));
      });
    try {
      await printedText('dashboard: http');
      save(`${base}MM_MAX_POS: 8\n`);
      await printedText('config reload: NOT applied, raises a risk limit: MM_MAX_POS 5 -> 8');
      const ack = await kmm(['ack-config', '--run', runDir]);
      expect(ack.code, ack.stderr).toBe(0);
      expect(JSON.parse(ack.stdout)).toMatchObject({ ok: true, result: 'ack-config: applied MM_MAX_POS 5 -> 8' });
      // a second atomic save is followed too (the watcher is on the folder, not the old inode)
      save(`${base}MM_MAX_POS: 4\n`);
      await printedText('config reload: applied MM_MAX_POS 8 -> 4');
      const none = await kmm(['ack-config', '--run', runDir]);
      expect(none.stdout + none.stderr).toContain('no config change is waiting for acknowledgement');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited, out).toBe(0);
  });

  it('kmm run: an unknown-market pause is refused without flipping the global flag; run folder 0700, files 0600; lock released', async () => {
    const runDir = join(dir, 'private-run');
    const child = spawn(process.execPath, [CLI, 'run', ...simArgs.filter((a) => a !== '--no-dashboard'), '--dashboard-port', '0', '--set', `kmm_api_key_id=${sim.keyId}`, '--set', `kmm_private_key_path=${sim.privateKeyPath}`, '--out', runDir, '--duration', '60'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // the dashboard line is printed once the system runs
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (/dashboard: http/.test(stdout)) resolve();
      };
      child.stdout.on('data', check);
      child.on('exit', () => reject(new Error(`kmm run exited early:\n${stdout}`)));
    });
    try {
      const d = JSON.parse(readFileSync(join(runDir, 'dashboard.json'), 'utf8')) as { url: string; token: string };
      const control = (body: object) => fetch(`${d.url}api/control`, { method: 'POST', headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json', origin: d.url.replace(/\/$/, '') }, body: JSON.stringify(body) });
      type State = { risk: { quotingPaused?: boolean }; markets: Array<{ ticker: string }> };
      const state = async () => ((await (await fetch(`${d.url}api/state`, { headers: { authorization: `Bearer ${d.token}` } })).json()) as { state: State }).state;
      const unknown = await control({ kind: 'pause', market: 'NO-SUCH-MARKET' });
      expect(unknown.status).toBe(400);
      expect(((await unknown.json()) as { error: string }).error).toContain("unknown market 'NO-SUCH-MARKET'");
      expect((await state()).risk.quotingPaused).toBe(false);
      const known = (await state()).markets[0].ticker;
      expect(known).toMatch(/./);
      expect((await control({ kind: 'pause', market: known })).status).toBe(200);
      expect((await state()).risk.quotingPaused).toBe(false); // one market paused, not everything
      expect((await control({ kind: 'pause' })).status).toBe(200);
      expect((await state()).risk.quotingPaused).toBe(true);
      expect(readFileSync(join(runDir, RUN_LOCK_FILE), 'utf8').split('\n')[0]).toBe(String(child.pid));
    } finally {
      child.kill('SIGINT');
    }
    // a graceful stop exits 0 (issue 14 item 10: it used to exit 13 when the log thread lost the race)
    const code = await exited;
    expect(code, `exit ${code}\n${stdout}`).toBe(0);
    expect(statSync(runDir).mode & 0o777).toBe(0o700);
    const files = readdirSync(runDir);
    expect(files).toEqual(expect.arrayContaining(['journal.jsonl', 'ops.log', 'capture.jsonl', 'summary.json']));
    expect(files).not.toContain(RUN_LOCK_FILE);
    for (const f of files) {
      const st = statSync(join(runDir, f));
      expect(st.mode & 0o777, f).toBe(st.isDirectory() ? 0o700 : 0o600);
    }
  });
});
