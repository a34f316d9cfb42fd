/**
 * `kmm replay CAPTURE`: replays a websocket capture through the live ingest and book-shard actors
 * on a simulated clock (@kmm/backtest's replayCapture) and prints the final books as JSON on
 * stdout; statistics go to stderr when asked for or when anything was anomalous. An unreadable
 * file exits 1; so does a replay that fails (an actor crashed), with its own message.
 */
import { Command } from 'commander';
import { replayCapture, type CaptureReplay } from '@kmm/backtest';
import { BoundedFileError } from '@kmm/shared';
import type { CliContext } from './options.js';

export function replayCommand(cli: CliContext): Command {
  return new Command('replay')
    .description('replay a websocket capture through the live ingest and book actors')
    .argument('<capture>', 'capture file (our capture.jsonl or a Kalshi session.jsonl)')
    .option('--books', 'print the final books as JSON', true)
    .option('--no-books', 'do not print the books (use with --stats)')
    .option('--stats', 'print parse statistics')
    .action(async (capture: string, o) => {
      let r: CaptureReplay;
      try {
        r = await replayCapture(capture);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        // a BoundedFileError already names the file and what is wrong with it (missing, a device, ...)
        if (err instanceof BoundedFileError) cli.err(`error: ${err.message}`);
        else cli.err(typeof err.code === 'string' && err.syscall ? `error: cannot read ${capture}: ${err.message}` : `error: replay of ${capture} failed: ${err.message}`);
        cli.exitCode = 1;
        return;
      }
      if (o.books) cli.out(JSON.stringify(r.books()));
      if (o.stats || r.stats.invalid > 0 || r.stats.seqAnomalies > 0 || r.stats.applyErrors > 0) cli.err(`replay stats: ${JSON.stringify(r.stats)}`);
    });
}
