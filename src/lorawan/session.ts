/**
 * TS004 command encodings, v1.0.0 and v2.0.0 (reference section 3). Every encoder returns the command
 * bytes including the CID; multi-byte fields are little-endian.
 */
import { InvalidInputError, UsageError } from '../errors.js';
import type { Ts004Version } from './parity.js';

export const FRAGMENTATION_FPORT = 201;
export const FRAGMENTATION_PACKAGE_ID = 3;

export const Cid = {
  packageVersion: 0x00,
  fragSessionStatus: 0x01,
  fragSessionSetup: 0x02,
  fragSessionDelete: 0x03,
  fragDataBlockReceived: 0x04,
  dataFragment: 0x08,
} as const;

/** FragSessionSetupReq payload length without the CID: v1 10 bytes, v2 16 bytes. */
export function setupPayloadLength(version: Ts004Version): number {
  return version === 1 ? 10 : 16;
}

export interface FragSessionSetup {
  /** 0..3: up to four parallel sessions. */
  fragIndex: number;
  /** Bit i: fragments are accepted on multicast group i (4 bits). */
  mcGroupBitMask: number;
  nbFrag: number;
  fragSize: number;
  /** v1 "FragmentationMatrix", v2 "FragAlgo" (3 bits; 0 is the only algorithm defined). */
  fragAlgo: number;
  /** 3 bits: a status answer is delayed by up to 2^(BlockAckDelay+4) s. */
  blockAckDelay: number;
  padding: number;
  /** 4 free application bytes, sent as given. */
  descriptor: Uint8Array;
  /** v2: the device sends FragDataBlockReceivedReq when the block completes. */
  ackReception?: boolean;
  /** v2: must increase on every new session of this FragIndex. */
  sessionCnt?: number;
  /** v2: the data-block MIC (4 bytes, CMAC order). */
  mic?: Uint8Array;
}

function checkField(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new UsageError(`${name} must be an integer 0..${max}, got ${value}`);
}

function checkBytes(name: string, value: Uint8Array | undefined, length: number): Uint8Array {
  const bytes = value ?? new Uint8Array(length);
  if (bytes.length !== length) throw new UsageError(`${name} must be ${length} bytes, got ${bytes.length}`);
  return bytes;
}

/** FragSessionSetupReq (CID 0x02): 11 bytes for v1, 17 for v2. */
export function encodeFragSessionSetupReq(setup: FragSessionSetup, version: Ts004Version): Uint8Array {
  checkField('FragIndex', setup.fragIndex, 3);
  checkField('McGroupBitMask', setup.mcGroupBitMask, 15);
  checkField('NbFrag', setup.nbFrag, 0xffff);
  checkField('FragSize', setup.fragSize, 255);
  checkField(version === 1 ? 'FragmentationMatrix' : 'FragAlgo', setup.fragAlgo, 7);
  checkField('BlockAckDelay', setup.blockAckDelay, 7);
  checkField('Padding', setup.padding, 255);
  const descriptor = checkBytes('Descriptor', setup.descriptor, 4);
  const out = new Uint8Array(1 + setupPayloadLength(version));
  const view = new DataView(out.buffer);
  out[0] = Cid.fragSessionSetup;
  out[1] = (setup.mcGroupBitMask & 0x0f) | (setup.fragIndex << 4);
  view.setUint16(2, setup.nbFrag, true);
  out[4] = setup.fragSize;
  out[5] = setup.blockAckDelay | (setup.fragAlgo << 3) | (version === 2 && setup.ackReception ? 0x40 : 0);
  out[6] = setup.padding;
  out.set(descriptor, 7);
  if (version === 2) {
    checkField('SessionCnt', setup.sessionCnt ?? 0, 0xffff);
    view.setUint16(11, setup.sessionCnt ?? 0, true);
    out.set(checkBytes('MIC', setup.mic, 4), 13);
  }
  return out;
}

