// Crafted inputs (issue 16): time and peak memory of the CLI on the worst cases a red-team pass found for the
// host's parsers, each generated here in a temporary folder (never committed) and deleted after its run.
// Every case must be processed or refused within 10 s of CPU time and 1 GB of peak memory.
// Run after a build:  npm run build && node bench/crafted.js   (writes bench/CRAFTED-RESULTS.md; Linux, /usr/bin/time)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { craftElf, craftHex } from './lib/crafted-inputs.js';
import { describeMachine, loadAverageNow } from './lib/machine.js';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'bin/smartdelta.js');
const TIME_LIMIT_S = 10;
const MEMORY_LIMIT_KB = 1024 * 1024;
const MiB = 1024 * 1024;

const dir = mkdtempSync(path.join(tmpdir(), 'smartdelta-crafted-'));
const at = (name) => path.join(dir, name);

/** A 64-byte patch whose base none of the crafted images is: `apply` loads the image, then refuses its base (exit 1). */
function tinyPatch() {
  writeFileSync(at('a.bin'), new Uint8Array(64).fill(1));
  writeFileSync(at('b.bin'), new Uint8Array(64).fill(2));
  run(['diff', at('a.bin'), at('b.bin'), '-o', at('tiny.sdp'), '--arch', 'none', '--force']);
  return at('tiny.sdp');
}

/** Runs the CLI under /usr/bin/time: exit code, user + system CPU seconds, wall seconds, peak RSS (KiB), stderr's last line. */
function run(args) {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %M', process.execPath, cli, ...args], { encoding: 'utf8', maxBuffer: 64 * MiB });
  const line = r.stderr.trim().split('\n').reverse().find((l) => l.startsWith('TIME '));
  if (!line) throw new Error(`no /usr/bin/time line for ${args.join(' ')}: ${r.stderr}`);
  const [, wall, user, sys, rss] = line.split(' ').map(Number);
  const said = r.stderr.split('\n').filter((l) => l.startsWith('error:') || l.startsWith('  ')).slice(-1)[0] ?? r.stdout.trim().split('\n')[0] ?? '';
  return { code: r.status === null ? -1 : Number(/Command exited with non-zero status (\d+)/.exec(r.stderr)?.[1] ?? r.status), cpu: user + sys, wall, rssKb: rss, said: said.slice(0, 160) };
}

/** NDJSON lines of a small valid session (setup first), from the CLI itself. */
function sessionLines(bytes, fragSize, redundancy) {
  writeFileSync(at('block.bin'), Uint8Array.from({ length: bytes }, (_, i) => (i * 2654435761) >>> 24));
  run(['fragment', at('block.bin'), '--frag-size', String(fragSize), '--redundancy', redundancy, '-o', at('session.ndjson'), '--force']);
  return spawnSync('cat', [at('session.ndjson')], { encoding: 'utf8', maxBuffer: 256 * MiB }).stdout.trimEnd().split('\n');
}

/** Repeats `lines[1..]` after the setup until the file reaches `bytes`. */
function repeatedFile(name, lines, bytes) {
  const body = Buffer.from(`${lines.slice(1).join('\n')}\n`);
  const copies = Math.max(1, Math.floor((bytes - lines[0].length) / body.length));
  const out = Buffer.allocUnsafe(lines[0].length + 1 + copies * body.length);
  out.write(`${lines[0]}\n`);
  for (let i = 0, o = lines[0].length + 1; i < copies; i++, o += body.length) body.copy(out, o);
  writeFileSync(at(name), out);
  return at(name);
}

