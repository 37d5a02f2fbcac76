/**
 * Printing for humans and for CI. With --json, stdout carries exactly one JSON document and nothing else;
 * human output goes to stdout, diagnostics to stderr. Colors only on a TTY and never with NO_COLOR.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { Ora } from 'ora';

export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
}

export const color: ChalkInstance = new Chalk({ level: colorEnabled() ? 1 : 0 });
export const colorErr: ChalkInstance = new Chalk({ level: colorEnabled(process.stderr) ? 1 : 0 });

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function warn(line: string): void {
  process.stderr.write(`${colorErr.yellow('warning:')} ${line}\n`);
}

export type Spinner = Pick<Ora, 'succeed' | 'fail' | 'stop'>;

const silentSpinner: Spinner = { succeed: () => undefined, fail: () => undefined, stop: () => undefined } as unknown as Spinner;

/**
 * A spinner on an interactive stderr only; a no-op otherwise (CI logs stay clean). ora is loaded on demand:
 * it costs every command about 80 ms of start-up, and most runs (CI, pipes, --json) never show a spinner.
 */
export async function spinner(text: string, enabled = true): Promise<Spinner> {
  if (!enabled || !process.stderr.isTTY || 'CI' in process.env) return silentSpinner;
  const { default: ora } = await import('ora');
  return ora({ text, stream: process.stderr }).start();
}

export function formatBytes(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatRatio(numerator: number, denominator: number): string {
  return denominator > 0 ? (numerator / denominator).toFixed(2) : 'n/a';
}
