/** `smartdelta reassemble`: decodes a fragment file as a device would and writes the block only if it is right. */
import type { Command } from 'commander';
import { CheckFailedError } from '../../errors.js';
import { createRng, parseFragmentFile, reassemble, toHex, type ParsedFragmentFile, type ReassemblyParams } from '../../lorawan/index.js';
import { checkOutputPath, readInputFile, writeOutputFile } from '../files.js';
import { parseInteger } from '../options.js';
import { result } from '../json.js';
import { printLine } from '../output.js';
import { parseFraction, parseHexBytes } from './fragment-options.js';

interface ReassembleCliOptions {
  output: string;
  genAppKey?: string;
  deviceMaxLost?: string;
  drop?: string;
  seed: string;
  force?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('reassemble')
    .description('decode TS004 fragments (any subset, any order) back into the data block; exit 1 if there are not enough')
    .argument('<fragments>', 'fragment file: NDJSON, binary (SDLF) or hex lines, detected by content')
    .requiredOption('-o, --output <file>', 'file to write the data block to')
    .option('--gen-app-key <hex>', 'v2: GenAppKey or AppKey, to check the data-block MIC')
    .option('--device-max-lost <n>', 'emulate a device matrix that recovers at most n lost fragments')
    .option('--drop <p>', 'drop this fraction of the DataFragments at random first (a lossy link), e.g. 20%')
    .option('--seed <n>', 'seed for --drop', '1')
    .option('--force', 'replace an existing output file')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      `
The output is written only when the block is fully determined by the fragments, no fragment contradicts
it, the padding bytes are zero, and the SHA-256 (NDJSON and binary files carry it) or the v2 MIC match.

Examples:
  smartdelta reassemble patch.frag.ndjson -o patch.sdp
  smartdelta reassemble patch.frag.ndjson --drop 20% --seed 7 -o patch.sdp`,
    )
    .action((file: string, opts: ReassembleCliOptions) => runReassemble(file, opts));
}

function runReassemble(file: string, opts: ReassembleCliOptions): void {
  // Usage errors first, then the output, then the input (docs/CLI.md, "Order of checks").
  const drop = opts.drop !== undefined ? parseFraction(opts.drop, '--drop') : 0;
  const seed = parseInteger(opts.seed, '--seed', 0, 0xffffffff);
  const maxLost = opts.deviceMaxLost !== undefined ? parseInteger(opts.deviceMaxLost, '--device-max-lost', 0, 16383) : undefined;
  const rootKey = opts.genAppKey !== undefined ? parseHexBytes(opts.genAppKey, '--gen-app-key', 16) : undefined;
  checkOutputPath(opts.output, { force: opts.force, inputs: [file] });
  const parsed = parseFragmentFile(readInputFile(file, 'fragment file'), file);
  const fragments = drop > 0 ? dropAtRandom(parsed.fragments, drop, seed) : parsed.fragments;
  const params = reassemblyParams(parsed, maxLost, rootKey);
  const outcome = reassemble(fragments, params);
  const notes = integrityNotes(parsed, params);
  if (opts.genAppKey !== undefined && parsed.version === 1) notes.push('--gen-app-key ignored: TS004 v1 has no MIC');
  const summary = {
    input: file,
    format: parsed.format,
    ts004: parsed.version,
    nbFrag: parsed.setup.nbFrag,
    fragSize: parsed.setup.fragSize,
    padding: parsed.setup.padding,
    fragmentsInFile: parsed.fragments.length,
    fragmentsUsed: fragments.length,
    ignored: parsed.ignored,
    stats: outcome.stats,
  };
  if (!outcome.ok) {
    result({ ...summary, needed: null, dropped: [], checks: [], notes, reason: outcome.reason });
    throw new CheckFailedError(`${file}: ${outcome.message}; nothing written`);
  }
  writeOutputFile(opts.output, outcome.data, { force: opts.force, inputs: [file] });
  result({ output: opts.output, size: outcome.data.length, ...summary, needed: outcome.needed, dropped: outcome.dropped, checks: outcome.checks, notes, reason: null });
  if (opts.json) return;
  printLine(`${opts.output}: ${outcome.data.length} bytes from ${outcome.needed} of ${fragments.length} fragments (${parsed.setup.nbFrag} needed without loss)`);
  for (const check of outcome.checks) printLine(`  ${check.name === 'dropped' ? 'drop' : 'ok  '}  ${check.detail}`);
  for (const note of notes) printLine(`  note  ${note}`);
}

function reassemblyParams(parsed: ParsedFragmentFile, maxLost: number | undefined, rootKey: Uint8Array | undefined): ReassemblyParams {
  const { setup } = parsed;
  const params: ReassemblyParams = { nbFrag: setup.nbFrag, fragSize: setup.fragSize, padding: setup.padding, version: parsed.version };
  if (parsed.sha256) params.sha256 = parsed.sha256;
  if (maxLost !== undefined) params.maxLost = maxLost;
  if (rootKey !== undefined && parsed.version === 2) {
    params.micCheck = {
      rootKey,
      sessionCnt: setup.sessionCnt!,
      fragIndex: setup.fragIndex,
      descriptor: setup.descriptor,
      expected: setup.mic!,
    };
  }
  return params;
}

/** What was not checked, so the user knows what still has to be verified. */
function integrityNotes(parsed: ParsedFragmentFile, params: ReassemblyParams): string[] {
  const notes: string[] = [];
  if (!parsed.sha256) notes.push('the file carries no SHA-256 of the block');
  if (parsed.version === 1) notes.push('TS004 v1 has no integrity check on air: a device must verify the patch signature');
  else if (!params.micCheck) notes.push(`v2 MIC ${toHex(parsed.setup.mic!)} not checked (give --gen-app-key)`);
  return notes;
}

function dropAtRandom<T>(items: readonly T[], fraction: number, seed: number): T[] {
  const rng = createRng(seed);
  return items.filter(() => rng() >= fraction);
}
