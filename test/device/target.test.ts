/**
 * The device library on the instruction set it is for (issue 17): a bare-metal harness (device/target/) built
 * with device/Makefile's ARM flags runs on QEMU's Cortex-M4 (mps2-an386) and Cortex-M0 (microbit, 16 KB of RAM)
 * and applies every fixture and corpus patch kind the way a bootloader would: plain and pointer-aware, stored
 * (tables read through read_patch) and streaming, signed with the verify hook answering what the host verified
 * (node's Ed25519). The patch is fed in odd-sized chunks, the work buffer is exactly the required size with a
 * guard pattern after it, the stack is painted; the output must be the host's new image byte for byte, RAM the
 * figure of `smartdelta info`, the stack high-water mark at most 512 bytes. The M4 runs again with the unaligned
 * trap on (SCB->CCR.UNALIGN_TRP; the M0 always traps). On the M0 the old image, the patch and the output do
 * not fit its RAM: every read and write goes through semihosting. Skips without qemu-system-arm,
 * arm-none-eabi-gcc or make; the corpus pairs need ../shared.
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingMessage, withSignature } from '../../src/container/patch-file.js';
import { createPatch } from '../../src/pipeline/create-patch.js';
import { patchInfo } from '../../src/pipeline/info.js';
import type { ImageInput } from '../../src/types.js';
import { repoRoot, sharedDir } from './host-build.js';
import { loadImage } from './patch-builders.js';
import { buildTargets, inParallel, runOnTarget, targetToolsAvailable, type TargetElf, type TargetRun } from './target-run.js';

const VERSIONS = ['v1.0.0', 'v1.0.1', 'v1.1.0', 'v1.2.0', 'v2.0.0'];
const FIXTURE_BASE = 0x0800_0000;
const corpus = path.join(sharedDir, 'corpus');
const STACK_LIMIT = 512;
/** The harness's calibration loop: 1,000,000 x (subs, bne), and the few instructions around it. */
const CALIBRATION = 2_000_000;

interface Case {
  name: string;
  old: ImageInput;
  new: ImageInput;
  patch: Uint8Array;
  /** The signed message the host verified (signed cases). */
  message?: Uint8Array;
}

function fixture(version: string): ImageInput {
  return loadImage(path.join(repoRoot, 'fixtures/build', version, 'firmware.bin'), FIXTURE_BASE);
}

/** Pairs: consecutive fixture versions and the whole jump; the corpus pairs when ../shared is there. */
function pairs(): { name: string; old: ImageInput; new: ImageInput }[] {
  const out = [];
  for (let i = 0; i + 1 < VERSIONS.length; i++) out.push({ name: `${VERSIONS[i]} -> ${VERSIONS[i + 1]}`, old: fixture(VERSIONS[i]!), new: fixture(VERSIONS[i + 1]!) });
  out.push({ name: 'v1.0.0 -> v2.0.0', old: fixture('v1.0.0'), new: fixture('v2.0.0') });
  if (existsSync(corpus)) {
    const c = (name: string, from: string, to: string, base: number) => ({ name, old: loadImage(path.join(corpus, from), base), new: loadImage(path.join(corpus, to), base) });
    out.push(c('pybv11', 'pybv11/v1.10/firmware1.bin', 'pybv11/1f5d945af-dirty/firmware1.bin', 0x0802_0000));
    out.push(c('shell', 'shell/old', 'shell/new', 0x0008_0000));
    out.push(c('synthesizer', 'synthesizer/1.bin', 'synthesizer/2.bin', 0x0008_0000));
  }
  return out;
}

