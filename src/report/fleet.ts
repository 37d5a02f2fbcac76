/**
 * The fleet view: one patch per deployed version to the new one, since a device can only apply a patch made
 * for the image it runs. The pairs are independent, so they are built in worker threads when there are
 * several cores and the images are large enough to pay for the workers (measured), else one after the other.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SmartDeltaError, type ExitCode } from '../errors.js';
import { buildPairReport, summarize, type NamedImage, type PairReportOptions } from './build.js';
import { campaignSettings, checkCampaignOptions } from './campaign.js';
import type { FleetReport, PairReport } from './types.js';

export interface FleetOptions extends Omit<PairReportOptions, 'patch'> {
  /** Worker threads; 1 or less builds in this thread. Default 'auto' (fleetWorkers). */
  workers?: number | 'auto';
}

/**
 * Below this new-image size a worker's start-up and warm-up cost more than the pair it builds: measured
 * (docs/REPORT.md, "Performance"), 4 fixture pairs of 18 KB took 0.72 s in one thread and 0.84 s with two
 * workers, while 4 pairs of 159 KB went from 1.71 to 1.46 s and 2 pairs of 320 KB from 2.78 to 2.15 s.
 */
export const POOL_MIN_IMAGE_SIZE = 64 * 1024;

/** The default pool: one worker per core, when there are at least two pairs worth a worker each. */
export function fleetWorkers(newImageSize: number, pairs: number, cores: number): number {
  return newImageSize >= POOL_MIN_IMAGE_SIZE && pairs >= 2 ? Math.max(1, Math.min(cores, pairs)) : 1;
}

/** A task for a worker, and its answer (errors keep their exit code across the thread boundary). */
export interface FleetTask {
  index: number;
  old: NamedImage;
  new: NamedImage;
  options: PairReportOptions;
}
export type FleetAnswer =
  | { index: number; report: PairReport }
  | { index: number; error: { message: string; exitCode?: number; name: string } };

export async function buildFleetReport(deployed: readonly NamedImage[], target: NamedImage, options: FleetOptions = {}): Promise<FleetReport> {
  const { workers = 'auto', ...pairOptions } = options;
  checkCampaignOptions(pairOptions);
  const threads = workers === 'auto' ? fleetWorkers(target.data.length, deployed.length, availableParallelism()) : Math.min(Math.floor(workers), deployed.length);
  const entries = threads > 1 ? await buildInWorkers(deployed, target, pairOptions, threads) : await buildInThread(deployed, target, pairOptions);
  return { kind: 'fleet', to: summarize(target), campaign: campaignSettings(pairOptions), entries };
}

async function buildInThread(deployed: readonly NamedImage[], target: NamedImage, options: PairReportOptions): Promise<PairReport[]> {
  const entries: PairReport[] = [];
  for (const old of deployed) entries.push(await buildPairReport(old, target, options));
  return entries;
}

/** A worker running worker.js beside this module (worker.ts when run from the sources through tsx). */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url));
  // Node 20 applies no --import hooks to workers, so from the sources the worker loads through tsx's API.
  const url = new URL('./worker.ts', import.meta.url).href;
  const api = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(url)}, ${JSON.stringify(url)}))`, { eval: true });
}

function toError(error: { message: string; exitCode?: number; name: string }): Error {
  if (error.exitCode === undefined) return new Error(error.message);
  const err = new SmartDeltaError(error.message, error.exitCode as ExitCode);
  err.name = error.name;
  return err;
}

/**
 * A pool of `threads` workers taking the pairs in order; results come back in the order given. The first
 * failure rejects at once and no further pair is handed out; a worker busy with a pair is not terminated
 * but finishes it and then stops, because terminating a thread inside a native LZMA call aborts the process.
 */
async function buildInWorkers(deployed: readonly NamedImage[], target: NamedImage, options: PairReportOptions, threads: number): Promise<PairReport[]> {
  const results = new Array<PairReport>(deployed.length);
  let next = 0;
  let failed = false;
  const runWorker = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = startWorker();
      const stop = (): void => void worker.terminate().then(() => resolve());
      const feed = (): void => {
        if (failed || next >= deployed.length) {
          stop();
          return;
        }
        const index = next++;
        worker.postMessage({ index, old: deployed[index]!, new: target, options } satisfies FleetTask);
      };
      worker.on('message', (answer: FleetAnswer) => {
        if ('error' in answer) {
          failed = true;
          stop();
          reject(toError(answer.error));
          return;
        }
        results[answer.index] = answer.report;
        feed();
      });
      worker.on('error', (err) => {
        failed = true;
        reject(err);
      });
      feed();
    });
  await Promise.all(Array.from({ length: threads }, runWorker));
  return results;
}
