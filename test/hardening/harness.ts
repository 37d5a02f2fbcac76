/**
 * Shared rules of the hardening fuzzers: how many runs, what an acceptable rejection is, the per-case time
 * limit, and the run log that `npm run fuzz` sums up (test/hardening/fuzz.config.ts).
 *
 * A rejection is acceptable when it is a SmartDeltaError with an allowed exit code and a one-line message;
 * anything else (TypeError, RangeError, a plain Error, a multi-line message) fails the property.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { SmartDeltaError } from '../../src/errors.js';

export const REPO = path.resolve(import.meta.dirname, '../..');

/** Runs multiplier: 1 in the test suite, raised by the long run (SMARTDELTA_FUZZ_SCALE). */
export const FUZZ_SCALE = Math.max(1, Number(process.env.SMARTDELTA_FUZZ_SCALE ?? '1') || 1);

export function fuzzRuns(base: number): number {
  return Math.round(base * FUZZ_SCALE);
}

/** A case slower than this is treated as a hang (generous: the slowest legitimate case takes milliseconds). */
export const CASE_LIMIT_MS = Number(process.env.SMARTDELTA_FUZZ_CASE_MS ?? '5000');

/** Why an error is not an acceptable rejection, or undefined when it is. */
export function rejectionProblem(err: unknown, allowedCodes: readonly number[]): string | undefined {
  if (!(err instanceof SmartDeltaError)) {
    const name = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return `not a SmartDeltaError: ${name}\n${err instanceof Error ? err.stack : ''}`;
  }
  if (!allowedCodes.includes(err.exitCode)) return `exit code ${err.exitCode} (allowed ${allowedCodes.join(', ')}): ${err.message}`;
  if (err.message.length === 0 || /[\r\n]/.test(err.message)) return `message is not one line: ${JSON.stringify(err.message)}`;
  return undefined;
}

/** Throws (failing the property) unless `err` is an acceptable rejection. */
export function expectRejection(err: unknown, allowedCodes: readonly number[] = [3]): void {
  const problem = rejectionProblem(err, allowedCodes);
  if (problem) throw new Error(problem);
}

/** Runs a synchronous case and fails it when it takes longer than the hang limit. */
export function timedSync<T>(what: string, run: () => T): T {
  const start = performance.now();
  try {
    return run();
  } finally {
    const ms = performance.now() - start;
    if (ms > CASE_LIMIT_MS) throw new Error(`${what} took ${ms.toFixed(0)} ms (limit ${CASE_LIMIT_MS} ms): a hang`);
  }
}

/** Runs an asynchronous case with a timeout. */
export async function timedAsync<T>(what: string, run: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${CASE_LIMIT_MS} ms: a hang`)), CASE_LIMIT_MS);
  });
  try {
    return await Promise.race([run(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Counts the mutated inputs a fuzz file tried; the long run collects the counts from SMARTDELTA_FUZZ_LOG. */
export class FuzzTally {
  private readonly counts = new Map<string, number>();
  private readonly started = performance.now();

  constructor(readonly file: string) {}

  add(parser: string, n = 1): void {
    this.counts.set(parser, (this.counts.get(parser) ?? 0) + n);
  }

  get total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }

  /** Appends one JSON line per parser to the log file, when the long run asked for one. */
  flush(): void {
    const log = process.env.SMARTDELTA_FUZZ_LOG;
    if (!log) return;
    const ms = Math.round(performance.now() - this.started);
    for (const [parser, mutations] of this.counts) appendFileSync(log, `${JSON.stringify({ file: this.file, parser, mutations, ms })}\n`);
  }
}
