/**
 * Codec 2 encoder: an optimal parse over blocks of up to OPT_BLOCK positions, priced with the adaptive model
 * as it stands at the block's start (the prices go stale within a block, so blocks are kept short), then the
 * chosen symbols are range coded, which updates the model for the next block. Deterministic, pure TypeScript.
 */
import { MatchFinder } from './lzs-match.js';
import {
  afterMatch,
  checkParams,
  Kind,
  literalTree,
  MAX_MATCH,
  MIN_MATCH,
  nextState,
  P_IS_MATCH,
  P_IS_REP,
  probabilityCount,
  writeDistance,
  writeLength,
  writeTree,
  type BitSink,
  type SmallLzParams,
} from './lzs-model.js';
import { PRICE0, PRICE1, PROB_INIT, RangeEncoder } from './lzs-rc.js';

/** Positions per parse block (measured: 256..512 beat 1024 and more, whose prices are staler). */
const OPT_BLOCK = 512;
/** A match at least this long is taken at once, ending the block. */
const NICE_LEN = 128;

/** Adds up the price of the bits a symbol would write, in bits, without changing the model. */
class PriceSink implements BitSink {
  total = 0;
  constructor(private readonly probs: Uint16Array) {}
  bit(i: number, bit: number): void {
    this.total += bit ? PRICE1[this.probs[i]!]! : PRICE0[this.probs[i]!]!;
  }
  direct(): void {
    this.total += 1;
  }
}

class CoderSink implements BitSink {
  constructor(
    private readonly rc: RangeEncoder,
    private readonly probs: Uint16Array,
  ) {}
  bit(i: number, bit: number): void {
    this.rc.bit(this.probs, i, bit);
  }
  direct(bit: number): void {
    this.rc.direct(bit);
  }
}

/** One parse node: the cheapest known way to reach it, and the state and rep distance it leaves. */
class Nodes {
  readonly price: Float64Array;
  readonly from: Int32Array;
  readonly kind: Uint8Array;
  readonly len: Int32Array;
  readonly dist: Int32Array;
  readonly state: Uint8Array;
  readonly rep: Int32Array;
  constructor(size: number) {
    this.price = new Float64Array(size);
    this.from = new Int32Array(size);
    this.kind = new Uint8Array(size);
    this.len = new Int32Array(size);
    this.dist = new Int32Array(size);
    this.state = new Uint8Array(size);
    this.rep = new Int32Array(size);
  }
  relax(to: number, price: number, from: number, kind: Kind, len: number, dist: number): void {
    if (price >= this.price[to]!) return;
    this.price[to] = price;
    this.from[to] = from;
    this.kind[to] = kind;
    this.len[to] = len;
    this.dist[to] = dist;
  }
}

class Encoder {
  private readonly probs: Uint16Array;
  private readonly rc = new RangeEncoder();
  private readonly coder: CoderSink;
  private readonly pricer: PriceSink;
  private readonly finder: MatchFinder;
  private readonly nodes = new Nodes(OPT_BLOCK + MAX_MATCH + 1);
  private readonly matches = new Int32Array(2 * MAX_MATCH);
  /** Length prices of the match and rep coders for the current block, by length. */
  private readonly lenPrice = [new Float64Array(MAX_MATCH + 1), new Float64Array(MAX_MATCH + 1)] as const;
  private state = 0;
  private rep = 1;
  private pos = 0;

  constructor(
    private readonly data: Uint8Array,
    private readonly params: SmallLzParams,
  ) {
    this.probs = new Uint16Array(probabilityCount(params)).fill(PROB_INIT);
    this.coder = new CoderSink(this.rc, this.probs);
    this.pricer = new PriceSink(this.probs);
    this.finder = new MatchFinder(data, 2 ** params.windowLog2, MAX_MATCH, NICE_LEN);
  }

  run(): Uint8Array {
    while (this.pos < this.data.length) this.block();
    return this.rc.finish();
  }

  /** Parses up to OPT_BLOCK positions ahead, then codes the cheapest path found. */
  private block(): void {
    const start = this.pos;
    const n = this.nodes;
    this.priceLengths();
    n.price.fill(Infinity);
    n.price[0] = 0;
    n.state[0] = this.state;
    n.rep[0] = this.rep;
    let cur = 0;
    let last = -1;
    for (; cur < OPT_BLOCK && start + cur < this.data.length; cur++) {
      if (cur > 0) this.settle(cur);
      const long = this.expand(cur, start + cur);
      if (long > 0) {
        last = cur + long; // a long match ends the block
        break;
      }
    }
    // Every node up to cur is reachable (through literals at worst), so the path back to 0 exists.
    if (last < 0) last = cur;
    const path: number[] = [];
    for (let c = last; c > 0; c = n.from[c]!) path.push(c);
    for (let k = path.length - 1; k >= 0; k--) {
      const node = path[k]!;
      this.encode(n.kind[node]! as Kind, n.len[node]!, n.dist[node]!);
    }
  }

