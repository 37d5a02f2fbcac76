// bench/RESULTS.md from the results object (the same object is written to bench/results.json).
import { bytes, header, hex, ms, ratio, row } from './markdown.js';
import { deviceSection } from './report-device.js';
import { AUTO_WITH_ELF } from './smartdelta.js';
import { PUBLISHED_COLUMNS, PUBLISHED_DETOOLS_TIMES_PYBV11, PUBLISHED_SOURCE, PUBLISHED_TIMES_SOURCE } from './published.js';

/** A peer cell: its size, or why there is none. */
function peerSize(result) {
  if (!result) return '-';
  if (result.missing) return 'not installed';
  return result.roundTrip ? bytes(result.size) : `${bytes(result.size)} (round trip FAILED)`;
}

function summaryTable(corpus) {
  const lines = header([
    'pair', 'new image', 'smartdelta plain', '**smartdelta pointer-aware (auto)**', 'smartdelta pointer-aware + ELF', 'detools bsdiff+lzma †',
    'detools arm-cortex-m4 †', 'detools arm-cortex-m4 + ELF †', 'bsdiff', 'hdiffz lzma2 †', 'xz -9e',
  ]);
  for (const pair of corpus) {
    const p = pair.published;
    lines.push(row([
      pair.id, bytes(pair.new.size), bytes(pair.smartdelta.none.size), `**${bytes(pair.smartdelta.auto.size)}**`,
      pair.smartdelta[AUTO_WITH_ELF] ? bytes(pair.smartdelta[AUTO_WITH_ELF].size) : '- (no ELF files)',
      bytes(p.detoolsBsdiffLzma), bytes(p.detoolsCortexM4), bytes(p.detoolsCortexM4Elf),
      peerSize(pair.peers.bsdiff), bytes(p.hdiffzLzma2), peerSize(pair.peers.xz),
    ]));
  }
  return lines;
}

function fixtureSummary(fixtures) {
  const lines = header(['pair', 'new image', 'plain', 'cortex-m', 'auto', 'auto / plain', 'bsdiff', 'xdelta3', 'zstd', 'xz -9e']);
  for (const pair of fixtures) {
    const s = pair.smartdelta;
    lines.push(row([
      pair.id.replace(/^fixtures /, ''), bytes(pair.new.size), bytes(s.none.size), bytes(s['cortex-m'].size), `**${bytes(s.auto.size)}**`,
      `${Math.round((100 * s.auto.size) / s.none.size)} %`,
      peerSize(pair.peers.bsdiff), peerSize(pair.peers.xdelta3), peerSize(pair.peers.zstd), peerSize(pair.peers.xz),
    ]));
  }
  return lines;
}

/** Debian bsdiff and xz run here should reproduce the published figures: a check that the pairs are the same. */
function publishedAgreement(corpus) {
  const differences = [];
  for (const pair of corpus) {
    for (const id of ['bsdiff', 'xz']) {
      const measured = pair.peers[id];
      if (measured && !measured.missing && measured.size !== pair.published[id]) differences.push(`${pair.id} ${id} ${bytes(measured.size)} here vs ${bytes(pair.published[id])} published`);
    }
  }
  return differences.length === 0
    ? 'Debian bsdiff and xz -9e, run here, give exactly the published sizes on all three pairs.'
    : `Measured here vs published: ${differences.join('; ')}.`;
}

