// Issue 7: a 16 MiB (external-flash sized) pair diffs and applies within the machine's memory. Each arch runs
// in its own process under /usr/bin/time -v (bench/suffix-array.js --e2e), so its peak RSS is its own.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const script = path.join(import.meta.dirname, '..', 'suffix-array.js');

export function measureLarge(archs = ['none', 'auto']) {
  if (!existsSync('/usr/bin/time')) return { skipped: 'no /usr/bin/time' };
  const rows = [];
  for (const arch of archs) {
    const run = spawnSync('/usr/bin/time', ['-v', process.execPath, script, '--e2e', arch], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`16 MiB pair, --arch ${arch}: ${run.stderr.trim().split('\n').slice(-3).join(' ')}`);
    const result = JSON.parse(run.stdout.trim().split('\n').pop());
    const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)?.[1]);
    const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)/.exec(run.stderr)?.[1];
    rows.push({ ...result, processWall: wall, peakRssMiB: Math.round(rssKb / 1024) });
    console.log(`16 MiB pair --arch ${arch}: ${result.patchBytes} B, create ${(result.createMs / 1000).toFixed(1)} s, apply ${result.applyMs.toFixed(0)} ms, peak RSS ${Math.round(rssKb / 1024)} MiB`);
  }
  return { rows };
}

export function renderLarge(large) {
  if (!large) return [];
  const lines = ['## Large images (issue 7)', ''];
  if (large.skipped) return [...lines, `Not measured: ${large.skipped}.`, ''];
  lines.push(
    'A 16 MiB pair: a real image (pybv11) tiled to 16 MiB with random edits, and the same with a 4 KiB insertion and',
    '500 scattered byte edits (`pair16M()` in bench/suffix-array.js). Each row is one process under `/usr/bin/time -v`.',
    'The tiled image is a worst case for the matcher (every stretch exists 50 times); `--arch auto` spends most of its',
    'time in the matcher scanning the relocation-predicted images (bench/SA-RESULTS.md has the profile).',
    '',
    '| 16 MiB pair | patch bytes | createPatch | applyPatch | process wall | peak RSS | round trip |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  );
  for (const r of large.rows) {
    lines.push(`| --arch ${r.arch} | ${r.patchBytes.toLocaleString('en-US')} | ${(r.createMs / 1000).toFixed(1)} s | ${r.applyMs.toFixed(0)} ms | ${r.processWall} | ${r.peakRssMiB} MiB | ${r.roundTrip ? 'yes' : '**NO**'} |`);
  }
  lines.push('');
  return lines;
}
