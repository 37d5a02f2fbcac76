/**
 * smartdelta sign <patch>: sign with a private key, or sign outside the tool (docs/SIGNING.md, "Signing patches"):
 * --emit-message writes the exact bytes to sign, --signature attaches a signature made elsewhere after checking it.
 */
import type { Command } from 'commander';
import { InvalidInputError, UsageError } from '../../errors.js';
import { SIGNATURE_LENGTH } from '../../crypto/ed25519.js';
import { toHex } from '../../crypto/hash.js';
import { keyIdHex } from '../../crypto/keys.js';
import { parsePatch } from '../../container/patch-file.js';
import { attachSignature, signPatch, signingMessageFor } from '../../container/sign.js';
import { checkOutputPath, MAX_KEY_FILE, readInputFile, writeOutputFile } from '../files.js';
import { readPatchFile } from '../patches.js';
import { loadPrivateKeyFile, loadPublicKeyFile } from '../keys.js';
import { result } from '../json.js';
import { printLine } from '../output.js';

interface SignOptions {
  key?: string;
  pub?: string;
  emitMessage?: string;
  signature?: string;
  output?: string;
  force?: boolean;
  json?: boolean;
}

const HEX_SIGNATURE = /^[0-9a-fA-F]{128}$/;

export function register(program: Command): void {
  program
    .command('sign')
    .description('sign <patch> with a private key, or emit the bytes to sign and attach a signature made elsewhere')
    .argument('<patch>', 'the patch file (signed or not; an existing signature is replaced)')
    .option('-k, --key <key.pem>', 'private key to sign with (PKCS#8 PEM or DER)')
    .option('--pub <pub.pem>', 'public key of an external signer (with --emit-message or --signature)')
    .option('--emit-message <file|->', 'write the exact 59 bytes to sign to <file>, or print them as hex with "-"')
    .option('--signature <file|hex>', 'attach this 64-byte signature (file: raw or hex; or 128 hex digits) after verifying it')
    .option('-o, --output <signed>', 'signed patch to write (without -o, --force signs <patch> in place)')
    .option('--force', 'replace an existing output file, or <patch> itself when -o is not given')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      `
Examples:
  smartdelta sign update.sdp -k release.pem -o update.signed.sdp
  smartdelta sign update.sdp -k release.pem --force              # replaces update.sdp in place
  smartdelta sign update.sdp --pub release.pub.pem --emit-message update.msg
  openssl pkeyutl -sign -rawin -inkey release.pem -in update.msg -out update.sig   # or an HSM, a signing service
  smartdelta sign update.sdp --pub release.pub.pem --signature update.sig -o update.signed.sdp`,
    )
    .action((patchPath: string, opts: SignOptions) => {
      if (opts.key !== undefined) {
        if (opts.pub !== undefined || opts.emitMessage !== undefined || opts.signature !== undefined) {
          throw new UsageError('-k signs with a private key; --pub, --emit-message and --signature are for an external signer, not both');
        }
        signWithKey(patchPath, opts.key, opts);
        return;
      }
      if (opts.pub === undefined) {
        throw new UsageError('give -k <key.pem> to sign, or --pub <pub.pem> with --emit-message or --signature to sign elsewhere');
      }
      if ((opts.emitMessage === undefined) === (opts.signature === undefined)) {
        throw new UsageError('with --pub, give exactly one of --emit-message <file|-> and --signature <file|hex>');
      }
      if (opts.emitMessage !== undefined) emitMessage(patchPath, opts.pub, opts.emitMessage, opts);
      else attach(patchPath, opts.pub, opts.signature!, opts);
    });
}

/** -o, or the patch itself with --force: signing in place must be asked for, never a default. */
function signedOutputPath(patchPath: string, opts: SignOptions, otherInputs: string[]): string {
  if (opts.output !== undefined) {
    checkOutputPath(opts.output, { force: opts.force, inputs: [patchPath, ...otherInputs] });
    return opts.output;
  }
  if (!opts.force) throw new UsageError(`give -o <signed patch>, or --force to replace ${patchPath} in place`);
  return patchPath;
}

