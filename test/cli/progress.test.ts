/** The fleet progress bar (src/cli/progress.ts): counts patches on a TTY, writes nothing elsewhere or with --json. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { progressBar } from '../../src/cli/progress.js';

const stderr = process.stderr as NodeJS.WriteStream & { isTTY?: boolean };
const saved = { isTTY: stderr.isTTY, columns: stderr.columns, ci: process.env.CI, term: process.env.TERM };

function pretendTerminal(tty: boolean): string[] {
  Object.defineProperty(stderr, 'isTTY', { value: tty, configurable: true });
  Object.defineProperty(stderr, 'columns', { value: 80, configurable: true });
  delete process.env.CI;
  process.env.TERM = 'xterm';
  const written: string[] = [];
  vi.spyOn(stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  return written;
}

afterEach(() => {
  vi.restoreAllMocks();
  Object.defineProperty(stderr, 'isTTY', { value: saved.isTTY, configurable: true });
  Object.defineProperty(stderr, 'columns', { value: saved.columns, configurable: true });
  if (saved.ci === undefined) delete process.env.CI;
  else process.env.CI = saved.ci;
  process.env.TERM = saved.term;
});

describe('progressBar', () => {
  it('on a terminal: a bar redrawn in place with the count done, cleared at the end', () => {
    const written = pretendTerminal(true);
    const bar = progressBar(4, 'patches');
    bar.update(1);
    bar.update(4);
    bar.stop();
    expect(written).toEqual([
      `\r[${'-'.repeat(20)}] 0/4 patches`,
      `\r[${'#'.repeat(5)}${'-'.repeat(15)}] 1/4 patches`,
      `\r[${'#'.repeat(20)}] 4/4 patches`,
      '\r\x1b[K',
    ]);
  });

  it('writes nothing without a terminal, or when disabled (--json)', () => {
    const written = pretendTerminal(false);
    progressBar(3, 'patches').update(2);
    Object.defineProperty(stderr, 'isTTY', { value: true, configurable: true });
    const off = progressBar(3, 'patches', false);
    off.update(1);
    off.stop();
    expect(written).toEqual([]);
  });
});
