/**
 * Raw LZMA1 (no .lzma/.xz header: the container records the parameters), through lzma-native's binding
 * (./lzma-binding.ts). Every encoder option is explicit: lzma-native's defaults are the fast mode with the HC4
 * match finder, and a `preset` would silently override the dictionary size (DESIGN section 6).
 */
import { InvalidInputError } from '../errors.js';
import { lzmaBinding, runCoder } from './lzma-binding.js';

export interface LzmaParams {
  /** Literal context bits, 0..8. */
  lc: number;
  /** Literal position bits, 0..4. */
  lp: number;
  /** Position bits, 0..4. */
  pb: number;
  /**
   * Dictionary (sliding window) size in bytes: the decoder's largest RAM item. A power of two, 4 KiB..64 MiB
   * for the encoder; a header may declare a smaller window (down to 256 bytes) when the program is shorter.
   */
  dictSize: number;
}

export const LZMA_MIN_DICT_LOG2 = 12;
export const LZMA_MAX_DICT_LOG2 = 26;
/** A header may declare a window below the encoder's 4 KiB minimum when the whole program is shorter. */
export const LZMA_MIN_WINDOW_LOG2 = 8;

/** The classic LZMA properties byte: (pb * 5 + lp) * 9 + lc. */
export function lzmaPropsByte(p: LzmaParams): number {
  return (p.pb * 5 + p.lp) * 9 + p.lc;
}

export function lzmaParamsFromBytes(props: number, dictLog2: number): LzmaParams {
  if (props >= 9 * 5 * 5) throw new InvalidInputError(`LZMA properties byte ${props} is out of range (0..224)`);
  if (dictLog2 < LZMA_MIN_WINDOW_LOG2 || dictLog2 > LZMA_MAX_DICT_LOG2) {
    throw new InvalidInputError(`LZMA window 2^${dictLog2} is out of range (2^${LZMA_MIN_WINDOW_LOG2}..2^${LZMA_MAX_DICT_LOG2})`);
  }
  const lc = props % 9;
  const lp = Math.floor(props / 9) % 5;
  const pb = Math.floor(props / 45);
  if (lc + lp > 4) throw new InvalidInputError(`LZMA lc + lp = ${lc + lp} exceeds 4 (the decoder's probability table would be too large)`);
  return { lc, lp, pb, dictSize: 2 ** dictLog2 };
}

export function dictLog2(dictSize: number): number {
  const log2 = Math.log2(dictSize);
  if (!Number.isInteger(log2) || log2 < LZMA_MIN_DICT_LOG2 || log2 > LZMA_MAX_DICT_LOG2) {
    throw new RangeError(`LZMA dictionary size must be a power of two from 4 KiB to 64 MiB, got ${dictSize}`);
  }
  return log2;
}

/** Probability counters of an LZMA decoder (16-bit each): 1846 fixed + 0x300 per literal context. */
export function lzmaProbabilityCount(p: Pick<LzmaParams, 'lc' | 'lp'>): number {
  return 1846 + (0x300 << (p.lc + p.lp));
}

/**
 * How hard the encoder searches; the decoder never knows (the stream format is the same). Measured on every
 * candidate program of the corpus and fixtures (issue 13; docs/CREATE.md, "Encoder effort"):
 * - thorough: binary-tree match finder, nice length 273 (liblzma's deepest normal mode). Raw difference programs,
 *   mostly long runs of zeros, need it: a shorter nice length costs pybv11's plain patch 2 %.
 * - normal: the same match finder, nice length 64. Sparse programs have no long runs: as small or smaller
 *   (pybv11 pointer-aware 17,921 -> 17,873 bytes) in about 0.8 of the time.
 * - estimate: liblzma's fast mode (hash chains): 7x faster than thorough; the full compression was never below
 *   0.876 of its output on any program measured. Only ever used to judge a candidate, never written to a patch.
 */
export type LzmaEffort = 'thorough' | 'normal' | 'estimate';

