/**
 * The only module of src/lorawan that needs cryptography (node:crypto): the TS004 v2.0.0 data-block MIC
 * (reference section 3.1, AES-CMAC per RFC 4493) and the SHA-256 used to validate a reassembled block.
 */
import { createCipheriv } from 'node:crypto';
import { UsageError } from '../errors.js';

const BLOCK = 16;

function aesEcbEncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-128-ecb', key, null);
  cipher.setAutoPadding(false);
  return new Uint8Array(cipher.update(block));
}

/** RFC 4493 subkey doubling in GF(2^128). */
function doubleBlock(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(BLOCK);
  for (let i = 0; i < BLOCK; i++) out[i] = ((block[i]! << 1) | (i + 1 < BLOCK ? block[i + 1]! >> 7 : 0)) & 0xff;
  if (block[0]! & 0x80) out[BLOCK - 1]! ^= 0x87;
  return out;
}

function checkKey(key: Uint8Array): void {
  if (key.length !== BLOCK) throw new UsageError(`AES-128 key must be 16 bytes, got ${key.length}`);
}

/** AES-CMAC (RFC 4493) of a message; the CBC chain over all but the last block runs inside OpenSSL. */
export function aesCmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  checkKey(key);
  const k1 = doubleBlock(aesEcbEncryptBlock(key, new Uint8Array(BLOCK)));
  const complete = message.length > 0 && message.length % BLOCK === 0;
  const lastStart = complete ? message.length - BLOCK : message.length - (message.length % BLOCK);
  let chain: Uint8Array = new Uint8Array(BLOCK);
  if (lastStart > 0) {
    const cbc = createCipheriv('aes-128-cbc', key, new Uint8Array(BLOCK));
    cbc.setAutoPadding(false);
    const out = cbc.update(message.subarray(0, lastStart));
    chain = new Uint8Array(out.subarray(out.length - BLOCK));
  }
  const last = new Uint8Array(BLOCK);
  last.set(message.subarray(lastStart));
  const subkey = complete ? k1 : doubleBlock(k1);
  if (!complete) last[message.length - lastStart] = 0x80;
  for (let i = 0; i < BLOCK; i++) last[i] = last[i]! ^ subkey[i]! ^ chain[i]!;
  return aesEcbEncryptBlock(key, last);
}

/** DataBlockIntKey = AES128-ECB(GenAppKey (LoRaWAN 1.0.x) or AppKey (1.1), 0x30 ‖ 0x00×15). */
export function deriveDataBlockIntKey(rootKey: Uint8Array): Uint8Array {
  checkKey(rootKey);
  const block = new Uint8Array(BLOCK);
  block[0] = 0x30;
  return aesEcbEncryptBlock(rootKey, block);
}

export interface DataBlockMicInput {
  sessionCnt: number;
  fragIndex: number;
  /** 4 bytes, as sent in the FragSessionSetupReq. */
  descriptor: Uint8Array;
  /** The data block without padding (DataLen = NbFrag·FragSize − Padding bytes). */
  data: Uint8Array;
}

/** B0 = 0x49 ‖ SessionCnt (u16 LE) ‖ FragIndex ‖ Descriptor ‖ 0x00×4 ‖ DataLen (u32 LE). */
export function dataBlockB0(input: Omit<DataBlockMicInput, 'data'> & { dataLength: number }): Uint8Array {
  if (input.descriptor.length !== 4) throw new UsageError(`descriptor must be 4 bytes, got ${input.descriptor.length}`);
  const b0 = new Uint8Array(BLOCK);
  const view = new DataView(b0.buffer);
  b0[0] = 0x49;
  view.setUint16(1, input.sessionCnt, true);
  b0[3] = input.fragIndex;
  b0.set(input.descriptor, 4);
  view.setUint32(12, input.dataLength, true);
  return b0;
}

/** The v2 data-block MIC: the first 4 bytes of AES-CMAC(DataBlockIntKey, B0 ‖ data), in CMAC order. */
export function dataBlockMic(rootKey: Uint8Array, input: DataBlockMicInput): Uint8Array {
  const key = deriveDataBlockIntKey(rootKey);
  const b0 = dataBlockB0({ ...input, dataLength: input.data.length });
  const message = new Uint8Array(BLOCK + input.data.length);
  message.set(b0);
  message.set(input.data, BLOCK);
  return aesCmac(key, message).slice(0, 4);
}

/** SHA-256 of a data block: the project's one hash helper, re-exported for the LoRaWAN API. */
export { sha256 } from '../crypto/hash.js';
