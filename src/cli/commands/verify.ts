/**
 * smartdelta verify <patch> --pub <pub.pem>: run every check (docs/SIGNING.md, "Verify checks") and exit 0 only
 * when all pass. Anything wrong with the patch's bytes is a failed check (exit 1), never "invalid input", so a
 * pipeline needs one test; exit 3 is left for an unreadable key or image file.
 */
import type { Command } from 'commander';
import { dirname, resolve } from 'node:path';
import { CheckFailedError, SmartDeltaError, UsageError } from '../../errors.js';
import { sha256, toHex } from '../../crypto/hash.js';
import { patchInfo } from '../../pipeline/info.js';
import { verifyFailureMessage, verifyPatch, type VerifyCheck, type VerifyOptions } from '../../pipeline/verify.js';
import { readInputFile } from '../files.js';
import { GAP_FILL_HELP, gapFillHint, loadImageFile, parseGapFill } from '../images.js';
import { loadPublicKeyFile } from '../keys.js';
import { parseInteger } from '../options.js';
import { patchJson, result } from '../json.js';
import { color, printLine, warn } from '../output.js';
import { checkFleetManifest, manifestFailureMessage, parseFleetManifest, type ManifestReport } from '../../delivery/index.js';

interface VerifyCliOptions {
  pub?: string;
  old?: string;
  new?: string;
  minCounter?: string;
  gapFill?: string;
  manifest?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('verify')
    .description('check a patch: format, signature and key id, and optionally base image, result and anti-rollback counter')
    .argument('[patch]', 'the patch file (not with --manifest)')
    .option('--pub <pub.pem|hex>', 'public key the patch must be signed with: a file (PEM, DER, raw or hex) or 64 hex digits; without it the signature is not checked')
    .option('--old <image>', 'base image (.bin, .hex or .elf): check it, and apply the patch to it')
    .option('--new <image>', 'expected result image: compare with the applied result, or with the header without --old')
    .option('--gap-fill <byte>', GAP_FILL_HELP)
    .option('--min-counter <n>', 'anti-rollback: refuse a security counter below <n> (or no counter)')
    .option('--manifest <file>', 'check every patch a fleet manifest lists instead: file size and SHA-256, header, key id, counter, and the signature with --pub (docs/DELIVERY.md)')
    .option('--json', 'print one JSON document, also when a check fails (docs/JSON.md)')
    .addHelpText(
      'after',
      `
Exit codes: 0 every check passed; 1 a check failed (the message names it), including a patch that does not
parse or whose signature block is truncated; 2 usage; 3 an invalid key or image file; 4 a file not readable.

Examples:
  smartdelta verify update.sdp --pub release.pub.pem
  smartdelta verify update.sdp --pub release.pub.pem --old app-v1.bin --new app-v2.bin --min-counter 7 --json
  smartdelta verify --manifest manifest.json --pub release.pub.pem`,
    )
    .action(async (patchPath: string | undefined, opts: VerifyCliOptions) => {
      if (opts.manifest !== undefined) return verifyManifest(patchPath, opts);
      if (patchPath === undefined) throw new UsageError('verify needs a <patch> argument, or --manifest <file> to check every patch of a fleet manifest');
      // Without --pub only a patch's other checks run; asking for none of them is a usage error (nothing to do).
      if (opts.pub === undefined && opts.old === undefined && opts.new === undefined && opts.minCounter === undefined) {
        throw new UsageError('verify needs --pub <key> to check the signature, or --old, --new or --min-counter for the checks of an unsigned patch');
      }
      const minCounter = opts.minCounter !== undefined ? parseInteger(opts.minCounter, '--min-counter', 0, 0xffffffff) : undefined;
      const gapFill = parseGapFill(opts.gapFill);
      const options: VerifyOptions = opts.pub !== undefined ? { publicKey: loadPublicKeyFile(opts.pub) } : {};
      const patch = readInputFile(patchPath, 'patch');
      const oldImage = opts.old !== undefined ? loadImageFile(opts.old, undefined, 'old image', gapFill) : undefined;
      if (oldImage) options.old = oldImage.data;
      if (opts.new !== undefined) options.new = loadImageFile(opts.new, undefined, 'new image', gapFill).data;
      if (minCounter !== undefined) options.minCounter = minCounter;

      const report = await verifyPatch(patch, options);
      // A well-formed trailer after a patch that parses: signed, and nobody asked to check it.
      if (opts.pub === undefined && report.ok && patchInfo(patch).signed) {
        warn(`${patchPath} is signed but its signature was not checked; give --pub <key> to check it`);
      }
      // Full hashes for a release record: the header's (null when it does not parse) and the given images'.
      result({
        input: patchPath,
        patch: parsedPatch(patch),
        images: { old: imageJson(opts.old, options.old), new: imageJson(opts.new, options.new) },
        checks: report.checks.map((c) => ({ name: c.name, ok: c.ok, skipped: c.skipped === true, detail: c.detail })),
      });
      if (!opts.json) printChecks(patchPath, report.checks, report.ok);
      if (!report.ok) {
        const header = parsedPatch(patch) as { old: { size: number; sha256Prefix: string } } | null;
        const hint = oldImage && header ? gapFillHint(opts.old!, oldImage, header.old, gapFill) : undefined;
        throw new CheckFailedError(`${verifyFailureMessage(report)}${hint ?? ''}`);
      }
    });
}

