/**
 * A minimal, strict DER reader (ITU-T X.690 section 10): definite lengths in their shortest form, no
 * trailing bytes. Enough to read the PKCS#8 and SubjectPublicKeyInfo structures of RFC 8410, and to name
 * the algorithm of a key that is not Ed25519.
 */
import { InvalidInputError } from '../errors.js';

export const DerTag = {
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  sequence: 0x30,
  /** [0] IMPLICIT, constructed: PKCS#8 attributes. */
  context0: 0xa0,
  /** [1] IMPLICIT, primitive: OneAsymmetricKey publicKey (RFC 5958). */
  context1: 0x81,
} as const;

export interface DerElement {
  tag: number;
  /** The element's value bytes (a view into the input, not a copy). */
  content: Uint8Array;
  /** Offset of the element's first byte in the buffer it was read from. */
  offset: number;
  /** Offset just past the element. */
  end: number;
}

/**
 * Reads one TLV element at `offset`; `what` names the structure in error messages, and `base` is the
 * absolute offset of `bytes` in the whole input, so that messages give offsets a user can look up.
 */
export function readElement(bytes: Uint8Array, offset: number, what: string, base = 0): DerElement {
  const at = base + offset;
  if (offset >= bytes.length) throw new InvalidInputError(`${what}: DER truncated at offset ${at} (element expected)`);
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new InvalidInputError(`${what}: multi-byte DER tag at offset ${at} is not expected here`);
  const { length, headerLength } = readLength(bytes, offset + 1, what, base);
  const start = offset + 1 + headerLength;
  const end = start + length;
  if (end > bytes.length) {
    throw new InvalidInputError(`${what}: DER truncated: element at offset ${at} declares ${length} bytes, ${bytes.length - start} present`);
  }
  return { tag, content: bytes.subarray(start, end), offset: at, end: base + end };
}

/** X.690 8.1.3 with the DER restriction of 10.1: definite form, minimal number of length octets. */
function readLength(bytes: Uint8Array, offset: number, what: string, base: number): { length: number; headerLength: number } {
  const at = base + offset;
  if (offset >= bytes.length) throw new InvalidInputError(`${what}: DER truncated at offset ${at} (length expected)`);
  const first = bytes[offset]!;
  if (first < 0x80) return { length: first, headerLength: 1 };
  const count = first & 0x7f;
  if (count === 0) throw new InvalidInputError(`${what}: indefinite DER length at offset ${at} (BER, not DER)`);
  if (count > 4) throw new InvalidInputError(`${what}: DER length at offset ${at} uses ${count} octets`);
  if (offset + count >= bytes.length) throw new InvalidInputError(`${what}: DER truncated at offset ${at} (length octets)`);
  let length = 0;
  for (let i = 1; i <= count; i++) length = length * 256 + bytes[offset + i]!;
  if (length < 0x80 || bytes[offset + 1] === 0) {
    throw new InvalidInputError(`${what}: non-minimal DER length encoding at offset ${at}`);
  }
  return { length, headerLength: 1 + count };
}

/** Reads an element and checks its tag. */
export function expectElement(bytes: Uint8Array, offset: number, tag: number, what: string, base = 0): DerElement {
  const element = readElement(bytes, offset, what, base);
  if (element.tag !== tag) {
    throw new InvalidInputError(`${what}: expected DER tag 0x${hex2(tag)} at offset ${element.offset}, found 0x${hex2(element.tag)}`);
  }
  return element;
}

/** Splits the content of a constructed element into its children (offsets stay absolute). */
export function readChildren(parent: DerElement, what: string): DerElement[] {
  const children: DerElement[] = [];
  const base = parent.end - parent.content.length;
  let offset = 0;
  while (offset < parent.content.length) {
    const child = readElement(parent.content, offset, what, base);
    children.push(child);
    offset = child.end - base;
  }
  return children;
}

/** A small non-negative INTEGER (a version field); undefined when it is negative or too large. */
export function readSmallInteger(element: DerElement): number | undefined {
  const c = element.content;
  if (c.length === 0 || c.length > 4 || (c[0]! & 0x80) !== 0) return undefined;
  if (c.length > 1 && c[0] === 0 && (c[1]! & 0x80) === 0) return undefined; // not minimal
  let value = 0;
  for (const byte of c) value = value * 256 + byte;
  return value;
}

/** OBJECT IDENTIFIER content (X.690 8.19) as dotted text, e.g. "1.3.101.112". */
export function decodeOid(content: Uint8Array, what: string): string {
  if (content.length === 0) throw new InvalidInputError(`${what}: empty OBJECT IDENTIFIER`);
  const arcs: number[] = [];
  let value = 0;
  let started = false;
  for (const byte of content) {
    if (!started && byte === 0x80) throw new InvalidInputError(`${what}: non-minimal OBJECT IDENTIFIER encoding`);
    started = (byte & 0x80) !== 0;
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new InvalidInputError(`${what}: OBJECT IDENTIFIER arc too large`);
    if (!started) {
      arcs.push(value);
      value = 0;
    }
  }
  if (started) throw new InvalidInputError(`${what}: OBJECT IDENTIFIER truncated`);
  const first = arcs[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