describe.skipIf(!targetToolsAvailable)('device applier on emulated Cortex-M4 and Cortex-M0 (QEMU)', () => {
  let build: { dir: string; cleanup(): void };
  let tmp: string;
  const cases: Case[] = [];

  beforeAll(async () => {
    build = buildTargets();
    tmp = mkdtempSync(path.join(tmpdir(), 'smartdelta-target-run-'));
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const keyId = Uint8Array.from([0x17, 1, 2, 3, 4, 5, 6, 7]);
    for (const p of pairs()) {
      for (const arch of ['none', 'cortex-m'] as const) {
        const { bytes } = await createPatch(p.old, p.new, { arch });
        cases.push({ name: `${p.name} ${arch}`, old: p.old, new: p.new, patch: bytes });
      }
    }
    // Signed: the hook accepts exactly the message whose signature the host verified.
    for (const c of cases.filter((k) => k.name.endsWith('cortex-m') && /^(v1\.2\.0|pybv11)/.test(k.name))) {
      const message = signingMessage(c.patch, keyId);
      const signature = sign(null, message, privateKey);
      expect(verify(null, message, publicKey, signature)).toBe(true);
      cases.push({ ...c, name: `${c.name} signed`, patch: withSignature(c.patch, keyId, signature), message });
    }
    cases.forEach((c, i) => {
      writeFileSync(path.join(tmp, `${i}.old`), c.old.data);
      writeFileSync(path.join(tmp, `${i}.sdp`), c.patch);
    });
  }, 120_000);

  afterAll(() => {
    build?.cleanup();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** One apply; checks everything the harness measured and the output against the new image. */
  async function applyOnTarget(index: number, elf: TargetElf, flags: string, seed: number): Promise<{ c: Case; run: TargetRun; streaming: boolean }> {
    const c = cases[index]!;
    const out = path.join(tmp, `${index}.${elf}.${flags}.out`);
    const key = c.message ? 'k' : '';
    const args = [path.join(tmp, `${index}.old`), path.join(tmp, `${index}.sdp`), out, String(seed), flags + key || '-'];
    if (c.message) args.push(Buffer.from(c.message).toString('hex'));
    const run = await runOnTarget(build.dir, elf, args);
    const streaming = flags.includes('s');
    const where = `${c.name} on ${elf} (${flags || 'stored'}): ${run.output}`;
    const v = run.values;
    const info = patchInfo(c.patch).deviceRam;
    const ram = streaming ? info.streamingTotal : info.total;
    expect(Number(v.calibration), where).toBeGreaterThanOrEqual(CALIBRATION);
    expect(Number(v.calibration), where).toBeLessThanOrEqual(CALIBRATION + 100);
    expect(Number(v.ram), where).toBe(ram);
    if (ram - 512 + 64 > Number(v.arena)) {
      // The M0's 16 KB: a streaming patch whose tables do not fit beside the codec is refused, nothing written.
      expect(elf, where).toBe('m0');
      expect(v.result, where).toBe('no-memory');
      return { c, run, streaming };
    }
    expect(v.result, where).toBe('ok');
    expect(run.exitCode, where).toBe(0);
    expect(v.bad, where).toBe('0'); // reads inside the files, writes in order, the guard after the work buffer intact
    expect(Number(v.stack), where).toBeGreaterThan(0);
    expect(Number(v.stack), where).toBeLessThanOrEqual(STACK_LIMIT);
    expect(v.ccr_unalign_trp, where).toBe(flags.includes('t') || elf === 'm0' ? '1' : '0');
    if (c.message) expect(Number(v.insn_verify), where).toBeGreaterThan(0);
    expect(Buffer.compare(readFileSync(out), c.new.data), where).toBe(0);
    rmSync(out);
    return { c, run, streaming };
  }

  it('applies every fixture and corpus patch byte-exactly on the Cortex-M4, stored and streaming, within 512 bytes of stack', async () => {
    const jobs = cases.flatMap((_, i) => [() => applyOnTarget(i, 'm4', '', 1000 + i), () => applyOnTarget(i, 'm4', 's', 2000 + i)]);
    const runs = await inParallel(jobs, 2);
    expect(runs.length).toBeGreaterThanOrEqual(2 * 12);
    // In RAM as from flash on the M4, so the counts are the library's and memcpy's: the base check hashes the old image.
    for (const { c, run } of runs) {
      expect(run.values.old_in_ram, c.name).toBe('1');
      expect(Number(run.values.insn_base), c.name).toBeGreaterThan(c.old.data.length * 20);
    }
  }, 300_000);

  it('applies them with the unaligned-access trap on (Cortex-M4, SCB->CCR.UNALIGN_TRP)', async () => {
    await inParallel(cases.map((_, i) => () => applyOnTarget(i, 'm4-trap', 't', 3000 + i)), 2);
  }, 300_000);

  it('applies them on the Cortex-M0 (16 KB of RAM; reads and writes through semihosting)', async () => {
    const runs = await inParallel(cases.flatMap((_, i) => [() => applyOnTarget(i, 'm0', 't', 4000 + i), () => applyOnTarget(i, 'm0', 'ts', 5000 + i)]), 2);
    const stored = runs.filter((r) => !r.streaming);
    for (const { c, run } of stored) expect(run.values.result, c.name).toBe('ok'); // every stored patch fits the M0
  }, 300_000);

  it('uses the fast lookups in the default build given the figure of `smartdelta info`, and in the speed build (Cortex-M4, stored and streaming)', async () => {
    // want: the fast_lookups line expected (the lookups from pairs, or from the tables with a byte less).
    const run = (i: number, elf: TargetElf, flags: string, seed: number, want: string) => async () => ({ ...(await applyOnTarget(i, elf, flags, seed)), want });
    const jobs = cases.flatMap((c, i) => {
      const ram = patchInfo(c.patch).deviceRam;
      const fast = ram.fastLookups;
      if (!fast || fast.pairs === 0) return [run(i, 'm4-fast', '', 6000 + i, '')];
      return [
        run(i, 'm4', `f${fast.total - ram.total}`, 6000 + i, '1'),
        run(i, 'm4', `sf${fast.streamingTotal - ram.streamingTotal}`, 7000 + i, '1'),
        run(i, 'm4', `f${fast.total - ram.total - 1}`, 8000 + i, '0'),
        run(i, 'm4-fast', `f${fast.total - ram.total}`, 9000 + i, '1'),
      ];
    });
    const runs = await inParallel(jobs, 2);
    const withPairs = runs.filter((r) => r.want !== '');
    expect(withPairs.length).toBeGreaterThanOrEqual(4 * 4);
    for (const { c, run: r, want } of withPairs) expect(r.values.fast_lookups, c.name).toBe(want);
  }, 300_000);

  it('refuses a signed patch whose message the hook does not accept', async () => {
    const i = cases.findIndex((c) => c.message);
    expect(i).toBeGreaterThanOrEqual(0);
    const c = cases[i]!;
    const wrong = Buffer.from(c.message!);
    wrong[30]! ^= 1;
    const run = await runOnTarget(build.dir, 'm4', [path.join(tmp, `${i}.old`), path.join(tmp, `${i}.sdp`), path.join(tmp, 'refused.out'), '5', 'k', wrong.toString('hex')]);
    expect(run.values.result, run.output).toBe('signature');
    expect(run.exitCode).toBe(1);
  }, 60_000);
});
