/**
 * `smartdelta package <file> --transport http-range|mqtt-ota|blocks`: prepares a file (typically a signed patch)
 * for a transport other than LoRaWAN (docs/DELIVERY.md). A thin shell over src/delivery.
 */
import type { Command } from 'commander';
import { InvalidInputError, SmartDeltaError, UsageError } from '../../errors.js';
import { sha256, toHex } from '../../crypto/hash.js';
import { patchInfo, type PatchInfo } from '../../pipeline/info.js';
import { DEFAULT_MAX_PARTS, formatBlockPlan, formatRangePlan, otaNotice, planBlocks, planHttpRange, serializeBlocks, SIGN_METHODS, type SignMethod } from '../../delivery/index.js';
import { checkOutputPath, readInputFile, writeOutputFile } from '../files.js';
import { isPatch } from '../images.js';
import { parseInteger, parseSize } from '../options.js';
import { patchJson, result } from '../json.js';
import { formatBytes, printLine } from '../output.js';

const TRANSPORTS = ['http-range', 'mqtt-ota', 'blocks'] as const;
type Transport = (typeof TRANSPORTS)[number];

interface PackageCliOptions {
  transport: string;
  output?: string;
  deviceBuffer?: string;
  partSize?: string;
  maxParts?: string;
  url?: string;
  signMethod?: string;
  firmwareVersion?: string;
  module?: string;
  messageId?: string;
  blockSize?: string;
  force?: boolean;
  json?: boolean;
}

/** Which options belong to which transport: one given with another transport is a usage error. */
const TRANSPORT_OPTIONS: Record<Transport, (keyof PackageCliOptions)[]> = {
  'http-range': ['deviceBuffer', 'partSize', 'maxParts'],
  'mqtt-ota': ['url', 'signMethod', 'firmwareVersion', 'module', 'messageId'],
  blocks: ['blockSize'],
};
const FLAGS: Partial<Record<keyof PackageCliOptions, string>> = {
  deviceBuffer: '--device-buffer', partSize: '--part-size', maxParts: '--max-parts', url: '--url', signMethod: '--sign-method',
  firmwareVersion: '--firmware-version', module: '--module', messageId: '--message-id', blockSize: '--block-size',
};

export function register(program: Command): void {
  program
    .command('package')
    .description('prepare a patch or image for delivery beyond LoRaWAN: HTTP range parts, an MQTT OTA notice, or numbered blocks')
    .argument('<file>', 'the file to deliver (typically a signed patch; an image or any file is delivered as it is)')
    .requiredOption('--transport <name>', 'http-range | mqtt-ota | blocks')
    .option('-o, --output <file>', 'write the part list, the notice or the block file here (default: print it)')
    .option('--device-buffer <bytes>', 'http-range: largest part the device receives at once; the fewest parts that fit it are used')
    .option('--part-size <bytes>', 'http-range: an exact part size instead')
    .option('--max-parts <n>', `http-range: most parts the platform allows per download (default ${DEFAULT_MAX_PARTS})`)
    .option('--url <url>', 'mqtt-ota: where the device downloads the file')
    .option('--sign-method <method>', 'mqtt-ota: SHA256 or MD5, the digest sent as "sign" (default SHA256)')
    .option('--firmware-version <version>', 'mqtt-ota: version in the notice (default: the patch\'s --version-to)')
    .option('--module <name>', 'mqtt-ota: OTA module name (default "default", the whole firmware)')
    .option('--message-id <n>', 'mqtt-ota: message id (default 1; the sending server usually sets its own)')
    .option('--block-size <bytes>', 'blocks: size of every block but the last (e.g. 1K)')
    .option('--force', 'replace an existing output file')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      `
With -o: http-range writes the part list, mqtt-ota the notice (JSON), blocks an NDJSON block file with each
block's bytes in hex (docs/DELIVERY.md). A plan needing more parts than --max-parts is refused (exit 1).

Examples:
  smartdelta package v1.0-v2.0.sdp --transport http-range --device-buffer 4K
  smartdelta package v1.0-v2.0.sdp --transport mqtt-ota --url https://updates.example.com/v1.0-v2.0.sdp -o notice.json
  smartdelta package v1.0-v2.0.sdp --transport blocks --block-size 512 -o v1.0-v2.0.blocks.ndjson`,
    )
    .action((file: string, opts: PackageCliOptions) => runPackage(file, opts));
}

