/** Shared by the signing tests: a small real patch (fixture firmware v1.0.0 -> v1.0.1) and a way to run the CLI. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createPatch } from '../../src/pipeline/create-patch.js';

export const repo = resolve(import.meta.dirname, '../..');
export const oldFirmwarePath = join(repo, 'fixtures/build/v1.0.0/firmware.bin');
export const newFirmwarePath = join(repo, 'fixtures/build/v1.0.1/firmware.bin');
export const LOAD_ADDRESS = 0x08000000;

export function loadFirmware(): { oldImage: Uint8Array; newImage: Uint8Array } {
  return { oldImage: new Uint8Array(readFileSync(oldFirmwarePath)), newImage: new Uint8Array(readFileSync(newFirmwarePath)) };
}

/** An unsigned patch v1.0.0 -> v1.0.1 with version strings and security counter 5 (about 135 bytes). */
export async function fixturePatch(): Promise<Uint8Array> {
  const { oldImage, newImage } = loadFirmware();
  const created = await createPatch(
    { data: oldImage, loadAddress: LOAD_ADDRESS },
    { data: newImage, loadAddress: LOAD_ADDRESS },
    { versionFrom: '1.0.0', versionTo: '1.0.1', securityCounter: 5 },
  );
  return created.bytes;
}

const tsxLoader = pathToFileURL(join(repo, 'node_modules/tsx/dist/loader.mjs')).href;
const entry = join(repo, 'test/cli/cli-entry.ts');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from the sources, as a user would, in `cwd`. */
export function smartdelta(cwd: string, args: string[]): Run {
  const result = spawnSync(process.execPath, ['--import', tsxLoader, entry, ...args], {
    cwd,
    encoding: 'latin1',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
