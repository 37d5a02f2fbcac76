/**
 * verifyPatch: may a release pipeline or a device trust this patch? One named check per question
 * (docs/SIGNING.md, "Verify checks"). Every problem with the patch's bytes, including a header that does not
 * parse or a truncated signature block, is a failed check, never an exception: any change to a signed patch
 * must give the same answer, "no".
 */
import { CheckFailedError, SmartDeltaError } from '../errors.js';
import { verifyDetached } from '../crypto/ed25519.js';
import { sha256, toHex } from '../crypto/hash.js';
import { keyId } from '../crypto/keys.js';
import type { PatchHeader } from '../container/header.js';
import { signingMessage } from '../container/patch-file.js';
import { splitPatch, trailerKeyId, trailerProblem, trailerSignature, type SplitPatch } from '../container/sign.js';
import { applyPatch } from './apply.js';

export type VerifyCheckName = 'format' | 'signature-block' | 'key-id' | 'signature' | 'base-image' | 'result' | 'security-counter';

export interface VerifyCheck {
  name: VerifyCheckName;
  ok: boolean;
  detail: string;
  /** Set when the check could not run because an earlier one failed (ok is then false). */
  skipped?: true;
}

export interface VerifyReport {
  /** True when every check passed. */
  ok: boolean;
  checks: VerifyCheck[];
}

export interface VerifyOptions {
  /**
   * The 32-byte Ed25519 public key the patch must be signed with. Without one, the signature checks are not
   * run (they are not in the report) and the others are: an unsigned patch's base, result and counter.
   */
  publicKey?: Uint8Array;
  /** The base image: checks its size and SHA-256, and with it the result of applying the patch. */
  old?: Uint8Array;
  /** The expected result image: compared with the applied result, or with the header when `old` is absent. */
  new?: Uint8Array;
  /** Anti-rollback: the patch's security counter must be at least this. */
  minCounter?: number;
}

const pass = (name: VerifyCheckName, detail: string): VerifyCheck => ({ name, ok: true, detail });
const fail = (name: VerifyCheckName, detail: string): VerifyCheck => ({ name, ok: false, detail });
const skip = (name: VerifyCheckName, reason: string): VerifyCheck => ({ name, ok: false, detail: `not checked: ${reason}`, skipped: true });
const short = (bytes: Uint8Array): string => `${toHex(bytes).slice(0, 16)}…`;
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

function report(checks: VerifyCheck[]): VerifyReport {
  return { ok: checks.every((c) => c.ok), checks };
}

/** The signature checks alone (format, signature-block, key-id, signature): cheap, no image needed. */
export function verifySignature(patchBytes: Uint8Array, publicKey: Uint8Array): VerifyReport {
  return report(signatureChecks(patchBytes, publicKey).checks);
}

function signatureChecks(patchBytes: Uint8Array, publicKey: Uint8Array | undefined): { checks: VerifyCheck[]; split?: SplitPatch } {
  let split: SplitPatch;
  try {
    split = splitPatch(patchBytes);
  } catch (err) {
    if (!(err instanceof SmartDeltaError)) throw err;
    const reason = 'the patch does not parse';
    return { checks: [fail('format', err.message), skip('signature-block', reason), skip('key-id', reason), skip('signature', reason)] };
  }
  const head = split.body.length - split.header.payloadLength - split.header.tablesLength;
  const checks = [pass('format', `smartdelta patch v2: ${head}-byte header, ${split.header.tablesLength}-byte tables, ${split.header.payloadLength}-byte payload`)];
  if (publicKey === undefined) {
    // The bytes after the payload must still be nothing or one trailer: anything else is a damaged file.
    const problem = split.trailer.length === 0 ? undefined : trailerProblem(split.trailer);
    if (problem !== undefined) checks.push(fail('signature-block', problem));
    return { checks, split };
  }
  const problem = trailerProblem(split.trailer);
  if (problem !== undefined) {
    const reason = 'no well-formed signature block';
    checks.push(fail('signature-block', problem), skip('key-id', reason), skip('signature', reason));
    return { checks, split };
  }
  const patchKeyId = trailerKeyId(split.trailer);
  const expectedKeyId = keyId(publicKey);
  checks.push(pass('signature-block', `Ed25519, key id ${toHex(patchKeyId)}`));
  checks.push(
    sameBytes(patchKeyId, expectedKeyId)
      ? pass('key-id', `key id ${toHex(patchKeyId)} matches the public key`)
      : fail('key-id', `key id ${toHex(patchKeyId)} in the patch does not match the public key's key id ${toHex(expectedKeyId)} (signed with another key?)`),
  );
  // The message carries the key id written in the trailer, so a changed key id also breaks the signature.
  const valid = verifyDetached(trailerSignature(split.trailer), signingMessage(split.body, patchKeyId), publicKey);
  checks.push(
    valid
      ? pass('signature', 'valid Ed25519 signature (strict RFC 8032) over the 59-byte signed message')
      : fail('signature', 'the signature does not verify under the public key: the patch was changed after signing, or signed with another key'),
  );
  return { checks, split };
}

