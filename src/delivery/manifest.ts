/**
 * The fleet manifest (docs/DELIVERY.md, "Fleet manifest"): one JSON document that maps every deployed image,
 * by its SHA-256 (and, when the patches record it, its version string), to the patch that turns it into the
 * target release, with the patch's size, SHA-256, key id and security counter. A server that learns a device's
 * image hash picks the patch with one lookup.
 *
 * The patch header keeps only the first 8 bytes of the old image's SHA-256 (docs/FORMAT.md, "The base
 * check"), so the builder takes each deployed image's full SHA-256 from the caller and checks it against that
 * prefix. buildFleetManifest is the library entry point: `smartdelta manifest` calls it, and a command that
 * builds the patches of a fleet can call it with the hashes of the images it read.
 */
import { InvalidInputError, SmartDeltaError } from '../errors.js';
import { sha256, toHex } from '../crypto/hash.js';
import { splitPatch, trailerKeyId, trailerProblem } from '../container/sign.js';
import type { PatchHeader } from '../container/header.js';
import { verifySignature } from '../pipeline/verify.js';

export const MANIFEST_SCHEMA = 'smartdelta-manifest/1';

export interface ManifestPatch {
  /** Path of the patch file, relative to the manifest's folder, with "/" separators. */
  file: string;
  size: number;
  sha256: string;
  keyId: string | null;
  securityCounter: number | null;
  versionFrom: string | null;
  versionTo: string | null;
}

export interface ManifestEntry {
  /** The deployed image's version string (the patch's versionFrom), null when the patch records none. */
  version: string | null;
  size: number;
  sha256: string;
  patch: ManifestPatch;
}

export interface FleetManifest {
  schema: typeof MANIFEST_SCHEMA;
  target: { version: string | null; size: number; sha256: string };
  /** Deployed image SHA-256 -> its entry: the one lookup a server makes. */
  deployed: Record<string, ManifestEntry>;
  /** Deployed version string -> image SHA-256, for devices that report a version instead of a hash. */
  versions: Record<string, string>;
}

