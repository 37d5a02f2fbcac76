/**
 * Patch fingerprints (size and SHA-256) of every fixture pair and, when ../shared/corpus is present, every corpus
 * pair, under the option sets creation takes different paths for. Speed work (issue 13) must leave each patch
 * byte-identical or smaller: test/pipeline/fingerprints.test.ts compares with fingerprints.json, which
 * `npx tsx test/golden/fingerprints.ts --write` records (only before such work, or after a measured size gain).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseElf } from '../../src/image/elf.js';
import { createPatch, type CreatePatchOptions, type ImageInput } from '../../src/pipeline/create-patch.js';
import { fixture, PAIRS as FIXTURE_PAIRS } from '../pipeline/fixtures.js';

export const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpus');
export const FINGERPRINTS_FILE = path.join(import.meta.dirname, 'fingerprints.json');

export interface Fingerprint {
  size: number;
  sha256: string;
}

export interface FingerprintCase {
  /** "<pair> <option set>": the key in fingerprints.json. */
  name: string;
  group: 'fixtures' | 'corpus';
  images: () => { old: ImageInput; new: ImageInput };
  options: () => CreatePatchOptions;
}

const OPTION_SETS: ReadonlyArray<[string, CreatePatchOptions]> = [
  ['auto', { arch: 'auto' }],
  ['none', { arch: 'none' }],
  ['cortex-m', { arch: 'cortex-m' }],
  ['auto codec-auto', { arch: 'auto', codec: 'auto' }],
  ['auto max-ram 8K', { arch: 'auto', maxDeviceRam: 8192 }],
  ['auto dict 16K', { arch: 'auto', dictSize: 16384 }],
];

const CORPUS_PAIRS = [
  { id: 'pybv11', old: 'pybv11/v1.10/firmware1.bin', new: 'pybv11/1f5d945af-dirty/firmware1.bin', base: 0x0802_0000, elf: ['pybv11/v1.10/firmware.elf', 'pybv11/1f5d945af-dirty/firmware.elf'] },
  { id: 'shell', old: 'shell/old', new: 'shell/new', base: 0x0008_0000 },
  { id: 'synthesizer', old: 'synthesizer/1.bin', new: 'synthesizer/2.bin', base: 0x0008_0000 },
] as const;

const read = (file: string): Uint8Array => new Uint8Array(readFileSync(path.join(CORPUS, file)));

export function fingerprintCases(): FingerprintCase[] {
  const cases: FingerprintCase[] = [];
  for (const [from, to] of FIXTURE_PAIRS) {
    for (const [setName, options] of OPTION_SETS) {
      cases.push({ name: `fixtures ${from}-${to} ${setName}`, group: 'fixtures', images: () => ({ old: fixture(from), new: fixture(to) }), options: () => options });
    }
  }
  for (const pair of CORPUS_PAIRS) {
    const images = (): { old: ImageInput; new: ImageInput } => ({ old: { data: read(pair.old), loadAddress: pair.base }, new: { data: read(pair.new), loadAddress: pair.base } });
    for (const [setName, options] of OPTION_SETS) cases.push({ name: `${pair.id} ${setName}`, group: 'corpus', images, options: () => options });
    if ('elf' in pair) {
      const elfOptions = (): CreatePatchOptions => ({ arch: 'auto', oldElf: parseElf(read(pair.elf[0])).info, newElf: parseElf(read(pair.elf[1])).info });
      cases.push({ name: `${pair.id} auto + ELF`, group: 'corpus', images, options: elfOptions });
    }
  }
  return cases;
}

export async function fingerprintOf(c: FingerprintCase): Promise<Fingerprint> {
  const { old, new: target } = c.images();
  const { bytes } = await createPatch(old, target, c.options());
  return { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export function recordedFingerprints(): Record<string, Fingerprint> {
  return JSON.parse(readFileSync(FINGERPRINTS_FILE, 'utf8')) as Record<string, Fingerprint>;
}

if (process.argv[1] === import.meta.filename && process.argv.includes('--write')) {
  if (!existsSync(CORPUS)) throw new Error(`${CORPUS} is absent: the fingerprints need the corpus pairs too`);
  const all: Record<string, Fingerprint> = {};
  for (const c of fingerprintCases()) {
    all[c.name] = await fingerprintOf(c);
    console.log(`${c.name}: ${all[c.name]!.size} B ${all[c.name]!.sha256.slice(0, 16)}`);
  }
  writeFileSync(FINGERPRINTS_FILE, `${JSON.stringify(all, null, 2)}\n`);
}
