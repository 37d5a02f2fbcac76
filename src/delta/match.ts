/**
 * The matcher: splits the new image into copy blocks (new bytes = source bytes + small differences) and
 * extra blocks (literal bytes), in the style of Percival's bsdiff: a suffix array of the source finds exact
 * matches, and each match is extended forwards and backwards as long as more than half of the bytes agree,
 * because a near-match with scattered changed bytes costs far less after compression than literal bytes.
 */
import { newKernel } from './kernel.js';
import { longestMatch } from './suffix-array.js';

/** One step of the delta program, in new-image order: copy copyLen bytes from oldStart, then extraLen literals. */
export interface Block {
  oldStart: number;
  copyLen: number;
  extraLen: number;
}

/**
 * A match must beat the current alignment by this many bytes to start a new block. bsdiff uses 8; 6 gave
 * smaller patches on every corpus pair, plain and pointer-aware (pybv11 pointer-aware: 17,332 -> 16,944 payload
 * bytes; 5 and 7 were both worse).
 */
export const DEFAULT_MIN_GAIN = 6;

/**
 * Above this source size the suffix-array search stops at the first suffix sharing GOOD_ENOUGH_MATCH bytes
 * with the target (and extends it), instead of hunting for the very longest: on large repetitive images
 * (16 MiB of tiled code) the unbounded search cost minutes. Smaller images keep the exact search, so their
 * patches are unchanged.
 */
export const LARGE_SOURCE = 2 * 1024 * 1024;
export const GOOD_ENOUGH_MATCH = 256;

export interface MatchOptions {
  /** Overrides DEFAULT_MIN_GAIN. */
  minGain?: number;
  /** Reuse a suffix array already built for this source (then the matcher runs in JavaScript). */
  suffixArray?: Int32Array;
}

/**
 * The blocks of `target` against `source`. Runs in the WebAssembly kernel (wasm/match.c, the same steps as
 * matchInJs below, over a suffix array built in the same memory: issue 13, no JIT warm-up per CLI run). The
 * kernel keeps the last source's suffix array and the last result (./kernel.ts): a call with the same source
 * skips building the array, one with the same source, target and gain returns the same blocks again.
 */
export function matchBlocks(source: Uint8Array, target: Uint8Array, options: MatchOptions = {}): Block[] {
  const minGain = options.minGain ?? DEFAULT_MIN_GAIN;
  if (!Number.isInteger(minGain) || minGain < 0 || minGain > 0xffff) throw new RangeError(`minGain must be an integer from 0 to 65535, got ${minGain}`);
  if (options.suffixArray) return matchInJs(source, target, options.suffixArray, minGain);
  const kernel = newKernel();
  const n = source.length;
  // After the array: the target, SA-IS scratch (n/4), the 2-byte prefix table (wasm/match.c) and the blocks.
  const targetAt = kernel.afterArray(n);
  const heap = (targetAt + target.length + 7) & ~7;
  const arrayReady = kernel.placeText(source, heap - targetAt + (n >>> 2) + 4 * 65537 + 12 * 1024);
  // The same source, target and gain as the previous match give the same blocks (shell's second relocation round).
  const last = kernel.note as LastMatch | undefined;
  const sameTarget = last?.targetLength === target.length && Buffer.from(kernel.view(targetAt, target.length)).equals(target);
  if (arrayReady && last?.minGain === minGain && sameTarget) {
    kernel.release();
    return last.blocks.map((block) => ({ ...block }));
  }
  kernel.note = undefined;
  kernel.write(targetAt, target);
  const goodEnough = n > LARGE_SOURCE ? GOOD_ENOUGH_MATCH : 0x7fffffff;
  const count = kernel.exports.matchBlocks(kernel.textAt, n, targetAt, target.length, kernel.arrayAt(n), heap, minGain, goodEnough, arrayReady ? 1 : 0);
  kernel.arrayBuilt();
  const triples = new Int32Array(kernel.exports.memory.buffer, kernel.exports.blocksAt(), 3 * count);
  const blocks: Block[] = [];
  for (let k = 0; k < 3 * count; k += 3) blocks.push({ oldStart: triples[k]!, copyLen: triples[k + 1]!, extraLen: triples[k + 2]! });
  const merged = mergeEmptyCopies(blocks);
  kernel.note = { minGain, targetLength: target.length, blocks: merged.map((block) => ({ ...block })) } satisfies LastMatch;
  kernel.release();
  return merged;
}

