/** Deterministic UUID-shaped ids from the engine's seeded random source (never Math.random). */
import type { Rng } from '@kmm/shared';

const HEX = '0123456789abcdef';

function hex32(rng: Rng): string {
  let v = Math.floor(rng.next() * 4294967296);
  let s = '';
  for (let i = 0; i < 8; i++) {
    s = HEX[v & 15] + s;
    v >>>= 4;
  }
  return s;
}

/** A version-4-shaped UUID (8-4-4-4-12 lower-case hex). */
export function uuidFrom(rng: Rng): string {
  const a = hex32(rng);
  const b = hex32(rng);
  const c = hex32(rng);
  const d = hex32(rng);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${HEX[8 + (c.charCodeAt(0) & 3)]}${c.slice(1, 4)}-${c.slice(4, 8)}${d}`;
}
