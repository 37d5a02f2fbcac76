/**
 * A plan's source read once: the bytes a SourceView gives each copy block, stored by new-image offset. A
 * pointer-aware source predicts every byte it reads, and creation encodes one plan in several layouts; with
 * this it predicts each block once. Pieces are read in the order and size encodeProgram uses, so the bytes
 * are the ones it would read itself.
 */
import type { Block } from './match.js';
import { SOURCE_CHUNK } from './program.js';
import type { SourceView } from './source.js';

export function bufferedSource(blocks: readonly Block[], source: SourceView, newLength: number): SourceView {
  const bytes = new Uint8Array(newLength);
  let newPos = 0;
  for (const block of blocks) {
    const placed = { oldStart: block.oldStart, newStart: newPos };
    for (let done = 0; done < block.copyLen; done += SOURCE_CHUNK) {
      const at = newPos + done;
      source.read(placed, done, bytes.subarray(at, at + Math.min(SOURCE_CHUNK, block.copyLen - done)));
    }
    newPos += block.copyLen + block.extraLen;
  }
  return {
    length: source.length,
    read(block, offsetInBlock, out) {
      const at = block.newStart + offsetInBlock;
      out.set(bytes.subarray(at, at + out.length));
    },
  };
}
