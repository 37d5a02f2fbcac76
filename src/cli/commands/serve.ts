/**
 * `smartdelta serve <dir>`: a local HTTP server for testing device clients against delivery artifacts (ranges,
 * CRC-32 Digest headers, bearer token, limited socket reuse; docs/DELIVERY.md, "serve"). Runs until SIGINT or
 * SIGTERM, then closes every connection and exits 0.
 */
import type { Command } from 'commander';
import type { AddressInfo } from 'node:net';
import { statSync } from 'node:fs';
import { IoError, UsageError } from '../../errors.js';
import { createDeliveryServer } from '../../delivery/index.js';
import { parseInteger } from '../options.js';
import { jsonMode, result } from '../json.js';

interface ServeCliOptions {
  port: string;
  host: string;
  token?: string;
  maxRequestsPerConnection?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve a folder over HTTP for testing device clients: byte ranges, CRC-32 Digest headers, bearer token, limited socket reuse')
    .argument('<dir>', 'the folder to serve (nothing outside it is served)')
    .option('--port <n>', 'TCP port; 0 picks a free one and prints it', '8080')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--token <token>', 'require "Authorization: Bearer <token>" (401 otherwise)')
    .option('--max-requests-per-connection <n>', 'close a connection after this many requests (default: keep it open)')
    .option('--json', 'print one JSON document when the server stops (the log then goes to stderr)')
    .addHelpText(
      'after',
      `
Each request is logged on one line: time, client, method, path, Range, status, bytes sent, CRC-32 of the body.
A Range of one byte range gets 206 with Content-Range; several ranges, or one past the end, get 416; every
file answer carries "Digest: crc32=<8 hex digits>" of its body. Stop with Ctrl-C (SIGINT) or SIGTERM (exit 0).

Example:
  smartdelta serve out/ --port 0 --token secret --max-requests-per-connection 5`,
    )
    .action((dir: string, opts: ServeCliOptions) => runServe(dir, opts));
}

async function runServe(dir: string, opts: ServeCliOptions): Promise<void> {
  const port = parseInteger(opts.port, '--port', 0, 65535);
  const maxRequests = opts.maxRequestsPerConnection !== undefined ? parseInteger(opts.maxRequestsPerConnection, '--max-requests-per-connection', 1) : undefined;
  if (opts.token !== undefined && !/^[\x21-\x7e]+$/.test(opts.token)) throw new UsageError('--token must be printable ASCII without spaces');
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new IoError(`cannot serve ${dir}: no such directory`);
  }
  if (!isDir) throw new IoError(`cannot serve ${dir}: not a directory`);

  // With --json, stdout is the one document printed at the end: the log goes to stderr.
  const log = (line: string): void => void (jsonMode() ? process.stderr : process.stdout).write(`${line}\n`);
  let requests = 0;
  const server = createDeliveryServer({
    dir,
    ...(opts.token !== undefined ? { token: opts.token } : {}),
    ...(maxRequests !== undefined ? { maxRequestsPerConnection: maxRequests } : {}),
    log: (line) => {
      requests++;
      log(line);
    },
  });
  await new Promise<void>((done, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) => fail(new IoError(`cannot listen on ${opts.host}:${port}: ${err.code === 'EADDRINUSE' ? 'address in use' : err.message}`)));
    server.listen(port, opts.host, done);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}/`;
  log(`serving ${dir} on ${url} (port ${address.port}); stop with Ctrl-C`);

  const signal = await new Promise<NodeJS.Signals>((done) => {
    const stop = (name: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done(name);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await new Promise<void>((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
  log(`stopped on ${signal} after ${requests} request(s)`);
  result({ input: dir, url, port: address.port, requests });
}
