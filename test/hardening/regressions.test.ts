/** Small regressions found while hardening the parsers (issue 7); each names what used to happen. */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { fragmentFile, parseFragmentFile, serializeSession } from '../../src/lorawan/index.js';

describe('fragment files', () => {
  const session = fragmentFile(new Uint8Array(100).fill(5), { fragSize: 20, redundancy: 2 });
  const lines = new TextDecoder().decode(serializeSession(session, 'ndjson')).trimEnd().split('\n');

  it('an NDJSON "fport" that is not a byte value is invalid input (it was accepted: 1.5, -1, 1e308)', () => {
    for (const fport of [1.5, -1, 256, 1e308]) {
      const bad = [lines[0]!.replace('"fport":201', `"fport":${fport}`), ...lines.slice(1)].join('\n');
      expect(() => parseFragmentFile(new TextEncoder().encode(bad), 'f.ndjson')).toThrow(InvalidInputError);
      expect(() => parseFragmentFile(new TextEncoder().encode(bad), 'f.ndjson')).toThrow('f.ndjson line 1: "fport" must be an integer from 0 to 255');
    }
    expect(parseFragmentFile(new TextEncoder().encode(lines.join('\n'))).fport).toBe(201);
  });
});
