/**
 * Cross-check the ELF flash image against GNU objcopy itself: `objcopy -O binary` must give the same bytes
 * and `objcopy -O ihex` the same image through parseIntelHex (with gaps as 0x00 like the binary).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseElf, parseIntelHex } from '../../src/image/index.js';
import { buildElf, pattern, SHF_ALLOC, SHF_EXEC, SHF_WRITE, SHT_NOBITS, sampleElf } from './helpers.js';

// Found on PATH like the other toolchain tests, so that a machine without the cross toolchain skips.
const OBJCOPY = 'arm-none-eabi-objcopy';
const hasObjcopy = spawnSync(OBJCOPY, ['--version']).status === 0;
const SHARED = path.resolve(import.meta.dirname, '../../../shared');

function objcopy(elf: Uint8Array, format: 'binary' | 'ihex', dir: string): Uint8Array {
  const input = path.join(dir, 'in.elf');
  const output = path.join(dir, `out.${format}`);
  writeFileSync(input, elf);
  execFileSync(OBJCOPY, ['-O', format, input, output]);
  return new Uint8Array(readFileSync(output));
}

const cases: [string, () => Uint8Array][] = [
  ['vector table + code + .data loaded after .text, alignment padding 0xAB', () => sampleElf().bytes],
  [
    'two flash segments with a gap between them',
    () =>
      buildElf({
        sections: [
          { name: '.boot', flags: SHF_ALLOC | SHF_EXEC, addr: 0x0800_0000, data: pattern(0x80, 3) },
          { name: '.app', flags: SHF_ALLOC | SHF_EXEC, addr: 0x0800_4000, data: pattern(0x123, 4) },
        ],
        segments: [{ sections: ['.boot'] }, { sections: ['.app'] }],
      }).bytes,
  ],
  [
    'an allocated section outside every segment loads at its address',
    () =>
      buildElf({
        sections: [
          { name: '.text', flags: SHF_ALLOC | SHF_EXEC, addr: 0x0000_1000, data: pattern(0x40, 5) },
          { name: '.extra', flags: SHF_ALLOC, addr: 0x0000_2000, data: pattern(0x10, 6) },
        ],
        segments: [{ sections: ['.text'] }],
      }).bytes,
  ],
  [
    'all p_paddr zero with two PT_LOAD: sections stay at their addresses',
    () =>
      buildElf({
        sections: [
          { name: '.text', flags: SHF_ALLOC | SHF_EXEC, addr: 0x0000_0000, data: pattern(0x40, 7) },
          { name: '.data', flags: SHF_ALLOC | SHF_WRITE, addr: 0x0000_0800, data: pattern(0x10, 8) },
          { name: '.bss', type: SHT_NOBITS, flags: SHF_ALLOC | SHF_WRITE, addr: 0x0000_0810, size: 0x40 },
        ],
        segments: [{ sections: ['.text'] }, { sections: ['.data', '.bss'], paddr: 0 }],
      }).bytes,
  ],
];

describe.skipIf(!hasObjcopy)('ELF flash image matches arm-none-eabi-objcopy', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'smartdelta-image-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(cases)('%s', (_name, make) => {
    const elf = make();
    const { image } = parseElf(elf);
    expect(Buffer.from(image.data).equals(Buffer.from(objcopy(elf, 'binary', dir)))).toBe(true);
    const hex = parseIntelHex(objcopy(elf, 'ihex', dir), { gapFill: 0 });
    expect(hex.loadAddress).toBe(image.loadAddress);
    expect(Buffer.from(hex.data).equals(Buffer.from(image.data))).toBe(true);
  });

  describe.skipIf(!existsSync(SHARED))('corpus', () => {
    it.each(['v1.10', '1f5d945af-dirty'])('pybv11 %s firmware.elf gives objcopy -O binary byte for byte', (version) => {
      const elf = new Uint8Array(readFileSync(path.join(SHARED, 'corpus/pybv11', version, 'firmware.elf')));
      const { image } = parseElf(elf);
      expect(image.loadAddress).toBe(0x0800_0000);
      expect(Buffer.from(image.data).equals(Buffer.from(objcopy(elf, 'binary', dir)))).toBe(true);
    });
  });
});
