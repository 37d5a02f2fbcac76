/**
 * The WebAssembly kernel of the matcher (wasm/sais.c and wasm/match.c, embedded by scripts/build-wasm.sh in
 * ./kernel-wasm.ts): suffix sorting and block matching, the same steps as ./sais.ts and ./match.ts. Issue 13:
 * V8 compiles WebAssembly before the first call, where the JavaScript paid its JIT warm-up in every CLI run.
 * A released instance is kept for the next use while its memory is small (KEEP_MEMORY): fresh memory costs a
 * page fault per 4 KiB touched, about 5 ms of the 2.4 MB a pybv11 match uses (issue 13: the three matches of
 * an auto diff paid it three times). A larger one is dropped, so its memory is garbage afterwards instead of
 * staying at the largest size.
 */
import { KERNEL_WASM_BASE64 } from './kernel-wasm.js';

const WASM_PAGE = 65536;
/** Kernel memory kept between uses (images up to about 2.5 MB fit). */
export const KEEP_MEMORY = 16 * 1024 * 1024;
let compiled: WebAssembly.Module | undefined;
let spare: KernelExports | undefined;

export interface KernelExports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  suffixArray(text: number, n: number, sa: number, heap: number): number;
  matchBlocks(source: number, sourceLength: number, target: number, targetLength: number, sa: number, heap: number, minGain: number, goodEnough: number): number;
  blocksAt(): number;
}

export interface Kernel {
  exports: KernelExports;
  /** Copies each input into the kernel's memory; returns their addresses and the first free one (8-aligned). */
  place(inputs: Uint8Array[], reserve: number): { at: number[]; free: number };
  /** Done with it (results read out): the next newKernel may reuse the instance. */
  release(): void;
}

/**
 * A kernel instance for one use: the one released last if any (the kernel keeps no state between calls: it
 * clears what it allocates, and place() overwrites the inputs), else a fresh one.
 */
export function newKernel(): Kernel {
  compiled ??= new WebAssembly.Module(Buffer.from(KERNEL_WASM_BASE64, 'base64'));
  const exports = spare ?? (new WebAssembly.Instance(compiled).exports as unknown as KernelExports);
  spare = undefined;
  return {
    exports,
    release() {
      if (exports.memory.buffer.byteLength <= KEEP_MEMORY) spare = exports;
    },
    place(inputs, reserve) {
      const at: number[] = [];
      let free = exports.__heap_base.value;
      for (const input of inputs) {
        at.push(free);
        free = (free + input.length + 7) & ~7;
      }
      // The kernel grows its memory itself when it needs more; this avoids most of those steps.
      const memory = exports.memory;
      const needed = free + reserve;
      if (needed > memory.buffer.byteLength) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / WASM_PAGE));
      inputs.forEach((input, i) => new Uint8Array(memory.buffer, at[i], input.length).set(input));
      return { at, free };
    },
  };
}
