/**
 * Parameters of the Cortex-M relocation transform, stored in the header's transform parameter bytes
 * (docs/FORMAT.md, "Cortex-M relocation parameters").
 */
import { InvalidInputError } from '../../errors.js';
import { ByteReader, ByteWriter } from '../../delta/varint.js';
import type { RamMap } from './address-map.js';

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

export const MAX_RAM_SEGMENTS = 256;
export const MAX_CONSTANT_SEGMENTS = 1024;

export interface RelocationParams {
  recognize: number;
  /** Copy blocks shorter than this do not become flash map segments. */
  minSegment: number;
  /** How many flash map segments the control table yields: what a device reserves (checked on apply). */
  flashSegments: number;
  ram: RamMap;
  /** Value map for aligned words below CONSTANT_LIMIT; present only with the constants recognizer. */
  constants: RamMap;
}

export function encodeRelocationParams(p: RelocationParams): Uint8Array {
  const w = new ByteWriter(64);
  w.byte(p.recognize);
  w.uvarint(p.minSegment);
  w.uvarint(p.flashSegments);
  writeValueMap(w, p.ram);
  if (p.recognize & Recognize.constants) writeValueMap(w, p.constants);
  return w.view().slice();
}

function writeValueMap(w: ByteWriter, map: RamMap): void {
  w.uvarint(map.segments.length);
  let previous = 0;
  for (const s of map.segments) {
    w.uvarint(s.start - previous);
    w.svarint(s.shift);
    previous = s.start;
  }
  if (map.segments.length > 0) w.uvarint(map.end - previous);
}

function readValueMap(r: ByteReader, what: string, limit: number): RamMap {
  const count = r.uvarint(`${what} segment count`);
  if (count > limit) throw new InvalidInputError(`${count} ${what} segments exceed the limit of ${limit}`);
  const segments = [];
  let previous = 0;
  for (let i = 0; i < count; i++) {
    const start = previous + r.uvarint(`${what} segment ${i} start`);
    const shift = r.svarint(`${what} segment ${i} shift`);
    if (start > 0xffffffff || Math.abs(shift) > 0xffffffff) throw new InvalidInputError(`${what} segment ${i} is out of the 32-bit range`);
    segments.push({ start, shift });
    previous = start;
  }
  const end = count > 0 ? previous + r.uvarint(`${what} end`) : 0;
  if (end > 2 ** 32) throw new InvalidInputError(`${what} end is out of the 32-bit range`);
  return { segments, end };
}

export function decodeRelocationParams(bytes: Uint8Array): RelocationParams {
  const r = new ByteReader(bytes, 'relocation parameters');
  const recognize = r.byte('recognizer flags');
  if (recognize & ~RECOGNIZE_ALL) throw new InvalidInputError(`unknown relocation recognizer flags 0x${recognize.toString(16)}`);
  const minSegment = r.uvarint('minimum segment length');
  const flashSegments = r.uvarint('flash segment count');
  const ram = readValueMap(r, 'RAM map', MAX_RAM_SEGMENTS);
  const constants = recognize & Recognize.constants ? readValueMap(r, 'constant map', MAX_CONSTANT_SEGMENTS) : { segments: [], end: 0 };
  if (r.remaining !== 0) throw new InvalidInputError(`relocation parameters have ${r.remaining} unexpected trailing byte(s)`);
  return { recognize, minSegment, flashSegments, ram, constants };
}
