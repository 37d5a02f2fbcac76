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
} as const;
export const RECOGNIZE_ALL = 0x1f;

export const MAX_RAM_SEGMENTS = 256;

export interface RelocationParams {
  recognize: number;
  /** Copy blocks shorter than this do not become flash map segments. */
  minSegment: number;
  /** How many flash map segments the control table yields: what a device reserves (checked on apply). */
  flashSegments: number;
  ram: RamMap;
}

export function encodeRelocationParams(p: RelocationParams): Uint8Array {
  const w = new ByteWriter(64);
  w.byte(p.recognize);
  w.uvarint(p.minSegment);
  w.uvarint(p.flashSegments);
  w.uvarint(p.ram.segments.length);
  let previous = 0;
  for (const s of p.ram.segments) {
    w.uvarint(s.start - previous);
    w.svarint(s.shift);
    previous = s.start;
  }
  if (p.ram.segments.length > 0) w.uvarint(p.ram.end - previous);
  return w.view().slice();
}

export function decodeRelocationParams(bytes: Uint8Array): RelocationParams {
  const r = new ByteReader(bytes, 'relocation parameters');
  const recognize = r.byte('recognizer flags');
  if (recognize & ~RECOGNIZE_ALL) throw new InvalidInputError(`unknown relocation recognizer flags 0x${recognize.toString(16)}`);
  const minSegment = r.uvarint('minimum segment length');
  const flashSegments = r.uvarint('flash segment count');
  const count = r.uvarint('RAM segment count');
  if (count > MAX_RAM_SEGMENTS) throw new InvalidInputError(`${count} RAM map segments exceed the limit of ${MAX_RAM_SEGMENTS}`);
  const segments = [];
  let previous = 0;
  for (let i = 0; i < count; i++) {
    const start = previous + r.uvarint(`RAM segment ${i} start`);
    const shift = r.svarint(`RAM segment ${i} shift`);
    if (start > 0xffffffff || Math.abs(shift) > 0xffffffff) throw new InvalidInputError(`RAM segment ${i} is out of the 32-bit address space`);
    segments.push({ start, shift });
    previous = start;
  }
  const end = count > 0 ? previous + r.uvarint('RAM map end') : 0;
  if (r.remaining !== 0) throw new InvalidInputError(`relocation parameters have ${r.remaining} unexpected trailing byte(s)`);
  return { recognize, minSegment, flashSegments, ram: { segments, end } };
}
