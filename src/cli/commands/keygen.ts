/** `smartdelta keygen`: a new Ed25519 signing key (docs/SIGNING.md, "keygen"). */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { encodePrivateKeyPem, encodePublicKeyPem, generatePrivateKey, keyIdHex } from '../../crypto/keys.js';
import { toHex } from '../../crypto/hash.js';
import { checkOutputPath, writeOutputFiles, type OutputFile } from '../files.js';
import { result } from '../json.js';
import { printLine } from '../output.js';

interface KeygenOptions {
  output: string;
  pubOut?: string;
  force?: boolean;
  json?: boolean;
}

const EXAMPLES = `
Examples:
  $ smartdelta keygen -o release.pem --pub-out release.pub.pem
  $ smartdelta keygen -o ci.pem --json

The private key is PKCS#8 PEM (the format of "openssl genpkey -algorithm ed25519"), written with mode 0600.
It is never printed; the key id (first 8 bytes of SHA-256 of the public key) is.`;

export function register(program: Command): void {
  program
    .command('keygen')
    .description('create a new Ed25519 signing key')
    .requiredOption('-o, --output <file>', 'private key file to write (PKCS#8 PEM, mode 0600)')
    .option('--pub-out <file>', 'also write the public key (SubjectPublicKeyInfo PEM)')
    .option('--force', 'replace existing files')
    .option('--json', 'print one JSON document')
    .addHelpText('after', EXAMPLES)
    .action((options: KeygenOptions) => keygen(options));
}

function keygen(options: KeygenOptions): void {
  const force = Boolean(options.force);
  checkOutputPath(options.output, { force, mode: 0o600 });
  if (options.pubOut !== undefined) {
    if (resolve(options.pubOut) === resolve(options.output)) throw new UsageError('--pub-out must name another file than -o');
    checkOutputPath(options.pubOut, { force });
  }
  const key = generatePrivateKey();
  // Both files or neither: a public key that cannot be written must not leave a new private key behind.
  const files: OutputFile[] = [{ path: options.output, data: encodePrivateKeyPem(key.seed), mode: 0o600 }];
  if (options.pubOut !== undefined) files.push({ path: options.pubOut, data: encodePublicKeyPem(key.publicKey), mode: 0o644 });
  writeOutputFiles(files, { force });

  const id = keyIdHex(key.publicKey);
  result({ output: options.output, size: files[0]!.data.length, pubOut: options.pubOut ?? null, keyId: id, publicKey: toHex(key.publicKey) });
  if (options.json) return;
  printLine(`wrote private key ${options.output} (mode 0600)`);
  if (options.pubOut !== undefined) printLine(`wrote public key ${options.pubOut}`);
  printLine(`key id ${id}`);
}

