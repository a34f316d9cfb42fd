#!/usr/bin/env node
/**
 * The `kmm` command-line app (run through ./kmm): the commands are mounted in cli/program.ts.
 * Every command validates its arguments and exits non-zero with a message naming the problem.
 */
import { runCli } from './cli/program.js';

process.exitCode = await runCli(process.argv.slice(2));
