/**
 * Fuzzing the ELF reader (issue 7): byte-level mutations of the fixture ELF files, and boundary integers
 * written into every field of the ELF header, the program headers, the section headers and the first
 * symbols. A mutant is refused with an InvalidInputError (exit 3) in one line, or it loads; then the section
 * and program headers must be what the file says, and the flash image must be what an independent assembly
 * of those headers (the objcopy rules of docs/IMAGES.md) gives.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadImage } from '../../src/image/index.js';
import { parseElf, type ParsedElf } from '../../src/image/elf.js';
import type { ElfSection, ElfSegment } from '../../src/image/types.js';
import { expectRejection, FuzzTally, fuzzRuns, REPO, timedSync } from './harness.js';
import { applyMutations, leFields, mutationsArb, sameBytes, type IntField } from './mutate.js';

const tally = new FuzzTally('fuzz-elf');
afterAll(() => tally.flush());

const fixtureElf = (version: string): Uint8Array => new Uint8Array(readFileSync(path.join(REPO, 'fixtures/build', version, 'firmware.elf')));

/** The same file without section headers: the loader then takes the PT_LOAD segments. */
function withoutSectionHeaders(elf: Uint8Array): Uint8Array {
  const out = elf.slice();
  const view = new DataView(out.buffer);
  view.setUint32(32, 0, true);
  view.setUint16(48, 0, true);
  view.setUint16(50, 0, true);
  return out;
}

interface ElfSeed {
  bytes: Uint8Array;
  fields: IntField[];
}

const SYMBOLS_TO_MUTATE = 24;

function elfFields(bytes: Uint8Array): IntField[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const specs: Array<{ offset: number; width: 1 | 2 | 4; name: string }> = [
    { offset: 4, width: 1, name: 'EI_CLASS' },
    { offset: 5, width: 1, name: 'EI_DATA' },
    { offset: 6, width: 1, name: 'EI_VERSION' },
    ...[16, 18, 40, 42, 44, 46, 48, 50].map((offset) => ({ offset, width: 2 as const, name: `e_half@${offset}` })),
    ...[20, 24, 28, 32, 36].map((offset) => ({ offset, width: 4 as const, name: `e_word@${offset}` })),
  ];
  const phoff = view.getUint32(28, true);
  const phnum = view.getUint16(44, true);
  for (let i = 0; i < phnum; i++) for (let f = 0; f < 8; f++) specs.push({ offset: phoff + 32 * i + 4 * f, width: 4, name: `phdr ${i} word ${f}` });
  const shoff = view.getUint32(32, true);
  const shnum = view.getUint16(48, true);
  let symtab: { offset: number; size: number } | undefined;
  for (let i = 0; i < shnum; i++) {
    const at = shoff + 40 * i;
    for (let f = 0; f < 10; f++) specs.push({ offset: at + 4 * f, width: 4, name: `shdr ${i} word ${f}` });
    if (view.getUint32(at + 4, true) === 2) symtab = { offset: view.getUint32(at + 16, true), size: view.getUint32(at + 20, true) };
  }
  if (symtab) {
    for (let i = 1; i < Math.min(SYMBOLS_TO_MUTATE, symtab.size / 16); i++) {
      const at = symtab.offset + 16 * i;
      specs.push({ offset: at, width: 4, name: `sym ${i} name` }, { offset: at + 4, width: 4, name: `sym ${i} value` });
      specs.push({ offset: at + 12, width: 1, name: `sym ${i} info` }, { offset: at + 14, width: 2, name: `sym ${i} shndx` });
    }
  }
  return leFields(bytes, specs);
}

let seeds: ElfSeed[] = [];
const seedBytes = [fixtureElf('v1.0.0'), fixtureElf('v2.0.0'), withoutSectionHeaders(fixtureElf('v1.1.0'))];
seeds = seedBytes.map((bytes) => ({ bytes, fields: elfFields(bytes) }));

/** Section and program headers as the file states them (the parser must report exactly these). */
function readHeadersFromFile(bytes: Uint8Array, parsed: ParsedElf): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const phoff = view.getUint32(28, true);
  parsed.info.segments.forEach((p, i) => {
    const at = phoff + 32 * i;
    const words = [0, 1, 2, 3, 4, 5, 6].map((f) => view.getUint32(at + 4 * f, true));
    expect([p.type, p.offset, p.vaddr, p.paddr, p.filesz, p.memsz, p.flags]).toEqual(words);
  });
  const shoff = view.getUint32(32, true);
  parsed.info.sections.forEach((s, i) => {
    const at = shoff + 40 * i;
    const words = [1, 2, 3, 4, 5].map((f) => view.getUint32(at + 4 * f, true));
    expect([s.type, s.flags, s.addr, s.offset, s.size]).toEqual(words);
  });
}

