/**
 * The flash an in-place update runs on (docs/DEVICE.md, "Single-slot layout"): a slot of erase units holding
 * the image, one erase unit of scratch, both read in place (memory-mapped, as on a Cortex-M) and changed only
 * by erasing a whole unit to 0xFF or writing whole write units of erased flash.
 */
import type { InPlaceGeometry } from '../container/header.js';

export type FlashArea = 'slot' | 'scratch';

export interface SlotFlash {
  readonly geometry: InPlaceGeometry;
  /** The slot's current bytes (slotSize), a live view. */
  readonly slot: Uint8Array;
  /** The scratch unit's current bytes (eraseUnit), a live view. */
  readonly scratch: Uint8Array;
  /** Erases one unit (the scratch area has only unit 0) to 0xFF. */
  erase(area: FlashArea, unit: number): void;
  /** Writes whole write units at a write-unit-aligned offset; the bytes written must be erased. */
  write(area: FlashArea, offset: number, bytes: Uint8Array): void;
}

export const ERASED = 0xff;

/** Flash in memory, with the rules a device's flash enforces: what `apply` runs an in-place patch on. */
export class MemoryFlash implements SlotFlash {
  readonly slot: Uint8Array;
  readonly scratch: Uint8Array;

  /** The slot starts with `image` followed by erased bytes; the scratch unit is erased. */
  constructor(readonly geometry: InPlaceGeometry, image: Uint8Array) {
    if (image.length > geometry.slotSize) throw new RangeError(`a ${image.length}-byte image does not fit a ${geometry.slotSize}-byte slot`);
    this.slot = new Uint8Array(geometry.slotSize).fill(ERASED);
    this.slot.set(image);
    this.scratch = new Uint8Array(geometry.eraseUnit).fill(ERASED);
  }

  protected area(area: FlashArea): Uint8Array {
    return area === 'slot' ? this.slot : this.scratch;
  }

  erase(area: FlashArea, unit: number): void {
    const unitSize = this.geometry.eraseUnit;
    const bytes = this.area(area);
    if (!Number.isInteger(unit) || unit < 0 || (unit + 1) * unitSize > bytes.length) throw new RangeError(`no erase unit ${unit} in the ${area}`);
    bytes.fill(ERASED, unit * unitSize, (unit + 1) * unitSize);
  }

  write(area: FlashArea, offset: number, data: Uint8Array): void {
    const { writeUnit } = this.geometry;
    const bytes = this.area(area);
    if (offset % writeUnit !== 0 || data.length % writeUnit !== 0 || offset < 0 || offset + data.length > bytes.length) {
      throw new RangeError(`a write of ${data.length} bytes at ${offset} in the ${area} is not whole aligned write units inside it`);
    }
    for (let i = 0; i < data.length; i++) {
      if (bytes[offset + i] !== ERASED) throw new RangeError(`write to unerased flash at ${area} offset ${offset + i}`);
    }
    bytes.set(data, offset);
  }
}