const cases = [
  {
    name: 'ELF, 200,000 sections, 256 PT_LOAD program headers (processed)',
    make: () => (writeFileSync(at('sections.elf'), craftElf(200_000, 256)), at('sections.elf')),
    args: (file, patch) => ['apply', file, patch, '-o', at('out.bin')],
  },
  {
    name: 'ELF, 200,000 sections, 65,535 PT_LOAD program headers (refused)',
    make: () => (writeFileSync(at('segments.elf'), craftElf(200_000, 65_535)), at('segments.elf')),
    args: (file, patch) => ['apply', file, patch, '-o', at('out.bin')],
  },
  {
    name: 'Intel HEX, one-byte records every other address up to the 64 MiB span (processed)',
    make: () => (writeFileSync(at('tiny.hex'), craftHex(512 * MiB)), at('tiny.hex')),
    args: (file, patch) => ['apply', file, patch, '-o', at('out.bin')],
  },
  {
    name: 'fragment file, NDJSON lines repeated up to 500 MB (refused at 65,536 records)',
    make: () => repeatedFile('lines.ndjson', sessionLines(4000, 40, '10'), 500 * MiB),
    args: (file) => ['reassemble', file, '-o', at('block.out'), '--force'],
  },
  {
    name: 'fragment file, 4,096 fragments all lost, only the coded ones (110 %), each 8 times (processed)',
    make: () => {
      const lines = sessionLines(40_960, 10, '110%');
      const coded = lines.filter((l) => l.includes('"coded":true'));
      return repeatedFile('coded.ndjson', [lines[0], ...coded], 8 * coded.join('\n').length);
    },
    args: (file) => ['reassemble', file, '-o', at('block.out'), '--force'],
  },
  {
    name: 'fragment file, 5,000 fragments all lost, 5,000 coded ones sent 8 times, --device-max-lost 16383 (refused: rank 4,999)',
    make: () => {
      const lines = sessionLines(50_000, 10, '100%');
      const coded = lines.filter((l) => l.includes('"coded":true'));
      return repeatedFile('coded5k.ndjson', [lines[0], ...coded], 8 * coded.join('\n').length);
    },
    args: (file) => ['reassemble', file, '-o', at('block.out'), '--force', '--device-max-lost', '16383'],
  },
  {
    name: 'public key /dev/zero (refused after 64 KiB)',
    make: () => '/dev/zero',
    args: (file, patch) => ['apply', at('a.bin'), patch, '--pub', file, '-o', at('out.bin')],
  },
];

const started = new Date();
const machine = describeMachine();
const patch = tinyPatch();
const rows = [];
let allMet = true;
for (const c of cases) {
  const file = c.make();
  const size = file.startsWith(dir) ? statSync(file).size : 0;
  const load = loadAverageNow()[0];
  const r = run(c.args(file, patch));
  if (file.startsWith(dir)) rmSync(file, { force: true });
  const met = r.cpu <= TIME_LIMIT_S && r.rssKb <= MEMORY_LIMIT_KB && (r.code === 0 || r.code === 1 || r.code === 3);
  allMet &&= met;
  rows.push(`| ${c.name} | ${size ? `${(size / MiB).toFixed(1)} MiB` : '-'} | ${r.code} | ${r.cpu.toFixed(2)} s | ${r.wall.toFixed(2)} s | ${Math.round(r.rssKb / 1024)} MiB | ${load} | ${met ? 'yes' : '**no**'} | ${r.said.replaceAll('|', '\\|').replace(dir, '<tmp>')} |`);
  process.stderr.write(`${rows.at(-1)}\n`);
}
rmSync(dir, { recursive: true, force: true });

const out = [
  '# Crafted inputs',
  '',
  `Written by \`node bench/crafted.js\` on ${started.toISOString()}. Do not edit by hand: rerun the bench.`,
  '',
  `Machine: ${machine.nproc} cores, CPU "${machine.cpuModel}", ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}; load average ${machine.loadAverageAtStart.join(' / ')} at the start (a shared machine: wall time follows the load, CPU time much less).`,
  '',
  `The CLI (\`bin/smartdelta.js\`) under \`/usr/bin/time\` on inputs generated in a temporary folder (bench/lib/crafted-inputs.js; never committed). Limit per case: ${TIME_LIMIT_S} s of CPU (user + system) and 1 GB of peak resident memory, with a clean refusal (exit 3) or a processed input (exit 0, or 1 when \`apply\` then refuses the base image of the tiny patch it is given, or \`reassemble\` a block it cannot determine). See docs/SECURITY.md, "Limits".`,
  '',
  '| input | size | exit | CPU | wall | peak RSS | load at start | met | what it said |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows,
  '',
  `All limits met: ${allMet ? 'yes' : '**no**'}.`,
  '',
];
writeFileSync(path.join(root, 'bench/CRAFTED-RESULTS.md'), out.join('\n'));
process.exitCode = allMet ? 0 : 1;
