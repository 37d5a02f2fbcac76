#!/usr/bin/env node
// Writes docs/CLI.md: the conventions every command follows, then each command's --help, taken from the built
// CLI so the reference cannot drift from what the code does. `node scripts/cli-reference.js --check` exits 1
// when docs/CLI.md is out of date (test/cli/reference.test.ts runs it).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { buildProgram } = await import(join(root, 'dist/cli/main.js'));

function helpOf(command) {
  let text = '';
  command.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s), getOutHelpWidth: () => 100 });
  command.outputHelp();
  return text.trimEnd();
}

const program = buildProgram();
const parts = [
  '# Command reference',
  '',
  'Generated from the CLI itself by `node scripts/cli-reference.js` (after `npm run build`); a test checks that it is',
  'current. The README has the short version.',
  '',
  '## Conventions',
  '',
  '### Exit codes',
  '',
  '| code | meaning |',
  '|---|---|',
  '| 0 | success |',
  '| 1 | a check failed: wrong base image, signature, hash, security counter, not enough fragments, a RAM budget no patch fits |',
  '| 2 | usage error: unknown option, bad option value, an output path equal to an input |',
  '| 3 | invalid or corrupt input: a patch, image, key or fragment file that does not parse or is inconsistent |',
  '| 4 | I/O error: a file that cannot be read or written, or an existing output without `--force` |',
  '',
  'An error is one line on stderr (`error: ...`), without a stack trace unless `--debug` is given; a command-line',
  'parse error (unknown or mistyped option, missing argument) adds on that line where to read the usage, and a',
  'mistyped option or command is answered with the closest one (`--ouput`: "Did you mean --output?").',
  '',
  '### Order of checks',
  '',
  'Every command checks its command line first (exit 2), then its output path (exit 4 for an existing output',
  'without `--force`), then reads its inputs: a run refused for a bad option costs nothing and names that option,',
  'whatever state the files are in.',
  '',
  '### Wrong inputs',
  '',
  'A patch given where a firmware image is expected, or a file that is not a patch where one is expected, is',
  'refused naming the file (exit 3); `apply` with its two arguments swapped also says the right order. Some',
  'inputs are legal but rarely meant, and get a warning (in `warnings` with `--json`) instead: identical old and',
  'new images (the patch changes nothing), a `--base` that the vector table contradicts (the pointer-aware',
  'model then predicts nothing and the patch grows), and `--frag-size` above what any LoRaWAN downlink carries',
  '(239 bytes) when no `--region`/`--dr` checks it.',
  '',
  '### Output files',
  '',
  'Every output is written to a temporary file in the same directory (created exclusively), synced and renamed',
  'into place, so a failed or interrupted run (SIGINT, SIGTERM) leaves no partial file. An existing output is',
  'replaced only with `--force`, and `--force` replaces only a regular file: an output that is a device (such as',
  '`/dev/null`), a FIFO, a socket, a directory or a symbolic link (to anything; give the path it points to) is',
  'refused with exit 4 before any work. An output path that is also an input is refused (exit 2). A signal that',
  'arrives while an output is being written is handled right after the write: the output is then complete, and',
  'the exit code is 130 (SIGINT) or 143 (SIGTERM), or 0 when the signal reached the process only as it ended',
  '(docs/SECURITY.md, "Files"). An output of `-` is stdout, in',
  'every command (the human summary then goes to stderr); it is refused with `--json` (stdout is the document),',
  'on a terminal, and for a private key.',
  '',
  '### Output',
  '',
  'With `--json`, stdout carries exactly one JSON document and nothing else, on success and on failure (with the',
  'error\'s code, exit code and message): see docs/JSON.md and docs/schema/output.schema.json. Colors appear only on a terminal and',
  'never with `NO_COLOR` (spinner included); a spinner appears only on an interactive terminal of at least 20 columns',
  'outside CI (a terminal that reports 0 columns, as some CI runners and `docker run -t` do, gets none).',
  '',
  '## smartdelta',
  '',
  '```',
  helpOf(program),
  '```',
];
for (const command of program.commands) {
  parts.push('', `## smartdelta ${command.name()}`, '', '```', helpOf(command), '```');
}
const text = `${parts.join('\n')}\n`;
const target = join(root, 'docs', 'CLI.md');
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing: out of date
  }
  if (current !== text) {
    console.error('docs/CLI.md is out of date: run `node scripts/cli-reference.js`');
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  console.log('wrote docs/CLI.md');
}
