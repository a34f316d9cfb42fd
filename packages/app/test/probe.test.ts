import { describe, expect, it } from 'vitest';
import { runProbe } from '../src/commands/probe.js';
import { runCli } from '../src/cli/program.js';

const runProbeCli = (args: string[], log: (l: string) => void) => runCli(['probe', ...args], { out: log, err: log, exitCode: 0 });

describe('probe', () => {
  it('passes the 003 sequence against the in-process sim', async () => {
    const lines: string[] = [];
    const r = await runProbe({ env: 'sim', log: (l) => lines.push(l) });
    expect(r.ok).toBe(true);
    expect(r.steps.map((s) => s.step)).toEqual(['start simulator', 'connect', 'pick market', 'place 1 @ 1c', 'confirm order id', 'cancel', 'confirm cancellation']);
  });
  it('fails on the first failing step with a non-zero exit code', async () => {
    const lines: string[] = [];
    const code = await runProbeCli(['--env', 'demo', '--key-id', 'k', '--key-file', '/nonexistent/key.pem'], (l) => lines.push(l));
    expect(code).toBe(1);
    expect(lines.some((l) => l.startsWith('FAIL') && l.includes('load key'))).toBe(true);
    expect(await runProbeCli(['--env', 'moon'], () => {})).toBe(2);
  });
});
