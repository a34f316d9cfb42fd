/**
 * `kmm probe`: the connectivity sequence of 003 (commands/probe.ts). The API key comes from
 * --key-id/--key-file, else from the config (--config/--set, KMM_API_KEY_ID /
 * KMM_PRIVATE_KEY_PATH: kmm_api_key_id, kmm_private_key_path), else KALSHI_API_KEY_ID /
 * KALSHI_PRIVATE_KEY_PATH. The REST URL is --base-url, else the config's kmm_rest_base_url, else
 * Kalshi's by --env; a production URL needs --confirm-prod (the probe places a real order).
 * Exit 0 when every step passed, 1 at the first failing step.
 */
import { Command, Option } from 'commander';
import { cliFromAssignments, loadConfig } from '@kmm/shared';
import { PROBE_BASE_URLS, runProbe, type ProbeEnv } from '../commands/probe.js';
import { UsageError } from '../commands/errors.js';
import { productionRefusal } from '../system/prod-guard.js';
import { assignment, wholeNumber, type CliContext } from './options.js';
import { startupWarnings } from '../commands/startup-config.js';

export function probeCommand(cli: CliContext): Command {
  return new Command('probe')
    .description('connectivity probe of 003: connect, place 1 contract at 1c, confirm, cancel, confirm')
    .addOption(new Option('--env <env>', 'exchange (sim: an embedded simulator unless --base-url)').choices(['sim', 'demo', 'prod']).default('sim'))
    .option('--config <file>', 'YAML/JSON config file (key id and PEM path: kmm_api_key_id, kmm_private_key_path)')
    .option('--set <key=value>', 'config override, repeatable', assignment)
    .option('--base-url <url>', 'REST base URL (default: Kalshi demo/prod by --env)')
    .option('--key-id <id>', 'API key id')
    .option('--key-file <pem>', 'private key PEM file')
    .option('--market <ticker>', 'market to use (default: the first open market with a 1 cent price)')
    .option('--timeout-ms <n>', 'REST timeout per request', wholeNumber('--timeout-ms', 1, 600_000))
    .option('--seed <n>', 'seed of the embedded simulator', wholeNumber('--seed', 0, 2 ** 32 - 1))
    .option('--confirm-prod', 'required when the REST URL is Kalshi production (the probe places a real order)', false)
    .action(async (o) => {
      const env = o.env as ProbeEnv;
      let keyId: string | undefined = o.keyId;
      let keyFile: string | undefined = o.keyFile;
      let baseUrl: string | undefined = o.baseUrl;
      if (o.config !== undefined || (o.set ?? []).length > 0) {
        const loaded = loadConfig({ file: o.config, env: process.env, cli: cliFromAssignments(o.set ?? []) });
        for (const w of startupWarnings(loaded)) cli.err(w);
        const v = loaded.values;
        keyId ??= v.kmm_api_key_id ? String(v.kmm_api_key_id) : undefined;
        keyFile ??= v.kmm_private_key_path ? String(v.kmm_private_key_path) : undefined;
        baseUrl ??= v.kmm_rest_base_url ? String(v.kmm_rest_base_url) : undefined;
      }
      const refusal = productionRefusal([baseUrl ?? (env === 'sim' ? '' : PROBE_BASE_URLS[env])], o.confirmProd);
      if (refusal) throw new UsageError(refusal);
      cli.out(`probe --env ${env}`);
      const r = await runProbe({ env, baseUrl, keyId, privateKeyPath: keyFile, market: o.market, timeoutMs: o.timeoutMs, seed: o.seed, log: cli.out });
      cli.out(r.ok ? 'probe passed' : 'probe FAILED');
      cli.exitCode = r.ok ? 0 : 1;
    });
}
