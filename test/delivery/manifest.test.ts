/**
 * Issue 15, "Done when": the fleet manifest round-trips (for each fixture release, looking up its SHA-256 gives
 * the patch that turns it into the newest release) and `verify --manifest` fails (exit 1) when one patch file is
 * swapped. The CLI runs in this process (test/hardening/cli-run.ts) from a scratch folder.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/hash.js';
import { applyPatch } from '../../src/pipeline/apply.js';
import { buildFleetManifest, lookupPatch, parseFleetManifest, type FleetManifest } from '../../src/delivery/manifest.js';
import { runCli } from '../hardening/cli-run.js';
import { validate } from '../cli/json-schema.js';
import { fixturePath } from '../pipeline/fixtures.js';
import { COUNTER, NEWEST, signedPatchesToNewest, testKey, type SignedRelease } from './signed-fixtures.js';

const repo = resolve(import.meta.dirname, '../..');
const manifestSchema = JSON.parse(readFileSync(join(repo, 'docs/schema/fleet-manifest.schema.json'), 'utf8'));
const outputSchema = JSON.parse(readFileSync(join(repo, 'docs/schema/output.schema.json'), 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'smartdelta-manifest-'));
const cwd = process.cwd();
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const pub = toHex(testKey.publicKey);
let releases: SignedRelease[];
let newest: Uint8Array;
const patchName = (r: SignedRelease): string => `patches/${r.from}-${NEWEST}.sdp`;

beforeAll(async () => {
  ({ releases, newest } = await signedPatchesToNewest());
  mkdirSync(join(dir, 'patches'));
  mkdirSync(join(dir, 'images'));
  for (const r of releases) {
    writeFileSync(join(dir, patchName(r)), r.patch);
    // One deployed image as ELF: the manifest holds the SHA-256 of the flash image, whatever the file format.
    copyFileSync(fixturePath(r.from, r.from === 'v1.1.0' ? 'elf' : 'bin'), join(dir, 'images', `${r.from}.${r.from === 'v1.1.0' ? 'elf' : 'bin'}`));
  }
  copyFileSync(fixturePath(NEWEST, 'bin'), join(dir, 'images', `${NEWEST}.bin`));
  process.chdir(dir);
});
afterAll(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

const images = (): string[] => releases.map((r) => `images/${r.from}.${r.from === 'v1.1.0' ? 'elf' : 'bin'}`);

async function json(args: string[], exitCode: number): Promise<Record<string, any>> {
  const run = await runCli([...args, '--json']);
  expect(run.code, `${args.join(' ')}\n${run.stderr}\n${run.stdout}`).toBe(exitCode);
  const document = JSON.parse(run.stdout) as Record<string, any>;
  expect(validate(outputSchema, document), run.stdout).toEqual([]);
  return document;
}

describe('fleet manifest', () => {
  it('maps each fixture release, by its SHA-256 and its version, to the patch that turns it into the newest release', async () => {
    // The patches are listed in reverse and the images in order: pairing goes by the header's base check.
    const written = await json(['manifest', ...releases.map(patchName).reverse(), '--old', ...images(), '--to', `images/${NEWEST}.bin`, '-o', 'manifest.json'], 0);
    const manifest: FleetManifest = parseFleetManifest(readFileSync('manifest.json', 'utf8'));
    expect(written.manifest).toEqual(manifest);
    expect(validate(manifestSchema, manifest)).toEqual([]);
    expect(manifest.target).toEqual({ version: '2.0.0', size: newest.length, sha256: sha256(newest) });
    expect(Object.keys(manifest.deployed)).toHaveLength(releases.length);
    for (const r of releases) {
      const entry = lookupPatch(manifest, { sha256: sha256(r.old) });
      expect(entry, r.from).toBeDefined();
      expect(lookupPatch(manifest, { version: r.from.slice(1) })).toBe(entry);
      const patch = readFileSync(entry!.patch.file);
      expect(entry!.patch).toEqual({ file: patchName(r), size: r.patch.length, sha256: sha256(r.patch), keyId: createHash('sha256').update(testKey.publicKey).digest('hex').slice(0, 16), securityCounter: COUNTER, versionFrom: r.from.slice(1), versionTo: '2.0.0' });
      expect(Buffer.from(await applyPatch(r.old, patch)).equals(Buffer.from(newest))).toBe(true);
    }
    expect(lookupPatch(manifest, { sha256: sha256(newest) })).toBeUndefined();
    expect(lookupPatch(manifest, { version: '9.9.9' })).toBeUndefined();
  });

  it('verify --manifest passes on the files as built, and fails (exit 1) naming the entry when one patch file is swapped', async () => {
    const ok = await json(['verify', '--manifest', 'manifest.json', '--pub', pub, '--min-counter', String(COUNTER)], 0);
    expect(ok.manifest.entries.map((e: { ok: boolean }) => e.ok)).toEqual(releases.map(() => true));
    expect(ok.manifest.entries[0].checks.map((c: { name: string }) => c.name)).toEqual(['file', 'base-image', 'result', 'fields', 'signature-block', 'key-id', 'signature', 'security-counter']);
    // Swap: the v1.1.0 patch's file now holds the v1.0.0 patch (a valid, signed patch, for another base).
    const [first, second] = [releases[0]!, releases[2]!];
    writeFileSync(patchName(second), first.patch);
    const swapped = await json(['verify', '--manifest', 'manifest.json', '--pub', pub], 1);
    expect(swapped.error.message).toMatch(new RegExp(`^manifest check failed: ${patchName(second)} \\(for 1\\.1\\.0\\): file check: .* the manifest lists ${second.patch.length} bytes`));
    const failed = swapped.manifest.entries.filter((e: { ok: boolean }) => !e.ok).map((e: { file: string }) => e.file);
    expect(failed).toEqual([patchName(second)]);
    const plain = await runCli(['verify', '--manifest', 'manifest.json']);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toMatch(/^FAIL {2}patches\/v1\.1\.0-v2\.0\.0\.sdp/m);
    writeFileSync(patchName(second), second.patch);
    expect((await runCli(['verify', '--manifest', 'manifest.json'])).code).toBe(0);
  });

  it('a manifest edited to point an image at the wrong patch fails its header checks', async () => {
    const manifest = JSON.parse(readFileSync('manifest.json', 'utf8')) as FleetManifest;
    const [a, b] = Object.values(manifest.deployed);
    [a!.patch, b!.patch] = [b!.patch, a!.patch];
    writeFileSync('edited.json', JSON.stringify(manifest));
    const run = await json(['verify', '--manifest', 'edited.json'], 1);
    expect(run.error.message).toMatch(/base-image check: the patch starts from/);
  });

  it('refuses a patch without its base image, mixed targets, bad manifests and wrong usage', async () => {
    const missing = await json(['manifest', ...releases.map(patchName), '--old', ...images().slice(1), '-o', 'm2.json'], 3);
    expect(missing.error.message).toMatch(/^no --old image is the base of patches\/v1\.0\.0-v2\.0\.0\.sdp \(it needs 16152 bytes with SHA-256 starting [0-9a-f]{16}\)/);
    expect((await json(['manifest', patchName(releases[0]!), '--old', ...images(), '--to', 'images/v1.0.0.bin', '-o', 'm3.json'], 3)).error.message).toMatch(/not the target/);
    const extra = await json(['manifest', patchName(releases[0]!), '--old', ...images(), '-o', 'm4.json'], 0);
    expect(extra.warnings).toHaveLength(3);
    writeFileSync('bad.json', '{"schema":"smartdelta-manifest/1","target":{}}');
    expect((await json(['verify', '--manifest', 'bad.json'], 3)).error.message).toBe('bad.json: "target" needs a size and a SHA-256');
    expect((await json(['verify', 'x.sdp', '--manifest', 'manifest.json'], 2)).error.code).toBe('usage');
    expect((await json(['verify', '--manifest', 'manifest.json', '--old', 'images/v1.0.0.bin'], 2)).error.code).toBe('usage');
    expect((await json(['verify'], 2)).error.message).toMatch(/needs a <patch> argument, or --manifest/);
  });

  it('the library builder checks each image hash against the patch header', () => {
    const [r0, r1] = releases;
    expect(() => buildFleetManifest([{ file: 'a', patch: r0!.patch, oldSha256: sha256(r1!.old) }])).toThrow(/was not made from the image/);
    expect(() => buildFleetManifest([{ file: 'a', patch: r0!.patch, oldSha256: sha256(r0!.old) }, { file: 'b', patch: r0!.patch, oldSha256: sha256(r0!.old) }])).toThrow(/both start from the image/);
    expect(() => buildFleetManifest([])).toThrow(/at least one patch/);
    const built = buildFleetManifest([{ file: 'a.sdp', patch: r0!.patch, oldSha256: sha256(r0!.old).toUpperCase() }]);
    expect(Object.keys(built.deployed)).toEqual([sha256(r0!.old)]);
  });
});
