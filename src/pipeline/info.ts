/** Everything a patch says about itself, for `smartdelta info` and library callers. */
import { decodeRelocationParams, Recognize } from '../arch/cortex-m/params.js';
import { Codec, Transform } from '../container/header.js';
import { parsePatch } from '../container/patch-file.js';
import { DiffCoding, Layout } from '../delta/program.js';
import { toHex } from '../crypto/hash.js';
import { deviceRam, type DeviceRam } from './ram.js';

export interface PatchInfo {
  formatVersion: number;
  patchSize: number;
  headerSize: number;
  payloadSize: number;
  signed: boolean;
  keyId?: string;
  old: { size: number; loadAddress: number; sha256: string };
  new: { size: number; loadAddress: number; sha256: string };
  versionFrom?: string;
  versionTo?: string;
  securityCounter?: number;
  transform: 'plain' | 'cortex-m';
  relocation?: { recognizes: string[]; minSegment: number; flashMapSegments: number; ramMapSegments: number; constantMapSegments: number };
  program: { layout: 'interleaved' | 'control-first'; diffCoding: 'raw' | 'sparse'; controlEntries: number; length: number };
  codec: 'none' | 'lzma1';
  lzma?: { lc: number; lp: number; pb: number; dictSize: number };
  /** New image size / patch size: how many times smaller than sending the full image. */
  ratio: number;
  deviceRam: DeviceRam;
}

export function patchInfo(bytes: Uint8Array): PatchInfo {
  const { header, headerLength, signature } = parsePatch(bytes);
  const info: PatchInfo = {
    formatVersion: 1,
    patchSize: bytes.length,
    headerSize: headerLength,
    payloadSize: header.payloadLength,
    signed: signature !== undefined,
    old: { size: header.oldSize, loadAddress: header.oldLoadAddress, sha256: toHex(header.oldSha256) },
    new: { size: header.newSize, loadAddress: header.newLoadAddress, sha256: toHex(header.newSha256) },
    transform: header.transform === Transform.cortexM ? 'cortex-m' : 'plain',
    program: {
      layout: header.layout === Layout.controlFirst ? 'control-first' : 'interleaved',
      diffCoding: header.diffCoding === DiffCoding.sparse ? 'sparse' : 'raw',
      controlEntries: header.entryCount,
      length: header.programLength,
    },
    codec: header.codec === Codec.lzma1 ? 'lzma1' : 'none',
    ratio: header.newSize / bytes.length,
    deviceRam: deviceRam(header),
  };
  if (signature) info.keyId = toHex(signature.keyId);
  if (header.lzma) info.lzma = { ...header.lzma };
  if (header.versionFrom !== undefined) info.versionFrom = header.versionFrom;
  if (header.versionTo !== undefined) info.versionTo = header.versionTo;
  if (header.securityCounter !== undefined) info.securityCounter = header.securityCounter;
  if (header.transform === Transform.cortexM) {
    const params = decodeRelocationParams(header.transformParams);
    const names = Object.entries(Recognize).filter(([, bit]) => params.recognize & bit).map(([name]) => name);
    info.relocation = {
      recognizes: names,
      minSegment: params.minSegment,
      flashMapSegments: params.flashSegments,
      ramMapSegments: params.ram.segments.length,
      constantMapSegments: params.constants.segments.length,
    };
  }
  return info;
}
