/**
 * File I/O at the edge of the CLI: reads with clear errors, and outputs that are never left half-written.
 *
 * Rule (docs/CLI.md, "Output files"): an output is written to a temporary file beside it and renamed into
 * place; an existing file is replaced only with --force; an output path equal to an input is refused; on
 * SIGINT/SIGTERM any temporary file is removed before the process exits.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, realpathSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { IoError, UsageError } from '../errors.js';

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

export function readInputFile(path: string, what = 'input'): Uint8Array {
  try {
    const data = readFileSync(path);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (err) {
    throw new IoError(`cannot read ${what} ${path}: ${describeFsError(err)}`);
  }
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

/** Checks an output path before any work is done, so a refused output costs nothing. */
export function checkOutputPath(path: string, options: WriteOptions = {}): void {
  for (const input of options.inputs ?? []) {
    if (samePath(path, input)) throw new UsageError(`output ${path} is also an input; choose another output path`);
  }
  if (!options.force && existsSync(path)) {
    throw new IoError(`output ${path} exists; use --force to replace it`);
  }
}

/** Writes data atomically: temporary file in the same directory, fsync, rename. */
export function writeOutputFile(path: string, data: Uint8Array | string, options: WriteOptions = {}): void {
  checkOutputPath(path, options);
  installSignalHandlers();
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  pendingTemps.add(temp);
  try {
    const fd = openSync(temp, 'w', options.mode ?? 0o644);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // nothing was created
    }
    throw new IoError(`cannot write ${path}: ${describeFsError(err)}`);
  } finally {
    pendingTemps.delete(temp);
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
