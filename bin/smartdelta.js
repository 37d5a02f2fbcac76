#!/usr/bin/env node
// Tiny launcher: the CLI lives in the compiled library (npm ci runs the build through "prepare"). The bundle
// (scripts/bundle-cli.js) starts faster; dist/cli/main.js is the same code, module by module. A bundle older
// than the compiled modules (a `tsc` without `npm run build`) is stale, so the modules win then.
import { statSync } from 'node:fs';

const bundle = new URL('../dist/bundle/cli.js', import.meta.url);
const modules = new URL('../dist/cli/main.js', import.meta.url);
const modifiedAt = (url) => statSync(url, { throwIfNoEntry: false })?.mtimeMs ?? -1;
const { main } = await import(modifiedAt(bundle) >= modifiedAt(modules) ? bundle.href : modules.href);

process.exitCode = await main(process.argv);
