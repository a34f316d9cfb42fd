/** Logging: pino with the file writer in its own thread, secrets redacted. */
export { createLogger, flushLogger, kmmLoggerOptions, scrubString, REDACT_PATHS, REDACTED } from './logger.js';
export type { CreateLoggerOptions } from './logger.js';
