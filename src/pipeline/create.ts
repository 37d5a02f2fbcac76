/**
 * Creating a patch: match the new image against the (predicted) old one, encode the delta program, compress
 * it with the candidate parameter sets and keep the smallest, then wrap it in the container header.
 * Deterministic: the same inputs and options give the same bytes.
 */
import { sha256 } from '../crypto/hash.js';
import { UsageError } from '../errors.js';
import { compressLzma, LZMA_MAX_DICT_LOG2, LZMA_MIN_DICT_LOG2, type LzmaParams } from '../codec/lzma.js';
import { Codec, encodeHeader, MAX_IMAGE_SIZE, MAX_VERSION_LENGTH, Transform, type PatchHeader } from '../container/header.js';
import { matchBlocks, type Block } from '../delta/match.js';
import { DiffCoding, encodeProgram, Layout } from '../delta/program.js';
import { plainSource, type SourceView } from '../delta/source.js';
import { deviceRam } from './ram.js';

export interface ImageInput {
  data: Uint8Array;
  /** Address of data[0] in the device's memory map. */
  loadAddress: number;
}

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
}

export type Arch = 'auto' | 'cortex-m' | 'none';

/**
 * 4 KiB: on pybv11 a 16 KiB dictionary saves 44 of 17,582 bytes (0.25 %) and costs the device 12 KB more RAM;
 * smaller patches have smaller programs than 4 KiB anyway. `--dict-size` raises it.
 */
export const DEFAULT_DICT_SIZE = 4 * 1024;
/** lc/lp/pb sets worth trying: difference bytes favour position context, literals favour byte context. */
const LZMA_CANDIDATES: ReadonlyArray<Pick<LzmaParams, 'lc' | 'lp' | 'pb'>> = [
  { lc: 0, lp: 2, pb: 2 },
  { lc: 1, lp: 0, pb: 0 },
  { lc: 0, lp: 0, pb: 0 },
];

export interface EncodedCandidate {
  layout: Layout;
  diffCoding: DiffCoding;
  lzma: LzmaParams;
  programLength: number;
  payload: Uint8Array;
}

export interface TransformPlan {
  transform: Transform;
  transformParams: Uint8Array;
  blocks: Block[];
  source: SourceView;
  /**
   * (layout, coding) pairs worth trying. Relocated diffs are so sparse that the raw coding never wins on
   * them; raw programs are only tried control-first, which compresses them better.
   */
  variants: ReadonlyArray<{ layout: Layout; diffCoding: DiffCoding }>;
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
  const lzma = options.lzma;
  if (lzma && !(isIntIn(lzma.lc, 0, 8) && isIntIn(lzma.lp, 0, 4) && isIntIn(lzma.pb, 0, 4) && lzma.lc + lzma.lp <= 4)) {
    throw new UsageError(`LZMA parameters need lc 0..8, lp 0..4, pb 0..4 and lc + lp <= 4, got lc ${lzma.lc}, lp ${lzma.lp}, pb ${lzma.pb}`);
  }
}

function isIntIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/** The plain transform: diff against the old image as it is. */
export function planPlain(oldImage: ImageInput, newImage: ImageInput, blocks?: Block[]): TransformPlan {
  return {
    transform: Transform.plain,
    transformParams: new Uint8Array(0),
    blocks: blocks ?? matchBlocks(oldImage.data, newImage.data),
    source: plainSource(oldImage.data),
    variants: [
      { layout: Layout.controlFirst, diffCoding: DiffCoding.raw },
      { layout: Layout.interleaved, diffCoding: DiffCoding.sparse },
      { layout: Layout.controlFirst, diffCoding: DiffCoding.sparse },
    ],
  };
}

/**
 * Encodes the program in every candidate layout and coding and compresses each; returns the smallest.
 * Raw difference bytes are compressed with the first LZMA set only (position context pays on them, and each
 * try costs a third of a second on a 300 KB image); sparse programs are small and try every set. `quick`
 * tries the first set only: enough to rank plans against each other.
 */
export async function encodeSmallest(
  plan: TransformPlan,
  target: Uint8Array,
  options: CreateOptions,
  quick = false,
): Promise<EncodedCandidate | undefined> {
  const dictSize = options.dictSize ?? DEFAULT_DICT_SIZE;
  let best: EncodedCandidate | undefined;
  for (const { layout, diffCoding } of plan.variants) {
    const program = encodeProgram(plan.blocks, target, plan.source, { layout, diffCoding });
    const sets = options.lzma ? [options.lzma] : quick || diffCoding === DiffCoding.raw ? LZMA_CANDIDATES.slice(0, 1) : LZMA_CANDIDATES;
    for (const set of sets) {
      const lzma = { ...set, dictSize };
      const candidate: EncodedCandidate = { layout, diffCoding, lzma, programLength: program.length, payload: new Uint8Array(0) };
      if (options.maxDeviceRam !== undefined && candidateRam(plan, candidate) > options.maxDeviceRam) continue;
      candidate.payload = await compressLzma(program, lzma);
      if (!best || candidate.payload.length < best.payload.length) best = candidate;
    }
  }
  return best;
}

/** The device RAM a candidate would need (src/pipeline/ram.ts), before it is compressed. */
export function candidateRam(plan: TransformPlan, c: Omit<EncodedCandidate, 'payload'>): number {
  return deviceRam({
    codec: Codec.lzma1,
    lzma: c.lzma,
    programLength: c.programLength,
    layout: c.layout,
    entryCount: plan.blocks.length,
    transform: plan.transform,
    transformParams: plan.transformParams,
  }).total;
}

export function assemblePatch(
  oldImage: ImageInput,
  newImage: ImageInput,
  plan: TransformPlan,
  encoded: EncodedCandidate,
  options: CreateOptions,
): CreatedPatch {
  const header: PatchHeader = {
    oldSize: oldImage.data.length,
    newSize: newImage.data.length,
    oldLoadAddress: oldImage.loadAddress,
    newLoadAddress: newImage.loadAddress,
    oldSha256: sha256(oldImage.data),
    newSha256: sha256(newImage.data),
    transform: plan.transform,
    transformParams: plan.transformParams,
    layout: encoded.layout,
    diffCoding: encoded.diffCoding,
    entryCount: plan.blocks.length,
    programLength: encoded.programLength,
    codec: Codec.lzma1,
    lzma: encoded.lzma,
    payloadLength: encoded.payload.length,
  };
  if (options.versionFrom !== undefined) header.versionFrom = options.versionFrom;
  if (options.versionTo !== undefined) header.versionTo = options.versionTo;
  if (options.securityCounter !== undefined) header.securityCounter = options.securityCounter;
  const head = encodeHeader(header);
  const bytes = new Uint8Array(head.length + encoded.payload.length);
  bytes.set(head, 0);
  bytes.set(encoded.payload, head.length);
  return { bytes, header };
}