/** The flash image by the rules of docs/IMAGES.md, from the reported headers. */
function referenceImage(bytes: Uint8Array, sections: readonly ElfSection[], segments: readonly ElfSegment[]): { loadAddress: number; data: Uint8Array } | 'refuse' {
  const loads = segments.filter((p) => p.type === 1 && p.memsz !== 0);
  const useVirtual = segments.every((p) => p.paddr === 0) && loads.length > 1;
  const chunks: Array<{ address: number; bytes: Uint8Array }> = [];
  if (sections.length > 0) {
    for (const s of sections) {
      if ((s.flags & 2) === 0 || s.type === 8 || s.type === 0 || s.size === 0) continue;
      const tls = (s.flags & 0x400) !== 0;
      const segment = useVirtual
        ? undefined
        : segments.find(
            (p) =>
              ((p.type === 1 && !tls) || (p.type === 7 && tls)) &&
              s.offset >= p.offset && s.offset - p.offset + s.size <= p.filesz &&
              s.addr >= p.vaddr && s.addr - p.vaddr + s.size <= p.memsz,
          );
      const address = segment ? segment.paddr + (s.offset - segment.offset) : s.addr;
      chunks.push({ address, bytes: bytes.subarray(s.offset, s.offset + s.size) });
    }
  } else {
    for (const p of segments) {
      if (p.type === 1 && p.filesz > 0) chunks.push({ address: useVirtual ? p.vaddr : p.paddr, bytes: bytes.subarray(p.offset, p.offset + p.filesz) });
    }
  }
  if (chunks.length === 0 || chunks.some((c) => c.address + c.bytes.length > 2 ** 32)) return 'refuse';
  const low = Math.min(...chunks.map((c) => c.address));
  const high = Math.max(...chunks.map((c) => c.address + c.bytes.length));
  if (high - low > 64 * 1024 * 1024) return 'refuse';
  const data = new Uint8Array(high - low);
  for (const c of chunks) data.set(c.bytes, c.address - low);
  return { loadAddress: low, data };
}

function checkElf(input: Uint8Array): void {
  let parsed: ParsedElf | undefined;
  try {
    parsed = timedSync('parseElf', () => parseElf(input));
  } catch (err) {
    expectRejection(err, [3]);
  }
  if (parsed) {
    readHeadersFromFile(input, parsed);
    const expected = referenceImage(input, parsed.info.sections, parsed.info.segments);
    if (expected === 'refuse') throw new Error('the reader loaded an image the rules refuse');
    expect(parsed.image.loadAddress).toBe(expected.loadAddress);
    if (!sameBytes(parsed.image.data, expected.data)) throw new Error('the flash image differs from the reference assembly');
    for (const symbol of parsed.info.symbols) {
      if (symbol.sectionName !== undefined) expect(parsed.info.sections[symbol.sectionIndex]?.name).toBe(symbol.sectionName);
    }
  }
  try {
    timedSync('loadImage', () => loadImage(input, { name: 'fuzz.elf' }));
  } catch (err) {
    expectRejection(err, [3]);
  }
}

describe('ELF reader under mutation', () => {
  it('the seeds load and agree with the reference assembly', () => {
    for (const seed of seeds) {
      const parsed = parseElf(seed.bytes);
      expect(parsed.image.data.length).toBeGreaterThan(10_000);
      checkElf(seed.bytes);
    }
  });

  it('byte-level mutations', () => {
    fc.assert(
      fc.property(fc.nat(), mutationsArb(), (pick, mutations) => {
        const seed = seeds[pick % seeds.length]!;
        tally.add('elf');
        checkElf(applyMutations(seed.bytes, mutations));
      }),
      { numRuns: fuzzRuns(300) },
    );
  });

  it('boundary integers in header, program header, section header and symbol fields', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.constantFrom(0, 1, 2, 3, 7, 8, 0x28, 0x7f, 0xff, 0xff00, 0xfff1, 0xffff, 0x10000, 0x3ffffff, 0x4000000, 0x08000000, 0x20000000, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff), (pick, field, value) => {
        const seed = seeds[pick % seeds.length]!;
        tally.add('elf');
        checkElf(applyMutations(seed.bytes, [{ kind: 'field', field: field % seed.fields.length, value, overlong: 0 }], seed.fields));
      }),
      { numRuns: fuzzRuns(400) },
    );
  });
});