function runPackage(file: string, opts: PackageCliOptions): void {
  if (!(TRANSPORTS as readonly string[]).includes(opts.transport)) throw new UsageError(`--transport must be http-range, mqtt-ota or blocks, got "${opts.transport}"`);
  const transport = opts.transport as Transport;
  for (const [other, keys] of Object.entries(TRANSPORT_OPTIONS)) {
    if (other === transport) continue;
    const stray = keys.find((k) => opts[k] !== undefined);
    if (stray) throw new UsageError(`${FLAGS[stray]} applies to --transport ${other}, not ${transport}`);
  }
  const settings = transportSettings(transport, opts);
  if (opts.output !== undefined) checkOutputPath(opts.output, { force: opts.force, inputs: [file] });

  const data = readInputFile(file, 'file');
  if (data.length === 0) throw new InvalidInputError(`${file} is empty: there is nothing to deliver`);
  const header = isPatch(data) ? readPatchInfo(data, file) : undefined;
  const fields: Record<string, unknown> = {
    input: file,
    transport,
    file: { size: data.length, sha256: toHex(sha256(data)) },
    patch: header ? patchJson(header) : null,
    parts: null,
    notice: null,
    blocks: null,
  };

  let artifact: string;
  let summary: string;
  if (settings.kind === 'http-range') {
    const plan = planHttpRange(data, settings.options);
    fields.parts = { partSize: plan.partSize, maxParts: plan.maxParts, deviceBuffer: plan.deviceBuffer, count: plan.parts.length, list: plan.parts };
    artifact = formatRangePlan(plan, file);
    summary = `${opts.output}: ${plan.parts.length} parts of ${formatBytes(plan.partSize)} bytes for ${file} (${formatBytes(data.length)} bytes, sha256 ${plan.sha256})`;
  } else if (settings.kind === 'mqtt-ota') {
    const version = settings.version ?? header?.versionTo;
    if (version === undefined) {
      throw new UsageError(header ? `${file} records no target version; give --firmware-version` : `${file} is not a patch, so it records no version; give --firmware-version`);
    }
    const notice = otaNotice(data, { ...settings.options, version, isDiff: header !== undefined });
    fields.notice = notice;
    artifact = `${JSON.stringify(notice, null, 2)}\n`;
    summary = `${opts.output}: OTA notice for ${file}, version ${version}, ${notice.data.signMethod} ${notice.data.sign}`;
  } else {
    const plan = planBlocks(data, settings.blockSize);
    fields.blocks = { blockSize: plan.blockSize, count: plan.blocks.length, list: plan.blocks };
    artifact = opts.output !== undefined ? serializeBlocks(data, plan) : formatBlockPlan(plan, file);
    summary = `${opts.output}: ${plan.blocks.length} blocks of ${formatBytes(plan.blockSize)} bytes for ${file} (${formatBytes(data.length)} bytes, sha256 ${plan.sha256})`;
  }

  if (opts.output !== undefined) {
    writeOutputFile(opts.output, artifact, { force: opts.force, inputs: [file] });
    fields.output = opts.output;
    fields.size = Buffer.byteLength(artifact);
  }
  result(fields);
  if (opts.json) return;
  if (opts.output !== undefined) printLine(summary);
  else process.stdout.write(artifact);
}

type Settings =
  | { kind: 'http-range'; options: { deviceBuffer?: number; partSize?: number; maxParts: number } }
  | { kind: 'mqtt-ota'; version?: string; options: { url: string; signMethod: SignMethod; module?: string; id: number } }
  | { kind: 'blocks'; blockSize: number };

/** Every option of the transport parsed before any file is read (docs/CLI.md, "Order of checks"). */
function transportSettings(transport: Transport, opts: PackageCliOptions): Settings {
  if (transport === 'http-range') {
    if ((opts.deviceBuffer === undefined) === (opts.partSize === undefined)) throw new UsageError('--transport http-range needs --device-buffer or --part-size (one of them)');
    const options: { deviceBuffer?: number; partSize?: number; maxParts: number } = {
      maxParts: opts.maxParts !== undefined ? parseInteger(opts.maxParts, '--max-parts', 1) : DEFAULT_MAX_PARTS,
    };
    if (opts.deviceBuffer !== undefined) options.deviceBuffer = parseSize(opts.deviceBuffer, '--device-buffer', 1);
    if (opts.partSize !== undefined) options.partSize = parseSize(opts.partSize, '--part-size', 1);
    return { kind: 'http-range', options };
  }
  if (transport === 'mqtt-ota') {
    if (opts.url === undefined) throw new UsageError('--transport mqtt-ota needs --url <url>, where the device downloads the file');
    const signMethod = (opts.signMethod ?? 'SHA256').toUpperCase();
    if (!(SIGN_METHODS as readonly string[]).includes(signMethod)) throw new UsageError(`--sign-method must be SHA256 or MD5, got "${opts.signMethod}"`);
    if (!/^(https?|mqtt):\/\/\S+$/.test(opts.url)) throw new UsageError(`--url must be an http://, https:// or mqtt:// URL, got "${opts.url}"`);
    if (opts.firmwareVersion !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(opts.firmwareVersion)) {
      throw new UsageError(`--firmware-version must be 1 to 64 letters, digits, ".", "-" or "_" (the platform's rule), got "${opts.firmwareVersion}"`);
    }
    const id = opts.messageId !== undefined ? parseInteger(opts.messageId, '--message-id', 0) : 1;
    const settings: Settings = { kind: 'mqtt-ota', options: { url: opts.url, signMethod: signMethod as SignMethod, id } };
    if (opts.module !== undefined) {
      if (opts.module.trim() === '') throw new UsageError('--module must not be empty');
      settings.options.module = opts.module;
    }
    if (opts.firmwareVersion !== undefined) settings.version = opts.firmwareVersion;
    return settings;
  }
  if (opts.blockSize === undefined) throw new UsageError('--transport blocks needs --block-size <bytes>');
  return { kind: 'blocks', blockSize: parseSize(opts.blockSize, '--block-size', 1) };
}

function readPatchInfo(data: Uint8Array, file: string): PatchInfo {
  try {
    return patchInfo(data);
  } catch (err) {
    if (err instanceof SmartDeltaError) throw new InvalidInputError(`${file} starts like a smartdelta patch but does not parse: ${err.message}`);
    throw err;
  }
}
