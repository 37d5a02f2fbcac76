/** The bundled fixture releases as report inputs (fixtures/build/vX.Y.Z/firmware.bin, loaded at 0x08000000). */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadImage } from '../../src/image/index.js';
import type { NamedImage } from '../../src/report/index.js';

export const repo = resolve(import.meta.dirname, '../..');
export const VERSIONS = ['1.0.0', '1.0.1', '1.1.0', '1.2.0', '2.0.0'] as const;
export const FLASH_BASE = 0x08000000;

export function fixturePath(version: string): string {
  return join(repo, 'fixtures', 'build', `v${version}`, 'firmware.bin');
}

export function fixture(version: string): NamedImage {
  // A plain Uint8Array, as the CLI reads files: Buffer.slice() makes views, not copies.
  const file = readFileSync(fixturePath(version));
  const image = loadImage(new Uint8Array(file.buffer, file.byteOffset, file.byteLength), { base: FLASH_BASE });
  return { name: `v${version}`, data: image.data, loadAddress: image.loadAddress };
}
