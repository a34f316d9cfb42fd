/**
 * The pieces every `kmm` command shares: its context (where it writes and the exit code it
 * sets, so tests can run a command in-process), option-value parsers, and the usage-error helper.
 *
 * One error format for every command: a bad value is rejected while commander parses, by a
 * parser here throwing InvalidArgumentError; commander prints
 *   error: option '--markets <n>' argument 'abc' is invalid. --markets must be a whole number, got 'abc'
 * then the hint line "(kmm <command> --help lists the options)", and the process exits 2.
 * Checks that need several options at once call `usageError(cmd, message)`, which prints the
 * same `error: ...` line and hint through commander.
 */
import { Command, InvalidArgumentError } from 'commander';

/** What a command's action gets besides its options: output lines and the exit code to return (0 unless set). */
export interface CliContext {
  out: (line: string) => void;
  err: (line: string) => void;
  exitCode: number;
}

/** A context writing to this process's stdout and stderr. */
export function stdioContext(): CliContext {
  return {
    out: (l) => process.stdout.write(l + '\n'),
    err: (l) => process.stderr.write(l + '\n'),
    exitCode: 0,
  };
}

/** Parser for an integer option in [min, max]; digits only (no sign, no exponent, no fraction). */
export function wholeNumber(flag: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${flag} must be a whole number, got '${value}'`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${flag} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

/** Parser for a finite decimal option in [min, max]. */
export function decimal(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag} must be a number, got '${value}'`);
    if (n < min || n > max) throw new InvalidArgumentError(`${flag} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

/** Parser for a comma-separated list of numbers, each checked by `item` (wholeNumber or decimal). */
export function numberList(flag: string, item: (value: string) => number) {
  return (value: string): number[] => {
    const parts = value.split(',').map((s) => s.trim());
    if (parts.some((p) => p === '')) throw new InvalidArgumentError(`${flag} must be a comma-separated list of numbers, got '${value}'`);
    return parts.map(item);
  };
}

/** Parser for a repeatable `--set KEY=VALUE`: checks the shape and collects the assignments in order. */
export function assignment(value: string, previous: string[] = []): string[] {
  if (value.indexOf('=') <= 0) throw new InvalidArgumentError(`--set expects KEY=VALUE, got '${value}'`);
  return [...previous, value];
}

/** Reports a usage problem found after parsing (options that depend on each other, unreadable input files): exit 2. */
export function usageError(cmd: Command, message: string): never {
  cmd.error(`error: ${message}`, { exitCode: 2, code: 'kmm.usage' });
}

/** The command's path from the program root, e.g. "kmm bench latency". */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