/** verify --manifest: every entry against its file (docs/DELIVERY.md, "Fleet manifest"); exit 1 when one fails. */
function verifyManifest(patchPath: string | undefined, opts: VerifyCliOptions): void {
  if (patchPath !== undefined) throw new UsageError(`give either a <patch> (${patchPath}) or --manifest, not both`);
  if (opts.old !== undefined || opts.new !== undefined || opts.gapFill !== undefined) {
    throw new UsageError('--old, --new and --gap-fill check one patch; with --manifest each entry is checked against the hashes the manifest lists');
  }
  const minCounter = opts.minCounter !== undefined ? parseInteger(opts.minCounter, '--min-counter', 0, 0xffffffff) : undefined;
  const publicKey = opts.pub !== undefined ? loadPublicKeyFile(opts.pub) : undefined;
  const manifestPath = opts.manifest!;
  const manifest = parseFleetManifest(new TextDecoder().decode(readInputFile(manifestPath, 'manifest')), manifestPath);
  const folder = dirname(resolve(manifestPath));
  const report = checkFleetManifest(manifest, (file) => readInputFile(resolve(folder, file), 'patch'), {
    ...(publicKey !== undefined ? { publicKey } : {}),
    ...(minCounter !== undefined ? { minCounter } : {}),
  });
  result({
    input: manifestPath,
    patch: null,
    images: { old: null, new: null },
    checks: report.entries.map((e) => ({ name: e.file, ok: e.ok, skipped: false, detail: entryDetail(e) })),
    manifest: { target: manifest.target, entries: report.entries },
  });
  if (!opts.json) printManifestReport(manifestPath, report, publicKey !== undefined);
  if (!report.ok) throw new CheckFailedError(manifestFailureMessage(report));
}

function entryDetail(entry: ManifestReport['entries'][number]): string {
  const failed = entry.checks.filter((c) => !c.ok && !c.skipped);
  const from = entry.version ?? `${entry.sha256.slice(0, 16)}…`;
  return failed.length === 0 ? `for ${from}: ${entry.checks.map((c) => c.name).join(', ')} passed` : `for ${from}: ${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}`;
}

function printManifestReport(manifestPath: string, report: ManifestReport, signatures: boolean): void {
  for (const entry of report.entries) {
    const mark = entry.ok ? color.green('ok  ') : color.red('FAIL');
    printLine(`${mark}  ${entry.file}  ${entryDetail(entry)}`);
  }
  if (report.ok) printLine(`${manifestPath}: every entry passed${signatures ? '' : ' (signatures not checked: give --pub)'}`);
}

function parsedPatch(patch: Uint8Array): Record<string, unknown> | null {
  try {
    return patchJson(patchInfo(patch));
  } catch (err) {
    if (err instanceof SmartDeltaError) return null;
    throw err;
  }
}

function imageJson(path: string | undefined, data: Uint8Array | undefined): Record<string, unknown> | null {
  return path === undefined || data === undefined ? null : { path, size: data.length, sha256: toHex(sha256(data)) };
}

function printChecks(patchPath: string, checks: VerifyCheck[], ok: boolean): void {
  const width = Math.max(...checks.map((c) => c.name.length));
  for (const check of checks) {
    const mark = check.ok ? color.green('ok  ') : check.skipped ? color.yellow('skip') : color.red('FAIL');
    printLine(`${mark}  ${check.name.padEnd(width)}  ${check.detail}`);
  }
  if (ok) printLine(`${patchPath}: every check passed`);
}
