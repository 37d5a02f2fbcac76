/**
 * The Cortex-M4 cross build of the device library (`make -C device cross`, docs/DEVICE.md "Flash and speed"):
 * warning-free at -Os with -Wconversion, no .data/.bss (all state is the caller's), and within the flash
 * budget of issue 8 (applier + LZMA + SHA-256 <= 8 KB, so LZMA + SHA-256 must leave room for the applier).
 * Skips when arm-none-eabi-gcc or make is not on PATH.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deviceDir, onPath } from './host-build.js';

const available = onPath('arm-none-eabi-gcc') && onPath('make');

describe.skipIf(!available)('device library, Cortex-M4 cross build', () => {
  it('builds cleanly, keeps no static state, and fits the flash budget (applier + LZMA + SHA-256 <= 8 KB; the codec 2 build below it)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'smartdelta-cross-'));
    try {
      const r = spawnSync('make', ['-s', '-C', deviceDir, `BUILD=${dir}`, 'cross'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const sizes = new Map<string, { text: number; data: number; bss: number }>();
      for (const m of r.stdout.matchAll(/^\s*(\d+)\s+(\d+)\s+(\d+)\s+\d+\s+[0-9a-f]+\s+\S*\/(\w+)\.o$/gm)) {
        sizes.set(m[4]!, { text: Number(m[1]), data: Number(m[2]), bss: Number(m[3]) });
      }
      const lzma = sizes.get('sd_lzma');
      const sha = sizes.get('sd_sha256');
      expect(lzma && sha, r.stdout).toBeTruthy();
      for (const s of [lzma!, sha!]) expect(s.data + s.bss).toBe(0);
      expect(lzma!.text + sha!.text).toBeLessThanOrEqual(4096);
      const decoderStruct = /sizeof_sd_lzma_dec = (\d+) bytes/.exec(r.stdout);
      expect(Number(decoderStruct?.[1])).toBeLessThanOrEqual(160);
      // Issue 8: applier + LZMA + SHA-256 without signature verification within 8 KB of flash, both as the
      // sum of the objects and as linked with --gc-sections; the context within the fixed state of the
      // RAM formula (docs/FORMAT.md, "Device RAM").
      for (const name of ['sd_patch', 'sd_patch_header', 'sd_patch_tables', 'sd_patch_program', 'sd_reloc', 'sd_patch_sig']) {
        const s = sizes.get(name);
        expect(s, name).toBeTruthy();
        expect(s!.data + s!.bss, name).toBe(0);
      }
      const objects = Number(/applier flash \(.*\) = (\d+) bytes/.exec(r.stdout)?.[1]);
      const linked = Number(/applier flash linked \(--gc-sections\) = (\d+) bytes/.exec(r.stdout)?.[1]);
      expect(objects).toBeGreaterThan(4096);
      expect(objects).toBeLessThanOrEqual(8192);
      expect(linked).toBeGreaterThan(4096);
      expect(linked).toBeLessThanOrEqual(objects);
      // The low-RAM build (docs/DEVICE.md, "Codecs"): the same applier with codec 2 instead of LZMA.
      const lzs = sizes.get('sd_lzs');
      expect(lzs && lzs.data + lzs.bss, r.stdout).toBe(0);
      const lowRam = Number(/low-RAM applier flash \(.*\) = (\d+) bytes/.exec(r.stdout)?.[1]);
      const lowRamLinked = Number(/low-RAM applier flash linked \(--gc-sections\) = (\d+) bytes/.exec(r.stdout)?.[1]);
      expect(lowRam).toBeGreaterThan(4096);
      expect(lowRam).toBeLessThan(objects);
      expect(lowRamLinked).toBeLessThanOrEqual(lowRam);
      // Only the codec and its dispatch differ between the two builds.
      expect(Math.abs(lowRam - lzs!.text - (objects - lzma!.text))).toBeLessThanOrEqual(128);
      // The speed build (FAST_FLAGS, docs/DEVICE.md "Fast lookups and the speed build"): the same applier with more code.
      const speed = Number(/speed build \(FAST_FLAGS\) applier flash linked \(--gc-sections\) = (\d+) bytes/.exec(r.stdout)?.[1]);
      expect(speed).toBeGreaterThan(linked);
      const ctx = Number(/sizeof_sd_patch_ctx = (\d+) bytes/.exec(r.stdout)?.[1]);
      expect(ctx).toBeGreaterThan(256);
      expect(ctx).toBeLessThanOrEqual(512);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
