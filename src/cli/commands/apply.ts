/** smartdelta apply <old> <patch> -o <new>: check the base, apply as a device would, check the result. */
import type { Command } from 'commander';
import { sha256, toHex } from '../../crypto/hash.js';
import { applyPatch } from '../../pipeline/apply.js';
import { patchInfo } from '../../pipeline/info.js';
import { requireValidSignature } from '../../pipeline/verify.js';
import { checkOutputPath, writeOutputFile } from '../files.js';
import { readPatchFile } from '../patches.js';
import { GAP_FILL_HELP, gapFillHint, loadImageFile, parseGapFill } from '../images.js';
import { CheckFailedError } from '../../errors.js';
import { loadPublicKeyFile } from '../keys.js';
import { parseInteger } from '../options.js';
import { patchJson, result } from '../json.js';
import { formatBytes, printLine, warn } from '../output.js';

interface ApplyOptions {
  output: string;
  base?: string;
  gapFill?: string;
  pub?: string;
  minCounter?: string;
  force?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('apply')
    .description('apply <patch> to <old> and write the new image (raw binary)')
    .argument('<old>', 'the image the patch was made from (.bin, .hex or .elf)')
    .argument('<patch>', 'the patch file')
    .requiredOption('-o, --output <new>', 'new image file to write')
    .option('--base <address>', 'load address of a .bin <old> (only needed to read .hex/.elf consistently)')
    .option('--gap-fill <byte>', GAP_FILL_HELP)
    .option('--pub <pub.pem>', 'require a valid signature by this key, checked before anything else (unsigned patches are refused)')
    .option('--min-counter <n>', 'anti-rollback: refuse a patch whose security counter is below <n> (or that has none)')
    .option('--force', 'replace an existing output file')
    .option('--json', 'print one JSON document with the result')
    .addHelpText(
      'after',
      `
The old image is checked against the patch's SHA-256 before anything is written (exit 1 when it differs),
and the new image's SHA-256 is checked before the output file appears (exit 3 on a corrupt patch).
With --pub, the signature is verified first, before the old image is read (exit 1 if it does not verify);
without it, a signed patch is applied with a warning that its signature went unchecked. --min-counter
refuses a rollback (exit 1) as verify --min-counter does.

Example:
  smartdelta apply app-v1.bin v1-v2.sdp -o app-v2.bin
  smartdelta apply app-v1.bin v1-v2.sdp -o app-v2.bin --pub release.pub.pem`,
    )
    .action(async (oldPath: string, patchPath: string, opts: ApplyOptions) => {
      const base = opts.base !== undefined ? parseInteger(opts.base, '--base', 0, 0xffffffff) : undefined;
      const gapFill = parseGapFill(opts.gapFill);
      const minCounter = opts.minCounter !== undefined ? parseInteger(opts.minCounter, '--min-counter', 0, 0xffffffff) : undefined;
      const inputs = opts.pub !== undefined ? [oldPath, patchPath, opts.pub] : [oldPath, patchPath];
      checkOutputPath(opts.output, { force: opts.force, inputs });
      const patch = readPatchFile(patchPath, { path: oldPath, usage: '"smartdelta apply <old image> <patch> -o <new image>"' });
      // docs/FORMAT.md, "Applying", step 2: an untrusted patch is refused before any other work.
      if (opts.pub !== undefined) requireValidSignature(patch, loadPublicKeyFile(opts.pub));
      const info = patchInfo(patch);
      if (minCounter !== undefined) requireCounter(info.securityCounter, minCounter);
      if (info.signed && opts.pub === undefined) {
        warn(`${patchPath} is signed (key id ${info.keyId}) but its signature was not checked; give --pub <key> to check it`);
      }
      const old = loadImageFile(oldPath, base, 'old image', gapFill);
      const hint = gapFillHint(oldPath, old, info.old, gapFill);
      const image = await applyPatch(old.data, patch).catch((err: unknown) => {
        throw hint !== undefined && err instanceof CheckFailedError ? new CheckFailedError(`${err.message}${hint}`) : err;
      });
      writeOutputFile(opts.output, image, { force: opts.force, inputs });
      result({ output: opts.output, size: image.length, sha256: toHex(sha256(image)), patch: patchJson(info), signatureVerified: opts.pub !== undefined });
      if (!opts.json) printLine(`${opts.output}: ${formatBytes(image.length)} bytes, SHA-256 verified${opts.pub !== undefined ? ', signature verified' : ''}`);
    });
}

/** The same rule and words as verify --min-counter (docs/SIGNING.md, "Anti-rollback counter"). */
function requireCounter(counter: number | undefined, minimum: number): void {
  if (counter === undefined) throw new CheckFailedError(`the patch has no security counter; a minimum of ${minimum} is required (--min-counter)`);
  if (counter < minimum) throw new CheckFailedError(`security counter ${counter} is below the minimum ${minimum} (a rollback?)`);
}
