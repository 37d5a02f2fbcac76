/**
 * The WebAssembly kernel of the matcher (wasm/sais.c and wasm/match.c, embedded by scripts/build-wasm.sh in
 * ./kernel-wasm.ts): suffix sorting and block matching, the same steps as ./sais.ts and ./match.ts. Issue 13:
 * V8 compiles WebAssembly before the first call, where the JavaScript paid its JIT warm-up in every CLI run.
 *
 * A released instance is kept for the next use while its memory is small (KEEP_MEMORY), with what it holds:
 * fresh memory costs a page fault per 4 KiB touched (about 5 ms of the 2.4 MB a pybv11 match uses), and the
 * relocation rounds of an auto diff often match the same predicted image twice (shell, synthesizer), whose
 * suffix array is then still there. A larger instance is dropped, so its memory is garbage afterwards instead
 * of staying at the largest size.
 */
import { KERNEL_WASM_BASE64 } from './kernel-wasm.js';

const WASM_PAGE = 65536;
/** Kernel memory kept between uses (images up to about 2.5 MB fit). */
export const KEEP_MEMORY = 16 * 1024 * 1024;
let compiled: WebAssembly.Module | undefined;
let spare: Kernel | undefined;

export interface KernelExports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  suffixArray(text: number, n: number, sa: number, heap: number): number;
  matchBlocks(
    source: number,
    sourceLength: number,
    target: number,
    targetLength: number,
    sa: number,
    heap: number,
    minGain: number,
    goodEnough: number,
    arrayReady: number,
  ): number;
  blocksAt(): number;
  /** Tests only: the search of matchBlocks at every target position, (position, length) pairs at `out`. */
  longestMatches(text: number, n: number, sa: number, target: number, targetLength: number, goodEnough: number, out: number, heap: number): void;
}

/**
 * One instance. Its memory layout: the text at textAt, its suffix array (4n bytes) at arrayAt(n), free memory
 * from afterArray(n) on (the caller's other inputs, then the kernel's own scratch).
 */
export interface Kernel {
  exports: KernelExports;
  readonly textAt: number;
  arrayAt(n: number): number;
  afterArray(n: number): number;
  /**
   * Puts `text` at textAt, with `reserve` more bytes after its array. True when the memory holds this text
   * and its suffix array already (a previous use built it and called arrayBuilt): then it need not be built.
   */
  placeText(text: Uint8Array, reserve: number): boolean;
  /** Says that the suffix array of the text placed is now at arrayAt. */
  arrayBuilt(): void;
  /** Copies bytes into the memory (within the reserve). */
  write(at: number, bytes: Uint8Array): void;
  /** A view of the memory (valid until it grows). */
  view(at: number, length: number): Uint8Array;
  /** The previous use's own notes (./match.ts keeps its last result), forgotten when the text changes. */
  note?: unknown;
  /** Done with it (results read out): the next newKernel may reuse the instance and what it holds. */
  release(): void;
}

/** A kernel instance for one use: the one released last if any, else a fresh one. */
export function newKernel(): Kernel {
  const kept = spare;
  spare = undefined;
  if (kept) return kept;
  compiled ??= new WebAssembly.Module(Buffer.from(KERNEL_WASM_BASE64, 'base64'));
  const exports = new WebAssembly.Instance(compiled).exports as unknown as KernelExports;
  const textAt = (exports.__heap_base.value + 7) & ~7;
  // The length of the text at textAt, and of the one whose suffix array is at arrayAt (the same text).
  let placed: number | undefined;
  let arrayOf: number | undefined;
  const kernel: Kernel = {
    exports,
    textAt,
    arrayAt: (n) => (textAt + n + 7) & ~7,
    afterArray: (n) => kernel.arrayAt(n) + 4 * n,
    placeText(text, reserve) {
      const n = text.length;
      // The kernel grows its memory itself when it needs more; this avoids most of those steps.
      const memory = exports.memory;
      const needed = kernel.afterArray(n) + reserve;
      if (needed > memory.buffer.byteLength) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / WASM_PAGE));
      const held = arrayOf === n && Buffer.from(memory.buffer, textAt, n).equals(text);
      if (!held) {
        arrayOf = undefined;
        kernel.note = undefined;
        kernel.write(textAt, text);
      }
      placed = n;
      return held;
    },
    arrayBuilt() {
      arrayOf = placed;
    },
    write(at, bytes) {
      new Uint8Array(exports.memory.buffer, at, bytes.length).set(bytes);
    },
    view: (at, length) => new Uint8Array(exports.memory.buffer, at, length),
    release() {
      if (exports.memory.buffer.byteLength <= KEEP_MEMORY) spare = kernel;
    },
  };
  return kernel;
}
