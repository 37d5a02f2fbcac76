/**
 * The fleet view: one patch per deployed version to the new one, since a device can only apply a patch made
 * for the image it runs. The pairs are independent, so they are built in worker threads when there are
 * several cores and the images are large enough to pay for the workers (measured), else one after the other;
 * this thread builds pairs too (src/parallel/pool.ts).
 */
import { availableParallelism } from 'node:os';
import { runPool, workerBeside } from '../parallel/pool.js';
import { buildPairReport, summarize, type NamedImage, type PairReportOptions } from './build.js';
import { campaignSettings, checkCampaignOptions } from './campaign.js';
import type { FleetReport, PairReport } from './types.js';

export interface FleetOptions extends Omit<PairReportOptions, 'patch'> {
  /** Worker threads; 1 or less builds in this thread. Default 'auto' (fleetWorkers). */
  workers?: number | 'auto';
  /** Called as each pair is done, with the count done so far. */
  onDone?: (done: number, total: number) => void;
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

/** A task of the pool (./worker.ts builds it in a worker). */
export interface FleetTask {
  old: NamedImage;
  new: NamedImage;
  options: PairReportOptions;
}

export async function buildFleetReport(deployed: readonly NamedImage[], target: NamedImage, options: FleetOptions = {}): Promise<FleetReport> {
  const { workers = 'auto', onDone, ...pairOptions } = options;
  checkCampaignOptions(pairOptions);
  const threads = workers === 'auto' ? fleetWorkers(target.data.length, deployed.length, availableParallelism()) : Math.min(Math.floor(workers), deployed.length);
  const tasks = deployed.map((old) => ({ old, new: target, options: pairOptions }));
  const entries = await runPool(tasks, { threads, inThread: buildFleetEntry, workerUrl: workerBeside(import.meta.url, 'worker'), ...(onDone && { onDone }) });
  return { kind: 'fleet', to: summarize(target), campaign: campaignSettings(pairOptions), entries };
}

export function buildFleetEntry(task: FleetTask): Promise<PairReport> {
  return buildPairReport(task.old, task.new, task.options);
}
