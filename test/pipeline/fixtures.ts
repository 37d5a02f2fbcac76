/** The project's firmware fixtures (fixtures/build/<version>/firmware.{bin,hex,elf}) as ImageInputs. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadImage } from '../../src/image/index.js';
import type { ImageInput } from '../../src/types.js';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const VERSIONS = ['v1.0.0', 'v1.0.1', 'v1.1.0', 'v1.2.0', 'v2.0.0'] as const;
export type Version = (typeof VERSIONS)[number];
export type Format = 'bin' | 'hex' | 'elf';
export const FORMATS: readonly Format[] = ['bin', 'hex', 'elf'];
export const FIXTURE_BASE = 0x0800_0000;

/** Every consecutive pair, and the big jump v1.0.0 -> v2.0.0. */
export const PAIRS: ReadonlyArray<readonly [Version, Version]> = [
  ...VERSIONS.slice(1).map((v, i) => [VERSIONS[i]!, v] as const),
  ['v1.0.0', 'v2.0.0'],
];

export function fixturePath(version: Version, format: Format): string {
  return path.join(REPO, 'fixtures/build', version, `firmware.${format}`);
}

/** Loads a fixture through the image loader: all three formats give the objcopy image of the .bin (docs/IMAGES.md). */
export function fixture(version: Version, format: Format = 'bin'): ImageInput {
  const bytes = new Uint8Array(readFileSync(fixturePath(version, format)));
  const image = loadImage(bytes, { name: `${version}/firmware.${format}` });
  return { data: image.data, loadAddress: image.loadAddress };
}
