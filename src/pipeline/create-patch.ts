/**
 * createPatch, the entry of creation (DESIGN section 2): plan the transforms the options allow, rank the plans
 * by a quick compression, encode the best one with every candidate setting (./encode-candidates.ts), and
 * assemble the container. `--arch auto` keeps the plain plan among the candidates, screened by a fast compression
 * (docs/CREATE.md, "The plain screen").
 */
import { planCortexMRounds, type CortexMPlanOptions } from '../arch/cortex-m/plan.js';
import { looksLikeCortexM } from '../arch/cortex-m/detect.js';
import { ramMapFromElf } from '../arch/cortex-m/elf-map.js';
import { LZMA_MAX_DICT_LOG2, LZMA_MIN_DICT_LOG2, type LzmaParams } from '../codec/lzma.js';
import { geometryProblem, MAX_IMAGE_SIZE, MAX_VERSION_LENGTH, Transform, type InPlaceGeometry, type PatchHeader } from '../container/header.js';
import { inPlacePlan } from '../inplace/plan.js';
import type { ElfInfo } from '../image/index.js';
import { matchBlocks } from '../delta/match.js';
import { DiffCoding } from '../delta/program.js';
import { CheckFailedError, UsageError } from '../errors.js';
import type { ImageInput, TransformPlan } from '../types.js';
import { assemblePatch, candidateSize, DEFAULT_DICT_SIZE, encodeSmallest, planPlain } from './encode-candidates.js';
import { CandidateCache } from './candidate-cache.js';
import { DEVICE_FIXED_STATE } from './ram.js';
import { rankJobs } from './rank.js';

export { DEFAULT_DICT_SIZE };
export type { ImageInput };

export interface CreateOptions {
  /** Transform: plain bytes, Cortex-M relocation, or auto (the smaller of the two for Cortex-M images). */
  arch?: Arch;
  /** LZMA dictionary size (the device's largest RAM item); default 4 KiB. */
  dictSize?: number;
  /** Fix lc/lp/pb instead of trying the candidate sets. */
  lzma?: Pick<LzmaParams, 'lc' | 'lp' | 'pb'>;
  versionFrom?: string;
  versionTo?: string;
  securityCounter?: number;
  /** Device RAM budget in bytes (docs/FORMAT.md "Device RAM"): the smallest patch that fits is chosen. */
  maxDeviceRam?: number;
  /** The codec: LZMA (the default), codec 2 (docs/LZS.md), or auto (both, the smaller); auto under --max-ram. */
  codec?: CodecChoice;
  /** An in-place patch for this flash geometry (docs/FORMAT.md, "In-place patches"); two-slot without. */
  inPlace?: InPlaceGeometry;
}

export type CodecChoice = 'lzma' | 'small-lz' | 'auto';

export type Arch = 'auto' | 'cortex-m' | 'none';

export interface CreatePatchOptions extends CreateOptions {
  cortexM?: CortexMPlanOptions;
  /** ELF files of the two images (or the images themselves when they were ELF): exact RAM map candidates. */
  oldElf?: ElfInfo;
  newElf?: ElfInfo;
}

export interface CreatedPatch {
  bytes: Uint8Array;
  header: PatchHeader;
}

export function checkImages(oldImage: ImageInput, newImage: ImageInput): void {
  for (const [name, image] of [['old', oldImage], ['new', newImage]] as const) {
    if (image.data.length > MAX_IMAGE_SIZE) throw new UsageError(`${name} image is ${image.data.length} bytes; the limit is ${MAX_IMAGE_SIZE}`);
    if (!Number.isInteger(image.loadAddress) || image.loadAddress < 0 || image.loadAddress + image.data.length > 2 ** 32) {
      throw new UsageError(`${name} image load address 0x${image.loadAddress.toString(16)} does not fit a 32-bit address space`);
    }
  }
}

/**
 * Options that would make a header the reader refuses (docs/FORMAT.md, "Header") are usage errors, found
 * before any work instead of as an exception from the encoder at the end.
 */
