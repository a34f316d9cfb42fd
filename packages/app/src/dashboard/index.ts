/** Live dashboard: token-protected HTTP + websocket server on 127.0.0.1, and its browser check. */
export { startDashboard, parseControl, ControlRefused, trimState, DASHBOARD_MAX_CLIENTS, DASHBOARD_DEFAULT_INTERVAL_MS, DASHBOARD_LEVELS_SENT, DASHBOARD_EVENTS_SENT } from './server.js';
export type { DashboardOptions, DashboardHandle } from './server.js';
export { generateToken } from './auth.js';
export { dashboardE2E, CHROMIUM_PATH, CHROMIUM_ARGS } from './e2e.js';
export type { DashboardE2EOptions, DashboardE2EResult } from './e2e.js';
export type * from './types.js';
