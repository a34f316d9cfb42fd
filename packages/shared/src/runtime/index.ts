export * from './api.js';
export { runActor, SUPERVISOR_PEER, SELF_PEER } from './actor.js';
export * from './supervisor.js';
export type * from './protocol.js';
export { chainActorScript } from './testing/index.js';
