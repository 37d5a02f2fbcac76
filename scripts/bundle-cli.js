#!/usr/bin/env node
// Bundles the compiled CLI (dist/) into dist/bundle/: the entry, the two pool workers, and the chunks they
// share. Node's ES module loader costs about a millisecond per module, and the CLI has over a hundred; start-up
// is part of every command's time (issue 13). bin/smartdelta.js runs the bundle when it is there, dist/cli
// otherwise. lzma-native (a native addon) and ora (loaded only for a spinner) stay outside.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';

const dist = path.resolve(import.meta.dirname, '../dist');
const outdir = path.join(dist, 'bundle');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: {
    cli: path.join(dist, 'cli/main.js'),
    // Beside the chunks, under the names src/parallel/pool.ts's workerBeside() looks for.
    'fleet-worker': path.join(dist, 'pipeline/fleet-worker.js'),
    worker: path.join(dist, 'report/worker.js'),
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['lzma-native', 'ora'],
  // commander is CommonJS: its require() calls of node: modules need a require in an ES module bundle.
  banner: { js: "import { createRequire as __smartdeltaRequire } from 'node:module'; const require = __smartdeltaRequire(import.meta.url);" },
  logLevel: 'warning',
});
