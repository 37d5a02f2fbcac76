#!/usr/bin/env node
// Tiny launcher (CommonJS: bin/package.json): the CLI lives in the compiled library (npm ci runs the build
// through "prepare"). The bundle (scripts/bundle-cli.js) starts faster; dist/cli/main.js is the same code,
// module by module. A bundle older than the compiled modules (a `tsc` without `npm run build`) is stale, so
// the modules win then.
'use strict';
const { isAscii } = require('node:buffer');
const { readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { setFlagsFromString } = require('node:v8');
const vm = require('node:vm');

// A command is a short process: V8's default tier-up (an optimizing compile of every function that has run a
// little) costs it more CPU than the optimized code saves. 32x the default budget (132 KiB) optimizes only the
// hot loops; measured on the corpus pairs (issue 13): diff shell 0.64 -> 0.53 s CPU, synthesizer 0.67 -> 0.57,
// pybv11 1.09 -> 1.00, apply pybv11 0.53 -> 0.47 (medians, shared machine). Set before any code is loaded.
setFlagsFromString('--interrupt-budget=4325376');
// The young generation stays at its first size instead of doubling when much of it survives a scavenge: the
// images live off-heap (typed arrays), so the doubling held memory and gained nothing. Peak RSS of apply
// pybv11 63.2 -> 56.8 MB, diff 73.4 -> 69.5 MB, CPU unchanged within noise (issue 13).
setFlagsFromString('--semi-space-growth-factor=1');
// The WebAssembly kernel (src/delta/kernel.ts) stays on V8's baseline compiler: the optimizing tier-up
// compiled it again on every run, which cost more than it saved on firmware-sized images (a first suffix
// array and match of shell: ~60 ms of CPU with tier-up, ~20 without; diff shell 0.56 -> 0.53 s, pybv11
// unchanged, a 2.5 MB pair 7.6 -> 7.9 s).
setFlagsFromString('--liftoff-only');

const bundle = path.join(__dirname, '../dist/bundle/cli.cjs');
const modules = path.join(__dirname, '../dist/cli/main.js');
const modifiedAt = (file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;

/**
 * Runs the bundle as Node would require() it, but compiled with V8's code cache beside it when there is one
 * (scripts/bundle-cli.js writes it; V8 refuses a cache from another Node version or source, and then simply
 * compiles). SMARTDELTA_WRITE_CODE_CACHE=1 (the build's training runs) writes the cache back at exit, with
 * every function this run compiled.
 */
function loadBundle() {
  const cacheFile = `${bundle}.cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // The bundle is ASCII (scripts/bundle-cli.js): read as Latin-1, the same text costs a few ms of CPU less than
  // UTF-8 decoding. Any other bundle is decoded as UTF-8.
  const bytes = readFileSync(bundle);
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, Module.createRequire(bundle), module, bundle, path.dirname(bundle));
  if (process.env.SMARTDELTA_WRITE_CODE_CACHE === '1') {
    process.on('exit', () => {
      writeFileSync(`${cacheFile}.tmp`, script.createCachedData());
      renameSync(`${cacheFile}.tmp`, cacheFile);
    });
  }
  return module.exports;
}

const cli = modifiedAt(bundle) >= modifiedAt(modules) ? Promise.resolve(loadBundle()) : import(pathToFileURL(modules).href);
cli.then(({ main }) => main(process.argv)).then((code) => {
  process.exitCode = code;
});
