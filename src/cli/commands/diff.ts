/**
 * smartdelta diff <old> <new> -o <patch>: create a patch (src/pipeline/create-patch.ts); with --fleet, one
 * patch per deployed image, built in parallel (./diff-fleet.ts).
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { signPatch } from '../../container/sign.js';
import { geometryProblem, MAX_WRITE_UNIT, type InPlaceGeometry } from '../../container/header.js';
import { createPatch } from '../../pipeline/create-patch.js';
import type { Arch, CodecChoice } from '../../pipeline/create-patch.js';
import { patchInfo } from '../../pipeline/info.js';
import { checkOutputPath, writeOutputFile } from '../files.js';
import { GAP_FILL_HELP, loadElfSymbols, loadImageFile, parseGapFill, warnUnknownBase } from '../images.js';
import { loadPrivateKeyFile } from '../keys.js';
import { parseInteger, parseSize } from '../options.js';
import { patchJson, result } from '../json.js';
import type { FleetImage } from '../../pipeline/fleet.js';
import { runFleet } from './diff-fleet.js';
import { formatBytes, printLine, spinner, warn } from '../output.js';

interface DiffOptions {
  output: string;
  base?: string;
  oldBase?: string;
  newBase?: string;
  gapFill?: string;
  arch: string;
  dictSize: string;
  maxRam?: string;
  codec?: string;
  versionFrom?: string;
  versionTo?: string;
  securityCounter?: string;
  oldElf?: string;
  newElf?: string;
  key?: string;
  inPlace?: boolean;
  eraseUnit?: string;
  writeUnit?: string;
  slotSize?: string;
  fleet?: string[];
  to?: string;
  jobs?: string;
  force?: boolean;
  json?: boolean;
}

const ARCHES: readonly Arch[] = ['auto', 'cortex-m', 'none'];
const CODECS: readonly CodecChoice[] = ['lzma', 'small-lz', 'auto'];

export function register(program: Command): void {
  program
    .command('diff')
    .description('create a delta patch that turns <old> into <new> (.bin, .hex or .elf), or one per deployed image (--fleet ... --to)')
    .argument('[old]', 'the image the device runs now')
    .argument('[new]', 'the image to install')
    .requiredOption('-o, --output <patch>', 'patch file to write (with --fleet: the folder for the patches)')
    .option('--base <address>', 'load address of .bin inputs (default: read from the vector table)')
    .option('--old-base <address>', 'load address of the old .bin, when it differs from --base')
    .option('--new-base <address>', 'load address of the new .bin, when it differs from --base')
    .option('--gap-fill <byte>', GAP_FILL_HELP)
    .option('--arch <arch>', 'auto | cortex-m | none: pointer-aware Cortex-M relocation or plain bytes', 'auto')
    .option('--old-elf <file>', 'ELF file of a .bin/.hex <old>: its symbols give an exact RAM map')
    .option('--new-elf <file>', 'ELF file of a .bin/.hex <new>')
    .option('--dict-size <bytes>', 'LZMA dictionary: the largest RAM item on the device (4K..64M, power of two)', '4K')
    .option('--max-ram <bytes>', 'device RAM budget: the smallest patch a device applies within it, either codec unless --codec (e.g. 8K)')
    .option('--codec <codec>', 'lzma (default: what device/ links by default) | small-lz (codec 2, about 2 KB of RAM) | auto (the smaller)')
    .option('--version-from <version>', 'firmware version string of <old>, recorded in the header')
    .option('--version-to <version>', 'firmware version string of <new>, recorded in the header')
    .option('--security-counter <n>', 'anti-rollback counter recorded in the header')
    .option('-k, --key <key.pem>', 'sign the patch with this Ed25519 private key (docs/SIGNING.md)')
    .option('--in-place', 'a patch applied over <old> in its own slot, with one erase unit of scratch (docs/DEVICE.md)')
    .option('--erase-unit <bytes>', 'with --in-place: the flash erase unit (e.g. 2K, 128K); the scratch is one unit')
    .option('--write-unit <bytes>', 'with --in-place: the smallest flash write, a power of two (default 8)')
    .option('--slot-size <bytes>', 'with --in-place: the slot, whole erase units (default: the larger image, rounded up)')
    .option('--fleet <images...>', 'every deployed image: one patch each to the image given with --to, named after it')
    .option('--to <image>', 'with --fleet: the image to install')
    .option('--jobs <n>', 'threads for --fleet (default: one per core)')
    .option('--force', 'replace an existing output file')
    .option('--json', 'print one JSON document with the patch figures')
    .addHelpText(
      'after',
      `
Examples:
  smartdelta diff app-v1.elf app-v2.elf -o v1-v2.sdp
  smartdelta diff old.bin new.bin --base 0x08000000 -o update.sdp --version-from 1.0.0 --version-to 1.1.0
  smartdelta diff app-v1.elf app-v2.elf -o v1-v2.sdp --security-counter 7 --key release.pem
  smartdelta diff app-v1.elf app-v2.elf -o v1-v2.sdp --in-place --erase-unit 2K
  smartdelta diff --fleet v1.0.bin v1.1.bin v1.2.bin --to v2.0.bin --base 0x08000000 -o patches/`,
    )
    .action(async (oldPath: string | undefined, newPath: string | undefined, opts: DiffOptions) => {
      const fleet = opts.fleet !== undefined || opts.to !== undefined;
      if (fleet && (!opts.fleet?.length || opts.to === undefined)) throw new UsageError('--fleet <images...> and --to <image> go together');
      if (fleet && (oldPath !== undefined || newPath !== undefined)) throw new UsageError('give either <old> <new> or --fleet ... --to, not both');
      if (!fleet && (oldPath === undefined || newPath === undefined)) throw new UsageError('diff needs <old> and <new> (or --fleet ... --to)');
      if (!fleet && opts.jobs !== undefined) throw new UsageError('--jobs goes with --fleet');
      if (fleet && (opts.oldElf !== undefined || opts.newElf !== undefined)) throw new UsageError('--old-elf and --new-elf name one pair; give .elf images to --fleet instead');
      if (fleet && opts.versionFrom !== undefined) throw new UsageError('--version-from names one old image; it does not go with --fleet');
      if (!ARCHES.includes(opts.arch as Arch)) throw new UsageError(`--arch must be one of ${ARCHES.join(', ')}, got "${opts.arch}"`);
      if (opts.codec !== undefined && !CODECS.includes(opts.codec as CodecChoice)) {
        throw new UsageError(`--codec must be one of ${CODECS.join(', ')}, got "${opts.codec}"`);
      }
      const dictSize = parseSize(opts.dictSize, '--dict-size', 4096, 64 * 1024 * 1024);
      const maxDeviceRam = opts.maxRam !== undefined ? parseSize(opts.maxRam, '--max-ram', 1, 2 ** 32 - 1) : undefined;
      if (!Number.isInteger(Math.log2(dictSize))) throw new UsageError(`--dict-size must be a power of two, got ${opts.dictSize}`);
      const base = opts.base !== undefined ? parseInteger(opts.base, '--base', 0, 0xffffffff) : undefined;
      const oldBase = opts.oldBase !== undefined ? parseInteger(opts.oldBase, '--old-base', 0, 0xffffffff) : base;
      const newBase = opts.newBase !== undefined ? parseInteger(opts.newBase, '--new-base', 0, 0xffffffff) : base;
      const gapFill = parseGapFill(opts.gapFill);
      const securityCounter = opts.securityCounter !== undefined ? parseInteger(opts.securityCounter, '--security-counter', 0, 0xffffffff) : undefined;
      if ((opts.oldElf === undefined) !== (opts.newElf === undefined)) throw new UsageError('--old-elf and --new-elf go together');
      const flash = inPlaceOptions(opts);
      if (fleet && flash) throw new UsageError('--in-place makes one patch for one slot; it does not go with --fleet');
      const createOptions = {
        arch: opts.arch as Arch,
        dictSize,
        ...(maxDeviceRam !== undefined && { maxDeviceRam }),
        ...(opts.codec !== undefined && { codec: opts.codec as CodecChoice }),
        ...(opts.versionFrom !== undefined && { versionFrom: opts.versionFrom }),
        ...(opts.versionTo !== undefined && { versionTo: opts.versionTo }),
        ...(securityCounter !== undefined && { securityCounter }),
      };
      if (fleet) {
        const jobs = opts.jobs !== undefined ? parseInteger(opts.jobs, '--jobs', 1, 256) : undefined;
        const inputs = [...opts.fleet!, opts.to!, ...(opts.key ? [opts.key] : [])];
        const key = opts.key !== undefined ? loadPrivateKeyFile(opts.key) : undefined;
        const load = (file: string, what: string): FleetImage => {
          const image = loadImageFile(file, what === 'old image' ? oldBase : newBase, what, gapFill);
          if (opts.arch !== 'none') warnUnknownBase(image, file);
          return { data: image.data, loadAddress: image.loadAddress, ...(image.elf && { elf: image.elf }) };
        };
        await runFleet({
          olds: opts.fleet!, to: opts.to!, dir: opts.output, force: opts.force, json: opts.json, inputs, load, options: createOptions,
          ...(jobs !== undefined && { jobs }),
          ...(key && { sign: (patch: Uint8Array) => signPatch(patch, key) }),
        });
        return;
      }
      if (oldPath === undefined || newPath === undefined) return;
      // Usage errors first, then the output, then the inputs: a refused run costs nothing and names the first problem.
      const inputs = [oldPath, newPath, ...(opts.oldElf ? [opts.oldElf] : []), ...(opts.newElf ? [opts.newElf] : []), ...(opts.key ? [opts.key] : [])];
      checkOutputPath(opts.output, { force: opts.force, inputs });
      // The key is loaded before the work, so a bad key or passphrase costs nothing.
      const key = opts.key !== undefined ? loadPrivateKeyFile(opts.key) : undefined;
      const oldImage = loadImageFile(oldPath, oldBase, 'old image', gapFill);
      const newImage = loadImageFile(newPath, newBase, 'new image', gapFill);
      if (oldImage.loadAddress === newImage.loadAddress && Buffer.from(oldImage.data).equals(newImage.data)) {
        // Not an error (a pipeline may rebuild an unchanged release), but rarely what was meant.
        warn(`${oldPath} and ${newPath} are the same image: the patch changes nothing`);
      }
      if (opts.arch !== 'none') {
        warnUnknownBase(oldImage, oldPath);
        warnUnknownBase(newImage, newPath);
      }
      const oldElf = opts.oldElf !== undefined ? loadElfSymbols(opts.oldElf, 'old ELF') : oldImage.elf;
      const newElf = opts.newElf !== undefined ? loadElfSymbols(opts.newElf, 'new ELF') : newImage.elf;
      const progress = await spinner('creating patch', !opts.json);
      const created = await createPatch(oldImage, newImage, {
        ...createOptions,
        ...(oldElf && newElf && { oldElf, newElf }),
        ...(flash && { inPlace: flash(oldImage.data.length, newImage.data.length) }),
      }).finally(() => progress.stop());
      const bytes = key ? signPatch(created.bytes, key) : created.bytes;
      writeOutputFile(opts.output, bytes, { force: opts.force, inputs });

      if (opts.json) {
        result({ output: opts.output, size: bytes.length, patch: patchJson(patchInfo(bytes)) });
        return;
      }
      const info = patchInfo(bytes, { tables: false });
      printLine(`${opts.output}: ${formatBytes(info.patchSize)} bytes, ${info.transform} transform`);
      printLine(`  new image ${formatBytes(info.new.size)} bytes; ratio ${info.ratio.toFixed(2)} (new image / patch)`);
      printLine(`  device RAM to apply: ${formatBytes(info.deviceRam.total)} bytes (codec ${info.codec})`);
      if (info.inPlace) {
        printLine(`  in place: ${formatBytes(info.inPlace.slotSize)}-byte slot, ${formatBytes(info.inPlace.eraseUnit)}-byte erase units and scratch, ${info.inPlace.writeOrderRuns} write-order run(s)`);
      }
    });
}

/**
 * --in-place and its geometry: checked before any work; the slot defaults to the larger image rounded up to
 * whole erase units, which needs the images' sizes (hence a function of them).
 */
