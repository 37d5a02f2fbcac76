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
