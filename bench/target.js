// The device library on the target (issue 17): instructions per apply on an emulated Cortex-M4 (QEMU
// mps2-an386, `-icount shift=0`, counted by the harness's SysTick: device/target/harness.c), the stack
// high-water mark measured there, RAM and flash, for the fixtures' whole jump and the corpus pairs, plain and
// pointer-aware. Writes bench/TARGET-RESULTS.md. Run after `npx tsc -p tsconfig.json`: `node bench/target.js`.
// Needs qemu-system-arm, arm-none-eabi-gcc and make (prints why and stops without them); corpus pairs need
// ../shared. The counts are exact and deterministic: the machine's load does not change them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { corpusPairs, fixturePairs, loadPair } from './lib/pairs.js';
import { measureDeviceFlash } from './lib/device.js';

const root = path.resolve(import.meta.dirname, '..');
const onPath = (tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
const missing = ['qemu-system-arm', 'arm-none-eabi-gcc', 'make'].filter((t) => !onPath(t));
if (missing.length > 0) {
  console.log(`target: not measured (no ${missing.join(', ')})`);
  process.exit(0);
}
const { createPatch } = await import('../dist/pipeline/create-patch.js');
const { patchInfo } = await import('../dist/pipeline/info.js');
const { loadImage, parseElf } = await import('../dist/image/index.js');

/** Cortex-M4 clock for the time estimate: one instruction a cycle (no flash wait states: a lower bound). */
const MHZ = 80;
const SEED = '9';
const tmp = mkdtempSync(path.join(tmpdir(), 'smartdelta-target-bench-'));
const built = spawnSync('make', ['-s', '-C', path.join(root, 'device'), `BUILD=${tmp}`, 'target'], { encoding: 'utf8' });
if (built.status !== 0) throw new Error(`make -C device target failed:\n${built.stderr}`);

/** M4: mps2-an386, everything in RAM; M0: microbit (16 KB of RAM), reads and writes through semihosting. */
function qemu(args, m0 = false, elf = m0 ? 'm0' : 'm4') {
  const semi = ['harness', ...args].map((a) => `arg=${a}`).join(',');
  return ['qemu-system-arm', '-M', m0 ? 'microbit' : 'mps2-an386', '-nographic', '-monitor', 'none', '-serial', 'none', '-icount', 'shift=0,align=off,sleep=off',
    '-semihosting-config', `enable=on,target=native,${semi}`, '-kernel', path.join(tmp, 'target', `${elf}.elf`)];
}

/**
 * The runs per patch: the default build (stored, streaming; M0 stored; with the fast lookups' RAM of
 * `smartdelta info`, stored), then the speed build (device/Makefile FAST_FLAGS) with the minimum RAM and with
 * the fast lookups' RAM (stored, streaming).
 */
function modes(info) {
  const fast = info.fastLookups;
  const list = [
    { mode: 'stored', flags: '-', ram: info.total },
    { mode: 'streaming', flags: 's', ram: info.streamingTotal },
    { mode: 'M0 stored', flags: '-', ram: info.total, m0: true },
    { mode: 'speed build, stored', flags: '-', ram: info.total, elf: 'm4-fast' },
  ];
  if (fast && fast.pairs > 0) {
    list.splice(3, 0, { mode: 'stored, fast lookups', flags: `f${fast.total - info.total}`, ram: fast.total });
    list.push({ mode: 'speed build, stored, fast lookups', flags: `f${fast.total - info.total}`, ram: fast.total, elf: 'm4-fast' });
    list.push({ mode: 'speed build, streaming, fast lookups', flags: `sf${fast.streamingTotal - info.streamingTotal}`, ram: fast.streamingTotal, elf: 'm4-fast' });
  }
  return list;
}

const pairs = [...fixturePairs(root).filter((p) => p.id === 'fixtures v1.0.0 -> v2.0.0'), ...corpusPairs(path.resolve(root, '../shared/corpus'))];
const rows = [];
for (const pair of pairs) {
  const images = loadPair(pair, { loadImage, parseElf });
  const variants = [['plain', { arch: 'none' }], ['pointer-aware', { arch: 'cortex-m' }]];
  for (const [kind, options] of variants) {
    let patch;
    try {
      ({ bytes: patch } = await createPatch(images.old, images.new, options));
    } catch (err) {
      rows.push({ pair: pair.id, kind, error: String(err.message ?? err) });
      continue;
    }
    const files = ['old', 'sdp', 'out'].map((ext) => path.join(tmp, `p.${ext}`));
    writeFileSync(files[0], images.old.data);
    writeFileSync(files[1], patch);
    const info = patchInfo(patch).deviceRam;
    for (const { mode, flags, ram, m0, elf } of modes(info)) {
      const [cmd, ...args] = qemu([...files, SEED, flags], m0, elf);
      const run = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000 });
      const v = Object.fromEntries([...`${run.stdout}${run.stderr}`.matchAll(/^(\w+)=(\S*)$/gm)].map((m) => [m[1], m[2]]));
      const exact = v.result === 'ok' && Buffer.compare(readFileSync(files[2]), Buffer.from(images.new.data)) === 0
        && (!flags.includes('f') || v.fast_lookups === '1');
      if (v.result === 'no-memory') {
        rows.push({ pair: pair.id, kind, mode, error: `needs ${v.ram} bytes of RAM, more than the M0 has beside the harness` });
        continue;
      }
      rows.push({
        pair: pair.id, kind, mode, patchSize: patch.length, newSize: images.new.data.length, exact,
        base: Number(v.insn_base), apply: Number(v.insn_apply), stack: Number(v.stack), ram: 512 + Number(v.work), // the fixed state and the work buffer given (spare RAM included)
        infoRam: ram, calibration: Number(v.calibration),
      });
    }
  }
}
const flash = measureDeviceFlash(root, path.join(tmp, 'flash'));
rmSync(tmp, { recursive: true, force: true });

