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
import { UsageError } from './errors.js';
import {
  checkLoaded, describeSource, effectiveOrderGroupLimit, loadConfig, ORDER_GROUP_SWINGS_PER_WINDOW, sideCaps,
  type CommandDefaults, type KmmConfig, type LoadedConfig, type LoadConfigOptions,
} from '@kmm/shared';

/** The market profile of each command that trades (the registry default, legacy, elsewhere). */
export const COMMAND_PROFILE = { demo: 'kalshi', run: 'kalshi' } as const;

/**
 * The demo's flag defaults (`kmm demo --help`), also what `config explain --for demo` assumes.
 * timeScale: the calibrated `active` market trades as rarely as Kalshi's busiest books (about one
 * print every 20 minutes per market), so a real-time demo of a minute shows no trade at all; the
 * demo compresses time 30x by default (every flow rate x30) and says so at start and in the
 * summary. `--speed 1` runs it in real time.
 */
export const DEMO_DEFAULTS = { markets: 20, seed: 1, timeScale: 30 } as const;

/**
 * The demo's configuration layers: its flags (--seed, --markets, --set) over the file and the
 * environment, over the demo's own defaults (profile kalshi, the simulator's market facts).
 */
export function demoLoadOptions(
  opts: { config?: string; set?: Record<string, string>; seed: number; markets: number; speed?: number }, env: Record<string, string | undefined>,
): { options: LoadConfigOptions; command: CommandDefaults } {
  return {
    options: { file: opts.config, env, cli: { kmm_env: 'sim', kmm_seed: opts.seed, kmm_markets: opts.markets, kmm_time_scale: opts.speed ?? 1, ...(opts.set ?? {}) } },
    command: {
      name: 'demo',
      profile: COMMAND_PROFILE.demo,
      // The simulator's markets resolve weeks out: let market selection keep all N of them.
      // The simulator reports no liquidity figure, like Kalshi (liquidity_dollars is deprecated).
      // The exchange-side kill switch is left at 0: sized to risk from the caps and kmm_markets (limits.ts).
      values: { max_time_to_resolution_hours: 8760, max_markets: opts.markets, min_liquidity: 0 },
    },
  };
}

/**
 * `kmm run`'s configuration layers. --paper is the CLI layer of paper_mode, so the flag, a config
 * file's `paper_mode: true` and KMM_PAPER_MODE=true are one setting, decided (and shown by
 * `config explain`) by the registry.
 */
export function runLoadOptions(
  opts: { config?: string; set?: Record<string, string>; env: string; paper?: boolean }, env: Record<string, string | undefined>,
): { options: LoadConfigOptions; command: CommandDefaults } {
  const cli = { kmm_env: opts.env, ...(opts.set ?? {}), ...(opts.paper ? { paper_mode: true } : {}) };
  return { options: { file: opts.config, env, cli }, command: { name: 'run', profile: COMMAND_PROFILE.run } };
}

/** The commands `config explain|check --for` can show: the configuration they would run with. */
export const CONFIG_FOR_COMMANDS = ['demo', 'run'] as const;

/**
 * `kmm config explain|check [--for demo|run]`: the load options of that command with its default
 * flags (demo: --markets 20 --seed 1; run: --env demo, no --paper), or plain loading without it.
 */
export function configOptionsFor(
  forCommand: string | undefined, file: string | undefined, set: Record<string, string>, env: Record<string, string | undefined>,
): LoadConfigOptions {
  if (forCommand === undefined) return { file, env, cli: set };
  if (forCommand === 'demo') {
    const d = demoLoadOptions({ config: file, set, ...DEMO_DEFAULTS, speed: DEMO_DEFAULTS.timeScale }, env);
    return { ...d.options, command: d.command };
  }
  if (forCommand === 'run') {
    const r = runLoadOptions({ config: file, set, env: 'demo' }, env);
    return { ...r.options, command: r.command };
  }
  throw new UsageError(`--for must be one of ${CONFIG_FOR_COMMANDS.join(', ')} (got '${forCommand}')`);
}

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
