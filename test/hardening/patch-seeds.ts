/**
 * Valid patches to mutate: every layout, difference coding and codec, both transforms, versions and a
 * security counter, unsigned and signed; with the images they turn into each other and the offsets of their
 * integer fields (header varints, relocation parameters, and the delta program of codec-none patches).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeRelocationParams } from '../../src/arch/cortex-m/params.js';
import { decompressLzma } from '../../src/codec/lzma.js';
import { Codec, decodeHeader, encodeHeader, Transform, type PatchHeader } from '../../src/container/header.js';
import { parsePatch } from '../../src/container/patch-file.js';
import { signPatch } from '../../src/container/sign.js';
import { generatePrivateKey, type Ed25519PrivateKey } from '../../src/crypto/keys.js';
import { matchBlocks } from '../../src/delta/match.js';
import { DiffCoding, encodeProgram, Layout } from '../../src/delta/program.js';
import { plainSource } from '../../src/delta/source.js';
import { ByteReader } from '../../src/delta/varint.js';
import { createPatch } from '../../src/pipeline/create-patch.js';
import { sha256 } from '../../src/crypto/hash.js';
import { REPO } from './harness.js';
import type { IntField } from './mutate.js';

export interface PatchSeed {
  name: string;
  bytes: Uint8Array;
  old: Uint8Array;
  new: Uint8Array;
  fields: IntField[];
  signedBy?: Ed25519PrivateKey;
}

const FLASH = 0x0800_0000;

export function fixtureBin(version: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(REPO, 'fixtures/build', version, 'firmware.bin')));
}

/** A small deterministic pair: a pseudo-random old image and a new one with edits, a move and an insertion. */
export function smallPair(seed: number, size = 1500): { old: Uint8Array; new: Uint8Array } {
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) & 0xff;
  };
  const old = Uint8Array.from({ length: size }, () => (next() < 96 ? 0 : next()));
  const parts = [old.subarray(0, size / 3), Uint8Array.from({ length: 40 }, next), old.subarray(size / 2), old.subarray(size / 3, size / 2)];
  const neu = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    neu.set(p, at);
    at += p.length;
  }
  for (let i = 7; i < neu.length; i += 97) neu[i] = next();
  return { old, new: neu };
}

/** A codec-none patch with an explicit layout and coding, plain transform. */
function variantPatch(old: Uint8Array, neu: Uint8Array, layout: Layout, diffCoding: DiffCoding): Uint8Array {
  const blocks = matchBlocks(old, neu);
  const program = encodeProgram(blocks, neu, plainSource(old), { layout, diffCoding });
  const header: PatchHeader = {
    oldSize: old.length,
    newSize: neu.length,
    oldLoadAddress: FLASH,
    newLoadAddress: FLASH,
    oldSha256: sha256(old),
    newSha256: sha256(neu),
    transform: Transform.plain,
    transformParams: new Uint8Array(0),
    layout,
    diffCoding,
    entryCount: blocks.length,
    programLength: program.length,
    codec: Codec.none,
    payloadLength: program.length,
  };
  return wrap(header, program);
}

/** The same patch with its program stored uncompressed (codec none), so mutations reach the applier directly. */
export async function uncompressed(patch: Uint8Array): Promise<Uint8Array> {
  const { header, payload } = parsePatch(patch);
  const parts: Uint8Array[] = [];
  await decompressLzma([payload], header.lzma!, header.programLength, (c) => parts.push(c.slice()));
  return wrap(header, Buffer.concat(parts));
}

function wrap(header: PatchHeader, program: Uint8Array): Uint8Array {
  const { lzma: _lzma, ...rest } = header;
  const head = encodeHeader({ ...rest, codec: Codec.none, payloadLength: program.length });
  const out = new Uint8Array(head.length + program.length);
  out.set(head);
  out.set(program, head.length);
  return out;
}

/** Builds the seed corpus (about a second on the fixtures). */
export async function buildPatchSeeds(): Promise<{ seeds: PatchSeed[]; key: Ed25519PrivateKey }> {
  const key = generatePrivateKey();
  const seeds: PatchSeed[] = [];
  const add = (name: string, bytes: Uint8Array, old: Uint8Array, neu: Uint8Array, signedBy?: Ed25519PrivateKey): void => {
    seeds.push({ name, bytes, old, new: neu, fields: patchFields(bytes), ...(signedBy ? { signedBy } : {}) });
  };

  const small = smallPair(7);
  for (const layout of [Layout.interleaved, Layout.controlFirst]) {
    for (const coding of [DiffCoding.raw, DiffCoding.sparse]) {
      add(`small ${layout ? 'control-first' : 'interleaved'} ${coding ? 'sparse' : 'raw'} none`, variantPatch(small.old, small.new, layout, coding), small.old, small.new);
    }
  }
  const smallLzma = (await createPatch({ data: small.old, loadAddress: FLASH }, { data: small.new, loadAddress: FLASH }, { arch: 'none', versionFrom: '1', versionTo: '2', securityCounter: 3 })).bytes;
  add('small plain lzma versions counter', smallLzma, small.old, small.new);
  add('small plain lzma signed', signPatch(smallLzma, key), small.old, small.new, key);

  const old = fixtureBin('v1.0.0');
  const neu = fixtureBin('v1.0.1');
  const image = (data: Uint8Array): { data: Uint8Array; loadAddress: number } => ({ data, loadAddress: FLASH });
  const cortex = (await createPatch(image(old), image(neu), { arch: 'cortex-m', versionFrom: '1.0.0', versionTo: '1.0.1', securityCounter: 9 })).bytes;
  add('fixture cortex-m lzma', cortex, old, neu);
  add('fixture cortex-m none', await uncompressed(cortex), old, neu);
  add('fixture cortex-m lzma signed', signPatch(cortex, key), old, neu, key);
  add('fixture cortex-m none signed', signPatch(await uncompressed(cortex), key), old, neu, key);
  const plain = (await createPatch(image(old), image(neu), { arch: 'none' })).bytes;
  add('fixture plain lzma', plain, old, neu);
  add('fixture plain none', await uncompressed(plain), old, neu);
  const jump = fixtureBin('v1.1.0');
  const cortexJump = (await createPatch(image(old), image(jump), { arch: 'cortex-m' })).bytes;
  add('fixture v1.0.0-v1.1.0 cortex-m none', await uncompressed(cortexJump), old, jump);
  for (const seed of seeds) {
    if (sha256(seed.new).some((b, i) => b !== parsePatch(seed.bytes).header.newSha256[i])) throw new Error(`seed ${seed.name} is inconsistent`);
  }
  return { seeds, key };
}

