#!/usr/bin/env node
// Bundles the compiled CLI (dist/) into dist/bundle/ for start-up (issue 13): Node's ES module loader costs
// about a millisecond per module, and the CLI has over a hundred; start-up is part of every command's time.
//  - dist/bundle/cli.cjs: the CLI as one CommonJS file. bin/smartdelta.js compiles it through node:vm with
//    V8's code cache, which Node 20 offers for scripts but not for ES modules, and without Node's ES module
//    loader at all (diff shell ~40 ms of CPU less than the ES module bundle, shared machine).
//  - dist/bundle/cli.cjs.cache: that code cache, written by one training run of bin/smartdelta.js (a diff and
//    an apply of two fixture releases), so it holds the functions those commands compile. V8 refuses a cache
//    made by another Node version or for another source, and then compiles as without one.
//  - dist/bundle/fleet-worker.js and worker.js (+ shared chunks): the pool workers, as ES modules, under the
//    names src/parallel/pool.ts's workerBeside() looks for.
// bin/smartdelta.js runs the bundle when it is there, dist/cli otherwise. ora (loaded only for a spinner) and
// lzma-native stay outside: src/codec/lzma-binding.ts loads only its native addon, from node_modules.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
const outdir = path.join(dist, 'bundle');
rmSync(outdir, { recursive: true, force: true });
/**
 * commander requires node:child_process as it loads, for executable subcommands, which smartdelta never declares;
 * that module (and what it pulls in) cost every command ~5 ms of CPU (issue 13). Its one use, spawn(), gets the
 * module on first call instead. If commander's source changes, the bundle keeps it as it is (with a warning).
 */
const commanderWithoutEagerChildProcess = {
  name: 'commander-lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      if (!source.includes(eager)) return { contents: source, loader: 'js', warnings: [{ text: 'commander no longer requires node:child_process as expected: it stays eager' }] };
      const lazy = "let childProcessModule; const childProcess = { spawn: (...args) => (childProcessModule ??= require('node:child_process')).spawn(...args) };";
      return { contents: source.replace(eager, lazy), loader: 'js' };
    });
  },
};

/**
 * chalk works out the terminal's colour support when it loads (node:tty, which pulls in node:net: ~7 ms of CPU
 * when stdout is a file); smartdelta always tells its Chalk instances the level (src/cli/output.ts), so the
 * bundle gives chalk a "no support detected" answer instead of the probe.
 */
const chalkWithoutColorProbe = {
  name: 'chalk-without-color-probe',
  setup(b) {
    b.onResolve({ filter: /^#supports-color$/ }, () => ({ path: 'supports-color', namespace: 'chalk-without-color-probe' }));
    b.onLoad({ filter: /.*/, namespace: 'chalk-without-color-probe' }, () => ({ contents: 'export default { stdout: false, stderr: false };', loader: 'js' }));
  },
};

const common = { bundle: true, platform: 'node', target: 'node20', external: ['lzma-native', 'ora'], logLevel: 'warning' };
await build({
  ...common,
  entryPoints: { 'fleet-worker': path.join(dist, 'pipeline/fleet-worker.js'), worker: path.join(dist, 'report/worker.js') },
  outdir,
  splitting: true,
  format: 'esm',
  // commander is CommonJS: its require() calls of node: modules need a require in an ES module bundle.
  banner: { js: "import { createRequire as __smartdeltaRequire } from 'node:module'; const require = __smartdeltaRequire(import.meta.url);" },
});
await build({
  ...common,
  entryPoints: [path.join(dist, 'cli/main.js')],
  outfile: path.join(outdir, 'cli.cjs'),
  format: 'cjs',
  minifyWhitespace: true,
  plugins: [commanderWithoutEagerChildProcess, chalkWithoutColorProbe],
  // import.meta.url (lzma-native's require, the workers beside the bundle) becomes the bundle's own URL.
  define: { 'import.meta.url': '__smartdeltaUrl' },
  banner: { js: "const __smartdeltaUrl = require('node:url').pathToFileURL(__filename).href;" },
  // import.meta.resolve is only reached for TypeScript workers (tests under tsx), never from the bundle.
  logOverride: { 'empty-import-meta': 'silent' },
});

// The training run for the code cache: skipped (with a word) where the fixtures are not there.
const fixture = (version) => path.join(root, 'fixtures/build', version, 'firmware.bin');
const [from, to] = [fixture('v1.0.0'), fixture('v2.0.0')];
if (existsSync(from) && existsSync(to)) {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'smartdelta-cache-'));
  try {
    const patch = path.join(scratch, 'train.sdp');
    // Each run starts from the cache the one before wrote and adds what it compiled.
    for (const args of [
      ['diff', from, to, '--base', '0x08000000', '-o', patch],
      ['apply', from, patch, '--base', '0x08000000', '-o', path.join(scratch, 'train.bin')],
    ]) {
      const run = spawnSync(process.execPath, [path.join(root, 'bin/smartdelta.js'), ...args], {
        encoding: 'utf8',
        env: { ...process.env, SMARTDELTA_WRITE_CODE_CACHE: '1' },
      });
      if (run.status !== 0) {
        console.warn(`bundle-cli: the code cache misses \`${args[0]}\` (its training run exited ${run.status}: ${run.stderr.trim()})`);
        break;
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
} else {
  console.warn('bundle-cli: no code cache (fixtures/build is absent); the CLI compiles without one');
}
