/**
 * @kmm/exec-worker public API: the pure exec core (also `./core` on its own) and the shell
 * pieces other packages use (REST client, gateways, journal, tape, runner). The worker entry
 * is './shell'. The connectivity probe (`kmm probe`) lives in the app.
 */
export * from './core/index.js';
export * from './shell/venue.js';
export * from './shell/signature-cache.js';
export * from './shell/rest-client.js';
export * from './shell/gateway.js';
export * from './shell/journal.js';
export * from './shell/tape.js';
export * from './shell/runner.js';
