/** The progress record and its two-cell journal (src/inplace/progress.ts, docs/DEVICE.md "Progress record"). */
import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord, MemoryCells, ProgressJournal, RECORD_SIZE } from '../../src/inplace/progress.js';

const id = new Uint8Array(32).map((_, i) => i + 1);
const otherId = new Uint8Array(32).map((_, i) => 200 - i);
const progress = { done: 7, scratchValid: true, scratchCheck: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) };

describe('progress record', () => {
  it('round-trips, and any one flipped bit makes it invalid', () => {
    const r = encodeRecord(id, 42, progress);
    expect(r.length).toBe(RECORD_SIZE);
    expect(decodeRecord(id, r)).toEqual({ ...progress, sequence: 42 });
    for (let bit = 0; bit < RECORD_SIZE * 8; bit++) {
      const torn = r.slice();
      torn[bit >> 3]! ^= 1 << (bit & 7);
      expect(decodeRecord(id, torn), `bit ${bit}`).toBeUndefined();
    }
  });

  it('belongs to one patch: another patch id does not read it', () => {
    expect(decodeRecord(otherId, encodeRecord(id, 1, progress))).toBeUndefined();
  });

  it('the journal alternates cells and loads the newest valid record, also when the newest cell is torn', () => {
    const cells = new MemoryCells();
    const journal = new ProgressJournal(cells, id);
    expect(journal.load()).toBeUndefined();
    journal.save({ ...progress, done: 1 });
    journal.save({ ...progress, done: 2 });
    journal.save({ ...progress, done: 3 });
    expect(new ProgressJournal(cells, id).load()?.done).toBe(3);
    cells.cells[1]![5] ^= 0xff; // sequence 3 went to cell 1
    const reader = new ProgressJournal(cells, id);
    expect(reader.load()?.done).toBe(2);
    reader.save({ ...progress, done: 9 }); // overwrites the torn cell, not the good one
    expect(new ProgressJournal(cells, id).load()?.done).toBe(9);
    expect(decodeRecord(id, cells.cells[0]!)?.done).toBe(2);
  });

  it('orders sequence numbers across the 32-bit wrap', () => {
    const cells = new MemoryCells();
    cells.write(1, encodeRecord(id, 0xffffffff, { ...progress, done: 5 }));
    cells.write(0, encodeRecord(id, 0, { ...progress, done: 6 }));
    expect(new ProgressJournal(cells, id).load()?.done).toBe(6);
  });
});
