/**
 * A pool for independent tasks (one patch per deployed image): `threads` threads take the tasks in order, this
 * thread being one of them, so n threads start n - 1 workers and no task waits for a worker's start-up alone.
 * Every worker gets all the tasks at once and claims the next one through a shared counter, so a worker never
 * waits for this thread to hand it work. Results come back in the order given; `onDone` counts them as they end.
 * The first failure rejects once every thread has stopped: no further task is claimed, and a worker busy with
 * one is let finish (terminating a thread inside a native LZMA call aborts the process).
 */
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import { SmartDeltaError, type ExitCode } from '../errors.js';

export interface PoolOptions<T, R> {
  threads: number;
  /** Runs a task in this thread. */
  inThread: (task: T) => Promise<R>;
  /** The worker module (it calls serveTasks with the same function), as a file URL beside the caller. */
  workerUrl: URL;
  /** Called after each task with the number of tasks done. */
  onDone?: (done: number, total: number) => void;
  /** False: this thread only waits, and `threads` workers do every task (tests of the worker side). */
  thisThreadWorks?: boolean;
}

/** Messages between the pool and a worker. */
export interface PoolStart<T> {
  tasks: readonly T[];
  next: SharedArrayBuffer;
}
export type PoolAnswer<R> = { index: number; result: R } | { index: number; error: SerializedError } | { finished: true };
export interface SerializedError {
  message: string;
  name: string;
  exitCode?: number;
}

export async function runPool<T, R>(tasks: readonly T[], options: PoolOptions<T, R>): Promise<R[]> {
  const results = new Array<R>(tasks.length);
  const next = new SharedArrayBuffer(4);
  const counter = new Int32Array(next);
  let done = 0;
  let failure: unknown;
  const finish = (index: number, result: R): void => {
    results[index] = result;
    options.onDone?.(++done, tasks.length);
  };
  const fail = (err: unknown): void => {
    failure ??= err;
    Atomics.store(counter, 0, tasks.length);
  };
  const thisThread = options.thisThreadWorks ?? true;
  const workers = Array.from({ length: Math.max(0, Math.min(options.threads, tasks.length) - (thisThread ? 1 : 0)) }, () =>
    runWorker(options.workerUrl, { tasks, next }, finish, fail),
  );
  for (let index = thisThread ? Atomics.add(counter, 0, 1) : tasks.length; index < tasks.length; index = Atomics.add(counter, 0, 1)) {
    try {
      finish(index, await options.inThread(tasks[index]!));
    } catch (err) {
      fail(err);
    }
  }
  await Promise.all(workers);
  if (failure !== undefined) throw failure;
  return results;
}

function runWorker<T, R>(url: URL, start: PoolStart<T>, finish: (index: number, result: R) => void, fail: (err: unknown) => void): Promise<void> {
  return new Promise((resolve) => {
    const worker = startWorker(url);
    let stopped = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      void worker.terminate().then(() => resolve());
    };
    worker.on('message', (answer: PoolAnswer<R>) => {
      if ('finished' in answer) stop();
      else if ('error' in answer) fail(toError(answer.error));
      else finish(answer.index, answer.result);
    });
    worker.on('error', (err) => {
      fail(err);
      stop();
    });
    worker.on('exit', () => {
      stopped = true;
      resolve();
    });
    worker.postMessage(start);
  });
}

/**
 * The worker side: claims tasks through the shared counter until none are left, answering each, then says it
 * has finished.
 */
export function serveTasks<T, R>(port: { on(event: 'message', listener: (start: PoolStart<T>) => void): void; postMessage(message: PoolAnswer<R>): void }, run: (task: T) => Promise<R>): void {
  port.on('message', async ({ tasks, next }) => {
    const counter = new Int32Array(next);
    for (let index = Atomics.add(counter, 0, 1); index < tasks.length; index = Atomics.add(counter, 0, 1)) {
      try {
        port.postMessage({ index, result: await run(tasks[index]!) });
      } catch (err) {
        port.postMessage({ index, error: serializeError(err) });
      }
    }
    port.postMessage({ finished: true });
  });
}

function serializeError(err: unknown): SerializedError {
  const base = err instanceof Error ? { message: err.message, name: err.name } : { message: String(err), name: 'Error' };
  return err instanceof SmartDeltaError ? { ...base, exitCode: err.exitCode } : base;
}

/** Errors keep their exit code across the thread boundary. */
function toError(error: SerializedError): Error {
  if (error.exitCode === undefined) return new Error(error.message);
  const err = new SmartDeltaError(error.message, error.exitCode as ExitCode);
  err.name = error.name;
  return err;
}

/** node:worker_threads on first use: the CLI loads this module for every command, few start workers. */
function loadWorkerThreads(): typeof import('node:worker_threads') {
  return createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
}

/** A worker running the compiled module, or the .ts module through tsx's API when run from the sources. */
function startWorker(url: URL): Worker {
  const { Worker } = loadWorkerThreads();
  if (!url.href.endsWith('.ts')) return new Worker(url);
  // Node 20 applies no --import hooks to workers, so from the sources the worker loads through tsx's API.
  const api = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(url.href)}, ${JSON.stringify(url.href)}))`, { eval: true });
}

/** The URL of a worker module beside the caller: `.ts` when the caller runs from the sources, else `.js`. */
export function workerBeside(callerUrl: string, name: string): URL {
  return new URL(`./${name}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl);
}
