/**
 * @kmm/shared: the protocol (generated from proto/), exact units, the transport, the actor
 * runtime, injected clock and randomness, configuration and logging.
 */
export { kmm } from './gen/proto.js';
export * from './units/index.js';
export * from './clock/index.js';
export * from './auth/sign.js';
export * from './io/bounded-file.js';
export * from './io/line-appender.js';
export * from './io/decision-drains.js';
export * from './routing/shard.js';
export * from './runtime/index.js';
export * from './transport/index.js';
export * from './config/index.js';
export * from './log/index.js';
export * from './assert.js';
export * from './model/index.js';
