/**
 * File I/O at the edge of the CLI: reads with clear errors, and outputs that are never left half-written.
 *
 * Rule (docs/CLI.md, "Output files"): an output is written to a temporary file beside it and renamed into
 * place; an existing file is replaced only with --force; an output path equal to an input is refused; on
 * SIGINT/SIGTERM any temporary file is removed before the process exits.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, lstatSync, openSync, readFileSync, readSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InvalidInputError, IoError, UsageError } from '../errors.js';
import { jsonMode } from './json.js';
import { claimStdout } from './output.js';

const pendingTemps = new Set<string>();
let signalHandlersInstalled = false;

function removePendingTemps(): void {
  for (const temp of pendingTemps) {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
  }
  pendingTemps.clear();
}

function installSignalHandlers(): void {
  if (signalHandlersInstalled) return;
  signalHandlersInstalled = true;
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      removePendingTemps();
      process.exit(code);
    });
  }
}

/**
 * Lets a SIGINT or SIGTERM that arrived during a (synchronous) write reach its handler before the process ends:
 * Node runs signal handlers from the event loop, and a CLI that returns right after the write would exit 0
 * without entering it again. The handler then exits 130 or 143; the output was completely written and renamed.
 */
export async function deliverPendingSignals(): Promise<void> {
  if (!signalHandlersInstalled) return;
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * The most any input needs (an ELF file with debug information, or the Intel HEX text of a 64 MiB image, is
 * far smaller): a larger file, or a device that never ends such as /dev/zero, is refused instead of read.
 */
export const MAX_INPUT_FILE = 512 * 1024 * 1024;
/** Key and signature files are small (an encrypted PKCS#8 PEM is under 1 KiB): read at most this much of one. */
export const MAX_KEY_FILE = 64 * 1024;
const READ_PIECE = 1024 * 1024;

/** Reads a whole input file, or refuses it (exit 3) when it is larger than `limit` bytes, reading at most that much. */
export function readInputFile(path: string, what = 'input', limit = MAX_INPUT_FILE): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new IoError(`cannot read ${what} ${path}: ${describeFsError(err)}`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isFile() && stat.size > limit) throw tooLarge(what, path, limit);
    const data = stat.isFile() ? readFileSync(fd) : readStream(fd, what, path, limit);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    throw new IoError(`cannot read ${what} ${path}: ${describeFsError(err)}`);
  } finally {
    closeSync(fd);
  }
}

/** A pipe or a device: read until its end, but never past the input limit. */
function readStream(fd: number, what: string, path: string, limit: number): Buffer {
  const pieces: Buffer[] = [];
  let total = 0;
  for (;;) {
    // Never ask for more than one byte past the limit: that byte is enough to refuse.
    const size = Math.min(READ_PIECE, limit + 1 - total);
    const piece = Buffer.allocUnsafe(size);
    const n = readSync(fd, piece, 0, size, null);
    if (n === 0) return Buffer.concat(pieces, total);
    total += n;
    if (total > limit) throw tooLarge(what, path, limit);
    pieces.push(piece.subarray(0, n));
  }
}

function tooLarge(what: string, path: string, limit: number): InvalidInputError {
  const size = limit >= 2 ** 20 ? `${limit / 2 ** 20} MiB` : `${limit / 1024} KiB`;
  return new InvalidInputError(`${what} ${path} is larger than ${size}, more than any ${limit === MAX_INPUT_FILE ? 'input' : what} needs (is it the right file?)`);
}

export interface WriteOptions {
  /** Replace an existing file. */
  force?: boolean;
  /** Paths read by the command: writing over one of them is refused. */
  inputs?: readonly string[];
  /** File mode for a new file (0o600 for private keys). */
  mode?: number;
}

function samePath(a: string, b: string): boolean {
  const canonical = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return canonical(a) === canonical(b);
}

/** An output path of "-" means stdout, in every command (as in `sign --emit-message -`). */
export const STDOUT = '-';