function inPlaceOptions(opts: DiffOptions): ((oldSize: number, newSize: number) => InPlaceGeometry) | undefined {
  const geometryOptions = (['eraseUnit', 'writeUnit', 'slotSize'] as const).filter((k) => opts[k] !== undefined);
  if (!opts.inPlace) {
    if (geometryOptions.length > 0) throw new UsageError('--erase-unit, --write-unit and --slot-size go with --in-place');
    return undefined;
  }
  if (opts.eraseUnit === undefined) throw new UsageError('--in-place needs --erase-unit (the flash erase unit, e.g. 2K or 128K)');
  const eraseUnit = parseSize(opts.eraseUnit, '--erase-unit', 256, 64 * 1024 * 1024);
  const writeUnit = parseSize(opts.writeUnit ?? '8', '--write-unit', 1, MAX_WRITE_UNIT);
  const slotSize = opts.slotSize !== undefined ? parseSize(opts.slotSize, '--slot-size', 1, 64 * 1024 * 1024) : undefined;
  const check = (g: InPlaceGeometry, oldSize: number, newSize: number): InPlaceGeometry => {
    const problem = geometryProblem(g, oldSize, newSize);
    if (problem) throw new UsageError(`--in-place: ${problem}`);
    return g;
  };
  // The sizes alone are checked now (an image that does not fit the slot is found after loading).
  check({ eraseUnit, writeUnit, slotSize: slotSize ?? eraseUnit }, 0, 0);
  return (oldSize, newSize) =>
    check({ eraseUnit, writeUnit, slotSize: slotSize ?? Math.max(1, Math.ceil(Math.max(oldSize, newSize) / eraseUnit)) * eraseUnit }, oldSize, newSize);
}
