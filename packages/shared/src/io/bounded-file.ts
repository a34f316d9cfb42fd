/**
 * Reading small operator-supplied files (API key PEM, config) safely: the path must name a
 * regular file (not a device such as /dev/zero, not a FIFO that would block forever, not a
 * folder) of at most `maxBytes`; the read itself stops at maxBytes + 1 so a file that grows
 * between the check and the read cannot make us read without bound.
 *
 * Errors are BoundedFileError with a message naming the file and the problem (never its content).
 * The open uses O_NONBLOCK so that a path swapped for a FIFO after the stat still cannot block.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';

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
 * Reads `path` as UTF-8 after checking it is a regular file of at most `maxBytes`.
 * `what` names the file in messages ("private key file", "config file").
 */
export function readBoundedFile(path: string, maxBytes: number, what: string): string {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new BoundedFileError(code === 'ENOENT' ? `${what} not found: ${path}` : `${what} ${path} cannot be read (${code})`, code === 'ENOENT' ? 'missing' : 'unreadable');
  }
  if (!st.isFile()) throw new BoundedFileError(`${what} ${path} is ${kindOf(st)}, expected a regular file`, 'not_regular');
  if (st.size > maxBytes) throw new BoundedFileError(`${what} ${path} is ${st.size} bytes, more than the limit of ${maxBytes} bytes`, 'too_large');
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new BoundedFileError(`${what} ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, 'unreadable');
  }
  try {
    const st2 = fstatSync(fd);
    if (!st2.isFile()) throw new BoundedFileError(`${what} ${path} is ${kindOf(st2)}, expected a regular file`, 'not_regular');
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
