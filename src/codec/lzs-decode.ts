/**
 * Streaming codec 2 decoder (docs/LZS.md), the reference for device/src/sd_lzs.c: the same checks at the same
 * points, so both refuse the same streams. The decoding procedure is a generator that pauses whenever the
 * range decoder needs a byte the current piece does not have; `push` resumes it with the next piece.
 */
import { InvalidInputError } from '../errors.js';
import {
  afterMatch,
  checkParams,
  Kind,
  LEN_CODER,
  LEN_PREFIX_MAX,
  literalTree,
  MIN_MATCH,
  nextState,
  P_IS_MATCH,
  P_IS_REP,
  P_LEN,
  P_SLOT,
  probabilityCount,
  SLOT_BITS,
  type SmallLzParams,
} from './lzs-model.js';
import { NEED_INPUT, PROB_INIT, RangeDecoder } from './lzs-rc.js';

type Steps<T> = Generator<void, T, void>;

/** Output is handed to onData in pieces of at most this many bytes. */
const OUT_PIECE = 4096;

function corrupt(what: string): InvalidInputError {
  return new InvalidInputError(`corrupt patch: LZS stream: ${what}`);
}

export class SmallLzDecoder {
  private readonly probs: Uint16Array;
  private readonly window: Uint8Array;
  private readonly rc = new RangeDecoder();
  private readonly steps: Steps<void>;
  private winPos = 0;
  private produced = 0;
  private readonly out = new Uint8Array(OUT_PIECE);
  private outLen = 0;
  private complete = false;
  private failure: unknown = undefined;

  constructor(
    private readonly params: SmallLzParams,
    /** The exact number of bytes the stream must produce. */
    readonly unpackedSize: number,
    private readonly onData: (piece: Uint8Array) => void,
  ) {
    checkParams(params);
    if (!Number.isSafeInteger(unpackedSize) || unpackedSize < 0) throw new RangeError(`bad unpacked size ${unpackedSize}`);
    this.probs = new Uint16Array(probabilityCount(params)).fill(PROB_INIT);
    this.window = new Uint8Array(Math.max(1, Math.min(2 ** params.windowLog2, unpackedSize)));
    this.steps = this.decode();
  }

  /** True once the stream has ended: every declared byte produced and the range coder's end checked. */
  get done(): boolean {
    return this.complete;
  }

  /** Decodes one piece of the stream. Throws InvalidInputError on a corrupt stream or bytes after its end. */
  push(piece: Uint8Array): void {
    if (this.failure !== undefined) throw this.failure;
    try {
      if (this.complete) {
        if (piece.length > 0) throw corrupt(`${piece.length} byte(s) after the end of the stream`);
        return;
      }
      this.rc.input = piece;
      this.rc.pos = 0;
      this.complete = this.steps.next().done === true;
      this.flush();
      if (this.complete && this.rc.pos < piece.length) throw corrupt(`${piece.length - this.rc.pos} byte(s) after the end of the stream`);
    } catch (err) {
      this.failure = err;
      throw err;
    }
  }

  /** Ends the input; throws when the stream stopped short. Returns the number of bytes produced. */
  finish(): number {
    if (this.failure !== undefined) throw this.failure;
    if (!this.complete) {
      this.failure = corrupt(`truncated after ${this.produced} of ${this.unpackedSize} bytes`);
      throw this.failure;
    }
    return this.produced;
  }

  private *decode(): Steps<void> {
    const rc = this.rc;
    const p = this.params;
    while (!rc.init()) yield;
    let state = 0;
    let rep = 1;
    while (this.produced < this.unpackedSize) {
      let kind: Kind = Kind.literal;
      if (this.produced > 0 && (yield* this.bit(P_IS_MATCH + state))) kind = (yield* this.bit(P_IS_REP + state)) ? Kind.rep : Kind.match;
      if (kind === Kind.literal) {
        const value = yield* this.tree(literalTree(p, state), 8);
        this.put(p.literalContext && afterMatch(state) ? value ^ this.byteAt(rep) : value);
      } else {
        const len = yield* this.length(kind === Kind.rep ? 1 : 0);
        if (len > this.unpackedSize - this.produced) throw corrupt(`a ${len}-byte match passes the declared size ${this.unpackedSize}`);
        if (kind === Kind.match) rep = yield* this.distance(len);
        for (let k = 0; k < len; k++) this.put(this.byteAt(rep));
      }
      state = nextState(state, kind);
    }
    while (!rc.normalize()) yield;
    if (rc.code !== 0) throw corrupt('the range coder does not end at zero');
  }

  private *length(coder: number): Steps<number> {
    const base = P_LEN + coder * LEN_CODER;
    let n = 0;
    while (n < LEN_PREFIX_MAX && (yield* this.bit(base + n))) n++;
    if (n === 0) return MIN_MATCH;
    let x = 2 | (yield* this.bit(base + LEN_PREFIX_MAX + n - 1));
    for (let i = n - 2; i >= 0; i--) x = 2 * x + (yield* this.direct());
    return x + 1;
  }

  private *distance(len: number): Steps<number> {
    const slot = yield* this.tree(P_SLOT + (len > MIN_MATCH ? 32 : 0), SLOT_BITS);
    if (slot >= 2 * this.params.windowLog2) throw corrupt(`distance slot ${slot} is beyond the 2^${this.params.windowLog2} window`);
    let v = slot;
    if (slot >= 4) {
      const extra = (slot >> 1) - 1;
      v = 2 | (slot & 1);
      for (let i = 0; i < extra; i++) v = 2 * v + (yield* this.direct());
    }
    if (v >= this.produced) throw corrupt(`distance ${v + 1} reaches before the start of the output (${this.produced} bytes)`);
    return v + 1;
  }

  private *tree(base: number, bits: number): Steps<number> {
    const end = 1 << bits;
    let node = 1;
    while (node < end) {
      let b: number;
      while ((b = this.rc.bit(this.probs, base + node)) === NEED_INPUT) yield;
      node = 2 * node + b;
    }
    return node - end;
  }

  private *bit(i: number): Steps<number> {
    let b: number;
    while ((b = this.rc.bit(this.probs, i)) === NEED_INPUT) yield;
    return b;
  }

  private *direct(): Steps<number> {
    let b: number;
    while ((b = this.rc.direct()) === NEED_INPUT) yield;
    return b;
  }

  /** The byte `dist` (1..produced) back; the window holds at least the last min(2^w, unpacked size) bytes. */
  private byteAt(dist: number): number {
    const i = this.winPos - dist;
    return this.window[i >= 0 ? i : i + this.window.length]!;
  }

  private put(b: number): void {
    this.window[this.winPos] = b;
    if (++this.winPos === this.window.length) this.winPos = 0;
    this.produced++;
    this.out[this.outLen++] = b;
    if (this.outLen === OUT_PIECE) this.flush();
  }

  private flush(): void {
    if (this.outLen === 0) return;
    const piece = this.out.slice(0, this.outLen);
    this.outLen = 0;
    this.onData(piece);
  }
}

/** Decodes a whole stream at once. */
export function decompressSmall(stream: Uint8Array, params: SmallLzParams, unpackedSize: number): Uint8Array {
  const out = new Uint8Array(unpackedSize);
  let at = 0;
  const decoder = new SmallLzDecoder(params, unpackedSize, (piece) => {
    out.set(piece, at);
    at += piece.length;
  });
  decoder.push(stream);
  decoder.finish();
  return out;
}
