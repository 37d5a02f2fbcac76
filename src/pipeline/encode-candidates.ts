/**
 * The encoding step of creation: turn a transform plan into the candidate patch bodies (layout, difference
 * coding, LZMA settings), compress each and keep the smallest, then assemble the container.
 * Deterministic: the same inputs and options give the same bytes.
 */
import { sha256 } from '../crypto/hash.js';
import { compressLzmaWithin, type LzmaEffort, type LzmaParams } from '../codec/lzma.js';
import { compressSmall, LZS_MAX_WINDOW_LOG2, LZS_MIN_WINDOW_LOG2, type SmallLzParams } from '../codec/lzs.js';
import { Codec, encodeHeader, OLD_CHECK_LENGTH, Transform, type PatchHeader } from '../container/header.js';
import { encodeTables } from '../container/tables.js';
import { matchBlocks, type Block } from '../delta/match.js';
import { DiffCoding, encodeProgram, Layout } from '../delta/program.js';
import { bufferedSource } from '../delta/buffered-source.js';
import { plainSource, type SourceView } from '../delta/source.js';
import type { ImageInput, TransformPlan } from '../types.js';
import type { CreateOptions } from './create-patch.js';
import { CandidateCache } from './candidate-cache.js';
import { deviceRam } from './ram.js';

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
/**
 * The plain plan's screen under `--arch auto` (docs/CREATE.md, "The plain screen"): a plain LZMA candidate is
 * compressed in full only when liblzma's fast mode keeps it within this factor of the size it must beat. Its
 * full output was never below 0.876 of the fast one on any program of the corpus and fixtures; a candidate the
 * screen drops would need below 0.667.
 */
export const PLAIN_SCREEN_FACTOR = 1.5;
/** Programs shorter than this are compressed in full at once: the screen would cost about as much. */
const SCREEN_MIN_PROGRAM = 8 * 1024;
/** The smallest window a header declares (docs/FORMAT.md, "Header"), and the smallest dictionary the encoder uses. */
const MIN_WINDOW = 256;

export interface EncodedCandidate {
  layout: Layout;
  diffCoding: DiffCoding;
  codec: Codec;
  /** Codec 1's settings (the window in dictSize). */
  lzma?: LzmaParams;
  /** Codec 2's settings and the program length its decoder needs. */
  smallLz?: { params: SmallLzParams; programLength: number };
  /** The tables section (empty for the interleaved layout). */
  tables: Uint8Array;
  payload: Uint8Array;
}

/** The plain transform: diff against the old image as it is. */
export function planPlain(oldImage: ImageInput, newImage: ImageInput, blocks?: Block[]): TransformPlan {
  return {
    transform: Transform.plain,
    blocks: blocks ?? matchBlocks(oldImage.data, newImage.data),
    source: plainSource(oldImage.data),
    sourceOver: plainSource,
    variants: [
      { layout: Layout.sectioned, diffCoding: DiffCoding.raw },
      { layout: Layout.interleaved, diffCoding: DiffCoding.sparse },
      { layout: Layout.sectioned, diffCoding: DiffCoding.sparse },
    ],
  };
}

/** The window a decoder keeps: the dictionary, or the program rounded up to a power of two when it is shorter. */
export function windowFor(dictSize: number, programLength: number): number {
  let window = MIN_WINDOW;
  while (window < programLength && window < dictSize) window *= 2;
  return window;
}

export function candidateSize(c: EncodedCandidate): number {
  return c.tables.length + c.payload.length;
}

export interface EncodeSettings {
  /** Try the first LZMA set only: enough to rank plans against each other. */
  quick?: boolean;
  /** Lowered to the leanest RAM a variant can have (no codec): the true minimum a --max-ram error names. */
  leanest?: { ram: number };
  /**
   * The largest candidate (tables + payload) worth finishing: the caller keeps a candidate only when it is at
   * most this size, so compressions stop once they pass it. Undefined is returned when none fits.
   */
  limit?: number;
  /** Programs and compressions shared between calls on the same plan. */
  cache?: CandidateCache;
  /**
   * Screen each long program's LZMA candidates with a fast compression first and drop those it puts beyond
   * PLAIN_SCREEN_FACTOR times the limit: `--arch auto` does so for the plain plan, which rarely wins there.
   */
  screen?: boolean;
}

