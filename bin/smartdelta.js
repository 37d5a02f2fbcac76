#!/usr/bin/env node
// Tiny launcher: the CLI lives in the compiled library (npm ci runs the build through "prepare").
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv);
