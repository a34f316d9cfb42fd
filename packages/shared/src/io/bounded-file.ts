/**
 * Reading small operator-supplied files (API key PEM, config) safely: the path must name a
 * regular file (not a device such as /dev/zero, not a FIFO that would block forever, not a
 * folder) of at most `maxBytes`; the read itself stops at maxBytes + 1 so a file that grows
 * between the check and the read cannot make us read without bound.
 *
 * Large inputs (captures) use openRegularFile alone: the same regular-file check, their own
 * chunked, bounded read.
 * Errors are BoundedFileError with a message naming the file and the problem (never its content).
 * The open uses O_NONBLOCK so that a path swapped for a FIFO after the stat still cannot block.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Limit for a PEM private key file (a 4096-bit RSA key is about 3.3 KiB). */
export const KEY_FILE_MAX_BYTES = 64 * 1024;
/** Limit for a config file (YAML/JSON). */
export const CONFIG_FILE_MAX_BYTES = 1024 * 1024;

export class BoundedFileError extends Error {
  constructor(
    message: string,
    /** 'missing' | 'not_regular' | 'too_large' | 'unreadable' */
    readonly reason: 'missing' | 'not_regular' | 'too_large' | 'unreadable',
  ) {
    super(message);
    this.name = 'BoundedFileError';
  }
}

function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Opens `path` for reading after checking it is a regular file: a device (/dev/zero,
 * /dev/urandom: endless data), a FIFO (blocks until a writer comes) or a folder is refused with
 * a BoundedFileError naming it. The open is O_NONBLOCK so a path swapped for a FIFO after the stat
 * still cannot block; the descriptor is checked again (fstat) before it is handed back.
 * The caller closes the descriptor and bounds its own reads (large inputs such as captures are
 * read in chunks). `size` is the file's size at the check.
 */
export function openRegularFile(path: string, what: string): { fd: number; size: number } {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new BoundedFileError(code === 'ENOENT' ? `${what} not found: ${path}` : `${what} ${path} cannot be read (${code})`, code === 'ENOENT' ? 'missing' : 'unreadable');
  }
  if (!st.isFile()) throw new BoundedFileError(`${what} ${path} is ${kindOf(st)}, expected a regular file`, 'not_regular');
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new BoundedFileError(`${what} ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, 'unreadable');
  }
  const st2 = fstatSync(fd);
  if (!st2.isFile()) {
    closeSync(fd);
    throw new BoundedFileError(`${what} ${path} is ${kindOf(st2)}, expected a regular file`, 'not_regular');
  }
  return { fd, size: st2.size };
}

/**
 * Reads `path` as UTF-8 after checking it is a regular file of at most `maxBytes`.
 * `what` names the file in messages ("private key file", "config file").
 */
export function readBoundedFile(path: string, maxBytes: number, what: string): string {
  const { fd, size } = openRegularFile(path, what);
  try {
    if (size > maxBytes) throw new BoundedFileError(`${what} ${path} is ${size} bytes, more than the limit of ${maxBytes} bytes`, 'too_large');
    const buf = Buffer.alloc(maxBytes + 1);
    let n = 0;
    for (;;) {
      let r: number;
      try {
        r = readSync(fd, buf, n, buf.length - n, null);
      } catch (e) {
        throw new BoundedFileError(`${what} ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, 'unreadable');
      }
      if (r === 0) break;
      n += r;
      if (n > maxBytes) throw new BoundedFileError(`${what} ${path} is more than the limit of ${maxBytes} bytes`, 'too_large');
    }
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * `mkdir -p` without Node's recursive mkdir, which never returns when a parent exists but mkdir
 * under it answers ENOENT (`--out /proc/x` spun at full CPU forever, Node 20): the missing
 * folders are found by walking up with stat, then each is created once, top down. An error
 * keeps its errno code (ENOTDIR, EACCES, EROFS, ENOENT, ...) for the caller's message.
 */
export function makeDirsSync(path: string, mode = 0o777): void {
  const missing: string[] = [];
  for (let p = resolve(path); ; ) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // worded as the mkdir of `path` it stands for (ENOTDIR under a file, EACCES, ...)
      if (err.code !== 'ENOENT') throw mkdirError(err.code ?? 'EIO', /^\w+: ([^,]+),/.exec(err.message)?.[1] ?? 'error', path);
      missing.push(p);
      const up = dirname(p);
      if (up === p) break;
      p = up;
      continue;
    }
    if (isDir) break;
    throw mkdirError('ENOTDIR', 'not a directory', path);
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d, { mode });
    } catch (e) {
      // created meanwhile by someone else: fine if it is a folder
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(d).isDirectory()) continue;
      throw e;
    }
  }
}

function mkdirError(code: string, what: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${what}, mkdir '${path}'`), { code, path, syscall: 'mkdir' });
}
