import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { parseElf } from '../../src/image/index.js';
import { buildElf, pattern, SHF_ALLOC, SHF_EXEC, sampleElf } from './helpers.js';

describe('parseElf', () => {
  const built = sampleElf();
  const { info, image } = parseElf(built.bytes);

  it('reads the entry point, sections with names, and segments', () => {
    expect(info.entry).toBe(0x0800_0109);
    expect(info.sections.map((s) => s.name)).toEqual([
      '',
      '.isr_vector',
      '.text',
      '.data',
      '.bss',
      '.comment',
      '.symtab',
      '.strtab',
      '.shstrtab',
    ]);
    const text = info.sections[2]!;
    expect(text).toMatchObject({ index: 2, type: 1, flags: SHF_ALLOC | SHF_EXEC, addr: 0x0800_0100, size: 0x300 });
    expect(info.segments).toHaveLength(2);
    expect(info.segments[1]).toMatchObject({ type: 1, vaddr: 0x2000_0000, paddr: 0x0800_0400, filesz: 0x20, memsz: 0x120, flags: 6 });
  });

  it('reads symbols with type, binding and section', () => {
    expect(info.symbols).toEqual([
      { name: 'main.c', value: 0, size: 0, type: 'file', bind: 'local', sectionIndex: 0xfff1 },
      { name: 'Reset_Handler', value: 0x0800_0109, size: 0x40, type: 'func', bind: 'global', sectionIndex: 2, sectionName: '.text' },
      { name: 'counter', value: 0x2000_0000, size: 4, type: 'object', bind: 'weak', sectionIndex: 3, sectionName: '.data' },
      { name: '_estack', value: 0x2000_8000, size: 0, type: 'notype', bind: 'global', sectionIndex: 0xfff1 },
    ]);
  });

  it('places .text at its address and .data at its load address right after it', () => {
    expect(image.loadAddress).toBe(0x0800_0000);
    expect(image.data.length).toBe(0x420);
    const at = (address: number, length: number) => image.data.subarray(address - 0x0800_0000, address - 0x0800_0000 + length);
    expect(at(0x0800_0100, 0x300)).toEqual(pattern(0x300, 1));
    expect(at(0x0800_0400, 0x20)).toEqual(pattern(0x20, 2));
  });

  it('fills the alignment gap between sections with 0x00 like objcopy, not with the file padding (0xAB)', () => {
    expect(built.bytes.includes(0xab)).toBe(true);
    expect(image.data.subarray(0x40, 0x100).every((b) => b === 0)).toBe(true);
  });

  it('honours a gapFill override', () => {
    const filled = parseElf(built.bytes, { gapFill: 0xff }).image.data;
    expect(filled.subarray(0x40, 0x100).every((b) => b === 0xff)).toBe(true);
    expect(filled.subarray(0x100, 0x400)).toEqual(pattern(0x300, 1));
  });

  it('reads an ELF without symbol table (symbols empty)', () => {
    expect(parseElf(sampleElf({ symbols: false }).bytes).info.symbols).toEqual([]);
  });

  it('falls back to PT_LOAD segments at p_paddr when there are no section headers', () => {
    const bare = buildElf({
      sections: [
        { name: '.text', addr: 0x0800_0000, data: pattern(0x40, 9) },
        { name: '.data', addr: 0x2000_0000, data: pattern(0x8, 10) },
      ],
      segments: [{ sections: ['.text'] }, { sections: ['.data'], paddr: 0x0800_0040 }],
      noSectionHeaders: true,
    });
    const parsed = parseElf(bare.bytes);
    expect(parsed.info.sections).toEqual([]);
    expect(parsed.image.loadAddress).toBe(0x0800_0000);
    expect(parsed.image.data).toEqual(Uint8Array.from([...pattern(0x40, 9), ...pattern(0x8, 10)]));
  });

  it('refuses a flash image spanning more than 64 MiB and names both ends', () => {
    const wide = buildElf({
      sections: [
        { name: '.text', addr: 0x0800_0000, data: pattern(0x10, 1) },
        { name: '.data', addr: 0x2000_0000, data: pattern(0x10, 2) },
      ],
      segments: [{ sections: ['.text'] }, { sections: ['.data'] }],
    });
    expect(() => parseElf(wide.bytes)).toThrow(InvalidInputError);
    expect(() => parseElf(wide.bytes)).toThrow(
      'ELF flash image would span 0x18000010 bytes, more than 64 MiB: from 0x08000000 (section .text in program header 0) ' +
        'to 0x2000000F (section .data in program header 1); check the load addresses (AT>) in the linker script',
    );
  });
});
