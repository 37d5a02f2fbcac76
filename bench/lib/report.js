// bench/RESULTS.md from the results object (the same object is written to bench/results.json).
import { PUBLISHED_COLUMNS, PUBLISHED_DETOOLS_TIMES_PYBV11, PUBLISHED_SOURCE, PUBLISHED_TIMES_SOURCE } from './published.js';

const bytes = (n) => (n === null || n === undefined ? '-' : n.toLocaleString('en-US'));
const ms = (t) => (t === undefined ? '-' : t < 10 ? t.toFixed(1) : Math.round(t).toLocaleString('en-US'));
const ratio = (r) => (r === undefined ? '-' : r.toFixed(2));
const hex = (n) => `0x${n.toString(16).padStart(8, '0')}`;
const row = (cells) => `| ${cells.join(' | ')} |`;
const header = (cells) => [row(cells), row(cells.map(() => '---'))];

/** A peer cell: its size, or why there is none. */
function peerSize(result) {
  if (!result) return '-';
  if (result.missing) return 'not installed';
  return result.roundTrip ? bytes(result.size) : `${bytes(result.size)} (round trip FAILED)`;
}

function summaryTable(corpus) {
  const lines = header([
    'pair', 'new image', 'smartdelta plain', '**smartdelta pointer-aware (auto)**', 'detools bsdiff+lzma †',
    'detools arm-cortex-m4 †', 'detools arm-cortex-m4 + ELF †', 'bsdiff', 'hdiffz lzma2 †', 'xz -9e',
  ]);
  for (const pair of corpus) {
    const p = pair.published;
    lines.push(row([
      pair.id, bytes(pair.new.size), bytes(pair.smartdelta.none.size), `**${bytes(pair.smartdelta.auto.size)}**`,
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
      (pair.elfSameAsBin === undefined ? '' : `; the flash image loaded from the .elf files is ${pair.elfSameAsBin ? 'byte-identical to' : 'NOT the same as'} the .bin`),
    '',
    ...header(['tool', 'patch bytes', 'of which header', 'ratio new/patch', 'create ms (median)', 'apply ms (median)', 'device RAM bytes', 'round trip']),
  ];
  for (const arch of ['none', 'cortex-m', 'auto']) {
    const r = pair.smartdelta[arch];
    const name = arch === 'none' ? 'smartdelta --arch none (plain)' : `smartdelta --arch ${arch}${r.transform === 'plain' ? ' (chose plain)' : ''}`;
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
  const verdict = (t) => (t.pass === null ? 'not measured' : t.pass ? 'yes' : t.goal ? 'not yet (goal)' : '**no**');
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
  for (const [arch, name] of [['none', 'plain'], ['cortex-m', 'cortex-m'], ['auto', 'auto (default)']]) {
    const r = s[arch];
    lines.push(row([`smartdelta ${name}, in-process median (min to max)`, spread(r.createMs, r.createTimesMs), spread(r.applyMs, r.applyTimesMs), `${ms(r.createCpuMs)} ms / ${ms(r.applyCpuMs)} ms`]));
  }
  if (results.coldCli) lines.push(row(['smartdelta CLI, one cold run (node start-up included)', `${ms(results.coldCli.diffMs)} ms`, `${ms(results.coldCli.applyMs)} ms`, '-']));
  lines.push(row(['detools bsdiff+lzma (published †)', `${ms(t.create * 1000)} ms`, `${ms(t.apply * 1000)} ms`, '-']));
  lines.push(row(['detools arm-cortex-m4 (published †)', `${ms(t.createDataFormat * 1000)} ms`, `${ms(t.applyDataFormat * 1000)} ms`, '-']));
  lines.push(row(['detools arm-cortex-m4 + ELF ranges (published †)', `${ms(t.createElfRanges * 1000)} ms`, `${ms(t.applyDataFormat * 1000)} ms`, '-']));
  if (pyb.peers.bsdiff && !pyb.peers.bsdiff.missing) lines.push(row(['Debian bsdiff / bspatch (measured here)', `${ms(pyb.peers.bsdiff.createMs)} ms`, `${ms(pyb.peers.bsdiff.applyMs)} ms`, '-']));
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
    `Machine: ${m.nproc} cores (nproc), CPU "${m.cpuModel}", ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}. ` +
      `Load average ${m.loadAverageAtStart.join(' / ')} at the start and ${m.loadAverageAtEnd.join(' / ')} at the end ` +
      '(other work shared the machine, so times are indicative; sizes are exact and deterministic).',
    '',
    'Patch sizes are whole files in bytes: smartdelta patches unsigned, container header included. † = published figure, ' +
      `not run here (sizes from ${PUBLISHED_SOURCE}, detools times from ${PUBLISHED_TIMES_SOURCE}). bsdiff, xdelta3, zstd and xz are ` +
      'run here on the same flash bytes, with their round trips checked byte for byte.',
    '',
  ];
  if (corpus.length > 0) {
    out.push('## Corpus pairs (../shared/corpus, .bin inputs with the README\'s load addresses)', '', ...summaryTable(corpus), '');
    out.push(results.elfOption.note, '', publishedAgreement(corpus), '');
  } else {
    out.push('## Corpus pairs', '', '../shared/corpus was absent on this run: only the fixtures were measured.', '');
  }
  out.push('## Fixture pairs (fixtures/build, load address 0x08000000)', '', ...fixtureSummary(fixtures), '');
  out.push('## Acceptance figures (issues 2 and 4)', '', ...targetTable(results.targets), '');
  const peakLoad = Math.max(m.loadAverageAtStart[0], m.loadAverageAtEnd[0]);
  if (peakLoad > m.nproc) {
    out.push(
      `The machine was overloaded during this run (1-minute load average up to ${peakLoad} on ${m.nproc} cores), so wall times ` +
        'are inflated by waiting for a core; the CPU time of the process (in the times table) is the steadier guide.',
      '',
    );
  }
  out.push('## Times', '', ...timesTable(results), '');
  if (results.coldCli) {
    out.push(`Cold CLI run (${results.coldCli.pair}, once): \`${results.coldCli.diffCommand}\` then \`${results.coldCli.applyCommand}\`.`, '');
  }
  out.push(
    '## Per pair', '',
    `smartdelta: \`createPatch(old, new, {arch})\` and \`applyPatch(old, patch)\` from dist/ in this process; each time is the median of ${results.runs} runs after one ` +
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
