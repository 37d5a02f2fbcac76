/**
 * Raw LZMA1 (no .lzma/.xz header: the container records the parameters), through lzma-native.
 * Every encoder option is explicit: lzma-native's defaults are the fast mode with the HC4 match finder, and a
 * `preset` would silently override the dictionary size (DESIGN section 6).
 */
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type LzmaNative from 'lzma-native';
import { InvalidInputError } from '../errors.js';

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
 * lzma-native, loaded on first use: the native addon and its stream library cost every command about 50 ms
 * of start-up, and most commands other than diff and apply never compress or decompress. The CLI bundle is
 * CommonJS: there `require` exists and its literal call lets esbuild bundle lzma-native's JavaScript, which the
 * bundle's code cache then covers (scripts/bundle-cli.js); the ES modules (dist/, tests) have no `require`.
 */
let native: typeof LzmaNative | undefined;
function lzmaNative(): typeof LzmaNative {
  return (native ??= (typeof require === 'function' ? require('lzma-native') : createRequire(import.meta.url)('lzma-native')) as typeof LzmaNative);
}

function encoderOptions(p: LzmaParams): object {
  const lzma = lzmaNative();
  return { dictSize: Math.max(p.dictSize, 2 ** LZMA_MIN_DICT_LOG2), lc: p.lc, lp: p.lp, pb: p.pb, mode: lzma.MODE_NORMAL, mf: lzma.MF_BT4, niceLen: 273, depth: 0 };
}

function filters(p: LzmaParams): object[] {
  return [{ id: lzmaNative().FILTER_LZMA1, options: encoderOptions(p) }];
}

/**
 * Feeds the input one piece at a time, pulling the next piece only once the coder has taken the previous one,
 * and stops at the first failure: a consumer that throws (the inflation cap, a corrupt program) ends the
 * work at once instead of letting the coder decode the rest of a hostile stream in the background.
 */
function runStream(stream: Duplex, input: Iterable<Uint8Array>, onData: (chunk: Uint8Array) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      stream.removeAllListeners('data');
      stream.destroy();
      reject(err);
    };
    stream.on('data', (chunk: Buffer) => {
      if (failed) return;
      try {
        onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      } catch (err) {
        fail(err);
      }
    });
    // liblzma says "No progress is possible" when the input ends before the stream does.
    const explain = (message: string): string => (/no progress/i.test(message) ? 'the payload ends before the LZMA stream does (truncated?)' : message);
    stream.on('error', (err: Error) => fail(new InvalidInputError(`corrupt patch: LZMA stream: ${explain(err.message)}`)));
    stream.on('end', () => {
      if (!failed) resolve();
    });
    const pieces = input[Symbol.iterator]();
    const feed = (): void => {
      if (failed) return;
      let next: IteratorResult<Uint8Array>;
      try {
        next = pieces.next();
      } catch (err) {
        fail(err);
        return;
      }
      if (next.done) {
        stream.end();
        return;
      }
      const chunk = next.value;
      stream.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength), (err) => {
        if (!err) feed();
      });
    };
    feed();
  });
}

export async function compressLzma(data: Uint8Array, params: LzmaParams): Promise<Uint8Array> {
  return (await compressLzmaWithin(data, params, Infinity))!;
}

/** Pieces fed to the encoder when a size limit may stop it early: small enough to stop soon after the limit. */
const LIMITED_PIECE = 16 * 1024;

class OverLimit extends Error {}

/**
 * Compresses `data` unless the output would exceed maxLength bytes: then stops as soon as it does and returns
 * undefined. A creator ranking candidates drops a loser after compressing part of it. The encoder's output does
 * not depend on how its input is split, so a finished compression gives the same bytes as compressLzma.
 */
export async function compressLzmaWithin(data: Uint8Array, params: LzmaParams, maxLength: number): Promise<Uint8Array | undefined> {
  const parts: Uint8Array[] = [];
  let produced = 0;
  const pieces: Uint8Array[] = [];
  const pieceSize = Number.isFinite(maxLength) ? LIMITED_PIECE : Math.max(data.length, 1);
  for (let at = 0; at < data.length; at += pieceSize) pieces.push(data.subarray(at, at + pieceSize));
  const encoder = lzmaNative().createStream('rawEncoder', { filters: filters(params), synchronous: true }) as unknown as Duplex;
  try {
    await runStream(encoder, pieces, (chunk) => {
      produced += chunk.length;
      if (produced > maxLength) throw new OverLimit();
      parts.push(chunk.slice());
    });
  } catch (err) {
    if (err instanceof OverLimit) return undefined;
    throw err;
  }
  return Buffer.concat(parts);
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
  const decoder = lzmaNative().createStream('rawDecoder', { filters: filters(params), synchronous: true }) as unknown as Duplex & { totalIn(): number };
  const pieces = counted();
  await runStream(decoder, pieces, (chunk) => {
    produced += chunk.length;
    if (produced > maxOutput) throw new InvalidInputError(`corrupt patch: ${overflowMessage}`);
    onData(chunk);
  });
  // The stream may end before the last pieces were fed: they are all bytes after its end.
  for (const _ of pieces);
  const consumed = decoder.totalIn();
  if (consumed < fed) throw new InvalidInputError(`corrupt patch: ${fed - consumed} payload byte(s) after the end of the LZMA stream (offset ${consumed})`);
  return produced;
}
