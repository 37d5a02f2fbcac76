/**
 * Block delivery (docs/DELIVERY.md, "blocks"): the file cut into numbered blocks of one size (the last one the
 * rest), each with its CRC-32, for platforms that push a package block by block and let the device reassemble
 * it. The block file is NDJSON: a header line, then one line per block with its bytes in hex.
 */
import { CheckFailedError, InvalidInputError, UsageError } from '../errors.js';
import { sha256, toHex } from '../crypto/hash.js';
import { crc32Hex } from './crc32.js';

export const BLOCK_FILE_TYPE = 'smartdelta-blocks/1';

export interface Block {
  /** From 0, in file order. */
  index: number;
  offset: number;
  size: number;
  crc32: string;
}

export interface BlockPlan {
  size: number;
  sha256: string;
  blockSize: number;
  blocks: Block[];
}

export function planBlocks(data: Uint8Array, blockSize: number): BlockPlan {
  if (data.length === 0) throw new InvalidInputError('the file is empty: there is nothing to deliver');
  if (!Number.isSafeInteger(blockSize) || blockSize < 1) throw new UsageError(`the block size must be a positive integer, got ${blockSize}`);
  const blocks: Block[] = [];
  for (let offset = 0, index = 0; offset < data.length; offset += blockSize, index++) {
    const size = Math.min(blockSize, data.length - offset);
    blocks.push({ index, offset, size, crc32: crc32Hex(data.subarray(offset, offset + size)) });
  }
  return { size: data.length, sha256: toHex(sha256(data)), blockSize, blocks };
}

/** The block file: header line, then `{index, offset, size, crc32, data}` per block. */
export function serializeBlocks(data: Uint8Array, plan: BlockPlan): string {
  const lines = [JSON.stringify({ type: BLOCK_FILE_TYPE, size: plan.size, sha256: plan.sha256, blockSize: plan.blockSize, blocks: plan.blocks.length })];
  for (const b of plan.blocks) lines.push(JSON.stringify({ ...b, data: toHex(data.subarray(b.offset, b.offset + b.size)) }));
  return `${lines.join('\n')}\n`;
}

/** The listing without the bytes: one line for the file, one per block. */
export function formatBlockPlan(plan: BlockPlan, name: string): string {
  const lines = [`file ${name} size ${plan.size} sha256 ${plan.sha256} blocks ${plan.blocks.length} block-size ${plan.blockSize}`];
  for (const b of plan.blocks) lines.push(`block ${b.index} offset ${b.offset} size ${b.size} crc32 ${b.crc32}`);
  return `${lines.join('\n')}\n`;
}

/**
 * What a device does with the blocks it received, in any order: check each block's CRC-32, place it, then
 * check the whole file's size and SHA-256. Throws CheckFailedError naming the first block that fails.
 */
export function reassembleBlocks(text: string): Uint8Array {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = parseLine(lines[0], 1) as { type?: unknown; size?: unknown; sha256?: unknown; blockSize?: unknown; blocks?: unknown };
  if (header.type !== BLOCK_FILE_TYPE) throw new InvalidInputError(`not a block file: its first line has no "type": "${BLOCK_FILE_TYPE}"`);
  const size = integerField(header.size, 'size', 1);
  const blockSize = integerField(header.blockSize, 'blockSize', 1);
  const count = Math.ceil(size / blockSize);
  const out = new Uint8Array(size);
  const seen = new Set<number>();
  for (let i = 1; i < lines.length; i++) {
    const block = parseLine(lines[i], i + 1) as Record<string, unknown>;
    const index = integerField(block.index, `line ${i + 1}: index`, 0);
    if (index >= count) throw new InvalidInputError(`line ${i + 1}: block ${index} is past the last block (${count - 1})`);
    const bytes = typeof block.data === 'string' && /^([0-9a-f]{2})*$/i.test(block.data) ? Buffer.from(block.data, 'hex') : undefined;
    if (bytes === undefined) throw new InvalidInputError(`line ${i + 1}: block ${index} has no hex "data"`);
    const expected = index === count - 1 ? size - index * blockSize : blockSize;
    if (bytes.length !== expected) throw new CheckFailedError(`block ${index}: ${bytes.length} bytes, expected ${expected}`);
    const crc = crc32Hex(bytes);
    if (crc !== block.crc32) throw new CheckFailedError(`block ${index}: CRC-32 ${crc} of its bytes differs from the ${String(block.crc32)} it carries`);
    out.set(bytes, index * blockSize);
    seen.add(index);
  }
  if (seen.size !== count) {
    const missing = [...Array(count).keys()].filter((i) => !seen.has(i));
    throw new CheckFailedError(`${missing.length} of ${count} blocks missing (first: ${missing[0]})`);
  }
  const digest = toHex(sha256(out));
  if (digest !== header.sha256) throw new CheckFailedError(`the reassembled file's SHA-256 ${digest} differs from the header's ${String(header.sha256)}`);
  return out;
}

function parseLine(line: string | undefined, number: number): unknown {
  if (line === undefined) throw new InvalidInputError('the block file is empty');
  try {
    const value = JSON.parse(line) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value;
  } catch {
    throw new InvalidInputError(`line ${number} of the block file is not a JSON object`);
  }
}

function integerField(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new InvalidInputError(`${name} must be an integer of at least ${min}, got ${JSON.stringify(value)}`);
  return value;
}
