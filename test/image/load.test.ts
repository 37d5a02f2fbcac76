import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, UsageError } from '../../src/errors.js';
import { detectFormat, loadImage } from '../../src/image/index.js';
import { hexRecord, hexText, sampleElf, writeIntelHex } from './helpers.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const FIXTURES = path.join(REPO, 'fixtures/build');
const CORPUS = path.resolve(REPO, '../shared/corpus');

const vectorTableBin = (() => {
  const data = new Uint8Array(0x400);
  const v = new DataView(data.buffer);
  v.setUint32(0, 0x2000_4000, true);
  for (let i = 1; i < 16; i++) v.setUint32(i * 4, 0x0800_0201 + 16 * i, true);
  for (let i = 1; i < 16; i++) v.setUint16(0x200 + 16 * i, 0xb510, true); // PUSH {r4, lr} at each handler
  return data;
})();
const smallHex = hexText([hexRecord(4, 0, [0x08, 0x00]), hexRecord(0, 0x100, [1, 2, 3, 4]), ':00000001FF']);

describe('detectFormat', () => {
  it('recognises ELF by its magic, Intel HEX by a leading record, anything else as bin', () => {
    expect(detectFormat(sampleElf().bytes)).toBe('elf');
    expect(detectFormat(smallHex)).toBe('hex');
    expect(detectFormat(vectorTableBin)).toBe('bin');
    expect(detectFormat(new Uint8Array(0))).toBe('bin');
  });

  it('still calls a damaged HEX file hex so that the HEX parser reports the damage', () => {
    expect(detectFormat(new TextEncoder().encode(':10x04000D5190008D5190008D5190008D5190008D8\n'))).toBe('hex');
  });

  it('does not take a binary that happens to start with ":" for HEX', () => {
    expect(detectFormat(Uint8Array.of(0x3a, 0x31, 0x30, 0x00, 0xff, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde))).toBe('bin');
    expect(detectFormat(new TextEncoder().encode(':00'))).toBe('bin');
  });

  it('ignores the file name: only content counts', () => {
    expect(loadImage(smallHex, { name: 'firmware.bin' }).format).toBe('hex');
  });
});

describe('loadImage', () => {
  it('loads an ELF with its sections and symbols', () => {
    const image = loadImage(sampleElf().bytes);
    expect(image).toMatchObject({ format: 'elf', loadAddress: 0x0800_0000, baseSource: 'file' });
    expect(image.elf?.symbols.map((s) => s.name)).toContain('Reset_Handler');
    expect(image.data.length).toBe(0x420);
  });

  it('loads Intel HEX at the address it carries', () => {
    expect(loadImage(smallHex)).toEqual({ format: 'hex', loadAddress: 0x0800_0100, baseSource: 'file', data: Uint8Array.of(1, 2, 3, 4) });
  });

  it('loads a .bin at an explicit base without copying it', () => {
    const image = loadImage(vectorTableBin, { base: 0x0001_0000 });
    expect(image).toMatchObject({ format: 'bin', loadAddress: 0x0001_0000, baseSource: 'option' });
    expect(image.data).toBe(vectorTableBin);
  });

  it('infers a .bin base from its vector table', () => {
    expect(loadImage(vectorTableBin)).toMatchObject({ loadAddress: 0x0800_0000, baseSource: 'vector-table' });
  });

  it('reports an unknown base as 0 when the vector table gives none', () => {
    expect(loadImage(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8))).toMatchObject({ loadAddress: 0, baseSource: 'unknown' });
  });

  it('accepts a base that repeats the address of a .hex or .elf', () => {
    expect(loadImage(smallHex, { base: 0x0800_0100 }).baseSource).toBe('file');
    expect(loadImage(sampleElf().bytes, { base: 0x0800_0000 }).loadAddress).toBe(0x0800_0000);
  });

  it('refuses a base that contradicts a .hex or .elf (usage error)', () => {
    expect(() => loadImage(smallHex, { base: 0x0800_0000, name: 'app.hex' })).toThrow(UsageError);
    expect(() => loadImage(smallHex, { base: 0x0800_0000, name: 'app.hex' })).toThrow(
      '--base 0x08000000 disagrees with app.hex: the Intel HEX file says 0x08000100; omit --base for .hex and .elf inputs',
    );
    expect(() => loadImage(sampleElf().bytes, { base: 0 })).toThrow('the ELF file says 0x08000000');
  });

  it('refuses an unaligned, out-of-range or overflowing base for a .bin (usage error)', () => {
    expect(() => loadImage(vectorTableBin, { base: 0x0800_0002, name: 'a.bin' })).toThrow(
      new UsageError('--base 0x08000002 for a.bin is not 4-byte aligned'),
    );
    expect(() => loadImage(vectorTableBin, { base: -4 })).toThrow(UsageError);
    expect(() => loadImage(vectorTableBin, { base: 2 ** 32 })).toThrow(UsageError);
    expect(() => loadImage(vectorTableBin, { base: 0xffff_fe00 })).toThrow(
      'the image of 1024 bytes at --base 0xFFFFFE00 would run past the 4 GiB address space',
    );
  });

  it('prefixes invalid-input messages with the file name', () => {
    const bad = hexText([hexRecord(0, 0, [1]).slice(0, -2) + '00', ':00000001FF']);
    expect(() => loadImage(bad, { name: 'fw.hex' })).toThrow(new InvalidInputError('fw.hex: line 1: checksum 0x00, expected 0xFE'));
    expect(() => loadImage(new Uint8Array(0), { name: 'empty.bin' })).toThrow('empty.bin: the image is empty (0 bytes)');
  });

  it('honours gapFill for HEX and ELF and refuses a non-byte value', () => {
    const gappy = writeIntelHex([
      { address: 0x100, bytes: Uint8Array.of(1) },
      { address: 0x102, bytes: Uint8Array.of(2) },
    ]);
    expect(loadImage(gappy).data).toEqual(Uint8Array.of(1, 0, 2));
    expect(loadImage(gappy, { gapFill: 0xff }).data).toEqual(Uint8Array.of(1, 0xff, 2));
    expect(() => loadImage(gappy, { gapFill: 256 })).toThrow(UsageError);
  });
});

