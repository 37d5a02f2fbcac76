// What the figures were measured on: they mean little without the machine and how busy it was.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';

function cpuModel() {
  if (!existsSync('/proc/cpuinfo')) return os.cpus()[0]?.model ?? 'unknown';
  const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
  return line ? line.slice(line.indexOf(':') + 1).trim() : 'unknown';
}

export function describeMachine() {
  return {
    nproc: os.availableParallelism(),
    cpuModel: cpuModel(),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function loadAverageNow() {
  return os.loadavg().map((x) => Math.round(x * 100) / 100);
}

/** A 1-minute load average above this at the start of a timing block marks the run "machine busy" (2 cores). */
export const BUSY_LOAD = 1.5;

/**
 * Records the load average before and after each timing block, so the report can say which figures were
 * taken on a busy machine. The bench itself adds up to about 1 to the load while it runs.
 */
export function createLoadLog() {
  const blocks = [];
  return {
    blocks,
    async time(name, fn) {
      const before = loadAverageNow();
      const result = await fn();
      blocks.push({ name, before, after: loadAverageNow(), busy: before[0] > BUSY_LOAD });
      return result;
    },
  };
}
