/**
 * Names of the key algorithms a user may hand us by mistake, so that the error says what the key is.
 * OIDs: RFC 8410 section 3 (Ed25519 1.3.101.112 and its siblings), RFC 8017 (RSA), RFC 5480 (EC and curves).
 */
import { InvalidInputError } from '../errors.js';

export const ED25519_OID = '1.3.101.112';

const ALGORITHM_NAMES: Record<string, string> = {
  '1.3.101.110': 'X25519',
  '1.3.101.111': 'X448',
  '1.3.101.113': 'Ed448',
  '1.2.840.113549.1.1.1': 'RSA',
  '1.2.840.113549.1.1.10': 'RSA-PSS',
  '1.2.840.10045.2.1': 'EC',
  '1.2.840.10040.4.1': 'DSA',
  '1.2.840.113549.1.3.1': 'DH',
  '1.2.156.10197.1.301': 'SM2',
};

const CURVE_NAMES: Record<string, string> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
  '1.3.132.0.10': 'secp256k1',
  '1.3.36.3.3.2.8.1.1.7': 'brainpoolP256r1',
};

/** "RSA", "EC P-256", "X25519", or the OID itself when unknown. */
export function algorithmName(oid: string, curveOid?: string): string {
  const name = ALGORITHM_NAMES[oid];
  if (!name) return `algorithm with OID ${oid}`;
  if (name === 'EC' && curveOid) return `EC ${CURVE_NAMES[curveOid] ?? `(curve OID ${curveOid})`}`;
  return name;
}

/** PEM labels of formats we do not read, with what they are (RFC 7468 and OpenSSL's legacy labels). */
const FOREIGN_PEM_LABELS: Record<string, string> = {
  'RSA PRIVATE KEY': 'an RSA private key (PKCS#1)',
  'RSA PUBLIC KEY': 'an RSA public key (PKCS#1)',
  'EC PRIVATE KEY': 'an EC private key (SEC1)',
  'DSA PRIVATE KEY': 'a DSA private key',
  'OPENSSH PRIVATE KEY': 'an OpenSSH private key (OpenSSH format, not PKCS#8)',
  CERTIFICATE: 'an X.509 certificate, not a key',
  'X509 CRL': 'a certificate revocation list, not a key',
  'CERTIFICATE REQUEST': 'a certificate request, not a key',
};

export function describeForeignPemLabel(label: string): string | undefined {
  return FOREIGN_PEM_LABELS[label];
}

export const NEED_ED25519 =
  'smartdelta needs an Ed25519 key (make one with "smartdelta keygen" or "openssl genpkey -algorithm ed25519")';

export function wrongAlgorithmError(what: string, description: string): InvalidInputError {
  return new InvalidInputError(`${what}: this is ${description}; ${NEED_ED25519}`);
}
