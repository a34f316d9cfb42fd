/** Errors a command reports as bad usage or a refused request (exit 2, message without a stack). */
export class UsageError extends Error {}
