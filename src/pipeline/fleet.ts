/**
 * createFleet: one patch per deployed image to the same new image, since a device can only apply a patch made
 * for the image it runs. The patches are independent, so they are built on a pool of threads (src/parallel),
 * each exactly the patch createPatch makes alone. A delivery manifest over the results belongs to the caller
 * (src/delivery): this returns the patches in the order of `deployed`.
 */
import { availableParallelism } from 'node:os';
import { UsageError } from '../errors.js';
import { runPool, workerBeside } from '../parallel/pool.js';
import type { ElfInfo } from '../image/index.js';
import type { ImageInput } from '../types.js';
import { checkCreateOptions, createPatch, type CreatedPatch, type CreatePatchOptions } from './create-patch.js';

/** An image of the fleet; an ELF image's symbols (image.elf) give its pairs the exact RAM map, as in diff. */
export type FleetImage = ImageInput & { elf?: ElfInfo };

export interface FleetOptions extends Omit<CreatePatchOptions, 'versionFrom' | 'oldElf' | 'newElf'> {
  /** Threads, this one included; default one per core, at most one per patch. */
  jobs?: number;
  /** Called as each patch is done, with the count done so far. */
  onPatchDone?: (done: number, total: number) => void;
}

/** A task of the fleet pool (./fleet-worker.ts builds it in a worker). */
export interface FleetTask {
  old: ImageInput;
  new: ImageInput;
  options: CreatePatchOptions;
}

export function fleetThreads(jobs: number | undefined, patches: number, cores = availableParallelism()): number {
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) throw new UsageError(`the number of threads must be a positive integer, got ${jobs}`);
  return Math.max(1, Math.min(jobs ?? cores, patches));
}

export async function createFleet(deployed: readonly FleetImage[], newImage: FleetImage, options: FleetOptions = {}): Promise<CreatedPatch[]> {
  const { jobs, onPatchDone, ...createOptions } = options;
  if (deployed.length === 0) throw new UsageError('a fleet needs at least one deployed image');
  checkCreateOptions(createOptions);
  const bare = (image: FleetImage): ImageInput => ({ data: image.data, loadAddress: image.loadAddress });
  const tasks: FleetTask[] = deployed.map((old) => ({
    old: bare(old),
    new: bare(newImage),
    options: { ...createOptions, ...(old.elf && newImage.elf && { oldElf: old.elf, newElf: newImage.elf }) },
  }));
  return runPool(tasks, {
    threads: fleetThreads(jobs, tasks.length),
    inThread: buildFleetPatch,
    workerUrl: workerBeside(import.meta.url, 'fleet-worker'),
    ...(onPatchDone && { onDone: onPatchDone }),
  });
}

export function buildFleetPatch(task: FleetTask): Promise<CreatedPatch> {
  return createPatch(task.old, task.new, task.options);
}
