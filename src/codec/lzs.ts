/**
 * Codec 2 ("LZS", docs/LZS.md): LZ77 over a 256 B..4 KiB window with an adaptive binary range coder, for
 * devices whose whole applier must fit in a few KiB of RAM (device/include/sd_lzs.h decodes it in
 * smallLzRamBytes() bytes of work memory). The public surface; the parts live in lzs-*.ts.
 */
export { compressSmall } from './lzs-encode.js';
export { decompressSmall, SmallLzDecoder } from './lzs-decode.js';
export {
  DEFAULT_SMALL_LZ_PARAMS,
  LZS_MAX_WINDOW_LOG2,
  LZS_MIN_WINDOW_LOG2,
  smallLzModelBytes,
  smallLzParamsByte,
  smallLzParamsFromByte,
  smallLzRamBytes,
  type SmallLzParams,
} from './lzs-model.js';
