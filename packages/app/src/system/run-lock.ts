/**
 * One owner per run folder: an exclusive lock file `<run>/kmm.lock` holding the owner's pid.
 * Two KMM processes on one folder would both trade, cancel each other's orders and write each
 * other's fills into one journal; the second one is refused with the holder's pid.
 *
 * - Acquire: the lock is written to a private temp file and hard-linked to `kmm.lock`; link()
 *   fails if the name exists, so the lock appears atomically and always with its pid inside.
 * - Stale lock (its pid is not alive on this machine): taken over with a message. The stale file
 *   is renamed away first and checked to still be the dead holder's (two processes taking over
 *   at once: one wins, the other finds the winner's live pid and is refused).
 * - Release: on `release()` or at process exit (sync), only if the file is still ours.
 * - The same process acquiring again (tests running several systems in one process) is allowed.
 * - Who asks is this process unless `as` says otherwise: `kmm dst` models processes (its KMM,
 *   that KMM restarted after a process crash, a second instance) with pids of its own and their
 *   liveness, and runs this same code on a real folder.
 * Limit: a dead pid reused by an unrelated process reads as alive; the message says which file to
 * delete in that case. Errors are RunLockError (a usage refusal: exit 2).
 */
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../commands/errors.js';

export const RUN_LOCK_FILE = 'kmm.lock';

export class RunLockError extends UsageError {
  constructor(
    message: string,
    readonly holderPid: number,
  ) {
    super(message);
  }
}

/** The process taking a lock (default: this one) and how to tell whether a holder is alive. */
export interface LockIdentity {
  pid: number;
  alive: (pid: number) => boolean;
  /** the start time written into the lock file (default: now) */
  startedIso?: string;
}

export interface RunLock {
  path: string;
  /** the pid written into the lock */
  pid: number;
  /** the pid of a dead holder whose lock was taken over, else null */
  tookOverFromPid: number | null;
  release(): void;
}

const held = new Map<string, RunLock>();
let exitHookInstalled = false;

/** True when a process with this pid exists (EPERM: it exists but is not ours to signal). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(path: string): number {
  try {
    const first = readFileSync(path, 'utf8').split('\n')[0].trim();
    return /^\d+$/.test(first) ? Number(first) : 0;
  } catch {
    return 0;
  }
}

function tryLink(tmp: string, path: string): boolean {
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/**
 * Takes the run folder's lock or throws RunLockError naming the live holder's pid.
 * `say` reports a stale lock taken over.
 */
export function acquireRunLock(runDir: string, say: (line: string) => void = () => {}, as?: LockIdentity): RunLock {
  const me = as?.pid ?? process.pid;
  const alive = as?.alive ?? pidAlive;
  const path = join(runDir, RUN_LOCK_FILE);
  const mine = held.get(path);
  if (mine && mine.pid === me) return mine;
  const tmp = `${path}.${me}.tmp`;
  writeFileSync(tmp, `${me}\nkmm started ${as?.startedIso ?? new Date().toISOString()}\n`, { mode: 0o600 });
  let tookOverFromPid: number | null = null;
  try {
    for (let attempt = 0; ; attempt++) {
      if (tryLink(tmp, path)) break;
      const holder = readPid(path);
      if (holder === me) break; // ours (acquired earlier in this process and forgotten)
      if (alive(holder) || attempt >= 3) {
        throw new RunLockError(
          `run folder ${runDir} is in use by another kmm (pid ${holder || 'unknown'}, lock file ${path}); stop it first or choose another --out` +
            ' (if that process is gone and its pid was reused, delete the lock file)',
          holder,
        );
      }
      // Stale: move it aside, then make sure what we moved is the dead holder's lock, not a
      // lock another process created in between (then put it back and look again).
      const aside = `${path}.stale.${me}`;
      try {
        renameSync(path, aside);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw e;
      }
      const moved = readPid(aside);
      if (moved !== holder && alive(moved)) {
        if (!tryLink(aside, path)) say(`warning: run lock ${path} changed hands during a takeover`);
        unlinkSync(aside);
        continue;
      }
      unlinkSync(aside);
      tookOverFromPid = holder;
      say(`run folder ${runDir}: took over the lock of pid ${holder || 'unknown'}, which is no longer running (a previous kmm that did not stop cleanly)`);
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
  }
  const lock: RunLock = {
    path,
    pid: me,
    tookOverFromPid,
    release: () => {
      if (held.get(path) !== lock) return;
      held.delete(path);
      if (readPid(path) === me) {
        try {
          unlinkSync(path);
        } catch {
          /* gone already */
        }
      }
    },
  };
  held.set(path, lock);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const l of [...held.values()]) l.release();
    });
  }
  return lock;
}
