/**
 * Building blocks of the malformed-input suite: a raw patch header writer that takes any value (the real
 * encoder refuses invalid ones), and small valid inputs to damage.
 */
import { Codec, decodeHeader, type PatchHeader } from '../../src/container/header.js';
import { parsePatch } from '../../src/container/patch-file.js';
import { encodeUvarint } from './mutate.js';

/** A varint field: a value (minimal LEB128) or the exact bytes to write. */
export type Varint = number | number[];

export interface RawHeader {
  magic: number[];
  version: number;
  flags: number;
  oldSize: Varint;
  newSize: Varint;
  oldLoad: Varint;
  newLoad: Varint;
  oldSha: Uint8Array;
  newSha: Uint8Array;
  transform: number;
  params: Uint8Array;
  paramLength?: Varint;
  programFlags: number;
  entries: Varint;
  programLength: Varint;
  codec: number;
  lzma?: [number, number];
  payloadLength: Varint;
  versions?: [Uint8Array, Uint8Array];
  counter?: Varint;
}

const varint = (v: Varint): number[] => (typeof v === 'number' ? encodeUvarint(v) : v);

export function writeRawHeader(h: RawHeader): Uint8Array {
  const out: number[] = [...h.magic, h.version, h.flags, ...varint(h.oldSize), ...varint(h.newSize), ...varint(h.oldLoad), ...varint(h.newLoad)];
  out.push(...h.oldSha, ...h.newSha, h.transform, ...varint(h.paramLength ?? h.params.length), ...h.params);
  out.push(h.programFlags, ...varint(h.entries), ...varint(h.programLength), h.codec);
  if (h.lzma) out.push(...h.lzma);
  out.push(...varint(h.payloadLength));
  if (h.versions) for (const s of h.versions) out.push(...encodeUvarint(s.length), ...s);
  if (h.counter !== undefined) out.push(...varint(h.counter));
  return Uint8Array.from(out);
}

/** The raw form of a real patch's header, to change one field of. */
export function rawHeaderOf(patch: Uint8Array): { raw: RawHeader; payload: Uint8Array; header: PatchHeader } {
  const { header, payload } = parsePatch(patch);
  const raw: RawHeader = {
    magic: [0x53, 0x44, 0x4c, 0x54],
    version: 1,
    flags: (header.versionFrom !== undefined ? 1 : 0) | (header.securityCounter !== undefined ? 2 : 0),
    oldSize: header.oldSize,
    newSize: header.newSize,
    oldLoad: header.oldLoadAddress,
    newLoad: header.newLoadAddress,
    oldSha: header.oldSha256,
    newSha: header.newSha256,
    transform: header.transform,
    params: header.transformParams,
    programFlags: header.layout | (header.diffCoding << 1),
    entries: header.entryCount,
    programLength: header.programLength,
    codec: header.codec,
    payloadLength: header.payloadLength,
  };
  if (header.codec === Codec.lzma1) {
    const { lzma } = header;
    raw.lzma = [(lzma!.pb * 5 + lzma!.lp) * 9 + lzma!.lc, Math.log2(lzma!.dictSize)];
  }
  if (header.versionFrom !== undefined) raw.versions = [new TextEncoder().encode(header.versionFrom), new TextEncoder().encode(header.versionTo ?? '')];
  if (header.securityCounter !== undefined) raw.counter = header.securityCounter;
  // The writer must reproduce the real header byte for byte.
  const again = writeRawHeader(raw);
  if (again.length !== decodeHeader(patch).length || !again.every((b, i) => b === patch[i])) throw new Error('raw header writer disagrees');
  return { raw, payload, header };
}

/** A patch from a changed raw header and a payload (by default the original one). */
export function patchWith(patch: Uint8Array, change: Partial<RawHeader>, payload?: Uint8Array): Uint8Array {
  const { raw, payload: original } = rawHeaderOf(patch);
  return Uint8Array.from([...writeRawHeader({ ...raw, ...change }), ...(payload ?? original)]);
}

/** An Intel HEX record line with a correct checksum unless one is given. */
export function hexLine(type: number, offset: number, data: readonly number[], checksum?: number): string {
  const body = [data.length, (offset >> 8) & 0xff, offset & 0xff, type, ...data];
  const sum = checksum ?? -body.reduce((s, b) => s + b, 0) & 0xff;
  return `:${[...body, sum].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join('')}`;
}
