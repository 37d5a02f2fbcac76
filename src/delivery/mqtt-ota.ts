/**
 * The OTA notice an MQTT platform pushes to a device (docs/DELIVERY.md, "mqtt-ota"), in the shape of Alibaba
 * Cloud IoT Platform's /ota/device/upgrade/${productKey}/${deviceName} message: { code, data, id, message },
 * where data holds size, version, isDiff, url, signMethod ("SHA256" or "MD5"), sign, md5, module, extData.
 * The schema is docs/schema/mqtt-ota-notice.schema.json.
 */
import { createHash } from 'node:crypto';
import { InvalidInputError, UsageError } from '../errors.js';

export type SignMethod = 'SHA256' | 'MD5';
export const SIGN_METHODS: readonly SignMethod[] = ['SHA256', 'MD5'];

/** The platform's version rule: 1 to 64 letters, digits, ".", "-" or "_". */
const VERSION_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export interface OtaNoticeData {
  size: number;
  version: string;
  /** 1 for a delta (a smartdelta patch), 0 for a whole image. */
  isDiff: 0 | 1;
  url: string;
  signMethod: SignMethod;
  /** The file's digest by signMethod, lowercase hex. */
  sign: string;
  /** The file's MD5, lowercase hex (the platform sends it along with an MD5 sign). */
  md5?: string;
  module: string;
  extData?: Record<string, string>;
}

export interface OtaNotice {
  code: '1000';
  data: OtaNoticeData;
  id: number;
  message: 'success';
}

export interface OtaNoticeOptions {
  url: string;
  version: string;
  signMethod?: SignMethod;
  module?: string;
  isDiff: boolean;
  /** Message id, unique per device on the platform (default 1: a server that sends the notice sets its own). */
  id?: number;
  extData?: Record<string, string>;
}

export function otaNotice(data: Uint8Array, options: OtaNoticeOptions): OtaNotice {
  if (data.length === 0) throw new InvalidInputError('the file is empty: there is nothing to deliver');
  const signMethod = options.signMethod ?? 'SHA256';
  if (!SIGN_METHODS.includes(signMethod)) throw new UsageError(`the sign method must be SHA256 or MD5, got "${signMethod}"`);
  if (!VERSION_PATTERN.test(options.version)) {
    throw new UsageError(`the notice version must be 1 to 64 letters, digits, ".", "-" or "_" (the platform's rule), got "${options.version}"`);
  }
  if (!/^(https?|mqtt):\/\/\S+$/.test(options.url)) throw new UsageError(`the download url must be an http://, https:// or mqtt:// URL, got "${options.url}"`);
  const id = options.id ?? 1;
  if (!Number.isSafeInteger(id) || id < 0) throw new UsageError(`the message id must be a non-negative integer, got ${id}`);
  const digest = (algorithm: string): string => createHash(algorithm).update(data).digest('hex');
  const notice: OtaNoticeData = {
    size: data.length,
    version: options.version,
    isDiff: options.isDiff ? 1 : 0,
    url: options.url,
    signMethod,
    sign: digest(signMethod === 'SHA256' ? 'sha256' : 'md5'),
    ...(signMethod === 'MD5' ? { md5: digest('md5') } : {}),
    module: options.module ?? 'default',
  };
  if (options.extData !== undefined && Object.keys(options.extData).length > 0) notice.extData = options.extData;
  return { code: '1000', data: notice, id, message: 'success' };
}