/** Offsets of every integer field of a valid patch. */
export function patchFields(bytes: Uint8Array): IntField[] {
  const fields: IntField[] = [];
  const r = new ByteReader(bytes, 'patch');
  const varint = (name: string, reader = r, base = 0): number => {
    const offset = reader.offset;
    const value = reader.uvarint(name);
    fields.push({ offset: base + offset, length: reader.offset - offset, kind: 'varint', value, name });
    return value;
  };
  const byte = (name: string, reader = r, base = 0): number => {
    const offset = reader.offset;
    const value = reader.byte(name);
    fields.push({ offset: base + offset, length: 1, kind: 'le', value, name });
    return value;
  };
  r.bytes(4, 'magic');
  byte('version');
  const flags = byte('flags');
  for (const name of ['old size', 'new size', 'old load', 'new load']) varint(name);
  r.bytes(64, 'hashes');
  const transform = byte('transform');
  const paramLength = varint('param length');
  const paramStart = r.offset;
  r.bytes(paramLength, 'params');
  const programFlags = byte('program flags');
  const entries = varint('entry count');
  varint('program length');
  const codec = byte('codec');
  if (codec === Codec.lzma1) {
    byte('lzma props');
    byte('lzma dict');
  }
  varint('payload length');
  if (flags & 1) {
    r.bytes(varint('version-from length'), 'v');
    r.bytes(varint('version-to length'), 'v');
  }
  if (flags & 2) varint('security counter');
  const payloadStart = r.offset;
  if (transform === Transform.cortexM) relocationFields(bytes.subarray(paramStart, paramStart + paramLength), paramStart, fields);
  if (codec === Codec.none) programFields(bytes.subarray(payloadStart), payloadStart, programFlags, entries, fields);
  const { length } = decodeHeader(bytes);
  if (length !== payloadStart) throw new Error('field walk disagrees with the header decoder');
  return fields;
}

function relocationFields(params: Uint8Array, base: number, fields: IntField[]): void {
  const p = decodeRelocationParams(params);
  const r = new ByteReader(params, 'params');
  const push = (name: string, kind: 'varint' | 'le'): void => {
    const offset = r.offset;
    const value = kind === 'le' ? r.byte(name) : r.uvarint(name);
    fields.push({ offset: base + offset, length: r.offset - offset, kind, value, name });
  };
  push('recognizers', 'le');
  push('min segment', 'varint');
  push('flash segments', 'varint');
  const map = (name: string, count: number): void => {
    push(`${name} count`, 'varint');
    for (let i = 0; i < count; i++) {
      push(`${name} start ${i}`, 'varint');
      push(`${name} shift ${i}`, 'varint');
    }
    if (count > 0) push(`${name} end`, 'varint');
  };
  map('ram', p.ram.segments.length);
  if (p.recognize & 0x20) map('constants', p.constants.segments.length);
}

/** The control entries (and sparse run lengths) of an uncompressed program. */
function programFields(program: Uint8Array, base: number, programFlags: number, entries: number, fields: IntField[]): void {
  const r = new ByteReader(program, 'program');
  const varint = (name: string): number => {
    const offset = r.offset;
    const value = r.uvarint(name);
    fields.push({ offset: base + offset, length: r.offset - offset, kind: 'varint', value, name });
    return value;
  };
  const entry = (i: number): { copy: number; extra: number } => {
    varint(`seek ${i}`);
    return { copy: varint(`copy ${i}`), extra: varint(`extra ${i}`) };
  };
  const data = (copy: number, extra: number): void => {
    if (programFlags & 2) {
      let covered = 0;
      while (covered < copy) {
        covered += varint('zeros');
        if (covered >= copy) break;
        const count = varint('count');
        r.bytes(count, 'diff');
        covered += count;
      }
    } else r.bytes(copy, 'diff');
    r.bytes(extra, 'extra');
  };
  if (programFlags & 1) {
    const table = Array.from({ length: entries }, (_, i) => entry(i));
    for (const e of table) data(e.copy, e.extra);
  } else {
    for (let i = 0; r.remaining > 0; i++) {
      const e = entry(i);
      data(e.copy, e.extra);
    }
  }
}
