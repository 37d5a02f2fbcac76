/**
 * createPatch: the whole creation pipeline (DESIGN section 2): plan the transforms the options allow, rank the
 * plans by a quick compression, encode the best one with every candidate setting, and assemble the container.
 * `--arch auto` keeps the plain plan among the candidates, so it never gives a larger patch than plain mode.
 */
import { planCortexMRounds, type CortexMPlanOptions } from '../arch/cortex-m/plan.js';
import { looksLikeCortexM } from '../arch/cortex-m/detect.js';
import { ramMapFromElf } from '../arch/cortex-m/elf-map.js';
import type { ElfInfo } from '../image/index.js';
import { matchBlocks } from '../delta/match.js';
import { DiffCoding } from '../delta/program.js';
import {
  assemblePatch,
  checkImages,
  encodeSmallest,
  planPlain,
  type CreatedPatch,
  type CreateOptions,
  type EncodedCandidate,
  type ImageInput,
  type TransformPlan,
} from './create.js';

export interface CreatePatchOptions extends CreateOptions {
  cortexM?: CortexMPlanOptions;
  /** ELF files of the two images (or the images themselves when they were ELF): exact RAM map candidates. */
  oldElf?: ElfInfo;
  newElf?: ElfInfo;
}

export async function createPatch(oldImage: ImageInput, newImage: ImageInput, options: CreatePatchOptions = {}): Promise<CreatedPatch> {
  checkImages(oldImage, newImage);
  const arch = options.arch ?? 'auto';
  const plainBlocks = matchBlocks(oldImage.data, newImage.data);
  const plans: TransformPlan[] = [];
  if (arch === 'none' || arch === 'auto') plans.push(planPlain(oldImage, newImage, plainBlocks));
  if (arch === 'cortex-m' || (arch === 'auto' && looksLikeCortexM(oldImage) && looksLikeCortexM(newImage))) {
    plans.push(...planCortexMRounds(oldImage, newImage, { ...options.cortexM, plainBlocks }));
    // With ELF files the symbol-exact RAM map competes with the inferred one, so ELF input never costs bytes.
    if (options.oldElf && options.newElf && !options.cortexM?.ram) {
      const ram = ramMapFromElf(options.oldElf, options.newElf);
      plans.push(...planCortexMRounds(oldImage, newImage, { ...options.cortexM, plainBlocks, ram }));
    }
  }
  let best: { plan: TransformPlan; encoded: EncodedCandidate } | undefined;
  for (const plan of plans) {
    const encoded = await encodeSmallest(plan, newImage.data, options, plans.length > 1);
    if (!best || encoded.payload.length < best.encoded.payload.length) best = { plan, encoded };
  }
  // The winner tries the remaining LZMA settings; raw programs were already encoded with their only set.
  const sparseVariants = best!.plan.variants.filter((v) => v.diffCoding === DiffCoding.sparse);
  const final = plans.length > 1 && sparseVariants.length > 0
    ? await encodeSmallest({ ...best!.plan, variants: sparseVariants }, newImage.data, options)
    : best!.encoded;
  const encoded = final.payload.length < best!.encoded.payload.length ? final : best!.encoded;
  return assemblePatch(oldImage, newImage, best!.plan, encoded, options);
}