const n = (x) => (Number.isFinite(x) ? x.toLocaleString('en-US') : '-');
const m = (x) => (x / 1e6).toFixed(1);
const lines = [
  '# The device applier on an emulated Cortex-M4 (issue 17)',
  '',
  'Generated by `node bench/target.js` (after `npx tsc -p tsconfig.json`); do not edit by hand.',
  '',
  `Instructions counted by QEMU ${firstLine(spawnSync('qemu-system-arm', ['--version'], { encoding: 'utf8' }).stdout)} running \`device/target/harness.c\` on \`-M mps2-an386\` with \`-icount shift=0\` (one instruction per virtual nanosecond), read through SysTick on the 25 MHz processor clock (40 instructions per tick; the harness checks a loop of 2,000,000 known instructions reads 2,000,000). The library is built with device/Makefile's ARM flags (\`make -C device target\`); on the M4 the old image and the patch are in RAM as they would be in flash (read_old is newlib's memcpy), the new image collected in RAM; the patch is fed in pseudo-random chunks (seed ${SEED}). "M0 stored": the same source built with \`-mcpu=cortex-m0\` on \`-M microbit\` (16 KB of RAM, SysTick at 16 MHz), where every read and write is a semihosting call (counted as the instructions that make it, the host's work not), so its counts include the callbacks' overhead. "base" is \`sd_patch_check_base\` (SHA-256 of the old image), "apply" is init + feed + finish (SHA-256 of the new image included). Time at ${MHZ} MHz assumes one instruction a cycle: a lower bound (flash wait states, multi-cycle loads). Stack: the high-water mark of the library and the harness's callbacks below the caller's stack pointer, measured by painting the stack. Counts are exact, so the shared machine's load does not affect them.`,
  '',
  'The fast lookups are in every build: given a work buffer larger than required (the RAM `smartdelta info` names for them: RAM column, and `info` RAM: `deviceRam.fastLookups`), the flash segments and map records are kept there as pairs and searched by bisection instead of decoding the control table from a checkpoint at every lookup (docs/DEVICE.md, "Fast lookups"); the rows with "fast lookups" are given that RAM, the others the minimum, which stays the same in every build. The "speed build" rows: the same library built with device/Makefile\'s `FAST_FLAGS` (`-DSD_PATCH_WITH_FAST_LOOKUP`: a range check before the value maps).',
  '',
  '| pair | patch | mode | patch bytes | new image | byte-exact | base (M instr) | apply (M instr) | total (M instr) | at 80 MHz | stack (B) | RAM (B) | `info` RAM |',
  '|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|',
];
for (const r of rows) {
  if (r.error) {
    lines.push(`| ${r.pair} | ${r.kind} | ${r.mode ?? '-'} | ${r.error} | | | | | | | | | |`);
    continue;
  }
  const total = r.base + r.apply;
  lines.push(`| ${r.pair} | ${r.kind} | ${r.mode} | ${n(r.patchSize)} | ${n(r.newSize)} | ${r.exact ? 'yes' : '**no**'} | ${m(r.base)} | ${m(r.apply)} | ${m(total)} | ${(total / (MHZ * 1e6)).toFixed(2)} s | ${r.stack} | ${n(r.ram)} | ${n(r.infoRam)} |`);
}
lines.push('');
if (flash.measured) {
  lines.push(`Flash (\`${flash.command}\`, ${flash.compiler}): applier without signature check ${n(flash.applierText)} bytes (objects), ${n(flash.linkedText)} bytes linked with --gc-sections; the signature check ${n(flash.signatureText)} bytes more. The speed build: ${n(flash.speedLinkedText)} bytes linked.`);
} else {
  lines.push(`Flash: ${flash.reason}.`);
}
lines.push('');
lines.push(...issueChecks(rows, flash));
writeFileSync(path.join(root, 'bench', 'TARGET-RESULTS.md'), lines.join('\n'));
console.log(lines.join('\n'));

function firstLine(text) {
  return String(text).split('\n')[0].trim();
}

/** Issue 17's "done when" as measured by this run: pybv11 pointer-aware in the default build within 50 M instructions, 8 KB, 512 bytes of stack. */
function issueChecks(rows, flash) {
  const fast = rows.find((r) => r.pair === 'pybv11' && r.kind === 'pointer-aware' && r.mode === 'stored, fast lookups');
  const stack = Math.max(...rows.filter((r) => !r.error).map((r) => r.stack));
  const met = (ok) => (ok ? 'met' : '**not met**');
  const out = ['Issue 17 checks:', ''];
  if (fast) {
    const total = fast.base + fast.apply;
    out.push(`- pybv11 pointer-aware, default build, \`info\`'s fast-lookup RAM (${n(fast.ram)} B), stored: ${m(total)} M instructions, at most 50 M: ${met(fast.exact && total <= 50e6)}`);
  } else {
    out.push('- pybv11 pointer-aware with the fast lookups: not measured (no ../shared/corpus)');
  }
  if (flash.measured) out.push(`- applier flash ${n(flash.applierText)} B (objects), ${n(flash.linkedText)} B linked, at most 8,192: ${met(flash.applierText <= 8192 && flash.linkedText <= 8192)}`);
  out.push(`- stack high-water mark on the target, every run above: ${stack} B, at most 512: ${met(stack <= 512)}`);
  out.push('');
  return out;
}
