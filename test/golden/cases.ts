/**
 * The golden patches: small patches made from the fixtures, committed beside this file with their `info` JSON.
 * test/pipeline/golden.test.ts checks that they still apply and re-create byte for byte; regenerate.ts writes
 * them (see README.md for when that is allowed).
 */
import path from 'node:path';
import type { CreatePatchOptions } from '../../src/pipeline/create-patch.js';
import type { Version } from '../pipeline/fixtures.js';

export const GOLDEN_DIR = path.resolve(import.meta.dirname);

export interface GoldenCase {
  /** File stem: <name>.sdp and <name>.json. */
  name: string;
  from: Version;
  to: Version;
  options: CreatePatchOptions;
}

export const GOLDEN_CASES: readonly GoldenCase[] = [
  { name: 'v1.0.0-v1.0.1.plain', from: 'v1.0.0', to: 'v1.0.1', options: { arch: 'none' } },
  { name: 'v1.0.0-v1.0.1.cortex-m', from: 'v1.0.0', to: 'v1.0.1', options: { arch: 'cortex-m' } },
  { name: 'v1.0.0-v1.1.0.cortex-m', from: 'v1.0.0', to: 'v1.1.0', options: { arch: 'cortex-m' } },
  // Large enough for the sectioned layout: the bit-coded control table with checkpoints, the value maps.
  { name: 'v1.0.0-v2.0.0.cortex-m', from: 'v1.0.0', to: 'v2.0.0', options: { arch: 'cortex-m' } },
  { name: 'v1.0.0-v2.0.0.plain', from: 'v1.0.0', to: 'v2.0.0', options: { arch: 'none' } },
  // The plain sectioned layout (the control table outside the codec, no relocation tables).
  { name: 'v1.2.0-v2.0.0.plain', from: 'v1.2.0', to: 'v2.0.0', options: { arch: 'none' } },
  {
    name: 'v1.1.0-v1.2.0.auto.versions',
    from: 'v1.1.0',
    to: 'v1.2.0',
    options: { arch: 'auto', dictSize: 4096, versionFrom: '1.1.0', versionTo: '1.2.0-ü', securityCounter: 5 },
  },
  // Issue 14: an in-place patch (header extension, slot geometry, unit write order) over 10 erase units.
  {
    name: 'v1.0.0-v2.0.0.cortex-m.in-place-2k',
    from: 'v1.0.0',
    to: 'v2.0.0',
    options: { arch: 'cortex-m', inPlace: { slotSize: 20480, eraseUnit: 2048, writeUnit: 8 } },
  },
  // In place with a stash window (extension bit 1: units whose copies a window keeps, docs/FORMAT.md).
  {
    name: 'v1.2.0-v2.0.0.cortex-m.in-place-2k-stash',
    from: 'v1.2.0',
    to: 'v2.0.0',
    options: { arch: 'cortex-m', inPlace: { slotSize: 20480, eraseUnit: 2048, writeUnit: 8 } },
  },
];

export const patchFile = (c: GoldenCase): string => path.join(GOLDEN_DIR, `${c.name}.sdp`);
export const infoFile = (c: GoldenCase): string => path.join(GOLDEN_DIR, `${c.name}.json`);

/** The info JSON exactly as committed: two-space indentation, trailing newline. */
export function infoJson(info: unknown): string {
  return `${JSON.stringify(info, null, 2)}\n`;
}
