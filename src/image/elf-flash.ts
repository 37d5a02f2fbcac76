/**
 * The flash image of an ELF file, byte for byte what `arm-none-eabi-objcopy -O binary` writes (docs/IMAGES.md):
 * every allocated section with file contents, at its load address (LMA), from the lowest to the highest
 * loaded byte, gaps filled with 0x00.
 *
 * The LMA rule is the one GNU BFD applies when it reads an ELF file (bfd/elf.c, section from header):
 * a section that lies inside a PT_LOAD segment (file range within p_offset..p_offset+p_filesz and address range
 * within p_vaddr..p_vaddr+p_memsz) loads at p_paddr + (sh_offset - p_offset); a section in no segment loads at
 * its sh_addr; and when every program header has p_paddr 0 and there are several PT_LOAD segments, all
 * sections load at their sh_addr.
 */
import { InvalidInputError } from '../errors.js';
import { type AssembledImage, assembleChunks } from './assemble.js';
import { hex, hexAddress } from './describe.js';
import { hasFileContents, PT_LOAD, PT_TLS, SHF_ALLOC, SHF_TLS } from './elf-header.js';
import type { Chunk, ElfSection, ElfSegment } from './types.js';

/** A chunk of the flash image and where it came from, for messages. */
interface FlashChunk extends Chunk {
  section?: ElfSection;
  segmentIndex?: number;
}

export function buildFlashImage(
  bytes: Uint8Array,
  sections: readonly ElfSection[],
  segments: readonly ElfSegment[],
  gapFill: number,
): AssembledImage {
  // objcopy refuses an ELF file without section headers; reading the PT_LOAD segments is our extension.
  const chunks = sections.length > 0 ? sectionChunks(bytes, sections, segments) : segmentChunks(bytes, segments);
  if (chunks.length === 0) {
    throw new InvalidInputError(
      sections.length > 0
        ? 'ELF file has no loadable data: no allocated section (SHF_ALLOC) with contents'
        : 'ELF file has no loadable data: no section headers and no PT_LOAD segment with p_filesz > 0',
    );
  }
  return assembleChunks(chunks, gapFill, describeSpan);
}

function sectionChunks(bytes: Uint8Array, sections: readonly ElfSection[], segments: readonly ElfSegment[]): FlashChunk[] {
  const useVirtual = allPhysicalAddressesZero(segments);
  // Only PT_LOAD and PT_TLS can hold a section; there are at most MAX_ELF_LOAD_SEGMENTS of them.
  const loadable = useVirtual ? [] : segments.flatMap((p, index) => (p.type === PT_LOAD || p.type === PT_TLS ? [{ p, index }] : []));
  const chunks: FlashChunk[] = [];
  for (const section of sections) {
    if ((section.flags & SHF_ALLOC) === 0 || !hasFileContents(section)) continue;
    const segmentIndex = loadable.find(({ p }) => sectionInSegment(section, p))?.index ?? -1;
    const segment = segments[segmentIndex];
    const address = segment ? segment.paddr + (section.offset - segment.offset) : section.addr;
    if (address + section.size > 2 ** 32) {
      throw new InvalidInputError(
        `ELF section header ${section.index} (${section.name}) loads at ${hex(address)}, past the 4 GiB address space`,
      );
    }
    const chunk: FlashChunk = { address, bytes: bytes.subarray(section.offset, section.offset + section.size), section };
    if (segment) chunk.segmentIndex = segmentIndex;
    chunks.push(chunk);
  }
  return chunks;
}

/** BFD keeps LMA = VMA when all p_paddr are 0 and more than one PT_LOAD has memory (old linkers wrote 0 there). */
function allPhysicalAddressesZero(segments: readonly ElfSegment[]): boolean {
  if (segments.some((p) => p.paddr !== 0)) return false;
  return segments.filter((p) => p.type === PT_LOAD && p.memsz !== 0).length > 1;
}

/** ELF_SECTION_IN_SEGMENT for a non-empty section with file contents (binutils include/elf/internal.h). */
function sectionInSegment(s: ElfSection, p: ElfSegment): boolean {
  const tls = (s.flags & SHF_TLS) !== 0;
  if (!(p.type === PT_LOAD && !tls) && !(p.type === PT_TLS && tls)) return false;
  const inFile = s.offset >= p.offset && s.offset - p.offset + s.size <= p.filesz;
  const inMemory = s.addr >= p.vaddr && s.addr - p.vaddr + s.size <= p.memsz;
  return inFile && inMemory;
}

function segmentChunks(bytes: Uint8Array, segments: readonly ElfSegment[]): FlashChunk[] {
  const useVirtual = allPhysicalAddressesZero(segments);
  const chunks: FlashChunk[] = [];
  segments.forEach((p, segmentIndex) => {
    if (p.type !== PT_LOAD || p.filesz === 0) return;
    const address = useVirtual ? p.vaddr : p.paddr;
    if (address + p.filesz > 2 ** 32) {
      throw new InvalidInputError(`ELF program header ${segmentIndex} loads at ${hex(address)}, past the 4 GiB address space`);
    }
    chunks.push({ address, bytes: bytes.subarray(p.offset, p.offset + p.filesz), segmentIndex });
  });
  return chunks;
}

function origin(c: FlashChunk): string {
  const parts: string[] = [];
  if (c.section) parts.push(`section ${c.section.name || c.section.index}`);
  if (c.segmentIndex !== undefined) parts.push(`program header ${c.segmentIndex}`);
  return parts.length === 2 ? `${parts[0]} in ${parts[1]}` : parts[0]!;
}

function describeSpan(low: FlashChunk, high: FlashChunk, span: number): string {
  const end = high.address + high.bytes.length;
  return (
    `ELF flash image would span ${hex(span)} bytes, more than 64 MiB: from ${hexAddress(low.address)} (${origin(low)}) ` +
    `to ${hexAddress(end - 1)} (${origin(high)}); check the load addresses (AT>) in the linker script`
  );
}
