import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
/**
 * Absolute path of the compiled generic test/bench actor (source | relay | sink). When this
 * module runs from sources (vitest), the worker still has to load compiled JS from dist/.
 */
export function chainActorScript(): string {
  const here = fileURLToPath(new URL('./chain-actor.js', import.meta.url));
  if (existsSync(here)) return here;
  return here.replace(/([/\\])src([/\\])runtime([/\\])/, '$1dist$2runtime$3');
}
