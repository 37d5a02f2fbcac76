/**
 * The RAM a device needs to apply a patch (docs/FORMAT.md, "Device RAM"), from the header alone. It is the
 * figure the C applier in device/ computes with sd_patch_ram_required(); the two are checked against each
 * other in test/device. Nothing in it depends on the number of control entries or map segments: a device
 * reads the tables where the patch is stored. Only a device that applies a sectioned patch as it arrives,
 * without storing it, keeps the tables in RAM (`streamingTotal`).
 */
import { lzmaProbabilityCount } from '../codec/lzma.js';
import { Codec, type PatchHeader } from '../container/header.js';

/** Applier, decoder and SHA-256 state (device/include/sd_patch.h: SD_PATCH_FIXED_STATE). */
export const DEVICE_FIXED_STATE = 512;

export interface DeviceRam {
  /** A stored patch (the tables read where they are): fixed state + codec. */
  total: number;
  fixedState: number;
  /** The codec's model: LZMA probabilities (16-bit each). */
  codecModel: number;
  /** The codec's window. */
  codecWindow: number;
  /** Tables kept in RAM when the patch is applied as it arrives instead of from storage. */
  streamingTables: number;
  streamingTotal: number;
}

/** The header fields the RAM figure depends on. */
export type RamRelevantHeader = Pick<PatchHeader, 'codec' | 'lzma' | 'tablesLength'>;

export function deviceRam(header: RamRelevantHeader): DeviceRam {
  const lzma = header.codec === Codec.lzma1 && header.lzma;
  const codecModel = lzma ? 2 * lzmaProbabilityCount(lzma) : 0;
  const codecWindow = lzma ? lzma.dictSize : 0;
  const fixedState = DEVICE_FIXED_STATE;
  const total = fixedState + codecModel + codecWindow;
  return { total, fixedState, codecModel, codecWindow, streamingTables: header.tablesLength, streamingTotal: total + header.tablesLength };
}
