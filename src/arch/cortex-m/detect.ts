/**
 * Whether an image looks like Thumb code for a Cortex-M: enough BL instructions whose targets land inside the
 * image. A Thumb-2 image of some size has hundreds; data, or code for another architecture, has almost none.
 */
import type { ImageInput } from '../../types.js';
import { branch32Offset, classifyBranch32 } from './thumb2-branch.js';
import { ThumbKind } from './thumb2-kind.js';

const SAMPLE_LIMIT = 1 << 20;

export function countInternalCalls(image: ImageInput): { calls: number; internal: number } {
  const data = image.data;
  const end = Math.min(data.length, SAMPLE_LIMIT) - 3;
  let calls = 0;
  let internal = 0;
  for (let p = 0; p < end; p += 2) {
    const hw1 = data[p]! | (data[p + 1]! << 8);
    const hw2 = data[p + 2]! | (data[p + 3]! << 8);
    if (classifyBranch32(hw1, hw2) !== ThumbKind.BL) continue;
    calls++;
    const target = p + 4 + branch32Offset(hw1, hw2);
    if (target >= 0 && target < data.length) internal++;
  }
  return { calls, internal };
}

export function looksLikeCortexM(image: ImageInput): boolean {
  const { calls, internal } = countInternalCalls(image);
  return internal >= 8 && internal * 2 >= calls;
}
