import { SAIS_WASM_BASE64 } from './sais-wasm.js';

/**
 * The suffix array of `text`: its suffix start positions in lexicographic order, a suffix that is a prefix of
 * another first. Built by SA-IS in O(n) time: wasm/sais.c, the same steps as ./sais.ts, compiled to WebAssembly
 * (issue 13: V8 compiles WebAssembly before the first call, where the JavaScript SA-IS paid its JIT warm-up in
 * every CLI run: shell's first build cost about 100 ms of CPU, the WebAssembly one about 10). The array is
 * unique, so any correct construction gives the same one: patches did not change when SA-IS replaced prefix
 * doubling (see bench/SA-RESULTS.md), nor when WebAssembly replaced JavaScript. Each call has its own kernel
 * instance, whose memory (the text, the 4n-byte array and about n/4 bytes of scratch) is garbage afterwards.
 */
export function buildSuffixArray(text: Uint8Array): Int32Array {
  const n = text.length;
  if (n === 0) return new Int32Array(0);
  saisModule ??= new WebAssembly.Module(Buffer.from(SAIS_WASM_BASE64, 'base64'));
  // A new instance per array: its memory is freed with the array, not kept at the largest size ever built.
  const kernel = new WebAssembly.Instance(saisModule).exports as unknown as SaisExports;
  const memory = kernel.memory;
  const textAt = kernel.__heap_base.value;
  const saAt = (textAt + n + 7) & ~7;
  const heap = saAt + 4 * n;
  // The kernel grows the memory itself when its scratch needs more; this is what it usually needs.
  const expected = heap + (n >>> 2) + 4096;
  if (expected > memory.buffer.byteLength) memory.grow(Math.ceil((expected - memory.buffer.byteLength) / WASM_PAGE));
  new Uint8Array(memory.buffer, textAt, n).set(text);
  kernel.suffixArray(textAt, n, saAt, heap);
  // A copy: a view would keep the kernel's whole memory alive and give callers a buffer that is not the array's.
  return new Int32Array(memory.buffer, saAt, n).slice();
}

const WASM_PAGE = 65536;
let saisModule: WebAssembly.Module | undefined;

interface SaisExports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  suffixArray(text: number, n: number, sa: number, heap: number): number;
}

/** Length of the common prefix of a[i..] and b[j..], counting at most `max` bytes. */
export function commonPrefix(a: Uint8Array, i: number, b: Uint8Array, j: number, max = Infinity): number {
  const limit = Math.min(a.length - i, b.length - j, max);
  let len = 0;
  while (len < limit && a[i + len] === b[j + len]) len++;
  return len;
}

/** Finds the longest prefix of target[at..] that occurs in text, by binary search over its suffix array. */
export function longestMatch(
  text: Uint8Array,
  sa: Int32Array,
  target: Uint8Array,
  at: number,
  goodEnough = Infinity,
): { position: number; length: number } {
  if (text.length === 0 || at >= target.length) return { position: 0, length: 0 };
  let lo = 0;
  let hi = sa.length - 1;
  let loLen = commonPrefix(text, sa[lo]!, target, at);
  let hiLen = commonPrefix(text, sa[hi]!, target, at);
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    const s = sa[mid]!;
    // Suffixes between lo and hi share at least min(loLen, hiLen) bytes with the target.
    const skip = Math.min(loLen, hiLen);
    if (skip >= goodEnough) break;
    const len = skip + commonPrefix(text, s + skip, target, at + skip, goodEnough - skip);
    if (len >= goodEnough) return { position: s, length: len + commonPrefix(text, s + len, target, at + len) };
    const textEnded = s + len >= text.length;
    const targetEnded = at + len >= target.length;
    if (targetEnded || (!textEnded && text[s + len]! > target[at + len]!)) {
      hi = mid;
      hiLen = len;
    } else {
      lo = mid;
      loLen = len;
    }
  }
  if (loLen >= goodEnough || hiLen >= goodEnough) {
    // Stopped early: both ends share a good-enough prefix; extend the first one fully.
    const position = sa[loLen >= hiLen ? lo : hi]!;
    return { position, length: commonPrefix(text, position, target, at) };
  }
  return loLen >= hiLen ? { position: sa[lo]!, length: loLen } : { position: sa[hi]!, length: hiLen };
}
