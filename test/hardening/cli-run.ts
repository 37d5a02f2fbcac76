/**
 * Runs the CLI in this process (src/cli/main.ts main(argv)) with stdout and stderr captured: far faster than
 * spawning, so the malformed-input suite and the argument fuzzer can run hundreds of commands. Calls must not
 * overlap (the capture replaces process.stdout.write while a command runs).
 */
import { readdirSync } from 'node:fs';
import { main } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

let running = false;

export async function runCli(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  if (running) throw new Error('runCli calls must not overlap');
  running = true;
  const stdout: string[] = [];
  const stderr: string[] = [];
  const writeOut = process.stdout.write;
  const writeErr = process.stderr.write;
  const savedEnv: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    savedEnv[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  const capture = (into: string[]) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture(stdout);
  process.stderr.write = capture(stderr);
  try {
    const code = await main(['node', 'smartdelta', ...args]);
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    running = false;
  }
}

/** Temporary files the atomic writer may leave: `.<name>.<pid>.tmp`. */
export function tempFilesIn(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.tmp'));
}

/** Why an error run's output is not "one error line and an exit code" (parse errors included), or undefined. */
export function errorOutputProblem(run: CliRun): string | undefined {
  if (/internal error/.test(run.stderr)) return `internal error: ${run.stderr}`;
  if (/^\s+at /m.test(run.stderr)) return `stack trace on stderr: ${run.stderr}`;
  const lines = run.stderr.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('warning:'));
  const errors = lines.filter((line) => line.startsWith('error:'));
  if (errors.length !== 1) return `expected exactly one "error:" line, got: ${JSON.stringify(run.stderr)}`;
  const others = lines.filter((line) => !line.startsWith('error:'));
  if (others.length > 0) return `extra lines on stderr: ${JSON.stringify(others)}`;
  return undefined;
}
