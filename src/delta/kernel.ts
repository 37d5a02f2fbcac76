/**
 * The WebAssembly kernel of the matcher (wasm/sais.c and wasm/match.c, embedded by scripts/build-wasm.sh in
 * ./kernel-wasm.ts): suffix sorting and block matching, the same steps as ./sais.ts and ./match.ts. Issue 13:
 * V8 compiles WebAssembly before the first call, where the JavaScript paid its JIT warm-up in every CLI run.
 * Each use gets its own instance, so its memory is garbage afterwards instead of staying at the largest size.
 */
import { KERNEL_WASM_BASE64 } from './kernel-wasm.js';

const WASM_PAGE = 65536;
let compiled: WebAssembly.Module | undefined;

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
}

/** A fresh kernel instance whose memory already holds `inputs` and room for `reserve` more bytes. */
export function newKernel(): Kernel {
  compiled ??= new WebAssembly.Module(Buffer.from(KERNEL_WASM_BASE64, 'base64'));
  const exports = new WebAssembly.Instance(compiled).exports as unknown as KernelExports;
  return {
    exports,
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