const fixtureVersions = existsSync(FIXTURES)
  ? readdirSync(FIXTURES).filter((v) => ['elf', 'bin', 'hex'].every((ext) => existsSync(path.join(FIXTURES, v, `firmware.${ext}`))))
  : [];

describe.skipIf(fixtureVersions.length === 0)('project fixtures: .elf, .bin and .hex of one build agree', () => {
  it.each(fixtureVersions)('%s', (version) => {
    const read = (ext: string) => new Uint8Array(readFileSync(path.join(FIXTURES, version, `firmware.${ext}`)));
    const elf = loadImage(read('elf'));
    const bin = loadImage(read('bin'));
    const hex = loadImage(read('hex'));
    expect(bin.baseSource).toBe('vector-table');
    expect(bin.loadAddress).toBe(elf.loadAddress);
    expect(hex.loadAddress).toBe(elf.loadAddress);
    expect(Buffer.from(bin.data).equals(Buffer.from(elf.data))).toBe(true);
    expect(Buffer.from(hex.data).equals(Buffer.from(elf.data))).toBe(true);
    // With gapFill 0xFF (erased flash) the HEX image differs only in bytes no record covers (0x00 in the .bin).
    const erased = loadImage(read('hex'), { gapFill: 0xff }).data;
    expect(erased.every((b, i) => b === elf.data[i] || (b === 0xff && elf.data[i] === 0))).toBe(true);
  });
});

describe.skipIf(!existsSync(CORPUS))('corpus: pybv11 firmware.elf', () => {
  it.each(['v1.10', '1f5d945af-dirty'])('%s: .text at 0x08020000, image = firmware0.bin + gap + firmware1.bin', (version) => {
    const read = (name: string) => new Uint8Array(readFileSync(path.join(CORPUS, 'pybv11', version, name)));
    const image = loadImage(read('firmware.elf'), { name: 'firmware.elf' });
    const section = (name: string) => image.elf!.sections.find((s) => s.name === name)!;
    expect(image.loadAddress).toBe(0x0800_0000);
    expect(section('.text').addr).toBe(0x0802_0000);
    expect(image.elf!.symbols.find((s) => s.name === 'Reset_Handler')).toMatchObject({ type: 'func', sectionName: '.text' });

    const firmware0 = read('firmware0.bin');
    const firmware1 = read('firmware1.bin');
    expect(image.data.subarray(0, firmware0.length)).toEqual(firmware0);
    expect(image.data.subarray(firmware0.length, 0x2_0000).every((b) => b === 0)).toBe(true);
    expect(image.data.length).toBe(0x2_0000 + firmware1.length);
    // firmware1.bin was made with `objcopy -j .text -j .data`: it lacks .ARM.exidx (8 bytes), which it has as zeros.
    const exidx = section('.ARM.exidx');
    const exidxAt = exidx.addr - 0x0802_0000;
    const fromElf = Uint8Array.from(image.data.subarray(0x2_0000));
    expect(fromElf.subarray(exidxAt, exidxAt + exidx.size).some((b) => b !== 0)).toBe(true);
    expect(firmware1.subarray(exidxAt, exidxAt + exidx.size).every((b) => b === 0)).toBe(true);
    fromElf.fill(0, exidxAt, exidxAt + exidx.size);
    expect(Buffer.from(fromElf).equals(Buffer.from(firmware1))).toBe(true);
  });
});
