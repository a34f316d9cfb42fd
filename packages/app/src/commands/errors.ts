/**
 * UsageError: a refused request (bad arguments, a refused production run, a run folder in use):
 * the CLI prints its message and exits 2, never a stack trace. In its own module so that any
 * layer (commands, system) can throw it without import cycles.
 */
export class UsageError extends Error {}