/**
 * Encodes the program in every candidate layout and coding and compresses each; returns the smallest (the
 * first of equals, in variant and setting order). Raw difference bytes are compressed with the first LZMA
 * set only (position context pays on them, and each try costs a third of a second on a 300 KB image); sparse
 * programs are small and try every set. A candidate must be smaller than the best one before it, so each
 * compression stops as soon as its output passes that size (or the caller's limit).
 */
export async function encodeSmallest(plan: TransformPlan, target: Uint8Array, options: CreateOptions, settings: EncodeSettings = {}): Promise<EncodedCandidate | undefined> {
  const { quick = false, leanest, limit = Infinity, cache = new CandidateCache(), screen = false } = settings;
  const dictSize = options.dictSize ?? DEFAULT_DICT_SIZE;
  const codecs = codecsFor(options);
  // A pointer-aware source predicts what it reads: with several layouts to encode, predict each block once.
  let source: SourceView | undefined;
  const sourceOnce = (): SourceView =>
    // (Not in place: there a piece's prediction depends on when it is read, src/inplace/source.ts.)
    (source ??= plan.relocation && plan.variants.length > 1 && plan.unitSize === undefined ? bufferedSource(plan.blocks, plan.source, target.length) : plan.source);
  let best: EncodedCandidate | undefined;
  for (const { layout, diffCoding } of plan.variants) {
    const segmentFlags = plan.relocation?.segmentFlags;
    const unitSize = plan.unitSize;
    const program = cache.program(plan.blocks, `${layout}/${diffCoding}`, () =>
      encodeProgram(plan.blocks, target, sourceOnce(), { layout, diffCoding, ...(segmentFlags && { segmentFlags }), ...(unitSize && { unitSize }) }),
    );
    if (leanest) leanest.ram = Math.min(leanest.ram, candidateRam({ layout, codec: Codec.none }));
    const tables =
      layout === Layout.interleaved
        ? new Uint8Array(0)
        : cache.tables(plan.blocks, plan.relocation, layout === Layout.sectioned, () => encodeTables(plan.blocks, plan.relocation, layout === Layout.sectioned));
    const consider = async (
      candidate: Omit<EncodedCandidate, 'payload'>,
      key: string,
      compress: (maxLength: number) => Promise<Uint8Array | undefined>,
      passesScreen?: (maxLength: number) => Promise<boolean>,
    ): Promise<void> => {
      if (options.maxDeviceRam !== undefined && candidateRam(candidate) > options.maxDeviceRam) return;
      const maxSize = best ? Math.min(limit, candidateSize(best) - 1) : limit;
      if (passesScreen && !(await passesScreen(maxSize - tables.length))) return;
      const payload = await cache.compress(program, key, maxSize - tables.length, compress);
      if (payload) best = { ...candidate, payload };
    };
    if (codecs.includes(Codec.lzma1)) {
      const sets = options.lzma ? [options.lzma] : quick || diffCoding === DiffCoding.raw ? LZMA_CANDIDATES.slice(0, 1) : LZMA_CANDIDATES;
      for (const set of sets) {
        const lzma = { ...set, dictSize: windowFor(dictSize, program.length) };
        const key = `lzma ${lzma.lc} ${lzma.lp} ${lzma.pb} ${lzma.dictSize}`;
        // Raw programs are mostly long runs of zeros, where the deeper search pays (src/codec/lzma.ts).
        const effort: LzmaEffort = diffCoding === DiffCoding.raw ? 'thorough' : 'normal';
        const screened = screen && program.length >= SCREEN_MIN_PROGRAM ? (maxLength: number) => fastWithin(program, lzma, maxLength, cache) : undefined;
        await consider({ layout, diffCoding, codec: Codec.lzma1, lzma, tables }, key, (maxLength) => compressLzmaWithin(program, lzma, maxLength, effort), screened);
      }
    }
    // The program itself (codec 0): smaller than any codec's output for a program of a few dozen bytes (a
    // constant fix), and the last resort under a budget below any codec's state. Every build applies it.
    if (options.codec === undefined || options.maxDeviceRam !== undefined) {
      await consider({ layout, diffCoding, codec: Codec.none, tables }, 'none', async () => program.slice());
    }
    if (codecs.includes(Codec.smallLz)) {
      for (const params of smallLzSettings(program.length, layout, options.maxDeviceRam)) {
        const smallLz = { params, programLength: program.length };
        const key = `small-lz ${params.windowLog2} ${params.literalContext}`;
        await consider({ layout, diffCoding, codec: Codec.smallLz, smallLz, tables }, key, async () => compressSmall(program, params));
      }
    }
  }
  return best;
}

