/** Lowercase hex without separators, as the TS004 vectors and fragment files use (the project's one helper). */
export { toHex } from '../crypto/hash.js';

/** Parses an even-length hex string; returns undefined when it is not one. */
export function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