function pairTable(pair) {
  const lines = [
    `### ${pair.id}`,
    '',
    `old \`${pair.old.file}\` (${bytes(pair.old.size)} B at ${hex(pair.old.loadAddress)}), ` +
      `new \`${pair.new.file}\` (${bytes(pair.new.size)} B at ${hex(pair.new.loadAddress)})` +
      (pair.elfSameAsBin === undefined ? '' : `; the flash image loaded from the .elf files is ${pair.elfSameAsBin ? 'byte-identical to' : 'NOT the same as'} the .bin`) +
    (Array.isArray(pair.elfFiles) ? `; ELF files for the "+ ELF" row: ${pair.elfFiles.map((f) => `\`${f}\``).join(', ')}` : '') +
    (pair.elfFiles === 'the inputs' ? '; the "+ ELF" row also passes the symbols of the input .elf files, as the CLI does' : ''),
    '',
    ...header(['tool', 'patch bytes', 'of which header', 'ratio new/patch', 'create ms (median)', 'apply ms (median)', 'device RAM bytes', 'round trip']),
  ];
  for (const [key, r] of Object.entries(pair.smartdelta)) {
    const elf = key === AUTO_WITH_ELF ? ' + ELF files (oldElf/newElf)' : '';
    const name = key === 'none' ? 'smartdelta --arch none (plain)' : `smartdelta --arch ${r.arch}${elf}${r.transform === 'plain' ? ' (chose plain)' : ''}`;
    lines.push(row([name, bytes(r.size), bytes(r.headerSize), ratio(r.ratio), ms(r.createMs), ms(r.applyMs), bytes(r.deviceRam), 'ok']));
  }
  for (const r of Object.values(pair.peers)) {
    if (r.missing) lines.push(row([r.label, 'not installed', '-', '-', '-', '-', '-', '-']));
    else lines.push(row([r.label, bytes(r.size), '-', ratio(r.ratio), ms(r.createMs), ms(r.applyMs), '-', r.roundTrip ? 'ok' : '**FAILED**']));
  }
  if (pair.published) {
    for (const [key, label] of [['bsdiff', 'bsdiff 4.3'], ['xz', 'xz -9e'], ...PUBLISHED_COLUMNS]) {
      const size = pair.published[key];
      if (size === null) continue;
      lines.push(row([`${label} (published †)`, bytes(size), '-', ratio(pair.new.size / size), '-', '-', '-', '-']));
    }
  }
  return [...lines, ''];
}

function targetTable(targets) {
  const lines = header(['check', 'measured', 'limit', 'met']);
  const outcome = (t) => (t.pass === null ? 'not measured' : t.pass ? 'yes' : t.goal ? 'not yet (goal)' : '**no**');
  const verdict = (t) => `${outcome(t)}${t.indicative && t.pass !== null ? ' (machine busy: indicative)' : ''}`;
  for (const t of targets) lines.push(row([t.what, t.measured, t.limit, verdict(t)]));
  return lines;
}

function timesTable(results) {
  const pyb = results.pairs.find((p) => p.id === 'pybv11');
  if (!pyb) return ['(../shared/corpus absent: no pybv11 times)'];
  const t = PUBLISHED_DETOOLS_TIMES_PYBV11;
  const s = pyb.smartdelta;
  const lines = header(['pybv11', 'create', 'apply', 'CPU time of the process, create / apply (median)']);
  // The spread shows how much the shared machine moved the figures during this run.
  const spread = (median, times) => `${ms(median)} ms (${ms(Math.min(...times))} to ${ms(Math.max(...times))})`;
  for (const [key, name] of [['none', 'plain'], ['cortex-m', 'cortex-m'], ['auto', 'auto (default)'], [AUTO_WITH_ELF, 'auto + ELF files']]) {
    const r = s[key];
    if (!r) continue;
    lines.push(row([`smartdelta ${name}, in-process median (min to max)`, spread(r.createMs, r.createTimesMs), spread(r.applyMs, r.applyTimesMs), `${ms(r.createCpuMs)} ms / ${ms(r.applyCpuMs)} ms`]));
  }
  const cold = results.coldCli;
  if (cold?.pair === 'pybv11') {
    lines.push(row([`**smartdelta CLI, auto (default), cold start, median of ${cold.runs} (min to max), node start-up included**`, `**${spread(cold.diffMs, cold.diffTimesMs)}**`, `**${spread(cold.applyMs, cold.applyTimesMs)}**`,
      cold.diffCpuMs === undefined ? '-' : `${ms(cold.diffCpuMs)} ms / ${ms(cold.applyCpuMs)} ms`]));
  }
  lines.push(row(['detools bsdiff+lzma (published †, Python start-up included)', `${ms(t.create * 1000)} ms`, `${ms(t.apply * 1000)} ms`, '-']));
  lines.push(row(['detools arm-cortex-m4 (published †, Python start-up included)', `${ms(t.createDataFormat * 1000)} ms`, `${ms(t.applyDataFormat * 1000)} ms`, '-']));
  lines.push(row(['detools arm-cortex-m4 + ELF ranges (published †, Python start-up included)', `${ms(t.createElfRanges * 1000)} ms`, `${ms(t.applyDataFormat * 1000)} ms`, '-']));
  if (pyb.peers.bsdiff && !pyb.peers.bsdiff.missing) lines.push(row(['Debian bsdiff / bspatch (measured here)', `${ms(pyb.peers.bsdiff.createMs)} ms`, `${ms(pyb.peers.bsdiff.applyMs)} ms`, '-']));
  return lines;
}

/** Said at the top: whether the times were taken on a busy machine. */
function busyBanner(results) {
  const { busy, threshold, busyBlocks, blockCount } = results.machineBusy;
  if (!busy) {
    return `**Machine quiet**: the 1-minute load average was at most ${threshold} at the start of every timing block (see "Load during the timings").`;
  }
  const cold = results.coldCli;
  const coldBusy = busyBlocks.filter((name) => name.includes('CLI'));
  return `> **MACHINE BUSY: the times in this report are indicative.** The 1-minute load average was above ${threshold} at the start of ` +
    `${busyBlocks.length} of ${blockCount} timing blocks` +
    (cold && coldBusy.length > 0 ? `, including the cold CLI runs the time checks use (${coldBusy.join('; ')})` : '') +
    '. Sizes are exact and deterministic either way; rerun on a quiet machine for times to quote.';
}

function loadTable(blocks) {
  const lines = header(['timing block', 'load average before (1 / 5 / 15 min)', 'after', 'busy at start']);
  for (const b of blocks) lines.push(row([b.name, b.before.join(' / '), b.after.join(' / '), b.busy ? '**yes**' : 'no']));
  return lines;
}

export function renderReport(results) {
  const m = results.machine;
  const corpus = results.pairs.filter((p) => p.group === 'corpus');
  const fixtures = results.pairs.filter((p) => p.group === 'fixtures');
  const out = [
    '# Benchmark results',
    '',
    `Written by \`${results.command}\` (\`${results.script}\`) on ${results.date} in ${results.durationSeconds.toFixed(0)} s, ` +
      `at commit ${results.commit}. Do not edit by hand: rerun the bench.`,
    `Every number below is also in [results.json](results.json).`,
    '',
    busyBanner(results),
    '',
    `Machine: ${m.nproc} cores (nproc), CPU "${m.cpuModel}", ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}. ` +
      `Load average ${m.loadAverageAtStart.join(' / ')} at the start and ${m.loadAverageAtEnd.join(' / ')} at the end.`,
    '',
    'Patch sizes are whole files in bytes: smartdelta patches unsigned, container header included. † = published figure, ' +
      `not run here (sizes from ${PUBLISHED_SOURCE}, detools times from ${PUBLISHED_TIMES_SOURCE}). bsdiff, xdelta3, zstd and xz are ` +
      'run here on the same flash bytes, with their round trips checked byte for byte.',
    '',
  ];
  if (corpus.length > 0) {
    out.push('## Corpus pairs (../shared/corpus, .bin inputs with the README\'s load addresses)', '', ...summaryTable(corpus), '');
    out.push(
      'smartdelta pointer-aware + ELF: `createPatch(old, new, {arch: \'auto\', oldElf, newElf})` with `parseElf(bytes).info` of the ' +
        'firmware.elf files beside the .bin images (what `diff --old-elf/--new-elf` does); the images are still the .bin files. ' +
        'shell and synthesizer come without ELF files.',
      '', publishedAgreement(corpus), '');
  } else {
    out.push('## Corpus pairs', '', '../shared/corpus was absent on this run: only the fixtures were measured.', '');
  }
  out.push('## Fixture pairs (fixtures/build, load address 0x08000000)', '', ...fixtureSummary(fixtures), '');
  out.push('## Acceptance figures (issues 2, 4 and 8)', '', ...targetTable(results.targets), '');
  out.push(
    'The time checks use the cold CLI, node start-up included, because detools\' published times include Python\'s start-up ' +
      `(${PUBLISHED_TIMES_SOURCE}: "median wall, Python start-up included"); the in-process median is shown beside it.`,
    '',
  );
  out.push('## Device library (issue 8)', '', ...deviceSection(results.device), '');
  out.push('## Times', '', ...timesTable(results), '');
  if (results.coldCli) {
    const c = results.coldCli;
    out.push(`Cold CLI (${c.pair}, ${c.runs} runs of each, run first, before the in-process measurements): \`${c.diffCommand}\` then \`${c.applyCommand}\`. ` +
      'CPU time of the process is the steadier guide when the machine is busy (in-process rows).', '');
  }
  out.push('## Load during the timings', '', `A block is busy when the 1-minute load average exceeds ${results.machineBusy.threshold} at its start ` +
    `(${m.nproc} cores); the bench itself adds up to about 1 while it runs.`, '', ...loadTable(results.loadBlocks), '');
  out.push(
    '## Per pair', '',
    `smartdelta: \`createPatch(old, new, {arch})\` (with \`oldElf\`/\`newElf\` in the "+ ELF files" rows) and \`applyPatch(old, patch)\` from dist/ in this process; each time is the median of ${results.runs} runs after one ` +
      'untimed warm-up run, every created patch is compared with the first (determinism) and the applied image with the new image. ' +
      'Device RAM is `patchInfo(patch).deviceRam.total`, the RAM the device applier needs (docs/FORMAT.md). ' +
      `Peers: median of ${results.runs} runs each, wall clock of the whole process.`,
    '',
  );
  for (const pair of [...corpus, ...fixtures]) out.push(...pairTable(pair));
  out.push('## Peer invocations and versions', '', ...header(['tool', 'version', 'invocation']));
  for (const [id, info] of Object.entries(results.peers)) out.push(row([id, info.version ?? 'not installed', info.invocation ? `\`${info.invocation}\`` : '-']));
  out.push('', '## Other benches', '');
  for (const b of results.otherBenches) out.push(`- [${b.file}](${b.link}): ${b.note}`);
  out.push('');
  return out.join('\n');
}
