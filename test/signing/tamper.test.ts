/**
 * The done criterion: flipping any single byte anywhere in a signed patch makes verify fail. Every
 * position is walked through the library (verify's exit code is 1 exactly when the report is not ok); a few
 * positions go through the real CLI in cli.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../src/crypto/keys.js';
import { signPatch } from '../../src/container/sign.js';
import { verifyPatch, type VerifyReport } from '../../src/pipeline/verify.js';
import { fixturePatch, loadFirmware } from './helpers.js';

const key = generatePrivateKey();
const { oldImage, newImage } = loadFirmware();
let signed: Uint8Array;

beforeAll(async () => {
  signed = signPatch(await fixturePatch(), key);
});

/** What every tampered patch must give: not ok, and the first failure is one of the signature checks. */
function expectRejected(report: VerifyReport, where: string): void {
  const firstFailure = report.checks.find((c) => !c.ok);
  expect(report.ok, where).toBe(false);
  expect(['format', 'signature-block', 'key-id', 'signature'], where).toContain(firstFailure?.name);
}

describe('tampering with a signed patch', () => {
  it('the untampered patch passes every check (so the walk below can fail)', async () => {
    const report = await verifyPatch(signed, { publicKey: key.publicKey, old: oldImage, new: newImage, minCounter: 5 });
    expect(report.ok).toBe(true);
    expect(signed.length).toBeLessThan(256);
  });

  it('a flip of the lowest bit, the highest bit or the whole byte at every position fails verification', async () => {
    let tried = 0;
    const firstFailures = new Map<string, number>();
    for (let position = 0; position < signed.length; position++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const tampered = signed.slice();
        tampered[position]! ^= mask;
        const report = await verifyPatch(tampered, { publicKey: key.publicKey, old: oldImage, new: newImage, minCounter: 0 });
        expectRejected(report, `byte ${position} ^ 0x${mask.toString(16)}`);
        const first = report.checks.find((c) => !c.ok)!.name;
        firstFailures.set(first, (firstFailures.get(first) ?? 0) + 1);
        tried++;
      }
    }
    expect(tried).toBe(signed.length * 3);
    // The walk reaches each kind of failure: header damage, trailer damage, key id and signature bytes.
    expect([...firstFailures.keys()].sort()).toEqual(['format', 'key-id', 'signature', 'signature-block'].sort());
  });

  it('every bit of every trailer byte is covered: any of the 73 * 8 flips fails', async () => {
    const start = signed.length - 73;
    for (let position = start; position < signed.length; position++) {
      for (let bit = 0; bit < 8; bit++) {
        const tampered = signed.slice();
        tampered[position]! ^= 1 << bit;
        expectRejected(await verifyPatch(tampered, { publicKey: key.publicKey }), `byte ${position} bit ${bit}`);
      }
    }
  });

  it('every truncation, and a byte appended, fails verification', async () => {
    for (let length = 0; length < signed.length; length++) {
      expectRejected(await verifyPatch(signed.subarray(0, length), { publicKey: key.publicKey }), `first ${length} bytes`);
    }
    expectRejected(await verifyPatch(new Uint8Array([...signed, 0x00]), { publicKey: key.publicKey }), 'one byte appended');
  });
});