export interface ManifestInput {
  /** The path to record (relative to where the manifest will live). */
  file: string;
  patch: Uint8Array;
  /** Full SHA-256 of the image the patch was made from, 64 hex digits. */
  oldSha256: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Builds the manifest; every patch must lead to the same release, and no deployed image may appear twice. */
export function buildFleetManifest(inputs: readonly ManifestInput[], options: { targetSha256?: string } = {}): FleetManifest {
  if (inputs.length === 0) throw new InvalidInputError('a fleet manifest needs at least one patch');
  const deployed: Record<string, ManifestEntry> = {};
  const versions: Record<string, string> = {};
  let target: FleetManifest['target'] | undefined;
  for (const input of inputs) {
    const header = headerOf(input.patch, input.file);
    const oldSha256 = input.oldSha256.toLowerCase();
    if (!SHA256_HEX.test(oldSha256)) throw new InvalidInputError(`${input.file}: the old image's SHA-256 must be 64 hex digits, got "${input.oldSha256}"`);
    if (!oldSha256.startsWith(toHex(header.oldCheck))) {
      throw new InvalidInputError(`${input.file} was not made from the image with SHA-256 ${oldSha256} (its base check is ${toHex(header.oldCheck)})`);
    }
    const newSha256 = toHex(header.newSha256);
    const wanted = options.targetSha256?.toLowerCase() ?? target?.sha256;
    if (wanted !== undefined && newSha256 !== wanted) {
      throw new InvalidInputError(`${input.file} leads to the image with SHA-256 ${newSha256}, not the target ${wanted}: a manifest has one target release`);
    }
    if (target === undefined) target = { version: header.versionTo ?? null, size: header.newSize, sha256: newSha256 };
    else if (target.version === null && header.versionTo !== undefined) target.version = header.versionTo;
    if (deployed[oldSha256] !== undefined) {
      throw new InvalidInputError(`${input.file} and ${deployed[oldSha256]!.patch.file} both start from the image with SHA-256 ${oldSha256}: keep one`);
    }
    const version = header.versionFrom ?? null;
    if (version !== null) {
      if (versions[version] !== undefined) throw new InvalidInputError(`two deployed images both record version "${version}" (${versions[version]} and ${oldSha256}): a version must name one image`);
      versions[version] = oldSha256;
    }
    deployed[oldSha256] = { version, size: header.oldSize, sha256: oldSha256, patch: patchRecord(input.file, input.patch, header) };
  }
  return { schema: MANIFEST_SCHEMA, target: target!, deployed, versions };
}

function headerOf(patch: Uint8Array, file: string): PatchHeader {
  try {
    return splitPatch(patch).header;
  } catch (err) {
    if (err instanceof SmartDeltaError) throw new InvalidInputError(`${file}: ${err.message}`);
    throw err;
  }
}

function patchRecord(file: string, patch: Uint8Array, header: PatchHeader): ManifestPatch {
  const { trailer } = splitPatch(patch);
  const problem = trailer.length === 0 ? undefined : trailerProblem(trailer);
  if (problem !== undefined) throw new InvalidInputError(`${file}: signature block ${problem}`);
  return {
    file,
    size: patch.length,
    sha256: toHex(sha256(patch)),
    keyId: trailer.length === 0 ? null : toHex(trailerKeyId(trailer)),
    securityCounter: header.securityCounter ?? null,
    versionFrom: header.versionFrom ?? null,
    versionTo: header.versionTo ?? null,
  };
}

/** The entry for a device that reports its image's SHA-256, or else its version string; undefined when unknown. */
export function lookupPatch(manifest: FleetManifest, device: { sha256?: string; version?: string }): ManifestEntry | undefined {
  const hash = device.sha256?.toLowerCase() ?? (device.version !== undefined ? manifest.versions[device.version] : undefined);
  return hash !== undefined && Object.hasOwn(manifest.deployed, hash) ? manifest.deployed[hash] : undefined;
}

/** Reads a manifest document, checking every field it relies on; throws InvalidInputError naming the first problem. */
export function parseFleetManifest(text: string, source = 'manifest'): FleetManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new InvalidInputError(`${source} is not JSON`);
  }
  const fail = (what: string): never => {
    throw new InvalidInputError(`${source}: ${what}`);
  };
  if (!isObject(doc) || doc.schema !== MANIFEST_SCHEMA) fail(`not a fleet manifest (no "schema": "${MANIFEST_SCHEMA}")`);
  const m = doc as Record<string, any>;
  if (!isObject(m.target) || !SHA256_HEX.test(String(m.target.sha256)) || !isCount(m.target.size)) fail('"target" needs a size and a SHA-256');
  if (!isObject(m.deployed) || Object.keys(m.deployed).length === 0) fail('"deployed" lists no image');
  if (!isObject(m.versions)) fail('"versions" is missing');
  for (const [hash, entry] of Object.entries(m.deployed as Record<string, any>)) {
    const where = `deployed image ${hash}`;
    if (!SHA256_HEX.test(hash) || !isObject(entry) || entry.sha256 !== hash || !isCount(entry.size)) fail(`${where}: needs its SHA-256 as key and field, and a size`);
    const p = entry.patch;
    if (!isObject(p) || typeof p.file !== 'string' || p.file === '' || !isCount(p.size) || !SHA256_HEX.test(String(p.sha256))) {
      fail(`${where}: "patch" needs file, size and sha256`);
    }
    if (p.keyId !== null && !/^[0-9a-f]{16}$/.test(String(p.keyId))) fail(`${where}: patch keyId must be 16 hex digits or null`);
    if (p.securityCounter !== null && !isCount(p.securityCounter)) fail(`${where}: patch securityCounter must be an integer or null`);
  }
  for (const [version, hash] of Object.entries(m.versions as Record<string, unknown>)) {
    if (typeof hash !== 'string' || !Object.hasOwn(m.deployed, hash)) fail(`version "${version}" points at no deployed image`);
  }
  return m as FleetManifest;
}

export interface ManifestEntryReport {
  /** The deployed image's SHA-256 (the entry's key). */
  sha256: string;
  version: string | null;
  file: string;
  ok: boolean;
  checks: ManifestCheck[];
}

export interface ManifestReport {
  ok: boolean;
  entries: ManifestEntryReport[];
}

export interface ManifestCheckOptions {
  /** Also verify each patch's Ed25519 signature under this key (docs/SIGNING.md). */
  publicKey?: Uint8Array;
  /** Anti-rollback: each patch's security counter must be at least this. */
  minCounter?: number;
}

/** As verify's checks, with the manifest's own names too: file, format, base-image, result, fields, signature checks, security-counter. */
export interface ManifestCheck {
  name: string;
  ok: boolean;
  detail: string;
  skipped?: true;
}

type Check = ManifestCheck;
const pass = (name: string, detail: string): Check => ({ name, ok: true, detail });
const failCheck = (name: string, detail: string): Check => ({ name, ok: false, detail });

/**
 * Checks every entry against its file: the file's size and SHA-256 (a swapped or changed file fails here),
 * then what its header says (base image, result, versions, counter) and its key id against the manifest, and
 * with a public key its signature. `read` returns a file's bytes or throws a SmartDeltaError.
 */
export function checkFleetManifest(manifest: FleetManifest, read: (file: string) => Uint8Array, options: ManifestCheckOptions = {}): ManifestReport {
  const entries = Object.values(manifest.deployed).map((entry) => checkEntry(manifest, entry, read, options));
  return { ok: entries.every((e) => e.ok), entries };
}

