/**
 * liblzma through lzma-native's compiled binding, called synchronously, without the package's stream wrapper.
 * Issue 13: the wrapper (readable-stream, a setImmediate per output chunk) cost every `diff` about 15 ms to load
 * and 1.5 to 2 ms per compression, and creation runs seven to nine short ones. The binding is the one
 * lzma-native itself loads (`node-gyp-build` from its own folder), so the versions always agree;
 * test/container/lzma.test.ts and test/hardening exercise every path used here (encoding, early stop, decoding,
 * corrupt, truncated and trailing input).
 */
import { createRequire } from 'node:module';
import path from 'node:path';

/** lzma-native's LZMAStream (src/lzma-stream.cpp), the members used here. */
interface NativeStream {
  rawEncoder_(filters: object[]): number;
  rawDecoder_(filters: object[]): number;
  /** Codes one input piece, or finishes with null; output and the end arrive through bufferHandler before it returns. */
  code(piece: Uint8Array | null, async: false): void;
  resetUnderlying(): void;
  bufferHandler: (out: Buffer | null | undefined, processedChunks: number | undefined, error: Error | null | undefined, totalIn: number | null) => void;
}

export interface LzmaBinding {
  Stream: new () => NativeStream;
  FILTER_LZMA1: number;
  MODE_FAST: number;
  MODE_NORMAL: number;
  MF_BT4: number;
  MF_HC4: number;
}

let binding: LzmaBinding | undefined;

/** The binding, loaded on first use (most commands never compress or decompress). */
export function lzmaBinding(): LzmaBinding {
  if (!binding) {
    const require = createRequire(import.meta.url);
    const packageDir = path.dirname(require.resolve('lzma-native/package.json'));
    const load = createRequire(path.join(packageDir, 'index.js'))('node-gyp-build') as (dir: string) => LzmaBinding;
    binding = load(packageDir);
  }
  return binding;
}

/** What a run of a coder over some pieces ended with. */
export interface CodedRun {
  /** The coder reached the end of its stream (an encoder always does once finished). */
  ended: boolean;
  /** Input bytes the coder consumed, when it ended. */
  consumed: number;
}

/**
 * Runs a raw coder over `pieces`, handing each output chunk to onData as it comes; stops without an error when
 * onData returns false (the caller has seen enough), and throws the coder's error or onData's. A decoder whose
 * stream ends early leaves the remaining pieces unfed; `consumed` says how much it read.
 */
export function runCoder(
  kind: 'encoder' | 'decoder',
  filters: object[],
  pieces: Iterable<Uint8Array>,
  onData: (chunk: Uint8Array) => boolean,
  onError: (error: Error) => Error,
): CodedRun {
  const stream = new (lzmaBinding().Stream)();
  if (kind === 'encoder') stream.rawEncoder_(filters);
  else stream.rawDecoder_(filters);
  let stop = false;
  let failure: unknown;
  const run: CodedRun = { ended: false, consumed: 0 };
  stream.bufferHandler = (out, _processed, error, totalIn) => {
    if (stop) return;
    try {
      if (out) {
        if (!onData(new Uint8Array(out.buffer, out.byteOffset, out.byteLength))) stop = true;
      } else if (error) {
        throw onError(error);
      } else if (out === null) {
        run.ended = true;
        run.consumed = totalIn ?? 0;
      }
    } catch (err) {
      failure = err;
      stop = true;
    }
  };
  try {
    // Not for-of: leaving it early would close a generator the caller goes on reading (decompressLzma counts
    // the pieces after the end).
    const iterator = pieces[Symbol.iterator]();
    for (let next = iterator.next(); !next.done; next = iterator.next()) {
      if (next.value.length > 0) stream.code(next.value, false);
      if (stop || run.ended) break;
    }
    if (!stop && !run.ended) stream.code(null, false);
  } finally {
    stream.resetUnderlying();
  }
  if (failure !== undefined) throw failure;
  return run;
}
