#!/usr/bin/env node
/**
 * The `kmm` command-line app (run through ./kmm): the commands are mounted in cli/program.ts.
 * Every command validates its arguments and exits non-zero with a message naming the problem.
 * Files it writes are private (umask 077).
 */
import { runCli } from './cli/program.js';

// Private by default: every file and folder this process (and its worker threads) creates -
// run folders, journal, ops.log, capture, summary, report - is 0600 / 0700.
process.umask(0o077);
process.exitCode = await runCli(process.argv.slice(2));
