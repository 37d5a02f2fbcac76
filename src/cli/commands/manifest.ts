/**
 * `smartdelta manifest <patches...> --old <images...> -o manifest.json`: the fleet manifest over patches already
 * built (docs/DELIVERY.md, "Fleet manifest"). The header of a patch keeps only the first 8 bytes of its base
 * image's SHA-256, so the deployed images are inputs too: each patch is paired with the image it was made from.
 */
import type { Command } from 'commander';
import { dirname, relative, resolve, sep } from 'node:path';
import { InvalidInputError } from '../../errors.js';
import { sha256, toHex } from '../../crypto/hash.js';
import { splitPatch } from '../../container/sign.js';
import { buildFleetManifest, type FleetManifest, type ManifestInput } from '../../delivery/index.js';
import { checkOutputPath, STDOUT, writeOutputFile } from '../files.js';
import { GAP_FILL_HELP, loadImageFile, parseGapFill } from '../images.js';
import { readPatchFile } from '../patches.js';
import { result } from '../json.js';
import { formatBytes, printLine, warn } from '../output.js';

interface ManifestCliOptions {
  old: string[];
  to?: string;
  output: string;
  gapFill?: string;
  force?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('manifest')
    .description('write a fleet manifest: each deployed image (SHA-256 and version) to the patch that updates it, with its size, hash, key id and counter')
    .argument('<patches...>', 'patches already built, one per deployed version, all to the same release')
    .requiredOption('--old <images...>', 'the deployed images the patches were made from (.bin, .hex or .elf), in any order')
    .option('--to <image>', 'the release image: check that every patch leads to it')
    .requiredOption('-o, --output <file>', 'manifest file to write (JSON); patch paths in it are relative to its folder')
    .option('--gap-fill <byte>', GAP_FILL_HELP)
    .option('--force', 'replace an existing output file')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      `
Each patch is paired with the --old image whose size and SHA-256 its header names; a patch without one is
refused (exit 3), an image without a patch is left out with a warning. "verify --manifest" checks the files.

Example:
  smartdelta manifest v1.0-v2.0.sdp v1.1-v2.0.sdp --old v1.0.bin v1.1.bin --to v2.0.bin -o manifest.json`,
    )
    .action((patches: string[], opts: ManifestCliOptions) => runManifest(patches, opts));
}

function runManifest(patchPaths: string[], opts: ManifestCliOptions): void {
  const gapFill = parseGapFill(opts.gapFill);
  const inputs = [...patchPaths, ...opts.old, ...(opts.to !== undefined ? [opts.to] : [])];
  checkOutputPath(opts.output, { force: opts.force, inputs });
  const images = opts.old.map((path) => {
    const data = loadImageFile(path, undefined, 'old image', gapFill).data;
    return { path, size: data.length, sha256: toHex(sha256(data)) };
  });
  const target = opts.to !== undefined ? toHex(sha256(loadImageFile(opts.to, undefined, 'release image', gapFill).data)) : undefined;
  const base = opts.output === STDOUT ? process.cwd() : dirname(resolve(opts.output));
  const used = new Set<string>();
  const entries: ManifestInput[] = patchPaths.map((path) => {
    const patch = readPatchFile(path);
    const header = splitPatch(patch).header;
    const prefix = toHex(header.oldCheck);
    const image = images.find((i) => i.size === header.oldSize && i.sha256.startsWith(prefix));
    if (image === undefined) {
      throw new InvalidInputError(`no --old image is the base of ${path} (it needs ${header.oldSize} bytes with SHA-256 starting ${prefix}); give the image it was made from`);
    }
    used.add(image.path);
    return { file: relative(base, resolve(path)).split(sep).join('/'), patch, oldSha256: image.sha256 };
  });
  const manifest = buildFleetManifest(entries, target !== undefined ? { targetSha256: target } : {});
  for (const image of images) if (!used.has(image.path)) warn(`${image.path} is the base of none of the patches; it is not in the manifest`);
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  writeOutputFile(opts.output, text, { force: opts.force, inputs });
  result({ output: opts.output, size: Buffer.byteLength(text), manifest });
  if (!opts.json) printSummary(opts.output, manifest);
}

function printSummary(output: string, manifest: FleetManifest): void {
  const t = manifest.target;
  printLine(`${output}: ${Object.keys(manifest.deployed).length} deployed image(s) -> ${t.version ?? 'target'} (${formatBytes(t.size)} bytes, sha256 ${t.sha256})`);
  for (const e of Object.values(manifest.deployed)) {
    const p = e.patch;
    printLine(
      `  ${(e.version ?? '?').padEnd(10)} ${e.sha256.slice(0, 16)}…  ${p.file}  ${formatBytes(p.size)} bytes  key id ${p.keyId ?? 'unsigned'}  counter ${p.securityCounter ?? 'none'}`,
    );
  }
}
