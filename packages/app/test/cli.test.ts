/**
 * The kmm CLI as a user runs it (the built dist/cli.js, as ./kmm does): `--help` on every
 * command and sub-command (enumerated from the commander program, so a new command is covered
 * without editing this file) lists its options; every kind of bad argument gives the one error
 * format (`error: ...` then the `--help` hint) and exit code 2. Build first (`npx tsc`).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { replayCaptureBooks } from '@kmm/backtest';
import { allCommands, buildProgram, runCli } from '../src/cli/program.js';
import { commandPath, type CliContext } from '../src/cli/options.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '../dist/cli.js');
const session = resolve(here, '../../../../shared/data/kalshi-ws-capture-2026-07-01/session.jsonl');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}
function kmm(args: string[]): Promise<Ran> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}
function capture(): CliContext & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), exitCode: 0 };
}

describe.concurrent('kmm --help', () => {
  it('the built CLI exists', () => {
    expect(existsSync(CLI), `${CLI} missing: build the app first`).toBe(true);
  });

  const commands = allCommands(buildProgram(capture()));
  it('the program has every command the README lists', () => {
    const paths = commands.map((c) => commandPath(c));
    for (const p of ['kmm demo', 'kmm run', 'kmm sim', 'kmm probe', 'kmm config explain', 'kmm config check', 'kmm replay', 'kmm report', 'kmm ack-breach', 'kmm backtest', 'kmm sweep', 'kmm bench latency', 'kmm bench scale', 'kmm chaos']) expect(paths).toContain(p);
  });

  it.each(commands.map((c) => [commandPath(c), c] as const))('%s --help: exit 0, lists its options and sub-commands', async (path, c) => {
    const r = await kmm([...path.split(' ').slice(1), '--help']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: ${path}`);
    expect(r.stdout).toContain('--help');
    for (const o of c.options) expect(r.stdout).toContain(o.long ?? o.short);
    for (const sub of c.commands) expect(r.stdout).toContain(sub.name());
  });
});

describe.concurrent('kmm bad arguments: one error format, exit 2', () => {
  // [family, arguments, message, the command whose --help the hint names]
  const cases: Array<[string, string[], string, string]> = [
    ['whole number', ['demo', '--markets', 'abc'], "--markets must be a whole number, got 'abc'", 'kmm demo'],
    ['range', ['bench', 'latency', '--markets', '0'], '--markets must be between 1 and 5000, got 0', 'kmm bench latency'],
    ['dashboard port', ['cluster', 'up', '--dashboard-port', '70000'], '--dashboard-port must be between 0 and 65535, got 70000', 'kmm cluster up'],
    ['decimal', ['chaos', '--speed', 'fast'], "--speed must be a number, got 'fast'", 'kmm chaos'],
    ['number list', ['bench', 'scale', '--rates', '2,x'], "--rates must be a number, got 'x'", 'kmm bench scale'],
    ['choices', ['backtest', '--capture', 'c.jsonl', '--queue-model', 'fifo'], 'Allowed choices are risk-averse, prob-power, exchange', 'kmm backtest'],
    ['KEY=VALUE', ['config', 'explain', '--set', 'MM_MAX_POS'], "--set expects KEY=VALUE, got 'MM_MAX_POS'", 'kmm config explain'],
    ['missing value', ['chaos', '--seed'], "option '--seed <x>' argument missing", 'kmm chaos'],
    ['required option', ['sweep', '--grid', 'g.yaml'], "required option '--capture <file>' not specified", 'kmm sweep'],
    ['required argument', ['replay'], "missing required argument 'capture'", 'kmm replay'],
    ['unknown option', ['bench', 'latency', '--bogus'], "unknown option '--bogus'", 'kmm bench latency'],
    ['unknown command', ['bench', 'warp'], "unknown command 'warp'", 'kmm bench'],
    ['excess argument', ['ack-breach', 'extra'], "too many arguments for 'ack-breach'", 'kmm ack-breach'],
    ['checked after parsing', ['sweep', '--capture', 'c.jsonl', '--grid', '/nonexistent/grid.yaml'], 'ENOENT', 'kmm sweep'],
    ['config value', ['config', 'explain', '--set', 'MM_MAX_POS=banana'], 'MM_MAX_POS', 'kmm config explain'],
    ['refused by the command', ['run', '--env', 'prod'], 'refusing to trade on Kalshi production without --confirm-prod', 'kmm run'],
  ];
  it.each(cases)('%s: kmm %j', async (_family, args, message, hintPath) => {
    const r = await kmm(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^error: /);
    expect(lines[0]).toContain(message);
    expect(lines.at(-1)).toBe(`(${hintPath} --help lists the options)`);
  });
});

describe('kmm in-process (runCli)', () => {
  it.skipIf(!existsSync(session))('replay prints the final books as JSON; --no-books --stats prints only the stats', async () => {
    const c = capture();
    expect(await runCli(['replay', session], c)).toBe(0);
    expect(c.lines).toHaveLength(1);
    expect(JSON.parse(c.lines[0])).toEqual(await replayCaptureBooks(session));
    const s = capture();
    expect(await runCli(['replay', session, '--no-books', '--stats'], s)).toBe(0);
    expect(s.lines).toEqual([]);
    expect(s.errors.join('\n')).toMatch(/^replay stats: \{"lines":\d+/);
  });

  it('a command that cannot read its input exits 1', async () => {
    const c = capture();
    expect(await runCli(['replay', '/nonexistent/capture.jsonl'], c)).toBe(1);
    expect(c.errors.join('\n')).toBe('error: capture not found: /nonexistent/capture.jsonl');
  });
});
