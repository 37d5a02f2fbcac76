/** `smartdelta getpub`: the public key of a key file, for verifiers and device firmware (docs/SIGNING.md, "getpub"). */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { publicKeyAsCArray } from '../../crypto/c-array.js';
import { toHex } from '../../crypto/hash.js';
import { encodePublicKeyPem, keyIdHex } from '../../crypto/keys.js';
import { checkOutputPath, writeOutputFile } from '../files.js';
import { loadPublicKeyFile } from '../keys.js';
import { result } from '../json.js';
import { printLine } from '../output.js';

const ENCODINGS = ['pem', 'raw', 'hex', 'c'] as const;
type Encoding = (typeof ENCODINGS)[number];

interface GetpubOptions {
  key: string;
  encoding: string;
  output?: string;
  force?: boolean;
  json?: boolean;
}

const EXAMPLES = `
Examples:
  $ smartdelta getpub -k release.pem -o release.pub.pem
  $ smartdelta getpub -k release.pem -e c -o pubkey.c
  $ smartdelta getpub -k release.pub.pem -e hex

Encodings: pem (SubjectPublicKeyInfo), raw (32 bytes; needs -o or a pipe), hex (64 digits),
c (a "const uint8_t smartdelta_pubkey[32]" array with the key id in a comment).
The key may be a private key (PKCS#8 PEM/DER) or any public key form.`;

export function register(program: Command): void {
  program
    .command('getpub')
    .description('print or write the public key of a key file')
    .requiredOption('-k, --key <file>', 'private key (PKCS#8) or public key file')
    .option('-e, --encoding <format>', `output encoding: ${ENCODINGS.join(', ')}`, 'pem')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--force', 'replace an existing output file')
    .option('--json', 'print one JSON document')
    .addHelpText('after', EXAMPLES)
    .action((options: GetpubOptions) => getpub(options));
}

function parseEncoding(value: string): Encoding {
  const encoding = ENCODINGS.find((e) => e === value.toLowerCase());
  if (!encoding) throw new UsageError(`--encoding must be one of ${ENCODINGS.join(', ')}, got "${value}"`);
  return encoding;
}

function encodePublicKey(publicKey: Uint8Array, encoding: Encoding): Uint8Array | string {
  switch (encoding) {
    case 'pem':
      return encodePublicKeyPem(publicKey);
    case 'raw':
      return publicKey;
    case 'hex':
      return `${toHex(publicKey)}\n`;
    case 'c':
      return publicKeyAsCArray(publicKey);
  }
}

function getpub(options: GetpubOptions): void {
  const encoding = parseEncoding(options.encoding);
  const force = Boolean(options.force);
  if (options.output !== undefined) checkOutputPath(options.output, { force, inputs: [options.key] });
  else if (encoding === 'raw' && (options.json || process.stdout.isTTY)) {
    throw new UsageError('-e raw writes 32 binary bytes: give -o <file> or pipe stdout (use -e hex to print)');
  }
  const publicKey = loadPublicKeyFile(options.key);
  const encoded = encodePublicKey(publicKey, encoding);
  const id = keyIdHex(publicKey);

  const fields = { keyId: id, publicKey: toHex(publicKey), encoding };
  if (options.output !== undefined) {
    writeOutputFile(options.output, encoded, { force, inputs: [options.key] });
    result({ output: options.output, size: typeof encoded === 'string' ? Buffer.byteLength(encoded) : encoded.length, ...fields, text: null });
    if (!options.json) printLine(`wrote public key ${options.output} (${encoding}), key id ${id}`);
    return;
  }
  // -e raw with --json was refused above, so `encoded` is text here.
  result({ ...fields, text: encoded });
  if (!options.json) process.stdout.write(encoded);
}
