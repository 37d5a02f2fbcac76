/** TS004 command encodings against ../shared/ts004-vectors/commands_v1.json and commands_v2.json (both directions). */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeDataFragment,
  decodeFragDataBlockReceivedAns,
  decodeFragDataBlockReceivedReq,
  decodeFragSessionDeleteAns,
  decodeFragSessionDeleteReq,
  decodeFragSessionSetupAns,
  decodeFragSessionSetupReq,
  decodeFragSessionStatusAns,
  decodeFragSessionStatusReq,
  decodePackageVersionAns,
  encodeDataFragment,
  encodeFragDataBlockReceivedAns,
  encodeFragDataBlockReceivedReq,
  encodeFragSessionDeleteAns,
  encodeFragSessionDeleteReq,
  encodeFragSessionSetupAns,
  encodeFragSessionSetupReq,
  encodeFragSessionStatusAns,
  encodeFragSessionStatusReq,
  encodePackageVersionAns,
  encodePackageVersionReq,
  fromHex,
  toHex,
  type FragSessionSetup,
  type Ts004Version,
} from '../../src/lorawan/index.js';

const dir = resolve(import.meta.dirname, '../../../shared/ts004-vectors');

type Fields = Record<string, unknown>;
interface CommandVector {
  command: string;
  bytes_hex: string;
  fields: Fields;
}

/** "group0+group2" → 0b0101; "none (0)" → 0; a number stays a number. */
function groupMask(value: unknown): number {
  if (typeof value === 'number') return value;
  return [...String(value).matchAll(/group(\d)/g)].reduce((mask, m) => mask | (1 << Number(m[1])), 0);
}

function setupFromFields(f: Fields, version: Ts004Version): FragSessionSetup {
  const control = typeof f.Control === 'number' ? f.Control : undefined;
  const setup: FragSessionSetup = {
    fragIndex: f.FragIndex as number,
    mcGroupBitMask: groupMask(f.McGroupBitMask),
    nbFrag: f.NbFrag as number,
    fragSize: f.FragSize as number,
    fragAlgo: control !== undefined ? (control >> 3) & 7 : ((f.FragmentationMatrix ?? f.FragAlgo) as number),
    blockAckDelay: control !== undefined ? control & 7 : (f.BlockAckDelay as number),
    padding: f.Padding as number,
    descriptor: fromHex(String(f.Descriptor ?? f.Descriptor_hex))!,
  };
  if (version === 2) {
    setup.ackReception = control !== undefined ? (control & 0x40) !== 0 : Boolean(f.AckReception);
    setup.sessionCnt = f.SessionCnt as number;
    setup.mic = fromHex(String(f.MIC))!;
  }
  return setup;
}

