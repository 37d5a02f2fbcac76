/** Everything a patch says about itself, for `smartdelta info` and library callers. */
import { Recognize } from '../arch/cortex-m/params.js';
import { Codec, FORMAT_VERSION, hasTables, Transform } from '../container/header.js';
import { parsePatch } from '../container/patch-file.js';
import { parseTables } from '../container/tables.js';
import { DiffCoding, Layout } from '../delta/program.js';
import { toHex } from '../crypto/hash.js';
import { deviceRam, fastLookupRam, type DeviceRam } from './ram.js';
import { RECORD_SIZE } from '../inplace/progress.js';
import { writeSequence, type UnitRun } from '../inplace/order.js';
import type { StashWindow } from '../inplace/stash.js';

/**
 * What src/inplace/apply.ts runs without a reset: a pass per stretch of units written upwards one after the
 * other (so one per unit of a downward run; a stash window's start starts a pass too), and a dry run when the
 * first pass does not reach the last unit.
 */
export function decoderPasses(order: readonly UnitRun[], units: number, stash: readonly StashWindow[] = []): number {
  const sequence = writeSequence(order);
  const windowStarts = new Set(stash.map((w) => w.first));
  let passes = 0;
  let firstEnd = -1;
  sequence.forEach((unit, k) => {
    if (k === 0 || unit !== sequence[k - 1]! + 1 || windowStarts.has(k)) passes++;
    if (passes === 1) firstEnd = unit;
  });
  return passes + (units > 0 && firstEnd !== units - 1 ? 1 : 0);
}

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
  /** two-slot: the new image goes to a second slot; in-place: over the old image in its own slot. */
  kind: 'two-slot' | 'in-place';
  /** In-place patches: the flash they need (docs/DEVICE.md, "Single-slot layout"). */
  inPlace?: InPlaceInfo;
}

export interface InPlaceInfo {
  slotSize: number;
  eraseUnit: number;
  writeUnit: number;
  /** Scratch flash: one erase unit. */
  scratchSize: number;
  /** The progress record: two cells of RECORD_SIZE bytes. */
  progressRecord: number;
  /** Erase units written, and the runs of consecutive units the write order has. */
  units: number;
  writeOrderRuns: number;
  /** Decoder runs a device makes without a reset: one per run of units written upwards, one per unit written downwards, and the dry run when the first does not end the program. */
  decoderPasses: number;
}

const LAYOUT_NAMES = { [Layout.interleaved]: 'interleaved', [Layout.sectioned]: 'sectioned', [Layout.tableFirst]: 'table-first' } as const;
const CODEC_NAMES = { [Codec.none]: 'none', [Codec.lzma1]: 'lzma1', [Codec.smallLz]: 'small-lz' } as const;

/**
 * What `info` reports of a patch. `tables: false` leaves out what needs the tables decoded (control entries,
 * relocation map sizes, the fast-lookup RAM): `diff`'s one-line summary does without them (8 ms on pybv11).
 */
export function patchInfo(bytes: Uint8Array, { tables: withTables = true }: { tables?: boolean } = {}): PatchInfo {
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
    kind: header.inPlace ? 'in-place' : 'two-slot',
  };
  if (header.inPlace) {
    const g = header.inPlace;
    const units = Math.ceil(header.newSize / g.eraseUnit);
    info.inPlace = {
      slotSize: g.slotSize,
      eraseUnit: g.eraseUnit,
      writeUnit: g.writeUnit,
      scratchSize: g.eraseUnit,
      progressRecord: 2 * RECORD_SIZE,
      units,
      writeOrderRuns: g.order.length,
      decoderPasses: decoderPasses(g.order, units, g.stash),
    };
  }
  if (signature) info.keyId = toHex(signature.keyId);
  if (header.lzma) info.lzma = { lc: header.lzma.lc, lp: header.lzma.lp, pb: header.lzma.pb, window: header.lzma.dictSize };
  if (header.versionFrom !== undefined) info.versionFrom = header.versionFrom;
  if (header.versionTo !== undefined) info.versionTo = header.versionTo;
  if (header.securityCounter !== undefined) info.securityCounter = header.securityCounter;
  if (withTables && hasTables(header)) {
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
      // (Not in place: sd_patch_apply_in_place gives the applier exactly the minimum.)
      if (!header.inPlace) info.deviceRam.fastLookups = fastLookupRam(info.deviceRam, segments + parsed.ram.count + parsed.constants.count);
    }
  }
  return info;
}