/** Runs every check the options ask for; never throws for a bad patch (only for a bad public key). */
export async function verifyPatch(patchBytes: Uint8Array, options: VerifyOptions): Promise<VerifyReport> {
  const { checks, split } = signatureChecks(patchBytes, options.publicKey);
  const header = split?.header;
  const signatureValid = checks.every((c) => c.ok);
  let baseOk = true;
  if (options.old !== undefined) {
    const base = header ? baseImageCheck(header, options.old) : skip('base-image', 'the patch does not parse');
    baseOk = base.ok;
    checks.push(base);
  }
  if (options.old !== undefined || options.new !== undefined) {
    if (!header) checks.push(skip('result', 'the patch does not parse'));
    else if (!signatureValid && options.publicKey === undefined) checks.push(skip('result', 'the bytes after the payload are not a signature block'));
    else if (options.old === undefined) checks.push(headerResultCheck(header, options.new!));
    else if (!signatureValid) checks.push(skip('result', 'the payload of a patch that fails the signature checks is not processed'));
    else if (!baseOk) checks.push(skip('result', 'the base image does not match'));
    else checks.push(await appliedResultCheck(patchBytes, options.old, options.new));
  }
  if (options.minCounter !== undefined) {
    checks.push(header ? counterCheck(header, options.minCounter) : skip('security-counter', 'the patch does not parse'));
  }
  return report(checks);
}

function baseImageCheck(header: PatchHeader, old: Uint8Array): VerifyCheck {
  const digest = sha256(old);
  if (old.length === header.oldSize && sameBytes(digest.subarray(0, header.oldCheck.length), header.oldCheck)) {
    return pass('base-image', `the old image matches (${old.length} bytes, SHA-256 ${short(digest)})`);
  }
  return fail(
    'base-image',
    `the old image (${old.length} bytes, SHA-256 ${short(digest)}) is not the patch's base (${header.oldSize} bytes, SHA-256 starting ${toHex(header.oldCheck)})`,
  );
}

function headerResultCheck(header: PatchHeader, expected: Uint8Array): VerifyCheck {
  const digest = sha256(expected);
  if (expected.length === header.newSize && sameBytes(digest, header.newSha256)) {
    return pass('result', `the new image matches the header's result (${expected.length} bytes, SHA-256 ${short(digest)}); the patch was not applied (no old image)`);
  }
  return fail(
    'result',
    `the new image (${expected.length} bytes, SHA-256 ${short(digest)}) is not the patch's result (${header.newSize} bytes, SHA-256 ${short(header.newSha256)})`,
  );
}

async function appliedResultCheck(patchBytes: Uint8Array, old: Uint8Array, expected: Uint8Array | undefined): Promise<VerifyCheck> {
  let result: Uint8Array;
  try {
    result = await applyPatch(old, patchBytes);
  } catch (err) {
    if (!(err instanceof SmartDeltaError)) throw err;
    return fail('result', `applying the patch to the old image failed: ${err.message}`);
  }
  const digest = sha256(result);
  if (expected === undefined) {
    return pass('result', `applying the patch to the old image gives the header's result (${result.length} bytes, SHA-256 ${short(digest)})`);
  }
  const expectedDigest = sha256(expected);
  if (result.length === expected.length && sameBytes(digest, expectedDigest)) {
    return pass('result', `applying the patch to the old image gives the new image (${result.length} bytes, SHA-256 ${short(digest)})`);
  }
  return fail(
    'result',
    `applying the patch to the old image gives ${result.length} bytes with SHA-256 ${short(digest)}, not the new image (${expected.length} bytes, SHA-256 ${short(expectedDigest)})`,
  );
}

function counterCheck(header: PatchHeader, minimum: number): VerifyCheck {
  const counter = header.securityCounter;
  if (counter === undefined) return fail('security-counter', `the patch has no security counter; a minimum of ${minimum} is required`);
  if (counter < minimum) return fail('security-counter', `security counter ${counter} is below the minimum ${minimum} (a rollback?)`);
  return pass('security-counter', `security counter ${counter} is at least the minimum ${minimum}`);
}

/** One line naming the first failed check and its reason, and the other failed checks by name. */
export function verifyFailureMessage(result: VerifyReport, prefix = 'verify failed'): string {
  const failed = result.checks.filter((c) => !c.ok && !c.skipped);
  if (failed.length === 0) return 'every check passed';
  const [first, ...others] = failed;
  const also = others.length > 0 ? `; also failed: ${others.map((c) => c.name).join(', ')}` : '';
  return `${prefix}: ${first!.name} check: ${first!.detail}${also}`;
}

/** For `apply --pub`: throws CheckFailedError unless the patch is signed with this key and the signature holds. */
export function requireValidSignature(patchBytes: Uint8Array, publicKey: Uint8Array): void {
  const result = verifySignature(patchBytes, publicKey);
  if (!result.ok) throw new CheckFailedError(verifyFailureMessage(result, 'refusing the patch'));
}