/** Checks an output path before any work is done, so a refused output costs nothing. */
export function checkOutputPath(path: string, options: WriteOptions = {}): void {
  if (path === STDOUT) {
    if (jsonMode()) throw new UsageError('-o - writes the output to stdout, where --json prints its document; give a file name');
    if (options.mode === 0o600) throw new UsageError('a private key is never printed; give a file name');
    if (process.stdout.isTTY) throw new UsageError('-o - writes the output to stdout, which is a terminal; pipe it or give a file name');
    return;
  }
  for (const input of options.inputs ?? []) {
    if (samePath(path, input)) throw new UsageError(`output ${path} is also an input; choose another output path`);
  }
  // --force replaces a regular file only: never a device, FIFO or socket (as root, -o /dev/null --force would
  // replace the system's device node), nor a symbolic link, whose rename would replace the link itself
  // (-o /dev/stdout --force, a link to /proc/self/fd/1, would replace /dev/stdout).
  const special = specialFileKind(path);
  if (special && special !== 'a directory') throw new IoError(`output ${path} is ${special}, not a regular file; --force replaces only regular files`);
  if (!options.force && existsSync(path)) {
    throw new IoError(`output ${path} exists; use --force to replace it`);
  }
  // A directory cannot be replaced by a rename; saying so now keeps a multi-file write all or nothing.
  if (special === 'a directory') throw new IoError(`output ${path} is a directory`);
}

/** What an existing path (followed through symlinks) is when it is not a regular file; undefined otherwise. */
function specialFileKind(path: string): string | undefined {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return undefined; // absent: the rename creates it
  }
  if (stat.isSymbolicLink()) {
    let target = 'nothing';
    try {
      const followed = statSync(path);
      target = followed.isFile() ? 'a regular file' : (specialKindOf(followed) ?? 'a special file');
    } catch {
      // dangling
    }
    return `a symbolic link (to ${target}; give the path it points to)`;
  }
  return specialKindOf(stat);
}

function specialKindOf(stat: Stats): string | undefined {
  if (stat.isFile()) return undefined;
  if (stat.isDirectory()) return 'a directory';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  return 'a special file';
}

/** Writes data atomically: temporary file in the same directory, fsync, rename. */
export function writeOutputFile(path: string, data: Uint8Array | string, options: WriteOptions = {}): void {
  writeOutputFiles([{ path, data }], options);
}

export interface OutputFile {
  path: string;
  data: Uint8Array | string;
  /** File mode for a new file; overrides WriteOptions.mode. */
  mode?: number;
}

/**
 * Writes several outputs as one step: every temporary file is written and synced first, and only then are
 * they renamed into place, so a failure (a missing directory, a full disk) leaves none of them behind.
 */
export function writeOutputFiles(files: readonly OutputFile[], options: WriteOptions = {}): void {
  for (const file of files) checkOutputPath(file.path, { ...options, mode: file.mode ?? options.mode });
  const toStdout = files.filter((f) => f.path === STDOUT);
  files = files.filter((f) => f.path !== STDOUT);
  writeFiles(files, options);
  for (const file of toStdout) {
    process.stdout.write(file.data);
    // The summary a command prints next must not mix with the data: it goes to stderr from now on.
    claimStdout();
  }
}

function writeFiles(files: readonly OutputFile[], options: WriteOptions): void {
  installSignalHandlers();
  const staged: Array<{ temp: string; path: string }> = [];
  let current = files[0]?.path ?? '';
  try {
    for (const file of files) {
      current = file.path;
      staged.push({ temp: writeTemporary(file.path, file.data, file.mode ?? options.mode ?? 0o644), path: file.path });
    }
    for (const { temp, path } of staged) {
      current = path;
      renameSync(temp, path);
      pendingTemps.delete(temp);
    }
  } catch (err) {
    for (const { temp } of staged) removeQuietly(temp);
    throw new IoError(`cannot write ${current}: ${describeFsError(err)}`);
  } finally {
    for (const { temp } of staged) pendingTemps.delete(temp);
  }
}

/**
 * The temporary file beside `path`, created exclusively (O_EXCL: never through a symlink or into a file
 * someone prepared, which could give a private key another mode); a stale one of ours is replaced.
 */
function writeTemporary(path: string, data: Uint8Array | string, mode: number): string {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  pendingTemps.add(temp);
  let fd: number;
  try {
    fd = openSync(temp, 'wx', mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      pendingTemps.delete(temp);
      throw err;
    }
    unlinkSync(temp);
    fd = openSync(temp, 'wx', mode);
  }
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    removeQuietly(temp);
    pendingTemps.delete(temp);
    throw err;
  }
  closeSync(fd);
  return temp;
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOSPC':
      return 'no space left on device';
    default:
      return e?.message ?? String(err);
  }
}
