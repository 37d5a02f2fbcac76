/**
 * The mutation engine of the hardening fuzzers (issue 7): byte flips, overwrites, truncations, insertions,
 * deletions, duplicated ranges, and boundary integers written into known fields (LEB128 varints of the patch
 * format, little-endian u16/u32 of ELF and binary fragment files). Mutations are plain records so that
 * fast-check can print and shrink them; positions are taken modulo the input length.
 */
import fc from 'fast-check';

/** Where a structured integer lives in a valid input: a varint of `length` bytes, or a fixed-width LE field. */
export interface IntField {
  offset: number;
  /** Bytes the field occupies now. */
  length: number;
  kind: 'varint' | 'le';
  /** The field's current value (boundary values around it are tried too). */
  value: number;
  name?: string;
}

export type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number; to: number }
  | { kind: 'field'; field: number; value: number; overlong: number };

/** Values at the edges of the integer ranges the formats use. */
export const BOUNDARY_VALUES: readonly number[] = [
  0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x100, 0x3fff, 0x4000, 0x7fff, 0x8000, 0xfffe, 0xffff, 0x10000, 0x1fffff, 0x200000,
  0xfffffff, 0x10000000, 0x3ffffff, 0x4000000, 0x4000001, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
  2 ** 32, 2 ** 32 + 1, 2 ** 35 - 1,
];

const mutationArb = (fieldCount: number): fc.Arbitrary<Mutation> => {
  const position = fc.nat({ max: 1 << 24 });
  const options: fc.Arbitrary<Mutation>[] = [
    fc.record({ kind: fc.constant('flip' as const), at: position, mask: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('set' as const), at: position, value: fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff) }),
    fc.record({ kind: fc.constant('truncate' as const), at: position }),
    fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ kind: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 64 }), to: position }),
  ];
  if (fieldCount > 0) {
    const value = fc.oneof(fc.constantFrom(...BOUNDARY_VALUES), fc.integer({ min: -2, max: 2 }), fc.nat({ max: 0xffffffff }));
    options.push(
      fc.record({ kind: fc.constant('field' as const), field: fc.nat({ max: fieldCount - 1 }), value, overlong: fc.constantFrom(0, 0, 0, 1, 2) }),
      fc.record({ kind: fc.constant('field' as const), field: fc.nat({ max: fieldCount - 1 }), value, overlong: fc.constant(0) }),
    );
  }
  return fc.oneof(...options);
};

/** One to three mutations; field mutations are weighted up when the input has known fields. */
export function mutationsArb(fieldCount = 0): fc.Arbitrary<Mutation[]> {
  return fc.array(mutationArb(fieldCount), { minLength: 1, maxLength: 3 });
}

/** LEB128 of a non-negative value, with `overlong` extra continuation bytes (a non-minimal encoding). */
export function encodeUvarint(value: number, overlong = 0): number[] {
  const out: number[] = [];
  let v = value;
  do {
    out.push(v % 0x80);
    v = Math.floor(v / 0x80);
  } while (v > 0);
  for (let i = 0; i < overlong; i++) out.push(0);
  for (let i = 0; i < out.length - 1; i++) out[i]! |= 0x80;
  return out;
}

function encodeField(field: IntField, rawValue: number, overlong: number): number[] {
  // Small relative values move the current value by a step; others replace it.
  const value = rawValue >= -2 && rawValue <= 2 && rawValue !== 0 ? Math.max(0, field.value + rawValue) : Math.max(0, rawValue);
  if (field.kind === 'varint') return encodeUvarint(value, overlong);
  const out: number[] = [];
  let v = value;
  for (let i = 0; i < field.length; i++) {
    out.push(v % 256);
    v = Math.floor(v / 256);
  }
  return out;
}

/** Applies the mutations in order; fields refer to offsets in the original input, so only the first field
 * mutation of a list is applied exactly (later ones are applied only while the offsets are unchanged). */
export function applyMutations(input: Uint8Array, mutations: readonly Mutation[], fields: readonly IntField[] = []): Uint8Array {
  let bytes = input;
  let shifted = false;
  for (const m of mutations) {
    if (m.kind === 'field') {
      const field = fields[m.field % fields.length];
      if (!field || shifted) continue;
      const encoded = encodeField(field, m.value, m.overlong);
      bytes = splice(bytes, field.offset, field.length, encoded);
      if (encoded.length !== field.length) shifted = true;
      continue;
    }
    const before = bytes.length;
    bytes = applyOne(bytes, m);
    if (bytes.length !== before) shifted = true;
  }
  return bytes;
}

function applyOne(bytes: Uint8Array, m: Exclude<Mutation, { kind: 'field' }>): Uint8Array {
  const n = bytes.length;
  if (n === 0) return m.kind === 'insert' ? Uint8Array.from(m.bytes) : bytes;
  const at = m.at % n;
  switch (m.kind) {
    case 'flip': {
      const out = bytes.slice();
      out[at] = out[at]! ^ m.mask;
      return out;
    }
    case 'set': {
      const out = bytes.slice();
      out[at] = m.value;
      return out;
    }
    case 'truncate':
      return bytes.slice(0, at);
    case 'insert':
      return splice(bytes, m.at % (n + 1), 0, m.bytes);
    case 'delete':
      return splice(bytes, at, Math.min(m.length, n - at), []);
    case 'duplicate': {
      const piece = Array.from(bytes.subarray(at, Math.min(n, at + m.length)));
      return splice(bytes, m.to % (n + 1), 0, piece);
    }
  }
}

export function splice(bytes: Uint8Array, at: number, remove: number, insert: readonly number[]): Uint8Array {
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at), 0);
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

/** Little-endian fields of `width` bytes at the given offsets (skipping those outside the input). */
export function leFields(bytes: Uint8Array, specs: ReadonlyArray<{ offset: number; width: 1 | 2 | 4; name?: string }>): IntField[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: IntField[] = [];
  for (const { offset, width, name } of specs) {
    if (offset < 0 || offset + width > bytes.length) continue;
    const value = width === 1 ? view.getUint8(offset) : width === 2 ? view.getUint16(offset, true) : view.getUint32(offset, true);
    fields.push({ offset, length: width, kind: 'le', value, ...(name ? { name } : {}) });
  }
  return fields;
}