function writeSigned(path: string, bytes: Uint8Array, patchPath: string, otherInputs: string[], force: boolean | undefined): void {
  // In place is an explicit --force; otherwise the output must differ from every input.
  const inputs = path === patchPath ? otherInputs : [patchPath, ...otherInputs];
  writeOutputFile(path, bytes, { force: path === patchPath || force, inputs });
}

function previousKeyId(patch: Uint8Array): string | null {
  const signature = parsePatch(patch).signature;
  return signature ? toHex(signature.keyId) : null;
}

function signWithKey(patchPath: string, keyPath: string, opts: SignOptions): void {
  const out = signedOutputPath(patchPath, opts, [keyPath]);
  const key = loadPrivateKeyFile(keyPath);
  const patch = readPatchFile(patchPath);
  const replaced = previousKeyId(patch);
  const signed = signPatch(patch, key);
  writeSigned(out, signed, patchPath, [keyPath], opts.force);
  report(out, signed, keyIdHex(key.publicKey), replaced, opts.json);
}

function emitMessage(patchPath: string, pubPath: string, target: string, opts: SignOptions): void {
  if (opts.output !== undefined) throw new UsageError('--emit-message writes the message, not a patch; -o does not apply');
  if (target !== '-') checkOutputPath(target, { force: opts.force, inputs: [patchPath, pubPath] });
  const publicKey = loadPublicKeyFile(pubPath);
  const message = signingMessageFor(readPatchFile(patchPath), publicKey);
  const keyId = keyIdHex(publicKey);
  if (target !== '-') writeOutputFile(target, message, { force: opts.force, inputs: [patchPath, pubPath] });
  result({ output: target === '-' ? null : target, size: target === '-' ? null : message.length, keyId, replacedKeyId: null, message: toHex(message) });
  if (opts.json) {
    // the document carries the message
  } else if (target === '-') {
    printLine(toHex(message));
  } else {
    printLine(`wrote ${target}: the ${message.length} bytes to sign for key id ${keyId}`);
    printLine(`sign them (Ed25519, pure), then: smartdelta sign ${patchPath} --pub ${pubPath} --signature <sig> -o <signed patch>`);
  }
}

function attach(patchPath: string, pubPath: string, signatureArg: string, opts: SignOptions): void {
  const fromFile = !HEX_SIGNATURE.test(signatureArg);
  const others = fromFile ? [pubPath, signatureArg] : [pubPath];
  const out = signedOutputPath(patchPath, opts, others);
  const publicKey = loadPublicKeyFile(pubPath);
  const signature = fromFile ? readSignatureFile(signatureArg) : new Uint8Array(Buffer.from(signatureArg, 'hex'));
  const patch = readPatchFile(patchPath);
  const replaced = previousKeyId(patch);
  const signed = attachSignature(patch, publicKey, signature);
  writeSigned(out, signed, patchPath, others, opts.force);
  report(out, signed, keyIdHex(publicKey), replaced, opts.json);
}

/** A detached signature file: 64 raw bytes (openssl pkeyutl -sign) or 128 hex digits with optional whitespace. */
function readSignatureFile(path: string): Uint8Array {
  const bytes = readInputFile(path, 'signature', MAX_KEY_FILE);
  if (bytes.length === SIGNATURE_LENGTH) return bytes;
  const text = Buffer.from(bytes).toString('latin1').trim();
  if (HEX_SIGNATURE.test(text)) return new Uint8Array(Buffer.from(text, 'hex'));
  throw new InvalidInputError(`${path}: not an Ed25519 signature: expected ${SIGNATURE_LENGTH} raw bytes or 128 hex digits, got ${bytes.length} bytes`);
}

function report(out: string, signed: Uint8Array, keyId: string, replaced: string | null, json: boolean | undefined): void {
  result({ output: out, size: signed.length, keyId, replacedKeyId: replaced, message: null });
  if (json) return;
  printLine(`${out}: signed with key id ${keyId}, ${signed.length} bytes`);
  if (replaced !== null) printLine(`  replaced the previous signature (key id ${replaced})`);
}
