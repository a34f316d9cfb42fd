/**
 * Start-up configuration of the commands: the market profile each command defaults to, the
 * config check's warnings every command prints when it loads a configuration, and the start-up
 * line about the exchange kill switch.
 *
 * The Kalshi values live in one place, the registry's `kalshi` profile (shared CONFIG_PROFILES):
 * demo and run choose it as their command default (MM_MARKET_PROFILE, overridden by the file,
 * the environment and --set), and it is a layer of its own, so `kmm config explain` shows
 * `profile kalshi` as the source of each value it sets; a preset and every value the user set win.
 */
import {
  checkLoaded, describeSource, effectiveOrderGroupLimit, loadConfig, ORDER_GROUP_SWINGS_PER_WINDOW, sideCaps,
  type CommandDefaults, type KmmConfig, type LoadedConfig, type LoadConfigOptions,
} from '@kmm/shared';

/** The market profile of each command that trades (the registry default, legacy, elsewhere). */
export const COMMAND_PROFILE = { demo: 'kalshi', run: 'kalshi' } as const;

/**
 * `kmm config check`'s warnings of a loaded configuration (unknown KMM_ variables, safe ranges,
 * unreachable features), one line each, for a command to print at start; contradictions never
 * get here (loadConfig refuses them with the same rules).
 */
export function startupWarnings(loaded: LoadedConfig): string[] {
  return checkLoaded(loaded).map((p) => `warning: ${p.message} [${p.kind}: ${p.keys.join(', ')}]`);
}

/** One start-up line naming the profile and the values it set (empty when it set none). */
export function describeProfile(loaded: LoadedConfig): string | null {
  const set = Object.keys(loaded.sources).filter((k) => loaded.sources[k] === 'profile');
  if (set.length === 0) return null;
  const v = loaded.values as unknown as Record<string, unknown>;
  return `profile ${loaded.profile} (MM_MARKET_PROFILE from ${describeSource(loaded, 'MM_MARKET_PROFILE')}; a preset, --config and --set override): `
    + set.map((k) => `${k}=${String(v[k])}`).join(' ');
}

/** Load a command's configuration with its defaults layer; `warnings` as startupWarnings. */
export function loadForCommand(opts: LoadConfigOptions, command: CommandDefaults): { loaded: LoadedConfig; warnings: string[] } {
  const loaded = loadConfig({ ...opts, command });
  return { loaded, warnings: startupWarnings(loaded) };
}

/** One start-up line: the exchange kill switch the run will use and where the figure comes from. */
export function describeKillSwitch(v: KmmConfig): string {
  if (!v.kmm_order_group_enabled) return 'order group kill switch: off (kmm_order_group_enabled=false)';
  const limit = effectiveOrderGroupLimit(v);
  if (v.kmm_order_group_contracts_limit > 0) return `order group kill switch: ${limit} contracts per 15 s (kmm_order_group_contracts_limit)`;
  const { long, short } = sideCaps(v);
  return `order group kill switch: ${limit} contracts per 15 s, sized to risk: ${v.kmm_markets} markets x ${ORDER_GROUP_SWINGS_PER_WINDOW} swings x (long cap ${long.contracts} + short cap ${short.contracts}); warning at 80 %`;
}
