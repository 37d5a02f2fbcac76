/**
 * The RAM a device needs to apply a patch (docs/FORMAT.md, "Device RAM"), from the header alone. It is the
 * figure the C applier in device/ computes with sd_patch_ram_required(); the two are checked against each
 * other in test/device. Nothing in it depends on the number of control entries or map segments: a device
 * reads the tables where the patch is stored. Only a device that applies a sectioned patch as it arrives,
 * without storing it, keeps the tables in RAM (`streamingTotal`).
 */
import { lzmaProbabilityCount } from '../codec/lzma.js';
import { smallLzModelBytes } from '../codec/lzs.js';
import { Codec, type PatchHeader } from '../container/header.js';
import { MAX_TABLE_FIRST_ENTRIES } from '../delta/control-table.js';
import { Layout } from '../delta/program.js';

/** Applier, decoder and SHA-256 state (device/include/sd_patch.h: SD_PATCH_FIXED_STATE). */
export const DEVICE_FIXED_STATE = 512;
/** A table-first program's entries, kept in RAM: 32 of 12 bytes (old start, copy length with the flag, extra length). */
export const TABLE_FIRST_RAM = MAX_TABLE_FIRST_ENTRIES * 12;

export interface DeviceRam {
  /** A stored patch (the tables read where they are): fixed state + codec. */
  total: number;
  fixedState: number;
  /** The codec's model: LZMA's or codec 2's probabilities (16-bit each). */
  codecModel: number;
  /** The codec's window. */
  codecWindow: number;
  /** A table-first program's entries (a constant: room for the most it may have). */
  smallTable: number;
  /** Tables kept in RAM when the patch is applied as it arrives instead of from storage. */
  streamingTables: number;
  streamingTotal: number;
  /** Relocated two-slot patches: the RAM with which the device applier answers every lookup from RAM (fastLookupRam). */
  fastLookups?: FastLookupRam;
}

/**
 * The C applier (every build: docs/DEVICE.md, "Fast lookups") keeps every flash
 * segment and RAM and constant map record as an 8-byte pair in the work buffer's spare RAM, after the
 * required bytes rounded up to 4, when all of them fit; otherwise it reads the tables as with the minimum.
 */
export interface FastLookupRam {
  pairs: number;
  /** total (and streamingTotal) with room for the pairs. */
  total: number;
  streamingTotal: number;
}

export function fastLookupRam(ram: Pick<DeviceRam, 'total' | 'streamingTotal'>, pairs: number): FastLookupRam {
  const withPairs = (bytes: number) => Math.ceil(bytes / 4) * 4 + 8 * pairs;
  return { pairs, total: withPairs(ram.total), streamingTotal: withPairs(ram.streamingTotal) };
}

/** The header fields the RAM figure depends on. */
export type RamRelevantHeader = Pick<PatchHeader, 'codec' | 'lzma' | 'smallLz' | 'tablesLength' | 'layout'>;

export function deviceRam(header: RamRelevantHeader): DeviceRam {
  const lzma = header.codec === Codec.lzma1 && header.lzma;
  const small = header.codec === Codec.smallLz && header.smallLz;
  // Codec 2's window need not exceed the program: no distance reaches before its start (docs/LZS.md).
  const codecModel = lzma ? 2 * lzmaProbabilityCount(lzma) : small ? smallLzModelBytes(small.params) : 0;
  const codecWindow = lzma ? lzma.dictSize : small ? Math.max(1, Math.min(2 ** small.params.windowLog2, small.programLength)) : 0;
  const fixedState = DEVICE_FIXED_STATE;
  const smallTable = header.layout === Layout.tableFirst ? TABLE_FIRST_RAM : 0;
  const total = fixedState + codecModel + codecWindow + smallTable;
  return { total, fixedState, codecModel, codecWindow, smallTable, streamingTables: header.tablesLength, streamingTotal: total + header.tablesLength };
}