/** Encodes the vector's fields and checks the decoder gives the fields back. */
function checkVector(v: CommandVector, version: Ts004Version): void {
  const bytes = fromHex(v.bytes_hex)!;
  const f = v.fields;
  const name = v.command;
  const up = (cmd: string): boolean => name.startsWith(cmd);
  if (up('PackageVersionReq')) {
    expect(toHex(encodePackageVersionReq())).toBe(v.bytes_hex);
  } else if (up('PackageVersionAns')) {
    expect(toHex(encodePackageVersionAns(f.PackageIdentifier as number, f.PackageVersion as number))).toBe(v.bytes_hex);
    expect(decodePackageVersionAns(bytes)).toEqual({ packageIdentifier: f.PackageIdentifier, packageVersion: f.PackageVersion });
  } else if (up('FragSessionSetupReq')) {
    const setup = setupFromFields(f, version);
    expect(toHex(encodeFragSessionSetupReq(setup, version))).toBe(v.bytes_hex);
    expect(decodeFragSessionSetupReq(bytes)).toEqual({ version, setup });
  } else if (up('FragSessionSetupAns')) {
    const ans = {
      fragIndex: f.FragIndex as number,
      fragAlgoUnsupported: Boolean(f.EncodingUnsupported ?? f.FragAlgoUnsupported),
      notEnoughMemory: Boolean(f.NotEnoughMemory),
      fragIndexUnsupported: Boolean(f.FragSessionIndexNotSupported ?? f.FragIndexUnsupported),
      wrongDescriptor: Boolean(f.WrongDescriptor),
      ...(version === 2 ? { sessionCntReplay: Boolean(f.SessionCntReplay) } : {}),
    };
    expect(toHex(encodeFragSessionSetupAns(ans, version))).toBe(v.bytes_hex);
    expect(decodeFragSessionSetupAns(bytes, version)).toEqual(ans);
  } else if (up('FragSessionDeleteReq')) {
    expect(toHex(encodeFragSessionDeleteReq(f.FragIndex as number))).toBe(v.bytes_hex);
    expect(decodeFragSessionDeleteReq(bytes)).toEqual({ fragIndex: f.FragIndex });
  } else if (up('FragSessionDeleteAns')) {
    expect(toHex(encodeFragSessionDeleteAns(f.FragIndex as number, Boolean(f.SessionDoesNotExist)))).toBe(v.bytes_hex);
    expect(decodeFragSessionDeleteAns(bytes)).toEqual({ fragIndex: f.FragIndex, sessionDoesNotExist: Boolean(f.SessionDoesNotExist) });
  } else if (up('DataFragment')) {
    const payload = fromHex(String(f.payload))!;
    expect(toHex(encodeDataFragment(f.FragIndex as number, f.N as number, payload))).toBe(v.bytes_hex);
    const decoded = decodeDataFragment(bytes);
    expect({ ...decoded, payload: toHex(decoded.payload) }).toEqual({ fragIndex: f.FragIndex, index: f.N, payload: f.payload });
  } else if (up('FragSessionStatusReq')) {
    const req = { fragIndex: f.FragIndex as number, participants: Boolean(f.Participants) };
    expect(toHex(encodeFragSessionStatusReq(req))).toBe(v.bytes_hex);
    expect(decodeFragSessionStatusReq(bytes)).toEqual(req);
  } else if (up('FragSessionStatusAns')) {
    const ans = {
      fragIndex: f.FragIndex as number,
      nbFragReceived: f.NbFragReceived as number,
      missingFrag: f.MissingFrag as number,
      memoryError: Boolean(f.NotEnoughMatrixMemory ?? f.MemoryError),
      ...(version === 2 ? { micError: Boolean(f.MICError), sessionDoesNotExist: Boolean(f.SessionDoesNotExist) } : {}),
    };
    expect(toHex(encodeFragSessionStatusAns(ans, version))).toBe(v.bytes_hex);
    expect(decodeFragSessionStatusAns(bytes, version)).toEqual(ans);
  } else if (up('FragDataBlockReceivedReq')) {
    expect(toHex(encodeFragDataBlockReceivedReq(f.FragIndex as number, Boolean(f.MICError)))).toBe(v.bytes_hex);
    expect(decodeFragDataBlockReceivedReq(bytes)).toEqual({ fragIndex: f.FragIndex, micError: Boolean(f.MICError) });
  } else if (up('FragDataBlockReceivedAns')) {
    expect(toHex(encodeFragDataBlockReceivedAns(f.FragIndex as number))).toBe(v.bytes_hex);
    expect(decodeFragDataBlockReceivedAns(bytes)).toEqual({ fragIndex: f.FragIndex });
  } else {
    throw new Error(`no check for vector "${name}"`);
  }
}

describe.skipIf(!existsSync(dir))('TS004 command vectors', () => {
  // vitest runs a skipped describe's body too, to list its tests: read nothing when the files are absent.
  if (!existsSync(dir)) return;
  for (const [file, version] of [
    ['commands_v1.json', 1],
    ['commands_v2.json', 2],
  ] as const) {
    const { vectors } = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { vectors: CommandVector[] };
    for (const v of vectors) it(`${file}: ${v.command} ${v.bytes_hex}`, () => checkVector(v, version));
  }
});

describe('command encoding edges', () => {
  it('a v1 setup is 11 bytes, a v2 setup 17; a setup of any other length is invalid input', () => {
    const setup: FragSessionSetup = { fragIndex: 1, mcGroupBitMask: 0, nbFrag: 3, fragSize: 4, fragAlgo: 0, blockAckDelay: 0, padding: 0, descriptor: new Uint8Array(4) };
    expect(encodeFragSessionSetupReq(setup, 1).length).toBe(11);
    expect(encodeFragSessionSetupReq(setup, 2).length).toBe(17);
    expect(() => decodeFragSessionSetupReq(new Uint8Array([2, 0, 0]))).toThrow(/11 bytes .* or 17 bytes/);
  });

  it('out-of-range fields are refused, not truncated', () => {
    expect(() => encodeDataFragment(4, 1, new Uint8Array(1))).toThrow(/FragIndex/);
    expect(() => encodeDataFragment(0, 16384, new Uint8Array(1))).toThrow(/index N/);
    const bad: FragSessionSetup = { fragIndex: 0, mcGroupBitMask: 0, nbFrag: 1, fragSize: 256, fragAlgo: 0, blockAckDelay: 0, padding: 0, descriptor: new Uint8Array(4) };
    expect(() => encodeFragSessionSetupReq(bad, 1)).toThrow(/FragSize/);
  });
});
