/** Parsers for option values shared by several commands; a bad value is a usage error (exit 2). */
import { UsageError } from '../errors.js';

export function parseInteger(value: string, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const trimmed = value.trim();
  const n = /^0x[0-9a-f]+$/i.test(trimmed) ? Number.parseInt(trimmed, 16) : /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} must be an integer from ${min} to ${max} (decimal or 0x hex), got "${value}"`);
  }
  return n;
}

/** Sizes such as 65536, 64K, 64KiB, 1M. */
export function parseSize(value: string, name: string, min = 0, max = 2 ** 32 - 1): number {
  const m = /^(\d+)\s*([kKmM])?(i?[bB])?$/.exec(value.trim());
  if (!m) throw new UsageError(`${name} must be a size such as 65536, 64K or 1M, got "${value}"`);
  const unit = m[2]?.toLowerCase() === 'k' ? 1024 : m[2]?.toLowerCase() === 'm' ? 1024 * 1024 : 1;
  const n = Number(m[1]) * unit;
  if (n < min || n > max) throw new UsageError(`${name} must be from ${min} to ${max} bytes, got "${value}"`);
  return n;
}
