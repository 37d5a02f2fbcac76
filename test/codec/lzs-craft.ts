/**
 * Writes codec 2 streams symbol by symbol, without the encoder's checks, so tests can make streams the
 * encoder never writes: matches before the start, past the declared size or beyond the window.
 */
import {
  afterMatch,
  Kind,
  literalTree,
  nextState,
  P_IS_MATCH,
  P_IS_REP,
  probabilityCount,
  writeDistance,
  writeLength,
  writeTree,
  type BitSink,
  type SmallLzParams,
} from '../../src/codec/lzs-model.js';
import { PROB_INIT, RangeEncoder } from '../../src/codec/lzs-rc.js';

/** A literal byte, a match (length, distance) or a rep match (length). */
export type CraftSymbol = { lit: number } | { match: [number, number] } | { rep: number };

export function craftStream(params: SmallLzParams, symbols: readonly CraftSymbol[]): Uint8Array {
  const probs = new Uint16Array(probabilityCount(params)).fill(PROB_INIT);
  const rc = new RangeEncoder();
  const sink: BitSink = { bit: (i, b) => rc.bit(probs, i, b), direct: (b) => rc.direct(b) };
  const out: number[] = [];
  let state = 0;
  let rep = 1;
  for (const s of symbols) {
    const kind = 'lit' in s ? Kind.literal : 'match' in s ? Kind.match : Kind.rep;
    if (out.length > 0) sink.bit(P_IS_MATCH + state, kind === Kind.literal ? 0 : 1);
    if ('lit' in s) {
      const xor = params.literalContext && afterMatch(state) ? (out[out.length - rep] ?? 0) : 0;
      writeTree(sink, literalTree(params, state), 8, s.lit ^ xor);
      out.push(s.lit);
    } else {
      sink.bit(P_IS_REP + state, kind === Kind.rep ? 1 : 0);
      const len = 'match' in s ? s.match[0] : s.rep;
      writeLength(sink, kind === Kind.rep ? 1 : 0, len);
      if ('match' in s) {
        writeDistance(sink, len, s.match[1]);
        rep = s.match[1];
      }
      for (let k = 0; k < len; k++) out.push(out[out.length - rep] ?? 0);
    }
    state = nextState(state, kind);
  }
  return rc.finish();
}