  /** Derives a node's state and rep distance from its best predecessor. */
  private settle(cur: number): void {
    const n = this.nodes;
    const from = n.from[cur]!;
    const kind = n.kind[cur]! as Kind;
    n.state[cur] = nextState(n.state[from]!, kind);
    n.rep[cur] = kind === Kind.match ? n.dist[cur]! : n.rep[from]!;
  }

  /** Relaxes every edge out of node cur; returns the length of a match long enough to end the block, or 0. */
  private expand(cur: number, i: number): number {
    const n = this.nodes;
    const data = this.data;
    const base = n.price[cur]!;
    const state = n.state[cur]!;
    const rep = n.rep[cur]!;
    const probs = this.probs;
    n.relax(cur + 1, base + this.literalPrice(i, state, rep), cur, Kind.literal, 1, 0);
    if (i === 0) return 0;
    const matchBase = base + PRICE1[probs[P_IS_MATCH + state]!]!;
    const limit = Math.min(MAX_MATCH, data.length - i);
    if (rep <= i) {
      let len = 0;
      while (len < limit && data[i + len] === data[i + len - rep]) len++;
      const repBase = matchBase + PRICE1[probs[P_IS_REP + state]!]!;
      if (len >= NICE_LEN) {
        n.relax(cur + len, repBase + this.lenPrice[1][len]!, cur, Kind.rep, len, 0);
        return len;
      }
      for (let l = MIN_MATCH; l <= len; l++) n.relax(cur + l, repBase + this.lenPrice[1][l]!, cur, Kind.rep, l, 0);
    }
    const count = this.finder.find(i, this.matches);
    if (count === 0) return 0;
    const newBase = matchBase + PRICE0[probs[P_IS_REP + state]!]!;
    const longest = this.matches[count - 2]!;
    if (longest >= NICE_LEN) {
      const dist = this.matches[count - 1]!;
      n.relax(cur + longest, newBase + this.lenPrice[0][longest]! + this.distancePrice(longest, dist), cur, Kind.match, longest, dist);
      return longest;
    }
    let l = MIN_MATCH;
    for (let k = 0; k < count; k += 2) {
      const len = this.matches[k]!;
      const dist = this.matches[k + 1]!;
      const short = this.distancePrice(MIN_MATCH, dist);
      const other = this.distancePrice(MIN_MATCH + 1, dist);
      for (; l <= len; l++) n.relax(cur + l, newBase + this.lenPrice[0][l]! + (l === MIN_MATCH ? short : other), cur, Kind.match, l, dist);
    }
    return 0;
  }

  private literalPrice(i: number, state: number, rep: number): number {
    const s = this.pricer;
    s.total = i === 0 ? 0 : PRICE0[this.probs[P_IS_MATCH + state]!]!;
    writeTree(s, literalTree(this.params, state), 8, this.literalValue(i, state, rep));
    return s.total;
  }

  /** The value the literal tree codes: the byte, or after a match (literal context 1) the byte XOR the one at rep. */
  private literalValue(i: number, state: number, rep: number): number {
    return this.params.literalContext && afterMatch(state) ? this.data[i]! ^ this.data[i - rep]! : this.data[i]!;
  }

  private distancePrice(len: number, dist: number): number {
    this.pricer.total = 0;
    writeDistance(this.pricer, len, dist);
    return this.pricer.total;
  }

  private priceLengths(): void {
    for (const coder of [0, 1] as const) {
      const table = this.lenPrice[coder];
      for (let len = MIN_MATCH; len <= MAX_MATCH; len++) {
        this.pricer.total = 0;
        writeLength(this.pricer, coder, len);
        table[len] = this.pricer.total;
      }
    }
  }

  private encode(kind: Kind, len: number, dist: number): void {
    const c = this.coder;
    if (this.pos > 0) c.bit(P_IS_MATCH + this.state, kind === Kind.literal ? 0 : 1);
    if (kind === Kind.literal) {
      writeTree(c, literalTree(this.params, this.state), 8, this.literalValue(this.pos, this.state, this.rep));
    } else {
      c.bit(P_IS_REP + this.state, kind === Kind.rep ? 1 : 0);
      writeLength(c, kind === Kind.rep ? 1 : 0, len);
      if (kind === Kind.match) {
        writeDistance(c, len, dist);
        this.rep = dist;
      }
    }
    this.state = nextState(this.state, kind);
    this.pos += len;
  }
}

/** Compresses data into a codec 2 stream (docs/LZS.md); the decoder must be told data.length. */
export function compressSmall(data: Uint8Array, params: SmallLzParams): Uint8Array {
  checkParams(params);
  return new Encoder(data, params).run();
}
