#!/usr/bin/env node
// Tiny launcher: the CLI lives in the compiled library (npm ci runs the build through "prepare"). The bundle
// (scripts/bundle-cli.js) starts faster; dist/cli/main.js is the same code, module by module.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/bundle/cli.js', import.meta.url);
const { main } = await import(existsSync(bundle) ? bundle.href : '../dist/cli/main.js');

process.exitCode = await main(process.argv);
