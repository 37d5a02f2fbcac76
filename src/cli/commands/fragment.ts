/** `smartdelta fragment`: cuts a file (typically a signed patch) into TS004 downlinks. */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { campaignEstimate, fragmentFile, serializeSession, toHex, type CampaignEstimate, type FragmentSession } from '../../lorawan/index.js';
import { checkOutputPath, readInputFile, writeOutputFile } from '../files.js';
import { parseInteger } from '../options.js';
import { result } from '../json.js';
import { printLine, warn } from '../output.js';
import { addPlanOptions, formatDuration, formatPercent, parseHexBytes, planOptions, type PlanCliOptions } from './fragment-options.js';

interface FragmentCliOptions extends PlanCliOptions {
  output: string;
  format: string;
  fragIndex: string;
  descriptor?: string;
  mcGroupMask: string;
  blockAckDelay: string;
  sessionCnt: string;
  genAppKey?: string;
  ackReception?: boolean;
  fport: string;
  force?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('fragment')
    .description('cut a file into LoRaWAN TS004 fragments with forward error correction (FragSessionSetupReq + DataFragment downlinks)')
    .argument('<file>', 'the data block to send (any file, typically a signed patch)')
    .requiredOption('-o, --output <file>', 'fragment file to write');
  addPlanOptions(command, 'expected downlink loss for --redundancy auto, e.g. 10% (default 10%)')
    .option('--format <ndjson|binary>', 'fragment file format', 'ndjson')
    .option('--frag-index <0-3>', 'FragIndex of the session', '0')
    .option('--descriptor <hex>', '4-byte Descriptor sent to the device (default 00000000)')
    .option('--mc-group-mask <n>', 'McGroupBitMask: multicast groups that carry the fragments (0-15)', '0')
    .option('--block-ack-delay <n>', 'BlockAckDelay (0-7): status answers spread over 2^(n+4) s', '0')
    .option('--session-cnt <n>', 'v2: SessionCnt, must increase with every session', '0')
    .option('--gen-app-key <hex>', 'v2: GenAppKey (LoRaWAN 1.0.x) or AppKey (1.1) for the data-block MIC')
    .option('--ack-reception', 'v2: ask the device to report completion (AckReception)')
    .option('--fport <n>', 'FPort of the fragmentation package', '201')
    .option('--force', 'replace an existing output file')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      `
Examples:
  smartdelta fragment patch.sdp --region EU868 --dr 5 --loss 20% -o patch.frag.ndjson
  smartdelta fragment patch.sdp --region EU868 --dr 0 --redundancy 30% --device-max-frags 1000 -o f.ndjson
  smartdelta fragment patch.sdp --region US915 --dr 10 --ts004 2 --gen-app-key 2B7E151628AED2A6ABF7158809CF4F3C --session-cnt 3 -o f.bin --format binary`,
    )
    .action((file: string, opts: FragmentCliOptions) => runFragment(file, opts));
}

function runFragment(file: string, opts: FragmentCliOptions): void {
  if (opts.format !== 'ndjson' && opts.format !== 'binary') throw new UsageError(`--format must be ndjson or binary, got "${opts.format}"`);
  const options = planOptions(opts);
  options.fragIndex = parseInteger(opts.fragIndex, '--frag-index', 0, 3);
  options.mcGroupBitMask = parseInteger(opts.mcGroupMask, '--mc-group-mask', 0, 15);
  options.blockAckDelay = parseInteger(opts.blockAckDelay, '--block-ack-delay', 0, 7);
  options.fport = parseInteger(opts.fport, '--fport', 1, 223);
  if (opts.descriptor !== undefined) options.descriptor = parseHexBytes(opts.descriptor, '--descriptor', 4);
  if (options.version === 2) {
    options.sessionCnt = parseInteger(opts.sessionCnt, '--session-cnt', 0, 0xffff);
    options.ackReception = Boolean(opts.ackReception);
    if (opts.genAppKey !== undefined) options.genAppKey = parseHexBytes(opts.genAppKey, '--gen-app-key', 16);
  } else if (opts.genAppKey !== undefined || opts.ackReception) {
    throw new UsageError('--gen-app-key and --ack-reception apply to TS004 v2 only; add --ts004 2');
  }

  checkOutputPath(opts.output, { force: opts.force, inputs: [file] });
  const data = readInputFile(file);
  const session = fragmentFile(data, options);
  const serialized = serializeSession(session, opts.format);
  writeOutputFile(opts.output, serialized, { force: opts.force, inputs: [file] });
  const campaign =
    options.region !== undefined && options.dr !== undefined
      ? campaignEstimate(data.length, { ...options, region: options.region, dr: options.dr, fragSize: session.params.fragSize, redundancy: session.params.redundancy, rounds: session.params.rounds })
      : undefined;

  const size = serialized.length;
  for (const w of session.warnings) warn(w);
  result({ output: opts.output, size, input: file, format: opts.format, ...describeSession(session), campaign: campaign ?? null });
  if (opts.json) return;
  printSummary(opts.output, opts.format, session, campaign);
}

/** The session as JSON-friendly values (hex strings for bytes). */
export function describeSession(session: FragmentSession): Record<string, unknown> {
  const p = session.params;
  return {
    // Every field present, null where the plan has no value (docs/JSON.md, "Conventions").
    params: {
      ...p,
      loss: p.loss ?? null,
      confidence: p.confidence ?? null,
      region: p.region ?? null,
      dr: p.dr ?? null,
      sessionCnt: p.sessionCnt ?? null,
      descriptor: toHex(p.descriptor),
      sha256: toHex(p.sha256),
      mic: p.mic ? toHex(p.mic) : null,
    },
    setupHex: toHex(session.setup),
    downlinks: session.fragments.length,
  };
}

function printSummary(output: string, format: string, session: FragmentSession, campaign: CampaignEstimate | undefined): void {
  const p = session.params;
  printLine(`${output}: FragSessionSetupReq + ${session.fragments.length} DataFragment downlinks (${format}, FPort ${p.fport}, TS004 v${p.version}.0.0)`);
  printLine(`  setup   ${toHex(session.setup)}`);
  printLine(`  block   ${p.dataSize} bytes = ${p.nbFrag} fragments x ${p.fragSize} bytes (padding ${p.padding})`);
  const plan = p.loss !== undefined ? ` (planned for ${formatPercent(p.loss)} loss, ${formatPercent(p.confidence!)} confidence)` : '';
  printLine(p.mode === 'fec' ? `  FEC     ${p.redundancy} coded fragments${plan}` : `  carousel ${p.rounds} rounds without FEC${plan}`);
  if (campaign) {
    const duty = campaign.dutyCycle === null ? 'no duty-cycle limit' : `${formatPercent(campaign.dutyCycle)} duty cycle (band ${campaign.dutyCycleBand})`;
    printLine(`  airtime ${campaign.region} DR${campaign.dr}: ${campaign.timeOnAirPerFragmentMs.toFixed(1)} ms per fragment, ${formatDuration(campaign.totalAirtimeMs)} in total`);
    printLine(`  campaign at least ${formatDuration(campaign.campaignDurationMs)} with ${duty}`);
  }
}
