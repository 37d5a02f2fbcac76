/** Runs the CLI from the TypeScript sources (through tsx), so CLI tests need no build: node --import tsx test/cli/cli-entry.ts <args>. */
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv);
