/**
 * The binary range coder of codec 2 (docs/LZS.md, "Range coder"): LZMA's coder with 11-bit probabilities and
 * adaptation shift 5, minus LZMA's leading zero byte; direct bits are model bits at a fixed probability 1/2. The encoder keeps `low` as a float below 2^33 (exact in
 * a double) so the carry into already-written bytes can be seen; the decoder is resumable at every bit.
 */
export const PROB_BITS = 11;
export const PROB_ONE = 1 << PROB_BITS;
export const PROB_INIT = PROB_ONE >> 1;
export const MOVE_BITS = 5;
const TOP = 2 ** 24;
const TWO32 = 2 ** 32;

/** Range encoder. `finish()` flushes the 4 bytes that make the decoder's code register end at 0. */
export class RangeEncoder {
  private low = 0;
  private range = 0xffffffff;
  /** The byte not yet written because a carry may still reach it, and the 0xFF bytes queued behind it. */
  private cache = 0;
  private pending = 1;
  /** LZMA's first output byte is always 0 (the interval starts inside [0, 2^32)): it is not written. */
  private first = true;
  private out: number[] = [];

  bit(probs: Uint16Array, i: number, bit: number): void {
    const p = probs[i]!;
    const bound = (this.range >>> PROB_BITS) * p;
    if (bit === 0) {
      this.range = bound;
      probs[i] = p + ((PROB_ONE - p) >> MOVE_BITS);
    } else {
      this.low += bound;
      this.range -= bound;
      probs[i] = p - (p >> MOVE_BITS);
    }
    if (this.range < TOP) this.shift();
  }

  /** A "direct" bit: coded like a model bit whose probability stays at 1/2 (PROB_INIT, never updated). */
  direct(bit: number): void {
    const bound = (this.range >>> PROB_BITS) * PROB_INIT;
    if (bit === 0) {
      this.range = bound;
    } else {
      this.low += bound;
      this.range -= bound;
    }
    if (this.range < TOP) this.shift();
  }

  finish(): Uint8Array {
    for (let i = 0; i < 5; i++) this.shiftLow();
    return Uint8Array.from(this.out);
  }

  private shift(): void {
    this.range = (this.range * 256) >>> 0;
    this.shiftLow();
  }

  private shiftLow(): void {
    if (this.low < 0xff000000 || this.low >= TWO32) {
      const carry = this.low >= TWO32 ? 1 : 0;
      let b = this.cache;
      do {
        this.emit((b + carry) & 0xff);
        b = 0xff;
      } while (--this.pending !== 0);
      this.cache = Math.floor(this.low / TOP) & 0xff;
    }
    this.pending++;
    this.low = (this.low % TOP) * 256;
  }

  private emit(b: number): void {
    if (this.first) this.first = false;
    else this.out.push(b);
  }
}

/** Result of a decoder step that needs one more input byte than it has. */
export const NEED_INPUT = -1;

/**
 * Range decoder over caller-provided input pieces. Normalisation happens lazily, before a bit, so a bit needs
 * at most one new byte, and a blocked bit returns NEED_INPUT with nothing changed (as in device/src/sd_lzs.c).
 */
export class RangeDecoder {
  range = 0xffffffff;
  code = 0;
  /** Init bytes still to read into `code`. */
  initLeft = 4;
  input: Uint8Array = new Uint8Array(0);
  pos = 0;

  /** Reads the 4 init bytes; false when blocked. */
  init(): boolean {
    while (this.initLeft > 0) {
      if (this.pos === this.input.length) return false;
      this.code = this.code * 256 + this.input[this.pos++]!;
      this.initLeft--;
    }
    return true;
  }

  /** Brings range back to >= 2^24; false when that needs a byte that is not there. */
  normalize(): boolean {
    if (this.range >= TOP) return true;
    if (this.pos === this.input.length) return false;
    this.range = (this.range * 256) >>> 0;
    this.code = this.code * 256 + this.input[this.pos++]!; // code < range < 2^24 before: no overflow
    return true;
  }

  bit(probs: Uint16Array, i: number): number {
    if (!this.normalize()) return NEED_INPUT;
    const p = probs[i]!;
    const bound = (this.range >>> PROB_BITS) * p;
    if (this.code < bound) {
      this.range = bound;
      probs[i] = p + ((PROB_ONE - p) >> MOVE_BITS);
      return 0;
    }
    this.range -= bound;
    this.code -= bound;
    probs[i] = p - (p >> MOVE_BITS);
    return 1;
  }

  direct(): number {
    if (!this.normalize()) return NEED_INPUT;
    const bound = (this.range >>> PROB_BITS) * PROB_INIT;
    if (this.code < bound) {
      this.range = bound;
      return 0;
    }
    this.range -= bound;
    this.code -= bound;
    return 1;
  }
}

/** Cost in bits of coding 0 (PRICE0) or 1 (PRICE1) with probability p of a 0. */
export const PRICE0 = new Float64Array(PROB_ONE);
export const PRICE1 = new Float64Array(PROB_ONE);
for (let p = 1; p < PROB_ONE; p++) {
  PRICE0[p] = -Math.log2(p / PROB_ONE);
  PRICE1[p] = -Math.log2((PROB_ONE - p) / PROB_ONE);
}
