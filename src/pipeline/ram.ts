/**
 * The RAM a device needs to apply a patch (docs/FORMAT.md, "Device RAM"), from the header alone. It is the
 * figure the C applier in device/ computes with sd_patch_ram_required(); the two are checked against each
 * other in test/device.
 */
import { decodeRelocationParams } from '../arch/cortex-m/params.js';
import { lzmaProbabilityCount } from '../codec/lzma.js';
import { Codec, Transform, type PatchHeader } from '../container/header.js';
import { Layout } from '../delta/program.js';

/** Applier and LZMA decoder state besides the tables below (device/include/sd_patch.h: SD_PATCH_FIXED_STATE). */
export const DEVICE_FIXED_STATE = 512;
/** One control table entry: old start, copy length, extra length (u32 each). */
export const CONTROL_ENTRY_BYTES = 12;
/** One map segment: start, shift (u32 each). */
export const MAP_SEGMENT_BYTES = 8;

export interface DeviceRam {
  total: number;
  fixedState: number;
  lzmaProbabilities: number;
  lzmaWindow: number;
  controlTable: number;
  flashMap: number;
  ramMap: number;
  constantMap: number;
}

/** The header fields the RAM figure depends on. */
export type RamRelevantHeader = Pick<PatchHeader, 'codec' | 'lzma' | 'programLength' | 'layout' | 'entryCount' | 'transform' | 'transformParams'>;

export function deviceRam(header: RamRelevantHeader): DeviceRam {
  const lzma = header.codec === Codec.lzma1 && header.lzma;
  const lzmaProbabilities = lzma ? 2 * lzmaProbabilityCount(lzma) : 0;
  const lzmaWindow = lzma ? Math.min(lzma.dictSize, header.programLength) : 0;
  const controlTable = header.layout === Layout.controlFirst ? header.entryCount * CONTROL_ENTRY_BYTES : 0;
  let flashMap = 0;
  let ramMap = 0;
  let constantMap = 0;
  if (header.transform === Transform.cortexM) {
    const params = decodeRelocationParams(header.transformParams);
    flashMap = params.flashSegments * MAP_SEGMENT_BYTES;
    ramMap = params.ram.segments.length * MAP_SEGMENT_BYTES;
    constantMap = params.constants.segments.length * MAP_SEGMENT_BYTES;
  }
  const fixedState = DEVICE_FIXED_STATE;
  return {
    total: fixedState + lzmaProbabilities + lzmaWindow + controlTable + flashMap + ramMap + constantMap,
    fixedState,
    lzmaProbabilities,
    lzmaWindow,
    controlTable,
    flashMap,
    ramMap,
    constantMap,
  };
}
