/**
 * Opening a run folder for a live system (`kmm demo`, `kmm run`): created private (0700; the
 * process umask set by the CLI makes its files 0600), an existing folder that others can read
 * gets a warning (it is the operator's folder: not changed behind their back), and the folder's
 * lock is taken (run-lock.ts: one owner per run folder).
 * A folder that cannot be created is a UsageError naming it and the reason (no stack trace).
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { makeDirsSync } from '@kmm/shared';
import { UsageError } from '../commands/errors.js';
import { acquireRunLock, type LockIdentity, type RunLock } from './run-lock.js';

/** Mode of a run folder we create: only the owner may list or read it. */
export const RUN_DIR_MODE = 0o700;
/** Mode of the files in it (also what umask 077 gives). */
export const RUN_FILE_MODE = 0o600;

/** `as`: who takes the lock (default this process; `kmm dst` models processes of its own). */
export function openRunDir(dir: string, say: (line: string) => void = (l) => process.stderr.write(l + '\n'), as?: LockIdentity): { dir: string; lock: RunLock } {
  const abs = resolve(dir);
  const existed = existsSync(abs);
  if (existed && !statSync(abs).isDirectory()) throw new UsageError(`run folder ${abs} exists and is not a folder`);
  try {
    // not mkdirSync({ recursive }): it never returns for a path such as /proc/x (makeDirsSync)
    makeDirsSync(abs, RUN_DIR_MODE);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`cannot create the run folder ${abs}: ${err.code ?? err.message}${err.code === 'EACCES' || err.code === 'EROFS' ? ' (not writable; choose another --out)' : ''}`);
  }
  const st = statSync(abs);
  if (!st.isDirectory()) throw new UsageError(`run folder ${abs} exists and is not a folder`);
  if (existed && (st.mode & 0o077) !== 0) say(`warning: run folder ${abs} is readable by other users (mode ${(st.mode & 0o777).toString(8)}); run chmod 700`);
  return { dir: abs, lock: acquireRunLock(abs, say, as) };
}
