/**
 * Configuration: the registry of every variable (CONFIG_SPECS), loading with precedence
 * defaults < profile < preset < command < file < env < cli, explain output and live-update validation.
 */
export {
  CONFIG_SPECS, CONFIG_PRESETS, CONFIG_PROFILES, PROFILE_SAFE_RANGES, safeRangeOf, SPEC_BY_KEY, SPEC_BY_ENV, defaultConfig, defaultShardCount,
} from './specs.js';
export type {
  ConfigType, ConfigSource, SeedRef, ConfigSpec, NumberSpec, BoolSpec, StringSpec, EnumSpec,
  KmmConfig, ConfigKey, ConfigValue,
} from './specs.js';
export { ConfigError } from './errors.js';
export { CONFIG_SCHEMA, parseValue, allowedText } from './values.js';
export {
  loadConfig, loadConfigReport, resolveConfig, readConfigFile, resolveConfigName, cliFromAssignments, CONFIG_RELATIONS,
  safeRangeWarnings, describeSource,
} from './load.js';
export type { LoadConfigOptions, LoadedConfig, ConfigLoadReport, CommandDefaults } from './load.js';
export { checkConfig, checkLoaded, configWarnings, unreachableFeatures, formatConfigProblems } from './check.js';
export type { ConfigProblem, ConfigProblemKind, ConfigCheckResult } from './check.js';
export {
  CONFIG_LIMIT_RULES, ORDER_GROUP_WINDOW_MS, ORDER_GROUP_SWINGS_PER_WINDOW, ORDER_GROUP_ALERT_FRACTION,
  sideCaps, quoteSize, orderGroupContractsLimitFor, effectiveOrderGroupLimit, limitViolations,
} from './limits.js';
export type { BindingLimit, LimitRule } from './limits.js';
export { positionCapsOf, sideCapIsSet, SIDE_CAP_UNSET, POSITION_CAP_KEYS } from './caps.js';
export type { PositionCaps } from './caps.js';
export { explainConfig, explainConfigJson } from './explain.js';
export type { ExplainedValue, ExplainedConfig } from './explain.js';
export { validateLiveUpdate, validateLiveChange, RISK_LIMIT_KEYS, raisesRisk } from './live.js';
export type { ConfigChange, LiveUpdateResult } from './live.js';
export { inRunTime, MARKET_TIME_KEYS } from './market-time.js';