/** Decodes a FragSessionSetupReq; the version follows from the length (11 or 17 bytes) unless given. */
export function decodeFragSessionSetupReq(bytes: Uint8Array, version?: Ts004Version): { version: Ts004Version; setup: FragSessionSetup } {
  const v: Ts004Version | undefined = version ?? (bytes.length === 11 ? 1 : bytes.length === 17 ? 2 : undefined);
  if (bytes[0] !== Cid.fragSessionSetup) {
    throw new InvalidInputError(`FragSessionSetupReq must start with CID 0x02, got 0x${(bytes[0] ?? 0).toString(16).padStart(2, '0')}`);
  }
  if (v === undefined || bytes.length !== 1 + setupPayloadLength(v)) {
    throw new InvalidInputError(`FragSessionSetupReq must be 11 bytes (v1.0.0) or 17 bytes (v2.0.0), got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const control = bytes[5]!;
  const setup: FragSessionSetup = {
    fragIndex: (bytes[1]! >> 4) & 0x03,
    mcGroupBitMask: bytes[1]! & 0x0f,
    nbFrag: view.getUint16(2, true),
    fragSize: bytes[4]!,
    fragAlgo: (control >> 3) & 0x07,
    blockAckDelay: control & 0x07,
    padding: bytes[6]!,
    descriptor: bytes.slice(7, 11),
  };
  if (v === 2) {
    setup.ackReception = (control & 0x40) !== 0;
    setup.sessionCnt = view.getUint16(11, true);
    setup.mic = bytes.slice(13, 17);
  }
  return { version: v, setup };
}

/** DataFragment (CID 0x08): IndexAndN (N bits 13:0, FragIndex bits 15:14) then the payload. */
export function encodeDataFragment(fragIndex: number, index: number, payload: Uint8Array): Uint8Array {
  checkField('FragIndex', fragIndex, 3);
  checkField('fragment index N', index, 0x3fff);
  const out = new Uint8Array(3 + payload.length);
  out[0] = Cid.dataFragment;
  out[1] = index & 0xff;
  out[2] = ((index >> 8) & 0x3f) | (fragIndex << 6);
  out.set(payload, 3);
  return out;
}

export interface DataFragmentCommand {
  fragIndex: number;
  index: number;
  payload: Uint8Array;
}

/** Decodes a DataFragment; the payload is a view into `bytes`. */
export function decodeDataFragment(bytes: Uint8Array): DataFragmentCommand {
  if (bytes.length < 3 || bytes[0] !== Cid.dataFragment) throw new InvalidInputError('DataFragment must start with CID 0x08 and hold at least 3 bytes');
  const indexAndN = bytes[1]! | (bytes[2]! << 8);
  return { fragIndex: indexAndN >> 14, index: indexAndN & 0x3fff, payload: bytes.subarray(3) };
}

// ---- the small commands -------------------------------------------------------------------------------

export function encodePackageVersionReq(): Uint8Array {
  return Uint8Array.of(Cid.packageVersion);
}

export function encodePackageVersionAns(packageIdentifier: number, packageVersion: number): Uint8Array {
  checkField('PackageIdentifier', packageIdentifier, 255);
  checkField('PackageVersion', packageVersion, 255);
  return Uint8Array.of(Cid.packageVersion, packageIdentifier, packageVersion);
}

export function decodePackageVersionAns(bytes: Uint8Array): { packageIdentifier: number; packageVersion: number } {
  expectCommand(bytes, Cid.packageVersion, 3, 'PackageVersionAns');
  return { packageIdentifier: bytes[1]!, packageVersion: bytes[2]! };
}

export interface FragSessionStatusReq {
  fragIndex: number;
  /** true: every device answers; false: only devices still missing fragments. */
  participants: boolean;
}

export function encodeFragSessionStatusReq(req: FragSessionStatusReq): Uint8Array {
  checkField('FragIndex', req.fragIndex, 3);
  return Uint8Array.of(Cid.fragSessionStatus, (req.participants ? 1 : 0) | (req.fragIndex << 1));
}

export function decodeFragSessionStatusReq(bytes: Uint8Array): FragSessionStatusReq {
  expectCommand(bytes, Cid.fragSessionStatus, 2, 'FragSessionStatusReq');
  return { fragIndex: (bytes[1]! >> 1) & 0x03, participants: (bytes[1]! & 1) !== 0 };
}

export interface FragSessionStatusAns {
  fragIndex: number;
  nbFragReceived: number;
  missingFrag: number;
  /** Status bit 0: not enough matrix memory. */
  memoryError: boolean;
  /** v2 status bit 1. */
  micError?: boolean;
  /** v2 status bit 2. */
  sessionDoesNotExist?: boolean;
}

/** FragSessionStatusAns: v1 [N+FragIndex][MissingFrag][Status]; v2 moves Status first. */
export function encodeFragSessionStatusAns(ans: FragSessionStatusAns, version: Ts004Version): Uint8Array {
  checkField('FragIndex', ans.fragIndex, 3);
  checkField('NbFragReceived', ans.nbFragReceived, 0x3fff);
  checkField('MissingFrag', ans.missingFrag, 255);
  const received = ans.nbFragReceived | (ans.fragIndex << 14);
  const status = (ans.memoryError ? 1 : 0) | (version === 2 ? (ans.micError ? 2 : 0) | (ans.sessionDoesNotExist ? 4 : 0) : 0);
  return version === 1
    ? Uint8Array.of(Cid.fragSessionStatus, received & 0xff, received >> 8, ans.missingFrag, status)
    : Uint8Array.of(Cid.fragSessionStatus, status, received & 0xff, received >> 8, ans.missingFrag);
}

export function decodeFragSessionStatusAns(bytes: Uint8Array, version: Ts004Version): FragSessionStatusAns {
  expectCommand(bytes, Cid.fragSessionStatus, 5, 'FragSessionStatusAns');
  const [status, lo, hi, missing] = version === 1 ? [bytes[4]!, bytes[1]!, bytes[2]!, bytes[3]!] : [bytes[1]!, bytes[2]!, bytes[3]!, bytes[4]!];
  const received = lo | (hi << 8);
  const ans: FragSessionStatusAns = { fragIndex: received >> 14, nbFragReceived: received & 0x3fff, missingFrag: missing, memoryError: (status & 1) !== 0 };
  if (version === 2) {
    ans.micError = (status & 2) !== 0;
    ans.sessionDoesNotExist = (status & 4) !== 0;
  }
  return ans;
}

export interface FragSessionSetupAns {
  fragIndex: number;
  /** Bit 0: v1 "EncodingUnsupported", v2 "FragAlgoUnsupported". */
  fragAlgoUnsupported: boolean;
  notEnoughMemory: boolean;
  fragIndexUnsupported: boolean;
  wrongDescriptor: boolean;
  /** v2 bit 4: SessionCnt not above the last accepted one. */
  sessionCntReplay?: boolean;
}

export function encodeFragSessionSetupAns(ans: FragSessionSetupAns, version: Ts004Version): Uint8Array {
  checkField('FragIndex', ans.fragIndex, 3);
  const status =
    (ans.fragAlgoUnsupported ? 1 : 0) |
    (ans.notEnoughMemory ? 2 : 0) |
    (ans.fragIndexUnsupported ? 4 : 0) |
    (ans.wrongDescriptor ? 8 : 0) |
    (version === 2 && ans.sessionCntReplay ? 16 : 0) |
    (ans.fragIndex << 6);
  return Uint8Array.of(Cid.fragSessionSetup, status);
}

export function decodeFragSessionSetupAns(bytes: Uint8Array, version: Ts004Version): FragSessionSetupAns {
  expectCommand(bytes, Cid.fragSessionSetup, 2, 'FragSessionSetupAns');
  const s = bytes[1]!;
  const ans: FragSessionSetupAns = {
    fragIndex: s >> 6,
    fragAlgoUnsupported: (s & 1) !== 0,
    notEnoughMemory: (s & 2) !== 0,
    fragIndexUnsupported: (s & 4) !== 0,
    wrongDescriptor: (s & 8) !== 0,
  };
  if (version === 2) ans.sessionCntReplay = (s & 16) !== 0;
  return ans;
}

export function encodeFragSessionDeleteReq(fragIndex: number): Uint8Array {
  checkField('FragIndex', fragIndex, 3);
  return Uint8Array.of(Cid.fragSessionDelete, fragIndex);
}

export function decodeFragSessionDeleteReq(bytes: Uint8Array): { fragIndex: number } {
  expectCommand(bytes, Cid.fragSessionDelete, 2, 'FragSessionDeleteReq');
  return { fragIndex: bytes[1]! & 3 };
}

export function encodeFragSessionDeleteAns(fragIndex: number, sessionDoesNotExist: boolean): Uint8Array {
  checkField('FragIndex', fragIndex, 3);
  return Uint8Array.of(Cid.fragSessionDelete, fragIndex | (sessionDoesNotExist ? 4 : 0));
}

export function decodeFragSessionDeleteAns(bytes: Uint8Array): { fragIndex: number; sessionDoesNotExist: boolean } {
  expectCommand(bytes, Cid.fragSessionDelete, 2, 'FragSessionDeleteAns');
  return { fragIndex: bytes[1]! & 3, sessionDoesNotExist: (bytes[1]! & 4) !== 0 };
}

/** v2 uplink FragDataBlockReceivedReq (CID 0x04). */
export function encodeFragDataBlockReceivedReq(fragIndex: number, micError: boolean): Uint8Array {
  checkField('FragIndex', fragIndex, 3);
  return Uint8Array.of(Cid.fragDataBlockReceived, fragIndex | (micError ? 4 : 0));
}

export function decodeFragDataBlockReceivedReq(bytes: Uint8Array): { fragIndex: number; micError: boolean } {
  expectCommand(bytes, Cid.fragDataBlockReceived, 2, 'FragDataBlockReceivedReq');
  return { fragIndex: bytes[1]! & 3, micError: (bytes[1]! & 4) !== 0 };
}

/** v2 downlink FragDataBlockReceivedAns (CID 0x04). */
export function encodeFragDataBlockReceivedAns(fragIndex: number): Uint8Array {
  checkField('FragIndex', fragIndex, 3);
  return Uint8Array.of(Cid.fragDataBlockReceived, fragIndex);
}

export function decodeFragDataBlockReceivedAns(bytes: Uint8Array): { fragIndex: number } {
  expectCommand(bytes, Cid.fragDataBlockReceived, 2, 'FragDataBlockReceivedAns');
  return { fragIndex: bytes[1]! & 3 };
}

function expectCommand(bytes: Uint8Array, cid: number, length: number, name: string): void {
  if (bytes.length !== length || bytes[0] !== cid) {
    throw new InvalidInputError(`${name} must be ${length} bytes starting with CID 0x${cid.toString(16).padStart(2, '0')}`);
  }
}
