/** Reading patch files for the CLI: a file that is not a patch is named, and a swapped argument order is said. */
import { MAGIC } from '../container/header.js';
import { InvalidInputError } from '../errors.js';
import { readInputFile } from './files.js';
import { isPatch } from './images.js';

/**
 * The patch at `path`, or an error naming the file. `other` is the command's image argument: when it is the
 * patch, the two were given in the wrong order and `usage` says which order is right.
 */
export function readPatchFile(path: string, other?: { path: string; usage: string }): Uint8Array {
  const bytes = readInputFile(path, 'patch');
  // Shorter than the magic: the header parser says how it is truncated.
  if (bytes.length < MAGIC.length || isPatch(bytes)) return bytes;
  let swapped = '';
  if (other !== undefined) {
    try {
      if (isPatch(readInputFile(other.path, 'image'))) swapped = `; ${other.path} is one: the order is ${other.usage}`;
    } catch {
      // unreadable: the command will say so in its own words
    }
  }
  throw new InvalidInputError(`${path} is not a smartdelta patch (it does not start with "SD")${swapped}`);
}
