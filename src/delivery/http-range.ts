/**
 * HTTP range delivery (docs/DELIVERY.md, "http-range"): the device fetches the file in parts with
 * `Range: bytes=a-b` requests, checks each answer's CRC-32, then the whole file's SHA-256, then the patch
 * signature. A platform may cap how many parts one download has, so the part size is chosen for the file:
 * the fewest parts that each fit the device's receive buffer.
 */
import { CheckFailedError, InvalidInputError, UsageError } from '../errors.js';
import { sha256, toHex } from '../crypto/hash.js';
import { crc32Hex } from './crc32.js';

/** The most parts one download may have on the platform this default comes from (issue 15). */
export const DEFAULT_MAX_PARTS = 19_999;

export interface RangePart {
  index: number;
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive, as in `Range: bytes=start-end`. */
  end: number;
  size: number;
  /** CRC-32 of the part, 8 hex digits (src/delivery/crc32.ts). */
  crc32: string;
}

export interface RangePlan {
  size: number;
  sha256: string;
  partSize: number;
  maxParts: number;
  /** The buffer the part size was chosen for; null when the part size was given. */
  deviceBuffer: number | null;
  parts: RangePart[];
}

export interface RangePlanOptions {
  /** Largest part the device can receive at once: the plan uses the fewest parts no larger than this. */
  deviceBuffer?: number;
  /** An exact part size instead (every part this size, the last one the rest). */
  partSize?: number;
  /** Most parts the platform allows (default 19,999). */
  maxParts?: number;
}

/**
 * The part size for `size` bytes: with a device buffer, the fewest parts that fit it (ceil(size / buffer)),
 * with the smallest part size that count allows (the last part then differs from the others by less than the
 * count); the count is the same as with buffer-sized parts.
 */
export function choosePartSize(size: number, options: RangePlanOptions): number {
  const maxParts = options.maxParts ?? DEFAULT_MAX_PARTS;
  checkPositive(size, 'file size');
  checkPositive(maxParts, 'maxParts');
  if ((options.deviceBuffer === undefined) === (options.partSize === undefined)) {
    throw new UsageError('give either a device buffer or a part size for an http-range plan');
  }
  const limit = options.deviceBuffer ?? options.partSize!;
  checkPositive(limit, options.deviceBuffer !== undefined ? 'device buffer' : 'part size');
  const count = Math.ceil(size / limit);
  if (count > maxParts) {
    const what = options.deviceBuffer !== undefined ? `even parts as large as the ${limit}-byte device buffer` : `parts of ${limit} bytes`;
    throw new CheckFailedError(
      `${size} bytes in ${what} need ${count} parts, more than the ${maxParts} a download may have; ` +
        `parts (and a device buffer) of at least ${Math.ceil(size / maxParts)} bytes are needed`,
    );
  }
  return options.deviceBuffer !== undefined ? Math.ceil(size / count) : limit;
}

export function planHttpRange(data: Uint8Array, options: RangePlanOptions): RangePlan {
  if (data.length === 0) throw new InvalidInputError('the file is empty: there is nothing to deliver');
  const partSize = choosePartSize(data.length, options);
  const parts: RangePart[] = [];
  for (let start = 0, index = 0; start < data.length; start += partSize, index++) {
    const end = Math.min(start + partSize, data.length) - 1;
    parts.push({ index, start, end, size: end - start + 1, crc32: crc32Hex(data.subarray(start, end + 1)) });
  }
  return {
    size: data.length,
    sha256: toHex(sha256(data)),
    partSize,
    maxParts: options.maxParts ?? DEFAULT_MAX_PARTS,
    deviceBuffer: options.deviceBuffer ?? null,
    parts,
  };
}

/** The plan as text: one line for the file, then one line per part (docs/DELIVERY.md, "http-range"). */
export function formatRangePlan(plan: RangePlan, name: string): string {
  const lines = [`file ${name} size ${plan.size} sha256 ${plan.sha256} parts ${plan.parts.length} part-size ${plan.partSize}`];
  for (const p of plan.parts) lines.push(`part ${p.index} bytes=${p.start}-${p.end} size ${p.size} crc32 ${p.crc32}`);
  return `${lines.join('\n')}\n`;
}

/** What a server makes of a `Range` header for a file of `size` bytes (RFC 9110, section 14). */
export type RangeRequest =
  | { kind: 'whole' }
  | { kind: 'range'; start: number; end: number }
  | { kind: 'unsatisfiable'; reason: string };

/**
 * One byte range: `bytes=a-b`, `bytes=a-` or `bytes=-n`. A header that is not a byte range at all is ignored
 * (the whole file, as RFC 9110 asks); several ranges are refused (a device asks for one part at a time, and a
 * multipart answer would not fit its buffer); a range that starts past the end is unsatisfiable.
 */
export function parseRangeHeader(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'whole' };
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!m) return { kind: 'whole' };
  const specs = m[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (specs.length !== 1) return specs.length === 0 ? { kind: 'whole' } : { kind: 'unsatisfiable', reason: 'only one range per request is served' };
  const spec = /^(\d*)-(\d*)$/.exec(specs[0]!);
  if (!spec || (spec[1] === '' && spec[2] === '')) return { kind: 'whole' };
  if (spec[1] === '') {
    const suffix = Number(spec[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable', reason: 'an empty suffix range' };
    return { kind: 'range', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(spec[1]);
  const end = spec[2] === '' ? size - 1 : Math.min(Number(spec[2]), size - 1);
  if (spec[2] !== '' && Number(spec[2]) < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable', reason: `the range starts at ${start}, past the last byte (${size - 1})` };
  return { kind: 'range', start, end };
}

function checkPositive(n: number, name: string): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer, got ${n}`);
}