function checkEntry(manifest: FleetManifest, entry: ManifestEntry, read: (file: string) => Uint8Array, options: ManifestCheckOptions): ManifestEntryReport {
  const checks: Check[] = [];
  const done = (): ManifestEntryReport => ({ sha256: entry.sha256, version: entry.version, file: entry.patch.file, ok: checks.every((c) => c.ok), checks });
  let bytes: Uint8Array;
  try {
    bytes = read(entry.patch.file);
  } catch (err) {
    if (!(err instanceof SmartDeltaError)) throw err;
    checks.push(failCheck('file', err.message));
    return done();
  }
  const digest = toHex(sha256(bytes));
  if (bytes.length !== entry.patch.size || digest !== entry.patch.sha256) {
    checks.push(failCheck('file', `${entry.patch.file} is ${bytes.length} bytes with SHA-256 ${digest}, the manifest lists ${entry.patch.size} bytes with SHA-256 ${entry.patch.sha256} (replaced or changed?)`));
    return done();
  }
  checks.push(pass('file', `${bytes.length} bytes, SHA-256 ${digest.slice(0, 16)}… as listed`));
  let header: PatchHeader;
  let trailer: Uint8Array;
  try {
    ({ header, trailer } = splitPatch(bytes));
  } catch (err) {
    if (!(err instanceof SmartDeltaError)) throw err;
    checks.push(failCheck('format', err.message));
    return done();
  }
  const oldCheck = toHex(header.oldCheck);
  checks.push(
    header.oldSize === entry.size && entry.sha256.startsWith(oldCheck)
      ? pass('base-image', `made from the listed image (${entry.size} bytes, SHA-256 starting ${oldCheck})`)
      : failCheck('base-image', `the patch starts from ${header.oldSize} bytes with SHA-256 starting ${oldCheck}, not the listed image (${entry.size} bytes, ${entry.sha256})`),
  );
  const newSha256 = toHex(header.newSha256);
  checks.push(
    header.newSize === manifest.target.size && newSha256 === manifest.target.sha256
      ? pass('result', `leads to the target (${header.newSize} bytes, SHA-256 ${newSha256.slice(0, 16)}…)`)
      : failCheck('result', `the patch leads to ${header.newSize} bytes with SHA-256 ${newSha256}, not the target ${manifest.target.sha256}`),
  );
  const keyId = trailer.length === 0 || trailerProblem(trailer) !== undefined ? null : toHex(trailerKeyId(trailer));
  const listed = { keyId: entry.patch.keyId, securityCounter: entry.patch.securityCounter, versionFrom: entry.patch.versionFrom, versionTo: entry.patch.versionTo };
  const actual = { keyId, securityCounter: header.securityCounter ?? null, versionFrom: header.versionFrom ?? null, versionTo: header.versionTo ?? null };
  const differ = (Object.keys(listed) as (keyof typeof listed)[]).filter((k) => listed[k] !== actual[k]);
  checks.push(
    differ.length === 0
      ? pass('fields', `key id ${keyId ?? 'none'}, security counter ${actual.securityCounter ?? 'none'}, versions ${actual.versionFrom ?? '?'} -> ${actual.versionTo ?? '?'} as listed`)
      : failCheck('fields', differ.map((k) => `${k} is ${JSON.stringify(actual[k])}, the manifest says ${JSON.stringify(listed[k])}`).join('; ')),
  );
  if (options.publicKey !== undefined) {
    for (const check of verifySignature(bytes, options.publicKey).checks) if (check.name !== 'format') checks.push(check);
  }
  if (options.minCounter !== undefined) {
    const counter = header.securityCounter;
    checks.push(
      counter !== undefined && counter >= options.minCounter
        ? pass('security-counter', `security counter ${counter} is at least the minimum ${options.minCounter}`)
        : failCheck('security-counter', counter === undefined ? `no security counter; a minimum of ${options.minCounter} is required` : `security counter ${counter} is below the minimum ${options.minCounter}`),
    );
  }
  return done();
}

/** One line naming the first failed entry and check, and how many entries failed. */
export function manifestFailureMessage(report: ManifestReport): string {
  const failed = report.entries.filter((e) => !e.ok);
  if (failed.length === 0) return 'every entry passed';
  const first = failed[0]!;
  const check = first.checks.find((c) => !c.ok && !c.skipped)!;
  const others = failed.length > 1 ? `; ${failed.length - 1} other entr${failed.length === 2 ? 'y' : 'ies'} failed too` : '';
  return `manifest check failed: ${first.file} (for ${first.version ?? first.sha256}): ${check.name} check: ${check.detail}${others}`;
}

function isObject(v: unknown): v is Record<string, any> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