export function checkCreateOptions(options: CreateOptions): void {
  for (const [name, value] of [['version-from', options.versionFrom], ['version-to', options.versionTo]] as const) {
    const bytes = value === undefined ? 0 : new TextEncoder().encode(value).length;
    if (bytes > MAX_VERSION_LENGTH) throw new UsageError(`--${name} is ${bytes} bytes of UTF-8; the limit is ${MAX_VERSION_LENGTH}`);
  }
  const counter = options.securityCounter;
  if (counter !== undefined && (!Number.isInteger(counter) || counter < 0 || counter > 0xffffffff)) {
    throw new UsageError(`the security counter must be an integer from 0 to 4294967295, got ${counter}`);
  }
  const dict = options.dictSize;
  if (dict !== undefined && !(Number.isInteger(Math.log2(dict)) && dict >= 2 ** LZMA_MIN_DICT_LOG2 && dict <= 2 ** LZMA_MAX_DICT_LOG2)) {
    throw new UsageError(`the LZMA dictionary must be a power of two from 4 KiB to 64 MiB, got ${dict}`);
  }
  if (options.codec !== undefined && !['lzma', 'small-lz', 'auto'].includes(options.codec)) {
    throw new UsageError(`the codec must be lzma, small-lz or auto, got ${String(options.codec)}`);
  }
  const lzma = options.lzma;
  if (lzma && !(isIntIn(lzma.lc, 0, 8) && isIntIn(lzma.lp, 0, 4) && isIntIn(lzma.pb, 0, 4) && lzma.lc + lzma.lp <= 4)) {
    throw new UsageError(`LZMA parameters need lc 0..8, lp 0..4, pb 0..4 and lc + lp <= 4, got lc ${lzma.lc}, lp ${lzma.lp}, pb ${lzma.pb}`);
  }
}

function isIntIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

export async function createPatch(oldImage: ImageInput, newImage: ImageInput, options: CreatePatchOptions = {}): Promise<CreatedPatch> {
  checkImages(oldImage, newImage);
  checkCreateOptions(options);
  const geometry = options.inPlace;
  if (geometry) {
    const problem = geometryProblem(geometry, oldImage.data.length, newImage.data.length);
    if (problem) throw new UsageError(`in-place: ${problem}`);
  }
  // In place, every plan is encoded against the slot as it will be while each unit is written.
  const slotted = (plan: TransformPlan): TransformPlan[] => [geometry ? inPlacePlan(plan, oldImage.data, newImage.data, geometry) : plan];
  const arch = options.arch ?? 'auto';
  const plainBlocks = matchBlocks(oldImage.data, newImage.data);
  const plainPlans = arch === 'none' || arch === 'auto' ? slotted(planPlain(oldImage, newImage, plainBlocks)) : [];
  const relocate = arch === 'cortex-m' || (arch === 'auto' && looksLikeCortexM(oldImage) && looksLikeCortexM(newImage));
  // Ranking tries one LZMA setting per variant; under a RAM budget every setting, since lc + lp changes the RAM.
  const quick = relocate && options.maxDeviceRam === undefined;
  const plans: TransformPlan[] = [...plainPlans];
  if (relocate) {
    plans.push(...planCortexMRounds(oldImage, newImage, { ...options.cortexM, plainBlocks }).flatMap(slotted));
    // With ELF files the symbol-exact RAM map competes with the inferred one, so ELF input never costs bytes.
    if (options.oldElf && options.newElf && !options.cortexM?.ram) {
      const ram = ramMapFromElf(options.oldElf, options.newElf);
      plans.push(...planCortexMRounds(oldImage, newImage, { ...options.cortexM, plainBlocks, ram }).flatMap(slotted));
    }
  }
  const cache = new CandidateCache();
  const leanest = { ram: Infinity };
  const jobs = dictionarySizes(options).flatMap((dictSize) => plans.map((plan) => ({ plan, dictSize })));
  const ranked = await rankJobs(jobs, (job, limit) =>
    encodeSmallest(job.plan, newImage.data, { ...options, dictSize: job.dictSize }, { quick, leanest, limit, cache, screen: relocate && job.plan.transform === Transform.plain }),
  );
  if (!ranked) throw new CheckFailedError(noFitMessage(options, leanest.ram));
  const best = { ...ranked.job, encoded: ranked.encoded };
  // The winner tries the remaining LZMA settings; raw programs were already encoded with their only set.
  const sparseVariants = best.plan.variants.filter((v) => v.diffCoding === DiffCoding.sparse);
  const final =
    plans.length > 1 && sparseVariants.length > 0
      ? await encodeSmallest({ ...best.plan, variants: sparseVariants }, newImage.data, { ...options, dictSize: best.dictSize }, { cache, limit: candidateSize(best.encoded) - 1 })
      : undefined;
  const encoded = final ?? best.encoded;
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

function noFitMessage(options: CreatePatchOptions, leanest: number): string {
  return (
    `no patch fits --max-ram ${options.maxDeviceRam} bytes of device RAM: the leanest patch of this pair needs ${leanest} bytes ` +
    `(${DEVICE_FIXED_STATE} of applier state, the program stored without a codec); raise the budget`
  );
}
