/** smartdelta info <patch>: the header, the stream sizes, the ratio and the RAM a device needs. */
import type { Command } from 'commander';
import { patchInfo, type PatchInfo } from '../../pipeline/info.js';
import { readPatchFile } from '../patches.js';
import { patchJson, result } from '../json.js';
import { formatBytes, printLine } from '../output.js';

const hexAddress = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

export function register(program: Command): void {
  program
    .command('info')
    .description('show what a patch contains and what a device needs to apply it')
    .argument('<patch>', 'the patch file')
    .option('--json', 'print one JSON document')
    .action((patchPath: string, opts: { json?: boolean }) => {
      const info = patchInfo(readPatchFile(patchPath));
      result({ input: patchPath, patch: patchJson(info) });
      if (!opts.json) printInfo(info);
    });
}

function printInfo(i: PatchInfo): void {
  const ram = i.deviceRam;
  const lines = [
    `patch            ${formatBytes(i.patchSize)} bytes (header ${i.headerSize}, tables ${formatBytes(i.tablesSize)}, payload ${formatBytes(i.payloadSize)}${i.signed ? ', signature 73' : ''})`,
    `signed           ${i.signed ? `yes, key id ${i.keyId}` : 'no'}`,
    `old image        ${formatBytes(i.old.size)} bytes at ${hexAddress(i.old.loadAddress)}, sha256 ${i.old.sha256Prefix}... (the first 8 bytes)`,
    `new image        ${formatBytes(i.new.size)} bytes at ${hexAddress(i.new.loadAddress)}, sha256 ${i.new.sha256}`,
  ];
  if (i.versionFrom !== undefined || i.versionTo !== undefined) lines.push(`versions         ${i.versionFrom ?? '?'} -> ${i.versionTo ?? '?'}`);
  if (i.securityCounter !== undefined) lines.push(`security counter ${i.securityCounter}`);
  const r = i.relocation;
  lines.push(`transform        ${i.transform}${r ? ` (${r.recognizes.join(', ')}; min segment ${r.minSegment})` : ''}`);
  if (r) lines.push(`maps             flash ${r.flashMapSegments} segments (flagged in the control table), RAM ${r.ramMapSegments}, constants ${r.constantMapSegments}`);
  lines.push(`program          ${i.program.layout}, ${i.program.diffCoding} diffs${i.program.controlEntries !== undefined ? `, ${formatBytes(i.program.controlEntries)} control entries` : ''}`);
  lines.push(`codec            ${i.codec}${i.lzma ? ` lc=${i.lzma.lc} lp=${i.lzma.lp} pb=${i.lzma.pb} window=${formatBytes(i.lzma.window)}` : ''}`);
  lines.push(`ratio            ${i.ratio.toFixed(2)} (new image / patch)`);
  lines.push(
    `device RAM       ${formatBytes(ram.total)} bytes: state ${ram.fixedState}, codec model ${formatBytes(ram.codecModel)}, window ${formatBytes(ram.codecWindow)}${ram.smallTable ? `, table-first entries ${ram.smallTable}` : ''} ` +
      `(applied as it arrives, without storing it: ${formatBytes(ram.streamingTotal)}, the tables kept in RAM)`,
  );
  if (ram.fastLookups) {
    const l = ram.fastLookups;
    lines.push(
      `fast lookups     ${formatBytes(l.pairs)} map records and segments: from RAM given ${formatBytes(l.total)} bytes ` +
        `(${formatBytes(l.streamingTotal)} as it arrives; docs/DEVICE.md, "Fast lookups")`,
    );
  }
  const f = i.inPlace;
  if (f) {
    lines.push(
      `kind             in-place: slot ${formatBytes(f.slotSize)} bytes in ${formatBytes(f.eraseUnit)}-byte erase units, ${f.writeUnit}-byte writes; ` +
        `scratch ${formatBytes(f.scratchSize)} bytes; progress record ${f.progressRecord} bytes`,
    );
    lines.push(`write order      ${f.units} units in ${f.writeOrderRuns} run(s); ${f.decoderPasses} decoder pass(es) without a reset`);
  } else {
    lines.push('kind             two-slot: the new image needs a slot of its own');
  }
  for (const line of lines) printLine(line);
}
