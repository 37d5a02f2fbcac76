// The device library (device/, issue 8) measured here: the flash of its Cortex-M4 cross build, and the RAM the
// C host driver reports for the pybv11 patch beside patchInfo's figure. Needs make and arm-none-eabi-gcc / gcc;
// without them the report says "not measured" and why. Builds go to a temporary folder, never device/build.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sameBytes } from './stats.js';

/** The applier without signature verification (device/Makefile CORE_SRC): the 8 KB budget of issue 8. */
export const CORE_OBJECTS = ['sd_patch', 'sd_patch_header', 'sd_patch_tables', 'sd_patch_program', 'sd_reloc', 'sd_lzma', 'sd_sha256'];
const SIGNATURE_OBJECT = 'sd_patch_sig';
/** apply_cli's chunk-size seed: the patch is fed in pseudo-random chunks, as over a radio link. */
const CHUNK_SEED = '9';

const onPath = (tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
const firstLine = (text) => String(text).split('\n').find((line) => line.trim() !== '')?.trim() ?? '';

function make(root, buildDir, args) {
  return spawnSync('make', ['-s', '-C', path.join(root, 'device'), `BUILD=${buildDir}`, ...args], { encoding: 'utf8' });
}

/**
 * Rows of `arm-none-eabi-size` (Berkeley format): text data bss dec hex filename, for the default build's
 * objects (build/arm/); the low-RAM build's (build/arm-lzs/) are its own figure, in the make output's summary.
 */
function parseSizes(stdout) {
  const objects = {};
  for (const m of stdout.matchAll(/^\s*(\d+)\s+(\d+)\s+(\d+)\s+\d+\s+[0-9a-f]+\s+\S*\/arm\/(\w+)\.o$/gm)) {
    objects[m[4]] = { text: Number(m[1]), data: Number(m[2]), bss: Number(m[3]) };
  }
  return objects;
}

/** `make -C device cross` (-Os -mthumb -mcpu=cortex-m4): text of the core objects, and as linked with --gc-sections. */
export function measureDeviceFlash(root, buildDir) {
  if (!onPath('make')) return { measured: false, reason: 'not measured (no make)' };
  if (!onPath('arm-none-eabi-gcc')) return { measured: false, reason: 'not measured (no arm-none-eabi-gcc)' };
  const built = make(root, buildDir, ['cross']);
  if (built.status !== 0) return { measured: false, reason: `not measured (make -C device cross failed: ${firstLine(built.stderr)})` };
  const objects = parseSizes(built.stdout);
  const missing = CORE_OBJECTS.filter((name) => !objects[name]);
  if (missing.length > 0) return { measured: false, reason: `not measured (no size for ${missing[0]}.o in the make output)` };
  const core = CORE_OBJECTS.map((name) => objects[name]);
  const linked = /applier flash linked \(--gc-sections\) = (\d+) bytes, plus libc memset\/memcpy = (\d+)/.exec(built.stdout);
  const context = /sizeof_sd_patch_ctx = (\d+) bytes/.exec(built.stdout);
  const speed = /speed build \(FAST_FLAGS\) applier flash linked \(--gc-sections\) = (\d+) bytes/.exec(built.stdout);
  return {
    measured: true,
    command: 'make -C device cross',
    compiler: firstLine(spawnSync('arm-none-eabi-gcc', ['--version'], { encoding: 'utf8' }).stdout),
    objects,
    applierText: core.reduce((sum, o) => sum + o.text, 0),
    applierDataBss: core.reduce((sum, o) => sum + o.data + o.bss, 0),
    linkedText: linked ? Number(linked[1]) : undefined,
    libcText: linked ? Number(linked[2]) : undefined,
    signatureText: objects[SIGNATURE_OBJECT]?.text,
    contextBytes: context ? Number(context[1]) : undefined,
    /** The speed build (device/Makefile FAST_FLAGS), linked. */
    speedLinkedText: speed ? Number(speed[1]) : undefined,
  };
}

/**
 * Applies `patch` with the C library on the host (device/Makefile's host build of apply_cli: gcc, sanitizers),
 * feeding it in chunks; returns its `ram=` figure beside patchInfo's and whether the output is the new image.
 */
export function measureDeviceRam(root, buildDir, { oldFile, patch, newData, patchInfoRam, tmpDir }) {
  if (!onPath('make')) return { measured: false, reason: 'not measured (no make)' };
  if (!onPath('gcc')) return { measured: false, reason: 'not measured (no gcc)' };
  const tool = path.join(buildDir, 'host', 'apply_cli');
  const built = make(root, buildDir, ['CC=gcc', tool]);
  if (built.status !== 0) return { measured: false, reason: `not measured (host build of apply_cli failed: ${firstLine(built.stderr)})` };
  const patchFile = path.join(tmpDir, 'device.sdp');
  const outFile = path.join(tmpDir, 'device.out');
  writeFileSync(patchFile, patch);
  const run = spawnSync(tool, [oldFile, patchFile, outFile, CHUNK_SEED], { encoding: 'utf8', timeout: 60_000 });
  const ram = /^ram=(\d+)$/m.exec(run.stdout);
  const result = /^result=(\S+)$/m.exec(run.stdout)?.[1] ?? `exit ${run.status}`;
  const roundTrip = run.status === 0 && result === 'ok' && sameBytes(new Uint8Array(readFileSync(outFile)), newData);
  return {
    measured: true,
    command: `device/build/host/apply_cli old.bin patch.sdp out.bin ${CHUNK_SEED}`,
    patchSize: patch.length,
    cRam: ram ? Number(ram[1]) : undefined,
    patchInfoRam,
    result,
    roundTrip,
  };
}
