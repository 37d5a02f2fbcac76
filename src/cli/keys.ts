/**
 * Loading key files for the CLI: read, warn when a private key file is open to other users, pass the
 * passphrase of an encrypted key from SMARTDELTA_KEY_PASSPHRASE, parse (docs/SIGNING.md, "Key files").
 */
import { existsSync, statSync } from 'node:fs';
import { InvalidInputError } from '../errors.js';
import { holdsPrivateKey, isEncryptedPrivateKey, parsePrivateKey, parsePublicKey, type Ed25519PrivateKey, type KeyReadOptions } from '../crypto/keys.js';
import { MAX_KEY_FILE, readInputFile } from './files.js';
import { warn } from './output.js';

/** Environment variable holding the passphrase of an encrypted PKCS#8 private key. */
export const PASSPHRASE_ENV = 'SMARTDELTA_KEY_PASSPHRASE';

const HEX_KEY = /^(?:0[xX])?[0-9a-fA-F]{64}$/;

export function loadPrivateKeyFile(path: string): Ed25519PrivateKey {
  const bytes = readInputFile(path, 'private key', MAX_KEY_FILE);
  // Parsed first: a public key given as -k is refused as such, without a warning about its file mode.
  const key = parsePrivateKey(bytes, readOptions(path, bytes));
  warnIfExposed(path);
  return key;
}

/**
 * A public key from any accepted form; a private key file gives its public key (and the same mode check).
 * `path` may also be the key itself, 64 hex digits, as the help of --pub says (a file of that name wins).
 */
export function loadPublicKeyFile(path: string): Uint8Array {
  if (HEX_KEY.test(path) && !existsSync(path)) return parsePublicKey(new TextEncoder().encode(path), { source: '--pub' });
  const bytes = readInputFile(path, 'public key', MAX_KEY_FILE);
  if (holdsPrivateKey(bytes)) warnIfExposed(path);
  return parsePublicKey(bytes, readOptions(path, bytes));
}

function readOptions(path: string, bytes: Uint8Array): KeyReadOptions {
  const passphrase = process.env[PASSPHRASE_ENV];
  if (isEncryptedPrivateKey(bytes) && !passphrase) {
    throw new InvalidInputError(`${path}: the private key is encrypted; set ${PASSPHRASE_ENV} to its passphrase`);
  }
  return { source: path, passphrase: passphrase || undefined };
}

/** POSIX permissions only: a key readable or writable by group or others is worth a warning, not a refusal. */
function warnIfExposed(path: string): void {
  if (process.platform === 'win32') return;
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return;
  }
  if ((mode & 0o077) !== 0) {
    warn(`private key ${path} is accessible by group or others (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 ${path}`);
  }
}
