// Timing helpers: wall-clock medians, so one slow run (another process on a 2-core machine) does not skew a figure.

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Runs `fn` `runs` times after `warmup` untimed runs; returns every time in ms and the last result. */
export async function timeRuns(fn, { runs, warmup = 1 }) {
  let result;
  for (let i = 0; i < warmup; i++) result = await fn();
  const times = [];
  const cpuTimes = [];
  for (let i = 0; i < runs; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    result = await fn();
    times.push(performance.now() - start);
    // CPU time of this process (all its threads): less moved than wall time by other work on the machine.
    const cpu = process.cpuUsage(cpuStart);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
  }
  return { times, medianMs: median(times), cpuTimes, cpuMedianMs: median(cpuTimes), result };
}

export function sameBytes(a, b) {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}
