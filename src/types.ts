/**
 * Types shared by the stages: an image as the pipeline sees it, and a transform plan (what the relocation
 * stage hands to the encoder). They live below src/arch and src/pipeline so neither imports the other's.
 */
import type { Transform } from './container/header.js';
import type { Block } from './delta/match.js';
import type { DiffCoding, Layout } from './delta/program.js';
import type { SourceView } from './delta/source.js';
import type { RamMap } from './delta/value-map.js';
import type { UnitRun } from './inplace/order.js';
import type { StashWindow } from './inplace/stash.js';

export interface ImageInput {
  data: Uint8Array;
  /** Address of data[0] in the device's memory map. */
  loadAddress: number;
}

/** The relocation transform's choices, written to the header and the tables section. */
export interface RelocationPlan {
  recognize: number;
  minSegment: number;
  /** One per block: is it a flash map segment (docs/FORMAT.md, "Segments")? */
  segmentFlags: boolean[];
  ram: RamMap;
  constants: RamMap;
}

export interface TransformPlan {
  transform: Transform;
  blocks: Block[];
  source: SourceView;
  /** The same prediction over another image of the old image's length (in-place patches: the slot as it is). */
  sourceOver?: (image: Uint8Array) => SourceView;
  relocation?: RelocationPlan;
  /** In-place patches: the erase unit the source pieces stop at (src/delta/program.ts, sourcePiece). */
  unitSize?: number;
  /** In-place patches: the order the erase units of the new image are written in (src/inplace/order.ts). */
  unitOrder?: UnitRun[];
  /** In-place: the stash windows (src/inplace/stash.ts), when the plan has any. */
  stash?: StashWindow[];
  /** (layout, coding) pairs worth trying. */
  variants: ReadonlyArray<{ layout: Layout; diffCoding: DiffCoding }>;
}
