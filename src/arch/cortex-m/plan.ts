/**
 * The creator's side of the relocation transform: match, derive the maps, predict the old image, match again
 * against the prediction, and repeat while the patch keeps shrinking (it converges in two or three rounds).
 */
import { Transform } from '../../container/header.js';
import { matchBlocks, type Block, type MatchOptions } from '../../delta/match.js';
import { DiffCoding, Layout } from '../../delta/program.js';
import type { ImageInput, TransformPlan } from '../../pipeline/create.js';
import { countFlashSegments, deriveFlashMap, ramShiftMap, type RamMap } from './address-map.js';
import { inferRamMap } from './infer-ram.js';
import { inferConstantMap, NO_MAP } from './infer-constants.js';
import { encodeRelocationParams, RECOGNIZE_ALL, Recognize, type RelocationParams } from './params.js';
import { predictWholeImage, relocatingSource, type RelocationContext } from './predict.js';

export const DEFAULT_MIN_SEGMENT = 32;
/** Rounds of match -> map -> predict -> match; the second round gains little, the third almost nothing. */
export const DEFAULT_ROUNDS = 2;

export function relocationContext(old: Uint8Array, oldBase: number, newBase: number, params: RelocationParams, table: readonly Block[]): RelocationContext {
  const ram = ramShiftMap(params.ram);
  const constants = ramShiftMap(params.constants);
  return {
    old,
    oldBase,
    newBase,
    recognize: params.recognize,
    flash: deriveFlashMap(table, params.minSegment),
    ram: ram.map,
    ramStart: ram.start,
    ramEnd: ram.end,
    constants: constants.map,
    constStart: constants.start,
    constEnd: constants.end,
  };
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
  let blocks = options.plainBlocks ?? matchBlocks(old, target, options.matchOptions);
  const minSegment = options.minSegment ?? DEFAULT_MIN_SEGMENT;
  const recognize = options.recognize ?? RECOGNIZE_ALL;
  let base: RelocationParams = {
    recognize: recognize & ~Recognize.constants,
    minSegment,
    flashSegments: 0,
    ram: options.ram ?? inferRamMap(old, target, blocks, oldImage.loadAddress, newImage.loadAddress),
    constants: NO_MAP,
  };
  const plans: TransformPlan[] = [];
  for (let round = 0; round < (options.rounds ?? DEFAULT_ROUNDS); round++) {
    // From the second round on, a constant map learnt from the first round's alignment joins the prediction.
    if (round === 1 && recognize & Recognize.constants) {
      const ctx = relocationContext(old, oldImage.loadAddress, newImage.loadAddress, base, blocks);
      const constants = inferConstantMap(ctx, target, blocks);
      if (constants.segments.length > 0) base = { ...base, recognize, constants };
    }
    const predicted = predictWholeImage(relocationContext(old, oldImage.loadAddress, newImage.loadAddress, base, blocks));
    blocks = matchBlocks(predicted, target, options.matchOptions);
    const params = { ...base, flashSegments: countFlashSegments(blocks, minSegment) };
    const transformParams = encodeRelocationParams(params);
    const ctx = relocationContext(old, oldImage.loadAddress, newImage.loadAddress, params, blocks);
    plans.push({ transform: Transform.cortexM, transformParams, blocks, source: relocatingSource(ctx), variants: [{ layout: Layout.controlFirst, diffCoding: DiffCoding.sparse }] });
  }
  return plans;
}
