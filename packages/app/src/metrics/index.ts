/** Prometheus export: per-actor and per-market figures (prom-client). */
export { createMetrics, METRICS_MAX_LABEL_VALUES, METRICS_MAX_SAMPLES_PER_UPDATE } from './metrics.js';
export type { KmmMetrics, MetricsInput } from './metrics.js';
export { startMetricsServer } from './server.js';
export type { MetricsServerOptions, MetricsServerHandle } from './server.js';
