/** A pool worker for test/parallel/pool.test.ts: answers each number with itself, its double and its thread. */
import { parentPort, threadId } from 'node:worker_threads';
import { UsageError } from '../../src/errors.js';
import { serveTasks } from '../../src/parallel/pool.js';

export async function echo(n: number): Promise<{ n: number; double: number; thread: number }> {
  if (n < 0) throw new UsageError(`negative: ${n}`);
  return { n, double: 2 * n, thread: threadId };
}

if (parentPort) serveTasks(parentPort, echo);
