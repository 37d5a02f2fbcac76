/**
 * A progress bar that counts finished items ("[#####-----] 2/4 patches") on stderr, redrawn in place. Shown
 * where a spinner would be (spinnerEnabled: a wide enough TTY outside CI) and never with --json.
 */
import { spinnerEnabled } from './output.js';

export interface Progress {
  update(done: number): void;
  stop(): void;
}

const silent: Progress = { update: () => undefined, stop: () => undefined };
const BAR_WIDTH = 20;

export function progressBar(total: number, noun: string, enabled = true): Progress {
  const stream = process.stderr;
  if (!enabled || !spinnerEnabled(stream)) return silent;
  let shown = false;
  const draw = (done: number): void => {
    const filled = Math.round((BAR_WIDTH * done) / Math.max(total, 1));
    const line = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${done}/${total} ${noun}`;
    stream.write(`\r${line.slice(0, Math.max(0, (stream.columns ?? 80) - 1))}`);
    shown = true;
  };
  draw(0);
  return {
    update: draw,
    stop: () => {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
