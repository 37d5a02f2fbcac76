// Throughput of the Thumb-2 sweep: classify every halfword of a 1 MiB image (pybv11 v1.10 repeated),
// decode each PC-relative form's target and re-encode it to another target.
// Run after `npx tsc -p tsconfig.json`: `node bench/thumb2.js`. Needs ../shared (skips without it).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { encodePcRelativeTarget, pcRelativeTarget } from '../dist/arch/cortex-m/thumb2.js';
import { sweepThumb } from '../dist/arch/cortex-m/thumb2-sweep.js';

const file = path.resolve(import.meta.dirname, '../../shared/corpus/pybv11/v1.10/firmware1.bin');
if (!existsSync(file)) {
  console.log('thumb2: skipped, no corpus at', file);
  process.exit(0);
}
const one = readFileSync(file);
const image = new Uint8Array(1 << 20);
for (let at = 0; at + one.length <= image.length; at += one.length) image.set(one, at);
const base = 0x0800_0000;

function run() {
  let checksum = 0;
  const forms = sweepThumb(image, (kind, offset, hw1, hw2) => {
    const address = base + offset;
    const target = pcRelativeTarget(kind, address, hw1, hw2);
    checksum += encodePcRelativeTarget(kind, address, hw1, hw2, target + 8);
  });
  return { forms, checksum };
}

for (let warm = 0; warm < 5; warm++) run();
const rounds = 20;
const start = performance.now();
let forms = 0;
for (let round = 0; round < rounds; round++) forms = run().forms;
const perMiB = (performance.now() - start) / rounds;
console.log(`thumb2: ${forms} PC-relative forms per MiB; sweep + decode + re-encode ${perMiB.toFixed(1)} ms/MiB`);
