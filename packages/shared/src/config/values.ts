/**
 * Value parsing and checking against one registry spec.
 *
 * Role: turn an untrusted raw value (an env/CLI string, or a YAML/JSON scalar) into the typed value
 * of a spec, or say exactly what is allowed. Strings are parsed strictly (no `parseFloat`
 * prefix-parsing: "12abc" is an error, not 12). The typed value is then checked by a zod schema
 * built from the same spec, so the bounds live in one place.
 */
import { z } from 'zod';
import { CONFIG_SPECS, safeRangeOf, type ConfigSpec, type ConfigValue, type KmmConfig } from './specs.js';

const INT_RE = /^[+-]?\d+$/;
const NUM_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/** What a spec allows, phrased to follow "expected ". */
export function allowedText(spec: ConfigSpec): string {
  switch (spec.type) {
    case 'int': return `an integer between ${spec.min} and ${spec.max}`;
    case 'number': return `a number between ${spec.min} and ${spec.max}`;
    case 'bool': return 'true or false';
    case 'enum': return `one of ${spec.values.join(', ')}`;
    case 'string': return spec.patternText;
  }
}

/** Longest value text quoted in a message; longer ones are cut (a huge value is never echoed whole). */
export const MESSAGE_VALUE_MAX_CHARS = 120;

/** `text` cut to MESSAGE_VALUE_MAX_CHARS, saying how long it was. */
export function clipForMessage(text: string): string {
  return text.length <= MESSAGE_VALUE_MAX_CHARS ? text : `${text.slice(0, MESSAGE_VALUE_MAX_CHARS)}... (${text.length} characters)`;
}

/** How a raw value is shown in messages (clipped: see clipForMessage). */
export function showRaw(raw: unknown): string {
  if (typeof raw === 'string') return clipForMessage(raw);
  if (raw === undefined) return 'undefined';
  try {
    return clipForMessage(JSON.stringify(raw) ?? String(raw));
  } catch {
    return clipForMessage(String(raw));
  }
}

function zodFor(spec: ConfigSpec): z.ZodTypeAny {
  switch (spec.type) {
    case 'int': return z.number().int().min(spec.min).max(spec.max);
    case 'number': return z.number().finite().min(spec.min).max(spec.max);
    case 'bool': return z.boolean();
    case 'enum': return z.enum(spec.values as [string, ...string[]]);
    case 'string': return z.string().regex(spec.pattern);
  }
}

const ZOD_BY_KEY = new Map<string, z.ZodTypeAny>(CONFIG_SPECS.map((s) => [s.key, zodFor(s as ConfigSpec)]));

/** The whole effective configuration as a strict zod object (every key required, none extra). */
export const CONFIG_SCHEMA: z.ZodType<KmmConfig> = z.object(
  Object.fromEntries(CONFIG_SPECS.map((s) => [s.key, ZOD_BY_KEY.get(s.key)!])),
).strict() as unknown as z.ZodType<KmmConfig>;

/** Convert a raw value to the spec's type without range checks; undefined if it has the wrong shape. */
function coerce(spec: ConfigSpec, raw: unknown): ConfigValue | undefined {
  switch (spec.type) {
    case 'int':
    case 'number': {
      if (typeof raw === 'number') return raw;
      if (typeof raw !== 'string') return undefined;
      const s = raw.trim();
      if (!(spec.type === 'int' ? INT_RE : NUM_RE).test(s)) return undefined;
      return Number(s);
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 0 || raw === 1) return raw === 1;
      if (typeof raw !== 'string') return undefined;
      const s = raw.trim().toLowerCase();
      if (TRUE_WORDS.has(s)) return true;
      if (FALSE_WORDS.has(s)) return false;
      return undefined;
    }
    case 'enum': {
      if (typeof raw !== 'string') return undefined;
      const s = raw.trim().toLowerCase();
      for (const v of spec.values) if (v.toLowerCase() === s) return v;
      return undefined;
    }
    case 'string': {
      if (typeof raw === 'string') return raw;
      if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
      return undefined;
    }
  }
}

export type ParseResult = { ok: true; value: ConfigValue } | { ok: false; allowed: string };

/** Parse and check one raw value for a spec. */
export function parseValue(spec: ConfigSpec, raw: unknown): ParseResult {
  const v = coerce(spec, raw);
  if (v === undefined) return { ok: false, allowed: allowedText(spec) };
  const r = ZOD_BY_KEY.get(spec.key)!.safeParse(v);
  if (!r.success) return { ok: false, allowed: allowedText(spec) };
  return { ok: true, value: v };
}

/**
 * Is a (valid) value outside its safe range? Returns the reason, or undefined. The range is the
 * profile's own where it lists the key (PROFILE_SAFE_RANGES), else the seed's.
 */
export function unsafeReason(spec: ConfigSpec, value: ConfigValue, profile = 'legacy'): string | undefined {
  if (spec.type === 'number' || spec.type === 'int') {
    const n = value as number;
    const range = safeRangeOf(spec, profile);
    if (range && (n < range.min || n > range.max)) {
      const show = (x: number): string => (Number.isFinite(x) ? String(x) : '');
      return `outside the ${range.from} safe range ${show(range.min)}–${show(range.max)} (hard limits ${spec.min}–${spec.max})`;
    }
  } else if (spec.type === 'bool' && spec.safeValue !== undefined && value !== spec.safeValue) {
    return `not the ${spec.seed} safe value ${spec.safeValue} (the guide says always ${spec.safeValue})`;
  }
  return undefined;
}
