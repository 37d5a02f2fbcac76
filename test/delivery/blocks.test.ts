/** Block delivery (src/delivery/blocks.ts): numbered blocks with a CRC-32 each, reassembled in any order. */
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckFailedError } from '../../src/errors.js';
import { planBlocks, reassembleBlocks, serializeBlocks } from '../../src/delivery/blocks.js';
import { crc32 } from '../../src/delivery/crc32.js';

const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32 ?? ((data: Uint8Array) => crc32(data));

describe('blocks', () => {
  it('round-trips any file and block size, blocks in any order, each CRC from zlib.crc32', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.integer({ min: 1, max: 700 }), fc.nat(), (data, blockSize, shuffleSeed) => {
        const plan = planBlocks(data, blockSize);
        expect(plan.blocks.length).toBe(Math.ceil(data.length / blockSize));
        for (const b of plan.blocks) expect(b.crc32).toBe(zlibCrc32(data.subarray(b.offset, b.offset + b.size)).toString(16).padStart(8, '0'));
        const [header, ...lines] = serializeBlocks(data, plan).trimEnd().split('\n');
        // Rotate the block lines: a device may receive them in any order.
        const k = lines.length === 0 ? 0 : shuffleSeed % lines.length;
        const text = [header, ...lines.slice(k), ...lines.slice(0, k)].join('\n');
        expect(Buffer.from(reassembleBlocks(text)).equals(Buffer.from(data))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('names a block whose bytes changed, and missing blocks', () => {
    const data = new Uint8Array(1000).map((_, i) => i * 7);
    const text = serializeBlocks(data, planBlocks(data, 256));
    const lines = text.trimEnd().split('\n');
    const block2 = JSON.parse(lines[3]!);
    block2.data = `${block2.data.slice(0, 10)}${block2.data[10] === '0' ? '1' : '0'}${block2.data.slice(11)}`;
    expect(() => reassembleBlocks([...lines.slice(0, 3), JSON.stringify(block2), lines[4]].join('\n'))).toThrow(/^block 2: CRC-32 [0-9a-f]{8} of its bytes differs/);
    expect(() => reassembleBlocks(lines.slice(0, 3).join('\n'))).toThrow(CheckFailedError);
    expect(() => reassembleBlocks(lines.slice(0, 3).join('\n'))).toThrow('2 of 4 blocks missing (first: 2)');
  });
});
