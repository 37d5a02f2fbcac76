/**
 * What a copy block reads: the old image as the applier predicts it will look at its new address.
 * Plain patches read the old bytes as they are; pointer-aware patches (src/arch/cortex-m) rewrite branches and
 * pointers on the fly. Encoder and applier use the same SourceView, so both see the same bytes.
 */
export interface SourceView {
  readonly length: number;
  /**
   * Fills `out` with the predicted bytes of old[oldStart, oldStart + out.length) for a copy block whose first
   * byte lands at new offset blockNewStart; `offsetInBlock` says where in that block `out` starts, so a long
   * block can be read in bounded pieces.
   */
  read(block: { oldStart: number; newStart: number }, offsetInBlock: number, out: Uint8Array): void;
}

/** The old image as it is. */
export function plainSource(old: Uint8Array): SourceView {
  return {
    length: old.length,
    read(block, offsetInBlock, out) {
      const start = block.oldStart + offsetInBlock;
      out.set(old.subarray(start, start + out.length));
    },
  };
}
