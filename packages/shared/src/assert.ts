/**
 * Assertions that stay on in production (TigerBeetle style): a broken invariant of OUR state
 * means the process no longer knows what it holds, so it stops (the supervisor restarts it and
 * it reconciles from the exchange) instead of trading on a wrong picture.
 * Use it only for our own state. Input that breaks a rule (a venue report, a file, a config
 * value) is an operating error: count it, report it, handle it; never assert on it.
 */

/** A broken invariant: names the invariant and the values that broke it. */
export class InvariantError extends Error {
  constructor(
    readonly invariant: string,
    readonly values: Readonly<Record<string, unknown>>,
  ) {
    super(`invariant violated: ${invariant}${formatValues(values)}`);
    this.name = 'InvariantError';
  }
}

function formatValues(values: Readonly<Record<string, unknown>>): string {
  const keys = Object.keys(values);
  if (keys.length === 0) return '';
  return ' (' + keys.map((k) => `${k}=${JSON.stringify(values[k])}`).join(', ') + ')';
}

/**
 * Throws InvariantError(invariant, values) when `cond` is false. `values` may be a function so
 * the hot path builds nothing unless the check fails.
 */
export function assert(cond: unknown, invariant: string, values?: Readonly<Record<string, unknown>> | (() => Readonly<Record<string, unknown>>)): asserts cond {
  if (cond) return;
  throw new InvariantError(invariant, typeof values === 'function' ? values() : values ?? {});
}
