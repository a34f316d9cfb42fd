/**
 * The simulator's memory of used client order ids across restarts. Kalshi refuses a used
 * client_order_id (409 order_already_exists) forever, also after a cancel and after any restart
 * of ours (kalshi-api.md section 0); a sim that forgot them on restart accepted a reuse a real
 * venue refuses. With a data folder, every id the venue accepts is appended to
 * `<dataDir>/client-order-ids.log` (one `user<TAB>client_order_id` line, written before the
 * order's answer) and the file is read back at start.
 *
 * A line that is not `user<TAB>id` with printable text is a corrupt file: the start fails naming
 * the file and the line (no silent reset: forgetting ids is the bug this prevents). A last line
 * without its newline (a crash mid-write) is the one exception: kept if readable, and rewritten.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { makeDirsSync } from '@kmm/shared';
import { join } from 'node:path';

export const CLIENT_ID_LOG = 'client-order-ids.log';

const VALID = /^[\x21-\x7e]+$/;

function parseLine(line: string): [string, string] | null {
  const parts = line.split('\t');
  return parts.length === 2 && VALID.test(parts[0]) && VALID.test(parts[1]) ? [parts[0], parts[1]] : null;
}

/** Reads the log: [user, client order id] pairs in the order written. Throws on a corrupt file. */
export function readClientIdLog(path: string): Array<[string, string]> {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  // the element after the last newline: '' normally, a torn last write after a crash
  const torn = lines.pop()!;
  const out: Array<[string, string]> = [];
  for (let i = 0; i < lines.length; i++) {
    const pair = parseLine(lines[i]);
    if (!pair) {
      throw new Error(`corrupt client order id log ${path}: line ${i + 1} is not "user<TAB>client_order_id" (${JSON.stringify(lines[i].slice(0, 80))}); fix or remove the file (removing it forgets every used id)`);
    }
    out.push(pair);
  }
  if (torn !== '') {
    // a crash mid-append: a readable remainder is kept (an extra refused id is harmless, a
    // forgotten one is the bug), the rest dropped; the file is rewritten whole
    const pair = parseLine(torn);
    if (pair) out.push(pair);
    writeFileSync(path, out.map(([u, id]) => `${u}\t${id}\n`).join(''));
  }
  return out;
}

/** Opens (creating the folder) the log of `dataDir`: the ids already used, and an appender. */
export function openClientIdLog(dataDir: string): { used: Array<[string, string]>; append: (userId: string, clientOrderId: string) => void; path: string } {
  makeDirsSync(dataDir); // not mkdirSync({ recursive }): it never returns for /proc/x
  const path = join(dataDir, CLIENT_ID_LOG);
  const used = readClientIdLog(path);
  return {
    used,
    path,
    append: (userId, cid) => {
      if (!VALID.test(userId) || !VALID.test(cid)) return; // the venue never stores such ids (the REST layer refuses them)
      appendFileSync(path, `${userId}\t${cid}\n`);
    },
  };
}
