/**
 * LEB128 unsigned varints and zigzag signed varints: the integer encoding of the delta program and the
 * container header (docs/FORMAT.md, "Integers"). Values are limited to 2^53 - 1 (JavaScript safe integers);
 * the format itself never needs more than 2^32.
 */
import { InvalidInputError } from '../errors.js';

/** Growable byte buffer for building encodings without repeated concatenation. */
export class ByteWriter {
  private buffer: Uint8Array;
  length = 0;

  constructor(initialCapacity = 1024) {
    this.buffer = new Uint8Array(initialCapacity);
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let capacity = Math.max(16, this.buffer.length * 2);
    while (capacity < this.length + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  byte(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value & 0xff;
  }

  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  uvarint(value: number): void {
    // One byte for 0..127 (the usual run lengths and counts): the test is true for nothing else.
    if ((value & 0x7f) === value) {
      if (this.length === this.buffer.length) this.ensure(1);
      this.buffer[this.length++] = value;
      return;
    }
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`uvarint out of range: ${value}`);
    this.ensure(8);
    while (value >= 0x80) {
      this.buffer[this.length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.length++] = value;
  }

  svarint(value: number): void {
    this.uvarint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  /** `value` in `width` bytes, little-endian: the fixed-width fields of the tables' checkpoints. */
  uintLE(value: number, width: number): void {
    for (let i = 0; i < width; i++) this.byte(Math.floor(value / 256 ** i) % 256);
  }

  /** The bytes written so far (a view, not a copy). */
  view(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

/** Reads a `width`-byte little-endian field (see ByteWriter.uintLE); the caller has checked the bounds. */
export function readUintLE(bytes: Uint8Array, at: number, width: number): number {
  let v = 0;
  for (let i = width - 1; i >= 0; i--) v = v * 256 + bytes[at + i]!;
  return v;
}

/** The fewest bytes (1 to 4 for 32-bit values) that hold every value up to `max`. */
export function bytesToHold(max: number): number {
  return Math.max(1, Math.ceil(Math.log2(max + 1) / 8));
}

export function uvarintLength(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    n++;
  }
  return n;
}

/** Sequential reader with bounds checks; every overrun is an InvalidInputError naming the field. */
export class ByteReader {
  offset = 0;

  constructor(
    readonly data: Uint8Array,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.data.length - this.offset;
  }

  private need(count: number, field: string): void {
    if (this.offset + count > this.data.length) {
      throw new InvalidInputError(`${this.what} is truncated: ${field} at offset ${this.offset} needs ${count} byte(s), ${this.remaining} left`);
    }
  }

  byte(field: string): number {
    this.need(1, field);
    return this.data[this.offset++]!;
  }

  bytes(count: number, field: string): Uint8Array {
    this.need(count, field);
    const out = this.data.subarray(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }

  /** Reads a LEB128 value of at most maxBytes bytes (5 for 32-bit fields). */
  uvarint(field: string, maxBytes = 5): number {
    const start = this.offset;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < maxBytes; i++) {
      const b = this.byte(field);
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) throw new InvalidInputError(`${this.what}: ${field} at offset ${start} is not a minimal varint`);
        // docs/FORMAT.md "Integers and bits": every field is below 2^32, as a device's 32-bit reader sees it.
        if (value > 0xffffffff) throw new InvalidInputError(`${this.what}: ${field} at offset ${start} exceeds 32 bits`);
        return value;
      }
      scale *= 0x80;
    }
    throw new InvalidInputError(`${this.what}: ${field} at offset ${start} is longer than ${maxBytes} bytes`);
  }

  svarint(field: string, maxBytes = 5): number {
    const z = this.uvarint(field, maxBytes);
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
}
