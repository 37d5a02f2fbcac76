/** Everything a patch says about itself, for `smartdelta info` and library callers. */
import { Recognize } from '../arch/cortex-m/params.js';
import { Codec, FORMAT_VERSION, hasTables, Transform } from '../container/header.js';
import { parsePatch } from '../container/patch-file.js';
import { parseTables } from '../container/tables.js';
import { DiffCoding, Layout } from '../delta/program.js';
import { toHex } from '../crypto/hash.js';
import { deviceRam, type DeviceRam } from './ram.js';

export interface PatchInfo {
  formatVersion: number;
  patchSize: number;
  headerSize: number;
  tablesSize: number;
  payloadSize: number;
  signed: boolean;
  keyId?: string;
  /** The old image's check is the first 8 bytes of its SHA-256 (docs/FORMAT.md, "The base check"). */
  old: { size: number; loadAddress: number; sha256Prefix: string };
  new: { size: number; loadAddress: number; sha256: string };
  versionFrom?: string;
  versionTo?: string;
  securityCounter?: number;
  transform: 'plain' | 'cortex-m';
  relocation?: { recognizes: string[]; minSegment: number; flashMapSegments: number; ramMapSegments: number; constantMapSegments: number };
  program: { layout: 'interleaved' | 'sectioned' | 'table-first'; diffCoding: 'raw' | 'sparse'; controlEntries?: number };
  codec: 'none' | 'lzma1' | 'small-lz';
  lzma?: { lc: number; lp: number; pb: number; window: number };
  /** New image size / patch size: how many times smaller than sending the full image. */
  ratio: number;
  deviceRam: DeviceRam;
}

const LAYOUT_NAMES = { [Layout.interleaved]: 'interleaved', [Layout.sectioned]: 'sectioned', [Layout.tableFirst]: 'table-first' } as const;
const CODEC_NAMES = { [Codec.none]: 'none', [Codec.lzma1]: 'lzma1', [Codec.smallLz]: 'small-lz' } as const;

export function patchInfo(bytes: Uint8Array): PatchInfo {
  const { header, headerLength, signature, tables } = parsePatch(bytes);
  const info: PatchInfo = {
    formatVersion: FORMAT_VERSION,
    patchSize: bytes.length,
    headerSize: headerLength,
    tablesSize: header.tablesLength,
    payloadSize: header.payloadLength,
    signed: signature !== undefined,
    old: { size: header.oldSize, loadAddress: header.oldLoadAddress, sha256Prefix: toHex(header.oldCheck) },
    new: { size: header.newSize, loadAddress: header.newLoadAddress, sha256: toHex(header.newSha256) },
    transform: header.transform === Transform.cortexM ? 'cortex-m' : 'plain',
    program: {
      layout: LAYOUT_NAMES[header.layout],
      diffCoding: header.diffCoding === DiffCoding.sparse ? 'sparse' : 'raw',
    },
    codec: CODEC_NAMES[header.codec],
    ratio: header.newSize / bytes.length,
    deviceRam: deviceRam(header),
  };
  if (signature) info.keyId = toHex(signature.keyId);
  if (header.lzma) info.lzma = { lc: header.lzma.lc, lp: header.lzma.lp, pb: header.lzma.pb, window: header.lzma.dictSize };
  if (header.versionFrom !== undefined) info.versionFrom = header.versionFrom;
  if (header.versionTo !== undefined) info.versionTo = header.versionTo;
  if (header.securityCounter !== undefined) info.securityCounter = header.securityCounter;
  if (hasTables(header)) {
    const parsed = parseTables(header, tables);
    if (parsed.control) info.program.controlEntries = parsed.control.entryCount;
    if (header.transform === Transform.cortexM) {
      // A table-first program's segments are inside the compressed program: info does not decode it.
      let segments = 0;
      for (const e of parsed.control?.entries() ?? []) if (e.segment) segments++;
      info.relocation = {
        recognizes: Object.entries(Recognize).filter(([, bit]) => parsed.recognize & bit).map(([name]) => name),
        minSegment: parsed.control?.minSegment ?? 1,
        flashMapSegments: segments,
        ramMapSegments: parsed.ram.count,
        constantMapSegments: parsed.constants.count,
      };
    }
  }
  return info;
}
