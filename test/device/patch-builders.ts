/**
 * Patches for the device applier tests: the CLI's own (createPatch), and hand-assembled ones for the
 * program variants createPatch does not pick on small pairs (interleaved relocation, raw differences,
 * codec none, optional header fields), built from the same TypeScript parts so the format is the
 * project's, not the test's.
 */
import { readFileSync } from 'node:fs';
import { relocationContext } from '../../src/arch/cortex-m/plan.js';
import { inferRamMap } from '../../src/arch/cortex-m/infer-ram.js';
import { NO_MAP } from '../../src/arch/cortex-m/infer-constants.js';
import { encodeRelocationParams, RECOGNIZE_ALL, Recognize } from '../../src/arch/cortex-m/params.js';
import { planCortexMRounds } from '../../src/arch/cortex-m/plan.js';
import { predictWholeImage, relocatingSource } from '../../src/arch/cortex-m/predict.js';
import { compressLzma, type LzmaParams } from '../../src/codec/lzma.js';
import { Codec, encodeHeader, Transform, type PatchHeader } from '../../src/container/header.js';
import { matchBlocks } from '../../src/delta/match.js';
import { DiffCoding, encodeProgram, Layout } from '../../src/delta/program.js';
import { plainSource } from '../../src/delta/source.js';
import { sha256 } from '../../src/crypto/hash.js';
import type { ImageInput } from '../../src/pipeline/create.js';

/** A firmware file as a plain Uint8Array (a Buffer's slice() shares memory, which the creator must not see). */
export function loadImage(file: string, loadAddress: number): ImageInput {
  return { data: new Uint8Array(readFileSync(file)), loadAddress };
}

export interface Variant {
  relocate: boolean;
  layout: Layout;
  diffCoding: DiffCoding;
  codec: Codec;
  lzma?: LzmaParams;
  versions?: [string, string];
  securityCounter?: number;
}

export function variantName(v: Variant): string {
  return [
    v.relocate ? 'cortex-m' : 'plain',
    v.layout === Layout.controlFirst ? 'control-first' : 'interleaved',
    v.diffCoding === DiffCoding.sparse ? 'sparse' : 'raw',
    v.codec === Codec.lzma1 ? 'lzma' : 'none',
    ...(v.versions ? ['versions'] : []),
  ].join('/');
}

/** Blocks, predicted source and transform parameters for one variant. */
function plan(oldImage: ImageInput, newImage: ImageInput, v: Variant) {
  if (!v.relocate) {
    return { transform: Transform.plain, params: new Uint8Array(0), blocks: matchBlocks(oldImage.data, newImage.data), source: plainSource(oldImage.data) };
  }
  if (v.layout === Layout.controlFirst) {
    const rounds = planCortexMRounds(oldImage, newImage);
    const last = rounds[rounds.length - 1]!;
    return { transform: Transform.cortexM, params: last.transformParams, blocks: last.blocks, source: last.source };
  }
  // Interleaved: no table up front, so an empty flash map (0 segments declared). The format refuses this
  // combination (docs/FORMAT.md, "Layouts"); the tests check that both appliers do.
  const old = oldImage.data;
  const params = {
    recognize: RECOGNIZE_ALL & ~Recognize.constants,
    minSegment: 32,
    flashSegments: 0,
    ram: inferRamMap(old, newImage.data, matchBlocks(old, newImage.data), oldImage.loadAddress, newImage.loadAddress),
    constants: NO_MAP,
  };
  const ctx = relocationContext(old, oldImage.loadAddress, newImage.loadAddress, params, []);
  return {
    transform: Transform.cortexM,
    params: encodeRelocationParams(params),
    blocks: matchBlocks(predictWholeImage(ctx), newImage.data),
    source: relocatingSource(ctx),
  };
}

export async function buildPatch(oldImage: ImageInput, newImage: ImageInput, v: Variant): Promise<Uint8Array> {
  const p = plan(oldImage, newImage, v);
  const program = encodeProgram(p.blocks, newImage.data, p.source, { layout: v.layout, diffCoding: v.diffCoding });
  const lzma = v.lzma ?? { lc: 0, lp: 2, pb: 2, dictSize: 4096 };
  const payload = v.codec === Codec.lzma1 ? await compressLzma(program, lzma) : program;
  const header: PatchHeader = {
    oldSize: oldImage.data.length,
    newSize: newImage.data.length,
    oldLoadAddress: oldImage.loadAddress,
    newLoadAddress: newImage.loadAddress,
    oldSha256: sha256(oldImage.data),
    newSha256: sha256(newImage.data),
    transform: p.transform,
    transformParams: p.params,
    layout: v.layout,
    diffCoding: v.diffCoding,
    entryCount: p.blocks.length,
    programLength: program.length,
    codec: v.codec,
    payloadLength: payload.length,
  };
  if (v.codec === Codec.lzma1) header.lzma = lzma;
  if (v.versions) [header.versionFrom, header.versionTo] = v.versions;
  if (v.securityCounter !== undefined) header.securityCounter = v.securityCounter;
  const head = encodeHeader(header);
  const bytes = new Uint8Array(head.length + payload.length);
  bytes.set(head, 0);
  bytes.set(payload, head.length);
  return bytes;
}
