/** src/parallel/pool.ts: results in order from every thread, progress counts, errors with their exit code. */
import { threadId } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { runPool } from '../../src/parallel/pool.js';
import { echo } from './echo-worker.js';

const workerUrl = new URL('./echo-worker.ts', import.meta.url);
const tasks = Array.from({ length: 12 }, (_, i) => i);

describe('runPool', () => {
  it('workers alone do every task, answers in the order given, each counted', async () => {
    const counts: number[] = [];
    const results = await runPool(tasks, { threads: 2, inThread: echo, workerUrl, thisThreadWorks: false, onDone: (done) => counts.push(done) });
    expect(results.map((r) => r.double)).toEqual(tasks.map((n) => 2 * n));
    expect(results.every((r) => r.thread !== threadId)).toBe(true);
    expect(counts).toEqual(tasks.map((_, i) => i + 1));
  }, 60_000);

  it('with this thread working too, every task is done once', async () => {
    const results = await runPool(tasks, { threads: 2, inThread: echo, workerUrl });
    expect(results.map((r) => r.n)).toEqual(tasks);
  }, 60_000);

  it('a failure in a worker rejects with its exit code, and the pool stops', async () => {
    await expect(runPool([1, -2, 3], { threads: 1, inThread: echo, workerUrl, thisThreadWorks: false })).rejects.toMatchObject({ exitCode: 2, message: 'negative: -2' });
  }, 60_000);

  it('one thread runs everything here, without a worker', async () => {
    const results = await runPool(tasks, { threads: 1, inThread: echo, workerUrl: new URL('file:///nonexistent.js') });
    expect(results.every((r) => r.thread === threadId)).toBe(true);
  });
});
