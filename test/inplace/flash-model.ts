/**
 * A flash device with power cuts (issue 14): erase units, write units, erased state 0xFF, and a cut at a
 * chosen operation (an erase, a write, or a progress record write) that leaves what that operation touched
 * in an arbitrary state: an erase leaves the unit with random bytes, a write completes the write units
 * before a random one, fills that one with random bytes and leaves the rest as they were, a record write
 * leaves the cell with a random mix of its old and new bytes. Operations are counted across flash and cells.
 */
import type { InPlaceGeometry } from '../../src/container/header.js';
import { MemoryFlash, type FlashArea } from '../../src/inplace/flash.js';
import { MemoryCells } from '../../src/inplace/progress.js';

export class PowerCut extends Error {
  constructor(readonly op: number) {
    super(`power cut at operation ${op}`);
  }
}

/** mulberry32: a seeded generator, so a failing cut replays. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export interface OpRecord {
  kind: 'erase' | 'write' | 'record';
  area?: FlashArea;
  /** The erase unit touched (erase, write). */
  unit?: number;
}

/** The operation counter and cut point shared by a flash and its cells. */
export class CutClock {
  ops = 0;
  readonly log: OpRecord[] = [];

  constructor(public cutAt: number, readonly random: () => number, private readonly keepLog = false) {}

  /** Counts an operation; true when power fails during it. */
  tick(op: OpRecord): boolean {
    if (this.keepLog) this.log.push(op);
    return this.ops++ === this.cutAt;
  }

  randomBytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.random() * 256);
    return out;
  }
}

export class CutFlash extends MemoryFlash {
  constructor(geometry: InPlaceGeometry, image: Uint8Array, private readonly clock: CutClock) {
    super(geometry, image);
  }

  /** Continues on the same flash contents after a cut (a reset keeps the flash). */
  reboot(clock: CutClock): CutFlash {
    const next = new CutFlash(this.geometry, new Uint8Array(0), clock);
    next.slot.set(this.slot);
    next.scratch.set(this.scratch);
    return next;
  }

  override erase(area: FlashArea, unit: number): void {
    if (this.clock.tick({ kind: 'erase', area, unit })) {
      const size = this.geometry.eraseUnit;
      this.area(area).set(this.clock.randomBytes(size), unit * size);
      throw new PowerCut(this.clock.ops - 1);
    }
    super.erase(area, unit);
  }

  override write(area: FlashArea, offset: number, data: Uint8Array): void {
    if (this.clock.tick({ kind: 'write', area, unit: Math.floor(offset / this.geometry.eraseUnit) })) {
      const w = this.geometry.writeUnit;
      const units = data.length / w;
      const torn = Math.floor(this.clock.random() * units);
      if (torn > 0) super.write(area, offset, data.subarray(0, torn * w));
      this.area(area).set(this.clock.randomBytes(w), offset + torn * w);
      throw new PowerCut(this.clock.ops - 1);
    }
    super.write(area, offset, data);
  }
}

export class CutCells extends MemoryCells {
  constructor(private readonly clock: CutClock) {
    super();
  }

  reboot(clock: CutClock): CutCells {
    const next = new CutCells(clock);
    next.cells[0]!.set(this.cells[0]!);
    next.cells[1]!.set(this.cells[1]!);
    return next;
  }

  override write(cell: 0 | 1, record: Uint8Array): void {
    if (this.clock.tick({ kind: 'record' })) {
      const target = this.cells[cell]!;
      for (let i = 0; i < target.length; i++) {
        const r = this.clock.random();
        if (r < 0.4) target[i] = record[i]!;
        else if (r < 0.6) target[i] = Math.floor(this.clock.random() * 256);
      }
      throw new PowerCut(this.clock.ops - 1);
    }
    super.write(cell, record);
  }
}
