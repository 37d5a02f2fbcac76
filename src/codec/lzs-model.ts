/**
 * Codec 2 ("LZS"): a small-window LZ77 coded with an adaptive binary range coder over a few hundred
 * probabilities, for devices that cannot afford LZMA's 5 KB of probabilities. This module holds what the
 * encoder and the decoder share: the parameters, the probability layout, the state machine and how each
 * symbol becomes bits. The bitstream is specified in docs/LZS.md; device/src/sd_lzs.c decodes it.
 */
import { InvalidInputError } from '../errors.js';

export interface SmallLzParams {
  /** log2 of the window (the longest match distance and the decoder's window buffer), 8..12. */
  windowLog2: number;
  /** Literal context bits, 0 or 1: with 1, a literal right after a match is coded XOR the byte at the match distance, in its own tree. */
  literalContext: number;
}

export const LZS_MIN_WINDOW_LOG2 = 8;
export const LZS_MAX_WINDOW_LOG2 = 12;
/** Measured on the delta programs in docs/LZS.md: 2.2 KB of decoder RAM, within 0.5 % of a 4 KiB window. */
export const DEFAULT_SMALL_LZ_PARAMS: SmallLzParams = { windowLog2: 10, literalContext: 1 };

export const MIN_MATCH = 2;
/** Length codes: n = floor(log2(len - 1)) is at most LEN_PREFIX_MAX, so len <= 2^(LEN_PREFIX_MAX + 1). */
export const LEN_PREFIX_MAX = 8;
export const MAX_MATCH = 2 ** (LEN_PREFIX_MAX + 1);
export const SLOT_BITS = 5;

/** Symbol kinds; the state is 2 * (kind of the last symbol) + (the one before it was not a literal). */
export const Kind = { literal: 0, match: 1, rep: 2 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];
export const STATES = 6;

export function nextState(state: number, kind: Kind): number {
  return 2 * kind + (state >= 2 ? 1 : 0);
}

/** True when the last symbol was a match or a rep: the next literal uses the XOR tree (literalContext 1). */
export function afterMatch(state: number): boolean {
  return state >= 2;
}

/** Probability layout (indices into one Uint16Array); index 0 of each bit tree is unused. */
export const P_IS_MATCH = 0; // 6, by state
export const P_IS_REP = 6; // 6, by state
export const P_LEN = 12; // 2 coders (match, rep) x (8 prefix + 8 first mantissa bits)
export const LEN_CODER = 16;
export const P_SLOT = 44; // 2 x 32: 5-bit slot tree, by len == 2 / len > 2
export const P_LITERAL = 108; // 256, then 256 more (the XOR tree) with literalContext 1

export function probabilityCount(p: SmallLzParams): number {
  return P_LITERAL + (256 << p.literalContext);
}

/** The one-byte parameter code: window log2 - 8 in bits 0..2, literal context in bit 3, bits 4..7 zero. */
export function smallLzParamsByte(p: SmallLzParams): number {
  checkParams(p);
  return (p.windowLog2 - LZS_MIN_WINDOW_LOG2) | (p.literalContext << 3);
}

export function smallLzParamsFromByte(b: number): SmallLzParams {
  const p = { windowLog2: (b & 7) + LZS_MIN_WINDOW_LOG2, literalContext: (b >> 3) & 1 };
  if (b >> 4 !== 0 || p.windowLog2 > LZS_MAX_WINDOW_LOG2) throw new InvalidInputError(`LZS parameter byte 0x${b.toString(16)} is invalid`);
  return p;
}

export function checkParams(p: SmallLzParams): void {
  const ok = Number.isInteger(p.windowLog2) && p.windowLog2 >= LZS_MIN_WINDOW_LOG2 && p.windowLog2 <= LZS_MAX_WINDOW_LOG2;
  if (!ok || (p.literalContext !== 0 && p.literalContext !== 1)) {
    throw new RangeError(`LZS parameters out of range: window 2^${p.windowLog2} (8..12), literal context ${p.literalContext} (0..1)`);
  }
}

/** Bytes of probabilities (2 each) the decoder keeps: 728 or 1,240. */
export function smallLzModelBytes(p: SmallLzParams): number {
  checkParams(p);
  return 2 * probabilityCount(p);
}

/**
 * The work memory sd_lzs_init needs (sd_lzs_work_size): the probabilities, then the window, which need not
 * exceed the unpacked size (no distance can reach further back than the output's start).
 */
export function smallLzRamBytes(p: SmallLzParams, unpackedSize = Infinity): number {
  return smallLzModelBytes(p) + Math.max(1, Math.min(2 ** p.windowLog2, unpackedSize));
}

/** Where a symbol's bits go: the encoder's range coder, or a price counter. */
export interface BitSink {
  bit(i: number, bit: number): void;
  direct(bit: number): void;
}

/** MSB-first bit tree of `bits` bits rooted at probs[base + 1]. */
export function writeTree(sink: BitSink, base: number, bits: number, value: number): void {
  let node = 1;
  for (let i = bits - 1; i >= 0; i--) {
    const b = (value >> i) & 1;
    sink.bit(base + node, b);
    node = 2 * node + b;
  }
}

/**
 * Lengths 2..512 as x = len - 1: n = floor(log2 x) in unary (probs prefix[0..n), then prefix[n] = 0 unless
 * n = 8), the bit below x's leading one with its own probability per n, and the n - 1 lower bits direct.
 */
export function writeLength(sink: BitSink, coder: number, len: number): void {
  const base = P_LEN + coder * LEN_CODER;
  const x = len - 1;
  const n = 31 - Math.clz32(x);
  for (let k = 0; k < n; k++) sink.bit(base + k, 1);
  if (n < LEN_PREFIX_MAX) sink.bit(base + n, 0);
  if (n === 0) return;
  sink.bit(base + LEN_PREFIX_MAX + n - 1, (x >> (n - 1)) & 1);
  for (let i = n - 2; i >= 0; i--) sink.direct((x >> i) & 1);
}

/** LZMA's distance slot of v = distance - 1: v itself below 4, else 2 * floor(log2 v) + the next bit. */
export function distanceSlot(v: number): number {
  if (v < 4) return v;
  const n = 31 - Math.clz32(v);
  return 2 * n + ((v >> (n - 1)) & 1);
}

/** Distances 1..2^w: the slot through a 5-bit tree chosen by len > 2, then (slot >> 1) - 1 bits direct. */
export function writeDistance(sink: BitSink, len: number, distance: number): void {
  const v = distance - 1;
  const slot = distanceSlot(v);
  writeTree(sink, P_SLOT + (len > MIN_MATCH ? 32 : 0), SLOT_BITS, slot);
  if (slot < 4) return;
  const extra = (slot >> 1) - 1;
  for (let i = extra - 1; i >= 0; i--) sink.direct((v >> i) & 1);
}

export function literalTree(p: SmallLzParams, state: number): number {
  return p.literalContext && afterMatch(state) ? P_LITERAL + 256 : P_LITERAL;
}