function encoderOptions(p: LzmaParams, effort: LzmaEffort = 'thorough'): object {
  const lzma = lzmaBinding();
  const search =
    effort === 'estimate'
      ? { mode: lzma.MODE_FAST, mf: lzma.MF_HC4, niceLen: 273 }
      : { mode: lzma.MODE_NORMAL, mf: lzma.MF_BT4, niceLen: effort === 'normal' ? 64 : 273 };
  return { dictSize: Math.max(p.dictSize, 2 ** LZMA_MIN_DICT_LOG2), lc: p.lc, lp: p.lp, pb: p.pb, ...search, depth: 0 };
}

function filters(p: LzmaParams, effort?: LzmaEffort): object[] {
  return [{ id: lzmaBinding().FILTER_LZMA1, options: encoderOptions(p, effort) }];
}

/** liblzma says "No progress is possible" when the input ends before the stream does. */
function corrupt(error: Error): Error {
  const message = /no progress/i.test(error.message) ? 'the payload ends before the LZMA stream does (truncated?)' : error.message;
  return new InvalidInputError(`corrupt patch: LZMA stream: ${message}`);
}

export async function compressLzma(data: Uint8Array, params: LzmaParams): Promise<Uint8Array> {
  return (await compressLzmaWithin(data, params, Infinity))!;
}

/** Pieces fed to the encoder when a size limit may stop it early: small enough to stop soon after the limit. */
const LIMITED_PIECE = 16 * 1024;

/**
 * Compresses `data` unless the output would exceed maxLength bytes: then stops as soon as it does and returns
 * undefined. A creator ranking candidates drops a loser after compressing part of it. The encoder's output does
 * not depend on how its input is split, so a finished compression gives the same bytes as compressLzma.
 */
export async function compressLzmaWithin(data: Uint8Array, params: LzmaParams, maxLength: number, effort?: LzmaEffort): Promise<Uint8Array | undefined> {
  const parts: Uint8Array[] = [];
  let produced = 0;
  const pieces: Uint8Array[] = [];
  const pieceSize = Number.isFinite(maxLength) ? LIMITED_PIECE : Math.max(data.length, 1);
  for (let at = 0; at < data.length; at += pieceSize) pieces.push(data.subarray(at, at + pieceSize));
  runCoder('encoder', filters(params, effort), pieces, (chunk) => {
    produced += chunk.length;
    parts.push(chunk);
    return produced <= maxLength;
  }, (error) => error);
  return produced > maxLength ? undefined : Buffer.concat(parts, produced);
}

/**
 * Decompresses a raw LZMA1 stream in pieces, handing each decoded piece to onData as it comes. Stops with an
 * error as soon as the output would exceed maxOutput, so a hostile stream cannot inflate past what the
 * header declared. The input must end with the stream: bytes after its end marker are an error, as in the
 * device's decoder (the liblzma binding would silently ignore them).
 */
export async function decompressLzma(
  input: Iterable<Uint8Array>,
  params: LzmaParams,
  maxOutput: number,
  onData: (chunk: Uint8Array) => void,
  overflowMessage = `the compressed program inflates past its declared ${maxOutput} bytes`,
): Promise<number> {
  let produced = 0;
  let fed = 0;
  const counted = function* (): Generator<Uint8Array> {
    for (const piece of input) {
      fed += piece.length;
      yield piece;
    }
  };
  const pieces = counted();
  const run = runCoder('decoder', filters(params), pieces, (chunk) => {
    produced += chunk.length;
    if (produced > maxOutput) throw new InvalidInputError(`corrupt patch: ${overflowMessage}`);
    onData(chunk);
    return true;
  }, corrupt);
  // The stream may end before the last pieces were fed: they are all bytes after its end.
  for (const _ of pieces);
  if (run.consumed < fed) throw new InvalidInputError(`corrupt patch: ${fed - run.consumed} payload byte(s) after the end of the LZMA stream (offset ${run.consumed})`);
  return produced;
}
