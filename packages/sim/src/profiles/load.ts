/**
 * Profile lookup for the venue and the CLI: a built-in name (`active`, `quiet`, `synthetic`),
 * a JSON file path, or an already-parsed profile. A file is read, parsed and validated; every
 * problem is an error naming the file and the bad field.
 */
import { readFileSync } from 'node:fs';
import { BUILTIN_PROFILES } from './builtin.js';
import { ProfileError, validateProfile, type MarketProfile, type ProfileSpec } from './profile.js';

export const PROFILE_NAMES = ['synthetic', ...Object.keys(BUILTIN_PROFILES)] as const;

/** A built-in name, a JSON file, or a profile object -> the flow's ProfileSpec. */
export function resolveProfile(spec: string | MarketProfile | undefined): ProfileSpec {
  if (spec === undefined || spec === 'synthetic') return 'synthetic';
  if (typeof spec !== 'string') return validateProfile(spec);
  const builtin = BUILTIN_PROFILES[spec];
  if (builtin) return builtin;
  if (!/[./\\]/.test(spec)) throw new ProfileError(`unknown profile '${spec}' (built-in: ${PROFILE_NAMES.join(', ')}; or a JSON file path)`);
  let text: string;
  try {
    text = readFileSync(spec, 'utf8');
  } catch (err) {
    throw new ProfileError(`cannot read profile file ${spec}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ProfileError(`profile file ${spec} is not JSON: ${(err as Error).message}`);
  }
  try {
    return validateProfile(value);
  } catch (err) {
    throw new ProfileError(`${spec}: ${(err as Error).message}`);
  }
}
