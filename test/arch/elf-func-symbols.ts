/**
 * Test helper: the start addresses of the FUNC symbols of a little-endian ELF32 file, read from
 * .symtab with just enough of the format (System V gABI: section headers, Elf32_Sym) for a test
 * oracle. The project's own ELF reader belongs to src/image; this stays independent of it.
 */
const SHT_SYMTAB = 2;
const STT_FUNC = 2;

export function elfFuncStarts(elf: Uint8Array): Set<number> {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (view.getUint32(0, false) !== 0x7f454c46 || elf[4] !== 1 || elf[5] !== 1) {
    throw new Error('not a little-endian ELF32 file');
  }
  const sectionHeaders = view.getUint32(0x20, true);
  const headerSize = view.getUint16(0x2e, true);
  const sectionCount = view.getUint16(0x30, true);
  const starts = new Set<number>();
  for (let i = 0; i < sectionCount; i++) {
    const header = sectionHeaders + i * headerSize;
    if (view.getUint32(header + 4, true) !== SHT_SYMTAB) continue;
    const offset = view.getUint32(header + 16, true);
    const size = view.getUint32(header + 20, true);
    const entrySize = view.getUint32(header + 36, true);
    for (let sym = offset; sym + entrySize <= offset + size; sym += entrySize) {
      const info = elf[sym + 12]!;
      // Thumb function symbols have bit 0 set (the interworking bit); the code starts one byte lower.
      if ((info & 0xf) === STT_FUNC) starts.add((view.getUint32(sym + 4, true) & ~1) >>> 0);
    }
  }
  return starts;
}
