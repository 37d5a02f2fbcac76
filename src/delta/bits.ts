/**
 * Bit streams and exponential-Golomb codes (docs/FORMAT.md, "Integers and bits"): the coding of the control
 * table, which a device reads where the patch is stored, from any checkpoint, without a model to carry.
 * Bits go most significant first. eg(k) of v: with x = v + 2^k and n = floor(log2 x), n - k zero bits, then
 * the n + 1 bits of x.
 */
import { InvalidInputError } from '../errors.js';

/** The largest order the format allows; with it, values stay below 2^31. */
export const MAX_EG_ORDER = 24;
// Powers of two as constants and shifts (orders are at most 24): the CLI runs these loops in V8's interpreter
// and baseline tiers, where each `2 ** k` is a call into Math.pow (issue 13).
const TWO_POW_31 = 2 ** 31;
const TWO_POW_32 = 2 ** 32;

export function zigzag(v: number): number {
  return v >= 0 ? 2 * v : -2 * v - 1;
}

export function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** Bits eg(k) spends on v. */
export function egLength(v: number, k: number): number {
  return 2 * floorLog2(v + (1 << k)) + 1 - k;
}

/**
 * floor(log2 x) for x >= 1, by counting leading zeros where x fits 32 bits (issue 13: bestEgOrder takes it 25
 * times per value of every control table a creation encodes; Math.log2 made that a visible part of pybv11).
 */
function floorLog2(x: number): number {
  return x < TWO_POW_32 ? 31 - Math.clz32(x) : Math.floor(Math.log2(x));
}

/**
 * The order 0..MAX_EG_ORDER that codes all values in the fewest bits (the smallest order on a tie).
 *
 * From one pass over the values instead of one per order (issue 13: every table a creation encodes runs this
 * three times): with u = floor(v / 2^k), floor(log2(v + 2^k)) = k + floor(log2(u + 1)); for b, the bit length
 * of v, u is 0 when k >= b, else b - k bits long, and u + 1 one bit longer when those bits are all ones, that
 * is when k >= b - t, t being the number of ones v starts with. So each order's total follows from how many
 * values have each bit length b and each b - t.
 */
export function bestEgOrder(values: readonly number[]): number {
  const n = values.length;
  // How many non-zero values have bit length b; how many have u all ones from order d = b - t on.
  const lengths = new Uint32Array(33);
  const allOnesFrom = new Uint32Array(33);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v < TWO_POW_32 && Number.isInteger(v))) return bestEgOrderByOrder(values);
    if (v === 0) continue;
    const b = 32 - Math.clz32(v);
    lengths[b]!++;
    allOnesFrom[b - Math.clz32(~(v << (32 - b)))]!++;
  }
  let best = 0;
  let bestBits = Infinity;
  for (let k = 0; k <= MAX_EG_ORDER; k++) {
    // The sum over the values of floor(log2(u + 1)): (b - k - 1) + 1 for each b > k, less one for each d > k.
    let logs = 0;
    for (let b = k + 1; b <= 32; b++) logs += lengths[b]! * (b - k) - allOnesFrom[b]!;
    const bits = 2 * (k * n + logs) + (1 - k) * n;
    if (bits < bestBits) {
      bestBits = bits;
      best = k;
    }
  }
  return best;
}

/** bestEgOrder by its definition, order by order: for values the bit-length counts do not cover. */
function bestEgOrderByOrder(values: readonly number[]): number {
  let best = 0;
  let bestBits = Infinity;
  for (let k = 0; k <= MAX_EG_ORDER; k++) {
    const offset = 2 ** k;
    let bits = 0;
    for (let i = 0; i < values.length; i++) bits += 2 * floorLog2(values[i]! + offset) + 1 - k;
    if (bits < bestBits) {
      bestBits = bits;
      best = k;
    }
  }
  return best;
}

export class BitWriter {
  private bytes = new Uint8Array(256);
  private length = 0;
  /** The bits of the byte being filled, `used` of them. */
  private current = 0;
  private used = 0;

  /** Bits written so far. */
  get position(): number {
    return this.length * 8 + this.used;
  }

  bit(b: number): void {
    this.current = (this.current << 1) | (b & 1);
    if (++this.used === 8) this.flushByte();
  }

  /**
   * The low `count` bits of value, most significant first (count <= 32), up to a byte at a time: a creation
   * writes every control table entry's codes through here (issue 13).
   */
  bits(value: number, count: number): void {
    while (count > 0) {
      const take = Math.min(count, 8 - this.used);
      count -= take;
      // value >>> count: the low 32 bits of value, as wide as the field (count < 32 here).
      this.current = (this.current << take) | ((value >>> count) & ((1 << take) - 1));
      this.used += take;
      if (this.used === 8) this.flushByte();
    }
  }

  eg(v: number, k: number): void {
    const offset = 1 << k;
    if (!Number.isInteger(v) || v < 0 || v >= TWO_POW_31 - offset) throw new RangeError(`eg(${k}) cannot code ${v}`);
    const x = v + offset;
    const n = 31 - Math.clz32(x);
    // n - k zeros then the n + 1 bits of x: x in 2n + 1 - k bits, in one field when that fits 32.
    const length = 2 * n + 1 - k;
    if (length <= 32) this.bits(x, length);
    else {
      this.bits(0, n - k);
      this.bits(x, n + 1);
    }
  }

  private flushByte(): void {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(2 * this.bytes.length);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = this.current;
    this.current = 0;
    this.used = 0;
  }

  /** The stream, its last byte padded with zero bits. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.length + (this.used ? 1 : 0));
    out.set(this.bytes.subarray(0, this.length));
    if (this.used) out[this.length] = this.current << (8 - this.used);
    return out;
  }
}

/**
 * Reads bits from any bit position of a byte source (the stored patch on a device). `byteAt` must throw for
 * offsets outside the stream; `length` is the stream's size in bytes.
 */
/** The bits after a stream's last code must be fewer than 8 and zero (docs/FORMAT.md, "Control table"). */
export function paddingProblem(bits: BitReader): string | undefined {
  const left = bits.bitsLeft;
  if (left >= 8) return `${left} bits after its last entry (a whole byte or more)`;
  if (left > 0 && bits.bits(left) !== 0) return `non-zero padding bits after its last entry`;
  return undefined;
}

export class BitReader {
  constructor(
    private readonly byteAt: (offset: number) => number,
    private readonly length: number,
    public position = 0,
    /** What the stream is, for error messages ("the control table", "the RAM map"). */
    private readonly what = 'the control table',
  ) {}

  get bitsLeft(): number {
    return this.length * 8 - this.position;
  }

  bit(): number {
    if (this.position >= this.length * 8) throw new InvalidInputError(`corrupt patch: ${this.what} bit stream ends in the middle of an entry`);
    const b = (this.byteAt(this.position >>> 3) >>> (7 - (this.position & 7))) & 1;
    this.position++;
    return b;
  }

  bits(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) value = value * 2 + this.bit();
    return value;
  }

  eg(k: number): number {
    let zeros = 0;
    while (this.bit() === 0) {
      if (++zeros > 31 - k) throw new InvalidInputError(`corrupt patch: an eg(${k}) code in ${this.what} has more than ${31 - k} leading zeros`);
    }
    const rest = this.bits(zeros + k);
    return 2 ** (zeros + k) + rest - 2 ** k;
  }
}
