/**
 * The creator's side of the relocation transform: match, choose the flash map segments, predict the old
 * image, match again against the prediction, and repeat while the patch keeps shrinking (it converges in two
 * or three rounds).
 */
import { Transform } from '../../container/header.js';
import { MAX_TABLE_FIRST_ENTRIES } from '../../delta/control-table.js';
import { matchBlocks, type Block, type MatchOptions } from '../../delta/match.js';
import { DiffCoding, Layout } from '../../delta/program.js';
import type { ImageInput, RelocationPlan, TransformPlan } from '../../types.js';
import { flashMapOf, ramShiftMap, segmentFlags, type RamMap, type ShiftLookup } from './address-map.js';
import { inferRamMap } from './infer-ram.js';
import { inferConstantMap, NO_MAP } from './infer-constants.js';
import { RECOGNIZE_ALL, Recognize, type RelocationParams } from './params.js';
import { itemCandidates, predictWholeImage, relocatingSource, type RelocationContext } from './predict.js';

export const DEFAULT_MIN_SEGMENT = 32;
/** Rounds of match -> map -> predict -> match; the second round gains little, the third almost nothing. */
export const DEFAULT_ROUNDS = 2;

/** The prediction context for the given maps; `flash` defaults to the segments the blocks yield. */
export function relocationContext(
  old: Uint8Array,
  oldBase: number,
  newBase: number,
  params: RelocationParams,
  flash: ShiftLookup,
): RelocationContext {
  const ram = ramShiftMap(params.ram);
  const constants = ramShiftMap(params.constants);
  return {
    old,
    oldBase,
    newBase,
    recognize: params.recognize,
    flash,
    ram: ram.map,
    ramStart: ram.start,
    ramEnd: ram.end,
    constants: constants.map,
    constStart: constants.start,
    constEnd: constants.end,
  };
}

/** The flash map a block list yields with `minSegment`: its best increasing run of long blocks. */
export function blocksFlashMap(blocks: readonly Block[], minSegment: number): { flags: boolean[]; map: ShiftLookup } {
  const flags = segmentFlags(blocks, minSegment);
  return { flags, map: flashMapOf(blocks, flags) };
}

export interface CortexMPlanOptions {
  recognize?: number;
  minSegment?: number;
  /** A RAM map known from ELF symbols; inferred from the images otherwise. */
  ram?: RamMap;
  rounds?: number;
  /** The plain match, when the caller has it already. */
  plainBlocks?: Block[];
  /** Matcher settings (tests and tuning). */
  matchOptions?: MatchOptions;
}

/** Plans for each round, so the caller can encode them and keep the smallest. */
export function planCortexMRounds(oldImage: ImageInput, newImage: ImageInput, options: CortexMPlanOptions = {}): TransformPlan[] {
  const old = oldImage.data;
  const target = newImage.data;
  const at = (params: RelocationParams, map: ShiftLookup): RelocationContext =>
    relocationContext(old, oldImage.loadAddress, newImage.loadAddress, params, map);
  let blocks = options.plainBlocks ?? matchBlocks(old, target, options.matchOptions);
  const minSegment = options.minSegment ?? DEFAULT_MIN_SEGMENT;
  const recognize = options.recognize ?? RECOGNIZE_ALL;
  let base: RelocationParams = {
    recognize: recognize & ~Recognize.constants,
    minSegment,
    ram: options.ram ?? inferRamMap(old, target, blocks, oldImage.loadAddress, newImage.loadAddress),
    constants: NO_MAP,
  };
  const plans: TransformPlan[] = [];
  let previous: { base: RelocationParams; plan: TransformPlan } | undefined;
  let found: { base: RelocationParams; candidates: Int32Array } | undefined;
  for (let round = 0; round < (options.rounds ?? DEFAULT_ROUNDS); round++) {
    const before = blocksFlashMap(blocks, minSegment);
    // From the second round on, a constant map learnt from the first round's alignment joins the prediction.
    // Where items may start depends on the recognizers and value maps, not on the flash map: found once for them.
    if (found?.base !== base) found = { base, candidates: itemCandidates(at(base, before.map)) };
    if (round === 1 && recognize & Recognize.constants) {
      const constants = inferConstantMap(at(base, before.map), target, blocks, found.candidates);
      if (constants.segments.length > 0) {
        base = { ...base, recognize, constants };
        found = { base, candidates: itemCandidates(at(base, before.map)) };
      }
    }
    const predicted = predictWholeImage(at(base, before.map), found.candidates);
    // (Shell and synthesizer predict the same bytes in both rounds: the matcher returns its last blocks again.)
    blocks = matchBlocks(predicted, target, options.matchOptions);
    // The same parameters and blocks as the round before make the same plan: that plan again, the same object,
    // whose programs and compressions creation then reuses (issue 13: the second round of shell and synthesizer).
    if (previous && previous.base === base && sameBlocks(previous.plan.blocks, blocks)) {
      plans.push(previous.plan);
      continue;
    }
    const { flags, map } = blocksFlashMap(blocks, minSegment);
    const relocation: RelocationPlan = { recognize: base.recognize, minSegment, segmentFlags: flags, ram: base.ram, constants: base.constants };
    const plan: TransformPlan = {
      transform: Transform.cortexM,
      blocks,
      source: relocatingSource(at(base, map), found.candidates),
      sourceOver: (image) => relocatingSource({ ...at(base, map), old: image }),
      relocation,
      variants: [
        { layout: Layout.sectioned, diffCoding: DiffCoding.sparse },
        ...(blocks.length <= MAX_TABLE_FIRST_ENTRIES ? [{ layout: Layout.tableFirst, diffCoding: DiffCoding.sparse }] : []),
      ],
    };
    plans.push(plan);
    previous = { base, plan };
  }
  return plans;
}

function sameBlocks(a: readonly Block[], b: readonly Block[]): boolean {
  return a.length === b.length && a.every((x, i) => x.oldStart === b[i]!.oldStart && x.copyLen === b[i]!.copyLen && x.extraLen === b[i]!.extraLen);
}
