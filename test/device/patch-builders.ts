/**
 * Patches for the device applier tests: the CLI's own (createPatch), and hand-assembled ones for the
 * variants createPatch does not pick on small pairs (each layout and difference coding, codec none, optional
 * header fields), built from the same TypeScript parts (plans, encodeTables, encodeProgram, encodeHeader) so
 * the format is the project's, not the test's.
 */
import { readFileSync } from 'node:fs';
import { planCortexMRounds } from '../../src/arch/cortex-m/plan.js';
import { compressLzma, type LzmaParams } from '../../src/codec/lzma.js';
import { compressSmall, DEFAULT_SMALL_LZ_PARAMS, type SmallLzParams } from '../../src/codec/lzs.js';
import { Codec, encodeHeader, OLD_CHECK_LENGTH, type PatchHeader } from '../../src/container/header.js';
import { encodeTables } from '../../src/container/tables.js';
import { DiffCoding, encodeProgram, Layout } from '../../src/delta/program.js';
import { sha256 } from '../../src/crypto/hash.js';
import { planPlain, windowFor } from '../../src/pipeline/encode-candidates.js';
import type { ImageInput } from '../../src/types.js';

/** A firmware file as a plain Uint8Array (a Buffer's slice() shares memory, which the creator must not see). */
export function loadImage(file: string, loadAddress: number): ImageInput {
  return { data: new Uint8Array(readFileSync(file)), loadAddress };
}

export interface Variant {
  /** The Cortex-M relocation transform (sectioned or table-first layout). */
  relocate: boolean;
  layout: Layout;
  diffCoding: DiffCoding;
  codec: Codec;
  lzma?: Omit<LzmaParams, 'dictSize'> & { dictSize?: number };
  /** Codec 2's parameters (default DEFAULT_SMALL_LZ_PARAMS). */
  smallLz?: SmallLzParams;
  versions?: [string, string];
  securityCounter?: number;
}

/** The header's flags byte and its sectioned-layout bit (docs/FORMAT.md, "Header"). */
export const FLAGS_OFFSET = 3;
export const FLAG_SECTIONED = 0x08;

export function variantName(v: Variant): string {
  return [
    v.relocate ? 'cortex-m' : 'plain',
    v.layout === Layout.sectioned ? 'sectioned' : v.layout === Layout.tableFirst ? 'table-first' : 'interleaved',
    v.diffCoding === DiffCoding.sparse ? 'sparse' : 'raw',
    v.codec === Codec.lzma1 ? 'lzma' : v.codec === Codec.smallLz ? 'small-lz' : 'none',
    ...(v.versions ? ['versions'] : []),
  ].join('/');
}

export async function buildPatch(oldImage: ImageInput, newImage: ImageInput, v: Variant): Promise<Uint8Array> {
  if (v.layout !== Layout.sectioned && v.relocate !== (v.layout === Layout.tableFirst)) throw new RangeError('relocation: sectioned or table-first; plain: sectioned or interleaved');
  const plan = v.relocate ? planCortexMRounds(oldImage, newImage).at(-1)! : planPlain(oldImage, newImage);
  const segmentFlags = plan.relocation?.segmentFlags;
  if (v.layout === Layout.tableFirst && plan.blocks.length > 32) throw new RangeError(`${plan.blocks.length} entries: too many for the table-first layout`);
  const program = encodeProgram(plan.blocks, newImage.data, plan.source, { layout: v.layout, diffCoding: v.diffCoding, ...(segmentFlags && { segmentFlags }) });
  const tables = v.layout === Layout.interleaved ? new Uint8Array(0) : encodeTables(plan.blocks, plan.relocation, v.layout === Layout.sectioned);
  const lzma: LzmaParams = { lc: 0, lp: 2, pb: 2, ...v.lzma, dictSize: windowFor(v.lzma?.dictSize ?? 4096, program.length) };
  const smallLz = v.smallLz ?? DEFAULT_SMALL_LZ_PARAMS;
  const payload = v.codec === Codec.lzma1 ? await compressLzma(program, lzma) : v.codec === Codec.smallLz ? compressSmall(program, smallLz) : program;
  const header: PatchHeader = {
    oldSize: oldImage.data.length,
    newSize: newImage.data.length,
    oldLoadAddress: oldImage.loadAddress,
    newLoadAddress: newImage.loadAddress,
    oldCheck: sha256(oldImage.data).slice(0, OLD_CHECK_LENGTH),
    newSha256: sha256(newImage.data),
    transform: plan.transform,
    layout: v.layout,
    diffCoding: v.diffCoding,
    codec: v.codec,
    payloadLength: payload.length,
    tablesLength: tables.length,
  };
  if (v.codec === Codec.lzma1) header.lzma = lzma;
  if (v.codec === Codec.smallLz) header.smallLz = { params: smallLz, programLength: program.length };
  if (v.versions) [header.versionFrom, header.versionTo] = v.versions;
  if (v.securityCounter !== undefined) header.securityCounter = v.securityCounter;
  const head = encodeHeader(header);
  const bytes = new Uint8Array(head.length + tables.length + payload.length);
  bytes.set(head, 0);
  bytes.set(tables, head.length);
  bytes.set(payload, head.length + tables.length);
  return bytes;
}
