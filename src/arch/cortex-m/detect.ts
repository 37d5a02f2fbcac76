/**
 * Whether an image looks like Thumb code for a Cortex-M: enough BL instructions whose targets land inside the
 * image. A Thumb-2 image of some size has hundreds; data, or code for another architecture, has almost none.
 */
import type { ImageInput } from '../../types.js';
import { plainView } from './halfwords.js';
import { branch32Offset } from './thumb2-branch.js';

const SAMPLE_LIMIT = 1 << 20;

export function countInternalCalls(image: ImageInput): { calls: number; internal: number } {
  const data = plainView(image.data);
  const end = Math.min(data.length, SAMPLE_LIMIT) - 3;
  let calls = 0;
  let internal = 0;
  for (let p = 0; p < end; p += 2) {
    // classifyBranch32's BL test on the high bytes alone (hw1 = 11110..., hw2 = 11x1...), before any decoding.
    if ((data[p + 1]! & 0xf8) !== 0xf0 || (data[p + 3]! & 0xd0) !== 0xd0) continue;
    const hw1 = data[p]! | (data[p + 1]! << 8);
    const hw2 = data[p + 2]! | (data[p + 3]! << 8);
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
