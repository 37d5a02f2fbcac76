/**
 * Printing for humans and for CI. With --json, stdout carries exactly one JSON document and nothing else;
 * human output goes to stdout, diagnostics to stderr. Colors only on a TTY and never with NO_COLOR.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { Ora } from 'ora';
import { groupDigits } from '../group-digits.js';
import { recordWarning } from './json.js';

export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
}

export const color: ChalkInstance = new Chalk({ level: colorEnabled() ? 1 : 0 });
export const colorErr: ChalkInstance = new Chalk({ level: colorEnabled(process.stderr) ? 1 : 0 });

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

let stdoutClaimed = false;

/** Called when an output file went to stdout (-o -): human lines then go to stderr, keeping the data clean. */
export function claimStdout(): void {
  stdoutClaimed = true;
}

/** A new run (main() may run many in one process) starts with stdout for its own lines. */
export function resetStdout(): void {
  stdoutClaimed = false;
}

export function printLine(line = ''): void {
  (stdoutClaimed ? process.stderr : process.stdout).write(`${line}\n`);
}

/** A warning: on stderr, or with --json in the document's `warnings` (where a pipeline sees it). */
export function warn(line: string): void {
  if (recordWarning(line)) return;
  process.stderr.write(`${colorErr.yellow('warning:')} ${line}\n`);
}

export type Spinner = Pick<Ora, 'succeed' | 'fail' | 'stop'>;

const silentSpinner: Spinner = { succeed: () => undefined, fail: () => undefined, stop: () => undefined } as unknown as Spinner;

/**
 * Narrowest terminal that gets a spinner. ora works out how many lines to clear by dividing the text width by
 * the stream's columns: a terminal that reports 0 columns (some CI runners, `docker run -t`) made it clear
 * forever, printing cursor-up sequences without end. Below this width a spinner line is noise anyway.
 */
export const MIN_SPINNER_COLUMNS = 20;

/** A spinner only on an interactive, wide enough stderr outside CI (CI logs stay clean). */
export function spinnerEnabled(stream: NodeJS.WriteStream = process.stderr): boolean {
  return Boolean(stream.isTTY) && !('CI' in process.env) && process.env.TERM !== 'dumb' && (stream.columns ?? 0) >= MIN_SPINNER_COLUMNS;
}

/**
 * A spinner when spinnerEnabled(); a no-op otherwise. ora is loaded on demand: it costs every command about
 * 80 ms of start-up, and most runs (CI, pipes, --json) never show a spinner. ora's own color detection does
 * not read NO_COLOR, so the frame color follows colorEnabled() instead.
 */
export async function spinner(text: string, enabled = true): Promise<Spinner> {
  if (!enabled || !spinnerEnabled(process.stderr)) return silentSpinner;
  const { default: ora } = await import('ora');
  return ora({ text, stream: process.stderr, color: colorEnabled(process.stderr) ? 'cyan' : false }).start();
}

export function formatBytes(n: number): string {
  return groupDigits(n);
}

export function formatRatio(numerator: number, denominator: number): string {
  return denominator > 0 ? (numerator / denominator).toFixed(2) : 'n/a';
}
