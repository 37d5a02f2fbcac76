/**
 * Child process of interrupt.test.ts: writes one large output through the CLI's atomic writer, then idles
 * briefly so that a signal that arrived during the (synchronous) write is handled.
 * Usage: node --import tsx test/hardening/write-child.ts <output> <bytes>
 */
import { writeOutputFile } from '../../src/cli/files.js';

const [output, size] = process.argv.slice(2);
writeOutputFile(output!, new Uint8Array(Number(size)).fill(0x5a));
process.stdout.write('written\n');
await new Promise((resolve) => setTimeout(resolve, 500));
process.stdout.write('idle done\n');
