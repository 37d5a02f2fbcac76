/**
 * smartdelta diff --fleet <old...> --to <new> -o <dir>: one patch per deployed image (src/pipeline/fleet.ts),
 * written to <dir> as <name of the old image>.sdp. All are built before any is written, so a failure leaves none.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { IoError, UsageError } from '../../errors.js';
import type { CreatePatchOptions } from '../../pipeline/create-patch.js';
import { createFleet, type FleetImage } from '../../pipeline/fleet.js';
import { patchInfo } from '../../pipeline/info.js';
import { checkOutputPath, writeOutputFiles } from '../files.js';
import { patchJson, result } from '../json.js';
import { formatBytes, printLine, warn } from '../output.js';
import { progressBar } from '../progress.js';

export interface FleetRun {
  olds: string[];
  to: string;
  dir: string;
  jobs?: number;
  force?: boolean;
  json?: boolean;
  /** Every input, for the output-is-not-an-input check. */
  inputs: string[];
  load: (file: string, what: string) => FleetImage;
  sign?: (patch: Uint8Array) => Uint8Array;
  options: CreatePatchOptions;
}

/**
 * Patch file names: the old image's name without its extension; where two would be equal, the names take
 * their parent folders in too (fleet/v1.0/firmware.bin -> v1.0-firmware.sdp).
 */
export function fleetPatchNames(olds: readonly string[]): string[] {
  const parts = olds.map((file) => path.resolve(file).split(path.sep).filter(Boolean));
  for (let depth = 1; ; depth++) {
    const names = parts.map((p) => {
      const tail = p.slice(-depth);
      tail[tail.length - 1] = tail[tail.length - 1]!.replace(/\.[^.]*$/, '');
      return `${tail.join('-')}.sdp`;
    });
    if (new Set(names).size === names.length) return names;
    if (parts.every((p) => p.length <= depth)) {
      const twice = olds.find((file, i) => olds.findIndex((other) => path.resolve(other) === path.resolve(file)) !== i);
      throw new UsageError(`--fleet lists ${twice ?? 'an image'} twice`);
    }
  }
}

/** What a fleet run wrote, in the order of --fleet: where a delivery manifest (issue 15) would be built from. */
export interface FleetWritten {
  outputs: string[];
  patches: Uint8Array[];
}

export async function runFleet(run: FleetRun): Promise<FleetWritten> {
  const names = fleetPatchNames(run.olds);
  const outputs = names.map((name) => path.join(run.dir, name));
  if (existsSync(run.dir) && !statSync(run.dir).isDirectory()) throw new IoError(`output ${run.dir} is not a folder (--fleet writes one patch per image into it)`);
  for (const output of outputs) checkOutputPath(output, { force: run.force, inputs: run.inputs });
  const deployed = run.olds.map((file) => run.load(file, 'old image'));
  const target = run.load(run.to, 'new image');
  deployed.forEach((old, i) => {
    if (old.loadAddress === target.loadAddress && Buffer.from(old.data).equals(target.data)) warn(`${run.olds[i]} and ${run.to} are the same image: its patch changes nothing`);
  });
  const progress = progressBar(deployed.length, 'patches', !run.json);
  const created = await createFleet(deployed, target, {
    ...run.options,
    ...(run.jobs !== undefined && { jobs: run.jobs }),
    onPatchDone: (done) => progress.update(done),
  }).finally(() => progress.stop());
  const patches = created.map((c) => (run.sign ? run.sign(c.bytes) : c.bytes));
  try {
    mkdirSync(run.dir, { recursive: true });
  } catch (err) {
    throw new IoError(`cannot create the output folder ${run.dir}: ${(err as Error).message}`);
  }
  writeOutputFiles(patches.map((data, i) => ({ path: outputs[i]!, data })), { force: run.force, inputs: run.inputs });

  const infos = patches.map((bytes) => patchInfo(bytes));
  const total = patches.reduce((sum, p) => sum + p.length, 0);
  result({
    output: run.dir,
    size: total,
    patches: infos.map((info, i) => ({ old: run.olds[i]!, output: outputs[i]!, size: patches[i]!.length, patch: patchJson(info) })),
  });
  if (!run.json) {
    infos.forEach((info, i) => printLine(`${outputs[i]}: ${formatBytes(info.patchSize)} bytes, ${info.transform} transform, from ${run.olds[i]}`));
    printLine(`${patches.length} patches to ${run.to}, ${formatBytes(total)} bytes in all`);
  }
  return { outputs, patches };
}
