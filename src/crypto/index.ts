/** Ed25519 keys and signatures (docs/SIGNING.md). */
export { PUBLIC_KEY_LENGTH, SEED_LENGTH, SIGNATURE_LENGTH, publicKeyFromSeed, publicKeyProblem, signDetached, verifyDetached } from './ed25519.js';
export {
  encodePrivateKeyDer,
  encodePrivateKeyPem,
  encodePublicKeyDer,
  encodePublicKeyPem,
  generatePrivateKey,
  holdsPrivateKey,
  isEncryptedPrivateKey,
  keyId,
  keyIdHex,
  parsePrivateKey,
  parsePublicKey,
  type Ed25519PrivateKey,
  type KeyReadOptions,
} from './keys.js';
export { sha256, toHex } from './hash.js';
export { publicKeyAsCArray } from './c-array.js';
