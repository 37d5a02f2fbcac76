/**
 * What the Cortex-M relocation transform needs besides the control table: which forms the predictor rewrites
 * (the header's recognizer byte), how long a block must be to become a flash map segment (in the control
 * table), and the RAM and constant maps (in the tables section). docs/FORMAT.md, "Tables".
 */
import type { RamMap } from './address-map.js';

export { MAX_CONSTANT_SEGMENTS, MAX_RAM_SEGMENTS } from '../../delta/value-map.js';

/** Which forms the predictor rewrites; the creator switches off whatever does not pay on a given pair. */
export const Recognize = {
  bl: 0x01,
  bw: 0x02,
  bcondw: 0x04,
  flashPointers: 0x08,
  ramPointers: 0x10,
  /** Small constants renumbered between releases (IDs of interned strings, enum values in tables). */
  constants: 0x20,
} as const;
export const RECOGNIZE_ALL = 0x3f;

export interface RelocationParams {
  recognize: number;
  /** Copy blocks shorter than this are never flash map segments. */
  minSegment: number;
  ram: RamMap;
  /** Value map for aligned words below CONSTANT_LIMIT; used only with the constants recognizer. */
  constants: RamMap;
}