/** What matchBlocks leaves with the kernel: its target is still in the kernel's memory, after the array. */
interface LastMatch {
  minGain: number;
  targetLength: number;
  blocks: Block[];
}

/** The matcher in JavaScript, over a given suffix array of the source; the kernel's reference (tests compare). */
export function matchInJs(source: Uint8Array, target: Uint8Array, sa: Int32Array, minGain = DEFAULT_MIN_GAIN): Block[] {
  const goodEnough = source.length > LARGE_SOURCE ? GOOD_ENOUGH_MATCH : Infinity;
  const blocks: Block[] = [];
  const agrees = (s: number, t: number): boolean => s >= 0 && s < source.length && source[s] === target[t];

  let scan = 0;
  let matchLen = 0;
  let matchPos = 0;
  let lastScan = 0;
  let lastPos = 0;
  let lastOffset = 0;

  while (scan < target.length) {
    // Look for a match that beats simply continuing with the previous alignment (lastOffset).
    let oldScore = 0;
    let scored = (scan += matchLen);
    for (; scan < target.length; scan++) {
      const found = longestMatch(source, sa, target, scan, goodEnough);
      matchLen = found.length;
      matchPos = found.position;
      for (; scored < scan + matchLen; scored++) if (agrees(scored + lastOffset, scored)) oldScore++;
      if ((matchLen === oldScore && matchLen !== 0) || matchLen > oldScore + minGain) break;
      if (agrees(scan + lastOffset, scan)) oldScore--;
    }
    if (matchLen === oldScore && scan !== target.length) continue;

    // Extend the previous block forwards while more than half of the bytes agree.
    let forwardLen = 0;
    for (let i = 0, same = 0, best = 0; lastScan + i < scan && lastPos + i < source.length; ) {
      if (source[lastPos + i] === target[lastScan + i]) same++;
      i++;
      if (same * 2 - i > best * 2 - forwardLen) {
        best = same;
        forwardLen = i;
      }
    }
    // Extend the new match backwards the same way.
    let backwardLen = 0;
    if (scan < target.length) {
      for (let i = 1, same = 0, best = 0; scan >= lastScan + i && matchPos >= i; i++) {
        if (source[matchPos - i] === target[scan - i]) same++;
        if (same * 2 - i > best * 2 - backwardLen) {
          best = same;
          backwardLen = i;
        }
      }
    }
    // Where the two extensions overlap, split at the point that keeps the most agreeing bytes.
    if (lastScan + forwardLen > scan - backwardLen) {
      const overlap = lastScan + forwardLen - (scan - backwardLen);
      let score = 0;
      let bestScore = 0;
      let split = 0;
      for (let i = 0; i < overlap; i++) {
        const t = lastScan + forwardLen - overlap + i;
        if (target[t] === source[lastPos + forwardLen - overlap + i]) score++;
        if (target[t] === source[matchPos - backwardLen + i]) score--;
        if (score > bestScore) {
          bestScore = score;
          split = i + 1;
        }
      }
      forwardLen += split - overlap;
      backwardLen -= split;
    }

    const extraLen = scan - backwardLen - (lastScan + forwardLen);
    if (forwardLen > 0 || extraLen > 0) blocks.push({ oldStart: lastPos, copyLen: forwardLen, extraLen });
    lastScan = scan - backwardLen;
    lastPos = matchPos - backwardLen;
    lastOffset = matchPos - scan;
  }
  return mergeEmptyCopies(blocks);
}

/** A block with no copy only adds literals: fold it into the previous block to save a control entry. */
function mergeEmptyCopies(blocks: Block[]): Block[] {
  const out: Block[] = [];
  for (const block of blocks) {
    const previous = out[out.length - 1];
    if (block.copyLen === 0 && previous) previous.extraLen += block.extraLen;
    else out.push({ ...block });
  }
  return out;
}
