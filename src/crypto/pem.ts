/**
 * PEM text encoding of DER structures (RFC 7468): "-----BEGIN <label>-----", base64 lines, "-----END <label>-----".
 * Text outside the boundaries is ignored, as RFC 7468 section 2 allows; the base64 itself is checked strictly.
 */
import { InvalidInputError } from '../errors.js';

export interface PemBlock {
  label: string;
  der: Uint8Array;
  /** RFC 1421 style header lines ("Proc-Type: 4,ENCRYPTED") were present: legacy OpenSSL encryption. */
  hasHeaders: boolean;
}

const BEGIN = /^-----BEGIN ([^-]*)-----\s*$/;
const END = /^-----END ([^-]*)-----\s*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * A label as it may appear in a message: real labels ("PRIVATE KEY", "X509 CRL") are short upper-case words.
 * Anything else is not echoed, because a damaged file can put base64 key material where a label belongs.
 */
export function quoteLabel(label: string): string {
  return isPlainLabel(label) ? `"${label}"` : malformedLabel(label);
}

/** The label itself when it is a plain one, unquoted (for lists); the same note otherwise. */
export function bareLabel(label: string): string {
  return isPlainLabel(label) ? label : malformedLabel(label);
}

function isPlainLabel(label: string): boolean {
  return /^[A-Z0-9]+(?: [A-Z0-9]+)*$/.test(label) && label.length <= 40;
}

function malformedLabel(label: string): string {
  return `(a malformed label of ${label.length} characters, not shown)`;
}

/** True when the bytes look like PEM text (a BEGIN line somewhere), so they should not be read as DER. */
export function looksLikePem(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes('-----BEGIN ');
}

/** Every PEM block in the text, in order. `what` names the input (a file name) in error messages. */
export function decodePemBlocks(bytes: Uint8Array, what: string): PemBlock[] {
  const lines = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1').split(/\r?\n/);
  const blocks: PemBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const begin = BEGIN.exec(lines[i]!);
    if (!begin) continue;
    const label = begin[1]!;
    const body: string[] = [];
    let hasHeaders = false;
    let j = i + 1;
    for (; j < lines.length && !lines[j]!.startsWith('-----'); j++) {
      if (lines[j]!.includes(':')) hasHeaders = true;
      else body.push(lines[j]!);
    }
    const end = j < lines.length ? END.exec(lines[j]!) : null;
    if (!end) throw new InvalidInputError(`${what}: PEM block ${quoteLabel(label)} (line ${i + 1}) has no matching END line`);
    if (end[1] !== label) {
      throw new InvalidInputError(`${what}: PEM block begins with ${quoteLabel(label)} (line ${i + 1}) but ends with ${quoteLabel(end[1]!)} (line ${j + 1})`);
    }
    blocks.push({ label, der: decodeBase64Strict(body.join(''), `${what}: PEM block ${quoteLabel(label)}`), hasHeaders });
    i = j;
  }
  return blocks;
}

function decodeBase64Strict(text: string, what: string): Uint8Array {
  const compact = text.replace(/[ \t\r]/g, '');
  if (compact.length === 0) throw new InvalidInputError(`${what} is empty`);
  if (!BASE64.test(compact)) throw new InvalidInputError(`${what} contains characters that are not base64`);
  if (compact.length % 4 !== 0) {
    throw new InvalidInputError(`${what}: base64 length ${compact.length} is not a multiple of 4 (truncated?)`);
  }
  const decoded = Buffer.from(compact, 'base64');
  // Node's decoder is lenient; re-encoding catches stray padding and non-zero unused bits.
  if (decoded.toString('base64') !== compact) throw new InvalidInputError(`${what}: malformed base64`);
  return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
}

/** PEM text with 64-character base64 lines (RFC 7468 section 2), ending in a newline. */
export function encodePem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