/** Whether liblzma's fast mode keeps `program` within PLAIN_SCREEN_FACTOR times maxLength (done once per program). */
async function fastWithin(program: Uint8Array, lzma: LzmaParams, maxLength: number, cache: CandidateCache): Promise<boolean> {
  const screenLimit = Math.floor(maxLength * PLAIN_SCREEN_FACTOR);
  const key = `screen ${lzma.lc} ${lzma.lp} ${lzma.pb} ${lzma.dictSize}`;
  return (await cache.compress(program, key, screenLimit, (max) => compressLzmaWithin(program, lzma, max, 'estimate'))) !== undefined;
}

/** The device RAM a candidate needs (src/pipeline/ram.ts), before it is compressed. */
export function candidateRam(c: Pick<EncodedCandidate, 'codec' | 'lzma' | 'smallLz' | 'layout'>): number {
  return deviceRam({ codec: c.codec, ...(c.lzma && { lzma: c.lzma }), ...(c.smallLz && { smallLz: c.smallLz }), tablesLength: 0, layout: c.layout }).total;
}

/**
 * Which codecs to try: the one asked for; without a choice LZMA (what device/'s default build links), and
 * under a RAM budget both, since codec 2 fits where LZMA's probabilities alone would not (docs/LZS.md).
 */
function codecsFor(options: CreateOptions): Codec[] {
  if (options.codec === 'lzma') return [Codec.lzma1];
  if (options.codec === 'small-lz') return [Codec.smallLz];
  return options.maxDeviceRam === undefined && options.codec === undefined ? [Codec.lzma1] : [Codec.lzma1, Codec.smallLz];
}

/**
 * Codec 2 settings worth trying: with and without the literal context, each with the largest window that is
 * useful (no larger than the program) and fits the budget.
 */
function smallLzSettings(programLength: number, layout: Layout, maxRam: number | undefined): SmallLzParams[] {
  const settings: SmallLzParams[] = [];
  for (const literalContext of [1, 0]) {
    let windowLog2 = LZS_MIN_WINDOW_LOG2;
    while (windowLog2 < LZS_MAX_WINDOW_LOG2 && 2 ** windowLog2 < programLength) windowLog2++;
    const ram = (w: number): number => candidateRam({ layout, codec: Codec.smallLz, smallLz: { params: { windowLog2: w, literalContext }, programLength } });
    while (maxRam !== undefined && windowLog2 > LZS_MIN_WINDOW_LOG2 && ram(windowLog2) > maxRam) windowLog2--;
    settings.push({ windowLog2, literalContext });
  }
  return settings;
}

export function assemblePatch(
  oldImage: ImageInput,
  newImage: ImageInput,
  plan: TransformPlan,
  encoded: EncodedCandidate,
  options: CreateOptions,
): { bytes: Uint8Array; header: PatchHeader } {
  const header: PatchHeader = {
    oldSize: oldImage.data.length,
    newSize: newImage.data.length,
    oldLoadAddress: oldImage.loadAddress,
    newLoadAddress: newImage.loadAddress,
    oldCheck: sha256(oldImage.data).slice(0, OLD_CHECK_LENGTH),
    newSha256: sha256(newImage.data),
    transform: plan.transform,
    layout: encoded.layout,
    diffCoding: encoded.diffCoding,
    codec: encoded.codec,
    ...(encoded.lzma && { lzma: encoded.lzma }),
    ...(encoded.smallLz && { smallLz: encoded.smallLz }),
    payloadLength: encoded.payload.length,
    tablesLength: encoded.tables.length,
  };
  if (options.versionFrom !== undefined) header.versionFrom = options.versionFrom;
  if (options.versionTo !== undefined) header.versionTo = options.versionTo;
  if (options.securityCounter !== undefined) header.securityCounter = options.securityCounter;
  if (options.inPlace) {
    if (!plan.unitOrder) throw new RangeError('an in-place patch needs a plan with a write order');
    header.inPlace = { ...options.inPlace, order: plan.unitOrder, ...(plan.stash?.length && { stash: plan.stash }) };
  }
  const head = encodeHeader(header);
  const bytes = new Uint8Array(head.length + encoded.tables.length + encoded.payload.length);
  bytes.set(head, 0);
  bytes.set(encoded.tables, head.length);
  bytes.set(encoded.payload, head.length + encoded.tables.length);
  return { bytes, header };
}
