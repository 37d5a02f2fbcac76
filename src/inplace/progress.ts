/**
 * The progress record (docs/DEVICE.md, "Progress record"): 32 bytes an applier persists, through a callback,
 * at the points where a reset must not lose work. Two cells are written alternately, each record with a
 * sequence number and a check, so a write torn by a reset spoils one cell and the other still holds the
 * previous record.
 */
import { sha256 } from '../crypto/hash.js';

export const RECORD_SIZE = 32;
const RECORD_MAGIC = [0x53, 0x52]; // "SR"
const CHECKED = 28;

export interface Progress {
  /** Erase units of the new image committed, in write order. */
  done: number;
  /** In-place: whether the scratch unit holds unit `done` complete, with the check below. */
  scratchValid: boolean;
  /** The first 8 bytes of SHA-256 of the scratch unit when it is valid. */
  scratchCheck: Uint8Array;
}

export interface ProgressCells {
  /** The bytes of cell 0 or 1 as they are (anything after a torn write). */
  read(cell: 0 | 1): Uint8Array;
  /** Writes a record to a cell; a reset may leave the cell with any bytes. */
  write(cell: 0 | 1, record: Uint8Array): void;
}

/** Cells in memory: what `apply` uses, and the base of the power-cut model in the tests. */
export class MemoryCells implements ProgressCells {
  readonly cells = [new Uint8Array(RECORD_SIZE).fill(0xff), new Uint8Array(RECORD_SIZE).fill(0xff)];
  read(cell: 0 | 1): Uint8Array {
    return this.cells[cell]!;
  }
  write(cell: 0 | 1, record: Uint8Array): void {
    this.cells[cell]!.set(record);
  }
}

/**
 * Record layout: magic "SR", patch id (the first 8 bytes of the new image's SHA-256), sequence (u32), done
 * (u32), state (u8: 1 when the scratch unit is valid), scratch check (8 bytes), reserved (1 byte, 0), then
 * the first 4 bytes of SHA-256 of the 28 bytes before.
 */
export function encodeRecord(patchId: Uint8Array, sequence: number, p: Progress): Uint8Array {
  const r = new Uint8Array(RECORD_SIZE);
  const view = new DataView(r.buffer);
  r.set(RECORD_MAGIC, 0);
  r.set(patchId.subarray(0, 8), 2);
  view.setUint32(10, sequence >>> 0, true);
  view.setUint32(14, p.done, true);
  r[18] = p.scratchValid ? 1 : 0;
  if (p.scratchValid) r.set(p.scratchCheck.subarray(0, 8), 19);
  r.set(sha256(r.subarray(0, CHECKED)).subarray(0, 4), CHECKED);
  return r;
}

export function decodeRecord(patchId: Uint8Array, r: Uint8Array): (Progress & { sequence: number }) | undefined {
  if (r.length !== RECORD_SIZE || r[0] !== RECORD_MAGIC[0] || r[1] !== RECORD_MAGIC[1]) return undefined;
  const check = sha256(r.subarray(0, CHECKED));
  for (let i = 0; i < 4; i++) if (r[CHECKED + i] !== check[i]) return undefined;
  for (let i = 0; i < 8; i++) if (r[2 + i] !== patchId[i]) return undefined;
  if (r[18]! > 1 || r[27] !== 0) return undefined;
  const view = new DataView(r.buffer, r.byteOffset, r.byteLength);
  return { sequence: view.getUint32(10, true), done: view.getUint32(14, true), scratchValid: r[18] === 1, scratchCheck: r.slice(19, 27) };
}

/** The journal over two cells: the newest valid record of this patch, and the next one written to the other cell. */
export class ProgressJournal {
  private sequence = 0;

  constructor(private readonly cells: ProgressCells, private readonly patchId: Uint8Array) {}

  /** The newest valid record of this patch, or undefined (nothing done yet: start from the base image). */
  load(): Progress | undefined {
    const records = [0, 1].map((c) => decodeRecord(this.patchId, this.cells.read(c as 0 | 1)));
    let best: (Progress & { sequence: number }) | undefined;
    for (const r of records) if (r && (!best || seqAfter(r.sequence, best.sequence))) best = r;
    this.sequence = best ? best.sequence : 0;
    return best && { done: best.done, scratchValid: best.scratchValid, scratchCheck: best.scratchCheck };
  }

  save(p: Progress): void {
    this.sequence = (this.sequence + 1) >>> 0;
    this.cells.write((this.sequence & 1) as 0 | 1, encodeRecord(this.patchId, this.sequence, p));
  }
}

/** Sequence order with wrap-around (RFC 1982 style): a is newer than b. */
function seqAfter(a: number, b: number): boolean {
  return ((a - b) >>> 0) !== 0 && ((a - b) >>> 0) < 0x80000000;
}
