/**
 * ConfigError: the one error type of configuration loading and live updates.
 *
 * `allowed` is the text after "expected " (e.g. `an integer between 1 and 100000`).
 * Invariant: the message names the variable, the offending value, where it came from and what is
 * allowed, e.g. `MM_MAX_POS=abc (from env): expected an integer between 1 and 100000`.
 * When several problems are found at once, the first one fills the fields and `errors` lists all.
 */
export class ConfigError extends Error {
  readonly variable: string;
  readonly value: string;
  readonly allowed: string;
  /** 'default' | 'preset' | 'file <path>' | 'env' | 'cli' | a live-update source such as 'control' */
  readonly source: string;
  /** every problem found (this one first); length 1 for a single error */
  readonly errors: readonly ConfigError[];
  /** every registry key involved (a contradiction names both sides); [variable] unless set */
  keys: readonly string[];
  /** for an unknown name: the nearest known one, if close enough to be a typo */
  suggestion?: string;

  constructor(variable: string, value: string, allowed: string, source: string, message?: string) {
    super(message ?? `${variable}=${value} (from ${source}): expected ${allowed}`);
    this.name = 'ConfigError';
    this.variable = variable;
    this.value = value;
    this.allowed = allowed;
    this.source = source;
    this.errors = [this];
    this.keys = [variable];
  }

  /** One error carrying all problems; its message lists every one, one per line. */
  static aggregate(errors: readonly ConfigError[]): ConfigError {
    if (errors.length === 1) return errors[0];
    const first = errors[0];
    const e = new ConfigError(first.variable, first.value, first.allowed, first.source,
      `${errors.length} configuration errors:\n` + errors.map((x) => '  ' + x.message).join('\n'));
    (e as { errors: readonly ConfigError[] }).errors = errors.slice();
    return e;
  }
}

/** Levenshtein distance, for "did you mean" (config-time only, names are short). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = new Array<number>(n + 1);
  let cur = new Array<number>(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    const t = prev; prev = cur; cur = t;
  }
  return prev[n];
}

/** The closest candidate if it is close enough to be a plausible typo (case-insensitive). */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const u = name.toUpperCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(u, c.toUpperCase());
    if (d < bestD) { bestD = d; best = c; }
  }
  const limit = Math.max(2, Math.floor(name.length / 4));
  return bestD <= limit ? best : undefined;
}
