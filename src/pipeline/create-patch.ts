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
  checkCreateOptions,
  checkImages,
  encodeSmallest,
  planPlain,
  type CreatedPatch,
  type CreateOptions,
  type EncodedCandidate,
  type ImageInput,
  type TransformPlan,
  candidateRam,
  DEFAULT_DICT_SIZE,
} from './create.js';
import { CheckFailedError } from '../errors.js';

export interface CreatePatchOptions extends CreateOptions {
  cortexM?: CortexMPlanOptions;
  /** ELF files of the two images (or the images themselves when they were ELF): exact RAM map candidates. */
  oldElf?: ElfInfo;
  newElf?: ElfInfo;
}

export async function createPatch(oldImage: ImageInput, newImage: ImageInput, options: CreatePatchOptions = {}): Promise<CreatedPatch> {
  checkImages(oldImage, newImage);
  checkCreateOptions(options);
  const arch = options.arch ?? 'auto';
  const plainBlocks = matchBlocks(oldImage.data, newImage.data);
  const plainPlan = arch === 'none' || arch === 'auto' ? planPlain(oldImage, newImage, plainBlocks) : undefined;
  const relocate = arch === 'cortex-m' || (arch === 'auto' && looksLikeCortexM(oldImage) && looksLikeCortexM(newImage));
  // Ranking tries one LZMA setting per variant; under a RAM budget every setting, since lc + lp changes the RAM.
  const quick = relocate && options.maxDeviceRam === undefined;
  const sizes = dictionarySizes(options);
  // Start encoding the plain plan first: its large compressions run on the LZMA thread while this thread plans
  // the relocation below.
  const firstPlain = plainPlan && encodeSmallest(plainPlan, newImage.data, { ...options, dictSize: sizes[0] }, quick);
  firstPlain?.catch(() => undefined);

  const plans: TransformPlan[] = plainPlan ? [plainPlan] : [];
  if (relocate) {
    plans.push(...planCortexMRounds(oldImage, newImage, { ...options.cortexM, plainBlocks }));
    // With ELF files the symbol-exact RAM map competes with the inferred one, so ELF input never costs bytes.
    if (options.oldElf && options.newElf && !options.cortexM?.ram) {
      const ram = ramMapFromElf(options.oldElf, options.newElf);
      plans.push(...planCortexMRounds(oldImage, newImage, { ...options.cortexM, plainBlocks, ram }));
    }
  }
  let best: { plan: TransformPlan; encoded: EncodedCandidate } | undefined;
  for (const dictSize of sizes) {
    const sized = { ...options, dictSize };
    for (const plan of plans) {
      const encoded = plan === plainPlan && dictSize === sizes[0] ? await firstPlain : await encodeSmallest(plan, newImage.data, sized, quick);
      if (encoded && (!best || encoded.payload.length < best.encoded.payload.length)) best = { plan, encoded };
    }
  }
  if (!best) throw new CheckFailedError(noFitMessage(plans, options));
  // The winner tries the remaining LZMA settings; raw programs were already encoded with their only set.
  const sparseVariants = best.plan.variants.filter((v) => v.diffCoding === DiffCoding.sparse);
  const final =
    plans.length > 1 && sparseVariants.length > 0
      ? await encodeSmallest({ ...best.plan, variants: sparseVariants }, newImage.data, { ...options, dictSize: best.encoded.lzma.dictSize })
      : undefined;
  const encoded = final && final.payload.length < best.encoded.payload.length ? final : best.encoded;
  return assemblePatch(oldImage, newImage, best.plan, encoded, options);
}

/** Without a RAM budget, the one dictionary asked for; with one, smaller dictionaries down to 4 KiB too. */
function dictionarySizes(options: CreatePatchOptions): number[] {
  const first = options.dictSize ?? DEFAULT_DICT_SIZE;
  if (options.maxDeviceRam === undefined) return [first];
  const sizes = [first];
  for (let size = first / 2; size >= 4096; size /= 2) sizes.push(size);
  return sizes;
}

function noFitMessage(plans: readonly TransformPlan[], options: CreatePatchOptions): string {
  const smallest = Math.min(
    ...plans.flatMap((plan) =>
      plan.variants.map((v) => candidateRam(plan, { ...v, lzma: { lc: 0, lp: 0, pb: 0, dictSize: 4096 }, programLength: 4096 })),
    ),
  );
  return `no patch fits --max-ram ${options.maxDeviceRam} bytes of device RAM: the leanest variant needs about ${smallest} bytes (4 KiB dictionary); raise the budget`;
}
