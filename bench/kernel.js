// The matcher kernel (src/delta/kernel.ts: SA-IS and the block matcher in WebAssembly) as a diff pays it:
// each figure is the CPU time (user + sys) of one call in a fresh node process started with the V8 flags that
// bin/smartdelta.js sets (FLAGS below; first call of the process, nothing warmed up), median and minimum over
// --runs processes.
//   buildSuffixArray(old)          the suffix array alone
//   matchBlocks(old, new)          the plain match (array + matching scan)
//   planCortexMRounds(old, new)    the three matches of an auto diff and the relocation predictions between them
// --tree DIR measures another checkout's dist/ (for example /work/main, for a before/after in the same minute).
// Appends a dated section to bench/KERNEL-RESULTS.md unless --no-write.
//
//   npm run build && node bench/kernel.js [--runs N] [--tree DIR] [--no-write]
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const corpus = path.resolve(root, '../shared/corpus');
const PAIRS = [
  ['pybv11', 'pybv11/v1.10/firmware1.bin', 'pybv11/1f5d945af-dirty/firmware1.bin', 0x08020000],
  ['shell', 'shell/old', 'shell/new', 0x80000],
  ['synthesizer', 'synthesizer/1.bin', 'synthesizer/2.bin', 0x80000],
];
const STEPS = ['buildSuffixArray', 'matchBlocks', 'planCortexMRounds'];
const FLAGS = ['--interrupt-budget=4325376', '--semi-space-growth-factor=1', '--liftoff-only'];

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : process.argv[at + 1];
}

// Child: one step, once, cold.
if (process.argv[2] === '--child') {
  const [, , , tree, step, oldFile, newFile, base] = process.argv;
  const { readFileSync } = await import('node:fs');
  const old = new Uint8Array(readFileSync(oldFile));
  const target = new Uint8Array(readFileSync(newFile));
  const dist = (file) => import(path.join(tree, 'dist', file));
  const run =
    step === 'buildSuffixArray'
      ? await dist('delta/suffix-array.js').then((m) => () => m.buildSuffixArray(old))
      : step === 'matchBlocks'
        ? await dist('delta/match.js').then((m) => () => m.matchBlocks(old, target))
        : await dist('arch/cortex-m/plan.js').then((m) => () => m.planCortexMRounds({ data: old, loadAddress: Number(base) }, { data: target, loadAddress: Number(base) }));
  const before = process.cpuUsage();
  run();
  const used = process.cpuUsage(before);
  console.log((used.user + used.system) / 1000);
  process.exit(0);
}

const runs = Number(option('--runs', '7'));
const tree = path.resolve(option('--tree', root));
const rows = [];
for (const [name, oldPath, newPath, base] of PAIRS) {
  const oldFile = path.join(corpus, oldPath);
  const newFile = path.join(corpus, newPath);
  if (!existsSync(oldFile) || !existsSync(newFile)) {
    console.log(`${name}: corpus pair absent (../shared/corpus), skipped`);
    continue;
  }
  const cells = STEPS.map((step) => {
    const times = [];
    for (let r = 0; r < runs; r++) {
      const child = spawnSync(process.execPath, [...FLAGS, import.meta.filename, '--child', tree, step, oldFile, newFile, String(base)], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`${step} on ${name} failed: ${child.stderr}`);
      times.push(Number(child.stdout.trim()));
    }
    times.sort((a, b) => a - b);
    return `${times[times.length >> 1].toFixed(1)} (${times[0].toFixed(1)})`;
  });
  rows.push(`| ${name} | ${cells.join(' | ')} |`);
  console.log(rows[rows.length - 1]);
}
const load = os.loadavg().map((v) => v.toFixed(1)).join(' ');
const section = [
  `## ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, node ${process.version}, ${os.cpus().length} cores, load ${load}`,
  '',
  `Tree: \`${path.relative(path.resolve(root, '..'), tree) || '.'}\`. CPU ms, median (minimum) of ${runs} fresh processes.`,
  '',
  `| pair | ${STEPS.join(' | ')} |`,
  `|---|${STEPS.map(() => '---:').join('|')}|`,
  ...rows,
  '',
].join('\n');
if (process.argv.includes('--no-write')) console.log(section);
else {
  const file = path.join(root, 'bench/KERNEL-RESULTS.md');
  if (!existsSync(file)) appendFileSync(file, '# The matcher kernel, as a diff pays it\n\nWritten by `node bench/kernel.js` (after `npm run build`); each run appends a section. The machine is a shared\n2-core VM: compare sections measured in the same minute (the `--tree` of another checkout), not across days.\n\n');
  appendFileSync(file, `${section}\n`);
  console.log(`appended to ${path.relative(root, file)}`);
}
