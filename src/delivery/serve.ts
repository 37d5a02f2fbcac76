/**
 * A small HTTP server for testing device clients against delivery artifacts (docs/DELIVERY.md, "serve"):
 * GET/HEAD of the files under one folder, a single byte range per request (206 + Content-Range, 416 when it
 * cannot be satisfied), a `Digest: crc32=<hex>` header computed over the body sent, an optional bearer token,
 * and connections closed after a set number of requests, as cellular platforms limit socket reuse.
 * Not a production server: no TLS, one folder, files read whole per request.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { timingSafeEqual } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import type { Socket } from 'node:net';
import { parseRangeHeader } from './http-range.js';
import { crc32Hex } from './crc32.js';

/** node:http on first use: every CLI command loads this module, and only `serve` needs HTTP (~6 ms of start-up). */
function loadHttp(): typeof import('node:http') {
  return createRequire(import.meta.url)('node:http') as typeof import('node:http');
}

export interface DeliveryServerOptions {
  /** The folder served; nothing outside it is. */
  dir: string;
  /** When set, every request needs `Authorization: Bearer <token>` (401 otherwise). */
  token?: string;
  /** Close a connection after this many requests on it (the last answer carries `Connection: close`). */
  maxRequestsPerConnection?: number;
  /** One line per request. */
  log?: (line: string) => void;
  /**
   * Fault injection for tests: may change the body after its Digest was computed, as a damaged transfer
   * would; the client's CRC check must catch it. Not reachable from the command line.
   */
  corruptBody?: (path: string, start: number, body: Uint8Array) => Uint8Array;
}

export interface RequestRecord {
  method: string;
  path: string;
  range: string | null;
  status: number;
  bytes: number;
  crc32: string | null;
}

export function createDeliveryServer(options: DeliveryServerOptions): Server {
  const root = realpathSync(options.dir);
  if (!statSync(root).isDirectory()) throw new Error(`${options.dir} is not a directory`);
  const requestsOn = new WeakMap<Socket, number>();
  const server = loadHttp().createServer((req, res) => {
    const count = (requestsOn.get(req.socket) ?? 0) + 1;
    requestsOn.set(req.socket, count);
    if (options.maxRequestsPerConnection !== undefined && count >= options.maxRequestsPerConnection) {
      // Node then ends the socket once this answer is sent.
      res.setHeader('Connection', 'close');
    }
    const record = answer(req, res, root, options);
    options.log?.(logLine(req, record));
  });
  return server;
}

function answer(req: IncomingMessage, res: ServerResponse, root: string, options: DeliveryServerOptions): RequestRecord {
  const method = req.method ?? 'GET';
  const path = (req.url ?? '/').split('?')[0]!;
  const rangeHeader = req.headers.range ?? null;
  const record = (status: number, bytes = 0, crc: string | null = null): RequestRecord => ({ method, path, range: rangeHeader, status, bytes, crc32: crc });
  const fail = (status: number, text: string, headers: Record<string, string> = {}): RequestRecord => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text) + 1), ...headers });
    res.end(method === 'HEAD' ? undefined : `${text}\n`);
    return record(status);
  };
  if (method !== 'GET' && method !== 'HEAD') return fail(405, 'only GET and HEAD are served', { Allow: 'GET, HEAD' });
  if (options.token !== undefined && !bearerMatches(req.headers.authorization, options.token)) {
    return fail(401, 'a valid bearer token is required', { 'WWW-Authenticate': 'Bearer' });
  }
  const file = resolveInside(root, path);
  if (file === 'outside') return fail(403, 'the path is outside the served folder');
  if (file === undefined) return fail(404, 'no such file');
  const data = readFileSync(file);
  const range = parseRangeHeader(rangeHeader ?? undefined, data.length);
  if (range.kind === 'unsatisfiable') return fail(416, range.reason, { 'Content-Range': `bytes */${data.length}` });
  const start = range.kind === 'range' ? range.start : 0;
  const end = range.kind === 'range' ? range.end : data.length - 1;
  const body = new Uint8Array(data.buffer, data.byteOffset + start, end - start + 1);
  const crc = crc32Hex(body);
  const sent = options.corruptBody ? options.corruptBody(path, start, new Uint8Array(body)) : body;
  const status = range.kind === 'range' ? 206 : 200;
  const headers: Record<string, string> = {
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(sent.length),
    'Accept-Ranges': 'bytes',
    Digest: `crc32=${crc}`,
  };
  if (status === 206) headers['Content-Range'] = `bytes ${start}-${end}/${data.length}`;
  res.writeHead(status, headers);
  res.end(method === 'HEAD' ? undefined : sent);
  return record(status, method === 'HEAD' ? 0 : sent.length, crc);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!.trim());
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** The file for a URL path, 'outside' for one that leaves the folder (also through a symlink), or undefined. */
function resolveInside(root: string, urlPath: string): string | undefined | 'outside' {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const candidate = resolve(root, `.${decoded.startsWith('/') ? '' : '/'}${decoded}`);
  if (candidate !== root && !candidate.startsWith(root + sep)) return 'outside';
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    return undefined;
  }
  if (real === root) return undefined;
  if (!real.startsWith(root + sep)) return 'outside';
  return statSync(real).isFile() ? real : undefined;
}

function logLine(req: IncomingMessage, r: RequestRecord): string {
  const range = r.range === null ? '-' : JSON.stringify(r.range);
  return `${new Date().toISOString()} ${req.socket.remoteAddress ?? '-'} ${r.method} ${JSON.stringify(r.path)} range ${range} ${r.status} ${r.bytes} bytes crc32 ${r.crc32 ?? '-'}`;
}
