#!/usr/bin/env node
// npm run demo: the main job on the bundled fixtures, with the real CLI, printing each command it runs.
// Everything it writes goes to demo-out/ (recreated on every run).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'bin', 'smartdelta.js');
const out = join(root, 'demo-out');
const fixture = (version, ext = 'bin') => join(root, 'fixtures', 'build', `v${version}`, `firmware.${ext}`);
const show = (p) => relative(process.cwd(), p) || '.';

if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  console.error('demo: dist/ is missing; run "npm ci" (or "npm run build") first');
  process.exit(2);
}

function run(args, { quiet = false } = {}) {
  const line = `$ smartdelta ${args.map((a) => (a.startsWith(root) ? show(a) : a)).join(' ')}`;
  console.log(quiet ? line : `\n${line}`);
  const output = execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (!quiet) process.stdout.write(output);
  return output;
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out);

console.log('smartdelta demo: a release that inserts a function early in the link order (v1.0.0 -> v1.1.0),');
console.log('so everything after it moves: calls, literal pools, the vector table.');

const patch = join(out, 'v1.0.0-v1.1.0.sdp');
run(['diff', fixture('1.0.0', 'elf'), fixture('1.1.0', 'elf'), '-o', patch, '--version-from', '1.0.0', '--version-to', '1.1.0']);
run(['info', patch]);
const result = join(out, 'v1.1.0.bin');
run(['apply', fixture('1.0.0'), patch, '-o', result]);
if (!readFileSync(result).equals(readFileSync(fixture('1.1.0')))) {
  console.error('demo: the applied image differs from fixtures/build/v1.1.0/firmware.bin');
  process.exit(1);
}
console.log('applied image is byte-identical to fixtures/build/v1.1.0/firmware.bin');

console.log('\nSigning, as a release pipeline would (a throwaway key here; keep the real one in a CI secret):');
const key = join(out, 'demo-key.pem');
const pub = join(out, 'demo-key.pub.pem');
const signed = join(out, 'v1.0.0-v1.1.0.signed.sdp');
run(['keygen', '-o', key, '--pub-out', pub]);
run(['sign', patch, '-k', key, '-o', signed]);
run(['verify', signed, '--pub', pub, '--old', fixture('1.0.0'), '--new', fixture('1.1.0')]);

console.log('\nEvery release of the fixtures, plain bytes vs pointer-aware (--arch none vs auto):');
const versions = ['1.0.0', '1.0.1', '1.1.0', '1.2.0', '2.0.0'];
const rows = [];
for (let i = 1; i < versions.length; i++) {
  const [from, to] = [versions[i - 1], versions[i]];
  const sizes = {};
  for (const arch of ['none', 'auto']) {
    const file = join(out, `v${from}-v${to}.${arch}.sdp`);
    const info = JSON.parse(run(['diff', fixture(from), fixture(to), '-o', file, '--arch', arch, '--json'], { quiet: true }));
    sizes[arch] = info.size; // the patch written (docs/JSON.md)
    sizes.image = info.patch.new.size;
  }
  rows.push({ pair: `v${from} -> v${to}`, image: sizes.image, plain: sizes.none, pointerAware: sizes.auto });
}
console.log('');
console.log('pair                new image   plain patch   pointer-aware   ratio (image / patch)');
for (const r of rows) {
  console.log(
    `${r.pair.padEnd(19)} ${String(r.image).padStart(9)}   ${String(r.plain).padStart(11)}   ${String(r.pointerAware).padStart(13)}   ${(r.image / r.pointerAware).toFixed(1).padStart(8)}`,
  );
}
console.log('\nWhat the signed patch costs on air, against sending the full image (EU868, every data rate):');
const html = join(out, 'report.html');
run(['report', fixture('1.0.0', 'elf'), fixture('1.1.0', 'elf'), '--patch', signed, '--region', 'EU868', '--html', html]);
console.log(`\nHTML report (open it in a browser): ${show(html)}`);
console.log(`demo: done; files are in ${show(out)}/`);
