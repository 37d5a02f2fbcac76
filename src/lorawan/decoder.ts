/**
 * TS004 FEC decoder (reference section 2): incremental Gaussian elimination over GF(2) restricted to the
 * missing uncoded fragments, like LoRaMac-node's FragDecoder, but accepting fragments in any order and
 * duplicates, and telling success from failure without ambiguity.
 *
 * Columns of the system are uncoded fragments. A column whose fragment was received is "known" and is
 * eliminated from every coded row on arrival (XOR of its data into the payload), so the bit matrix only
 * spans missing columns. Missing columns get an ordinal the first time a coded row needs them (with
 * in-order delivery: exactly the lost fragments), rows are bit sets over ordinals kept in echelon form
 * (the pivot of a row is its lowest set bit), and a fragment arriving late (an uncoded fragment whose
 * column already has an ordinal) is eliminated from the stored rows. The block is complete when every
 * unknown column has a pivot; back-substitution then recovers the missing rows.
 */
import { InvalidInputError, UsageError } from '../errors.js';
import { MAX_FRAGMENT_INDEX, ParityMatrix, type Ts004Version } from './parity.js';
import { wordsPerRow, xorWords } from './rows.js';

export interface DecoderOptions {
  nbFrag: number;
  fragSize: number;
  version: Ts004Version;
  /**
   * A device's FRAG_MAX_REDUNDANCY: the most lost uncoded fragments its matrix can hold. When a coded
   * fragment arrives while more are missing, the session fails (LoRaMac-node's MatrixError).
   */
  maxLost?: number;
  /** Keep and solve payloads (default true). false: rank only, for fast loss simulation. */
  trackData?: boolean;
  /** A parity matrix to share between decoders of the same session (rows cached across trials). */
  matrix?: ParityMatrix;
}

/** What one fragment did. */
export type FragmentOutcome =
  /** Stored: an uncoded fragment, or a coded one that raised the rank. */
  | 'new'
  /** This fragment completed the block. */
  | 'complete'
  /** An index received before, consistent with it. */
  | 'duplicate'
  /** A coded fragment that carried no new information (consistent). */
  | 'redundant'
  /** Contradicts the fragments received before: wrong TS004 version, wrong padding, or corruption. */
  | 'inconsistent'
  /** Arrived after completion and agrees with the decoded block. */
  | 'late'
  /** The session had failed (device matrix memory exceeded): ignored. */
  | 'failed';

export type DecoderState = 'receiving' | 'complete' | 'failed';

export interface DecoderStats {
  state: DecoderState;
  failure?: 'matrix-memory';
  nbFrag: number;
  /** Fragments given to push(), duplicates included. */
  pushed: number;
  /** Distinct indices received. */
  received: number;
  /** Distinct indices received when the block completed (the fragments it needed). */
  neededAtCompletion?: number;
  /** push() calls made when the block completed. */
  pushedAtCompletion?: number;
  /** Uncoded fragments received. */
  uncodedReceived: number;
  duplicates: number;
  redundant: number;
  /** Fragments after completion that agree with the decoded block. */
  late: number;
  inconsistent: number;
  /** Independent coded rows still needed (0 once complete): a lower bound on missing fragments. */
  rankDeficit: number;
}

export class FragmentDecoder {
  readonly nbFrag: number;
  readonly fragSize: number;
  readonly version: Ts004Version;
  private readonly words: number;
  private readonly maxLost: number | undefined;
  private readonly trackData: boolean;
  private readonly matrix: ParityMatrix;
  /** The block: row c holds uncoded fragment c + 1 once known. */
  private readonly file: Uint32Array;
  private readonly known: Uint8Array;
  private knownCount = 0;
  private readonly ordinalOf: Int32Array;
  private columnOf: Int32Array;
  private ordinalCount = 0;
  private rowWords = 1;
  /** Row and data of the pivot at each ordinal (null: none); packed arrays sized NbFrag. */
  private pivotRows: (Uint32Array | null)[];
  private pivotData: (Uint32Array | null)[];
  private pivotCount = 0;
  private readonly seen = new Uint8Array(MAX_FRAGMENT_INDEX + 1);
  /** The first consistent payload of each coded index: a repeat is compared with it, not eliminated again. */
  private readonly codedPayloads = new Map<number, Uint8Array>();
  private state: DecoderState = 'receiving';
  private readonly stats: Omit<DecoderStats, 'state' | 'nbFrag' | 'rankDeficit'> = {
    pushed: 0,
    received: 0,
    uncodedReceived: 0,
    duplicates: 0,
    redundant: 0,
    late: 0,
    inconsistent: 0,
  };

  constructor(options: DecoderOptions) {
    const { nbFrag, fragSize, version } = options;
    if (!Number.isInteger(nbFrag) || nbFrag < 1 || nbFrag > MAX_FRAGMENT_INDEX) throw new UsageError(`NbFrag must be 1..${MAX_FRAGMENT_INDEX}, got ${nbFrag}`);
    if (!Number.isInteger(fragSize) || fragSize < 1 || fragSize > 255) throw new UsageError(`FragSize must be 1..255, got ${fragSize}`);
    if (options.matrix && (options.matrix.nbFrag !== nbFrag || options.matrix.version !== version)) {
      throw new UsageError('the shared parity matrix does not match NbFrag and the TS004 version');
    }
    this.nbFrag = nbFrag;
    this.fragSize = fragSize;
    this.version = version;
    this.words = wordsPerRow(fragSize);
    this.maxLost = options.maxLost;
    this.trackData = options.trackData ?? true;
    this.matrix = options.matrix ?? new ParityMatrix(nbFrag, version);
    this.file = new Uint32Array(this.trackData ? nbFrag * this.words : 0);
    this.known = new Uint8Array(nbFrag);
    this.ordinalOf = new Int32Array(nbFrag).fill(-1);
    this.columnOf = new Int32Array(64);
    this.pivotRows = new Array<Uint32Array | null>(nbFrag).fill(null);
    this.pivotData = new Array<Uint32Array | null>(nbFrag).fill(null);
  }

  /** Feeds one fragment (over-the-air index N, 1-based, and its FragSize-byte payload). */
  push(index: number, payload: Uint8Array): FragmentOutcome {
    if (!Number.isInteger(index) || index < 1 || index > MAX_FRAGMENT_INDEX) {
      throw new InvalidInputError(`fragment index ${index} is outside 1..${MAX_FRAGMENT_INDEX}`);
    }
    if (this.trackData && payload.length !== this.fragSize) {
      throw new InvalidInputError(`fragment ${index}: payload is ${payload.length} bytes, FragSize is ${this.fragSize}`);
    }
    this.stats.pushed++;
    const repeated = this.seen[index] === 1;
    if (!repeated) {
      this.seen[index] = 1;
      this.stats.received++;
      if (index <= this.nbFrag) this.stats.uncodedReceived++;
    }
    if (this.state === 'failed') return 'failed';
    // A repeated coded fragment reduces to the same row as its first copy: same bytes, a duplicate; other
    // bytes, a contradiction. Comparing costs FragSize; eliminating it again cost up to NbFrag^2 / 32 words.
    const first = repeated && this.trackData ? this.codedPayloads.get(index) : undefined;
    let outcome = first ? (first.every((b, i) => b === payload[i]) ? 'duplicate' : 'inconsistent')
      : this.state === 'complete' ? this.checkLate(index, payload) : this.absorb(index, payload);
    if (index > this.nbFrag && this.trackData && !repeated && outcome !== 'inconsistent' && outcome !== 'failed') this.codedPayloads.set(index, payload.slice());
    if (outcome === 'inconsistent') this.stats.inconsistent++;
    else if (repeated) outcome = 'duplicate';
    if (outcome === 'duplicate') this.stats.duplicates++;
    else if (outcome === 'redundant') this.stats.redundant++;
    else if (outcome === 'late') this.stats.late++;
    if (this.state === 'receiving' && this.pivotCount === this.nbFrag - this.knownCount) {
      this.solve();
      this.state = 'complete';
      this.stats.neededAtCompletion = this.stats.received;
      this.stats.pushedAtCompletion = this.stats.pushed;
      return 'complete';
    }
    return outcome;
  }

  get isComplete(): boolean {
    return this.state === 'complete';
  }

  status(): DecoderStats {
    const rankDeficit = this.state === 'complete' ? 0 : this.nbFrag - this.knownCount - this.pivotCount;
    const failure = this.state === 'failed' ? { failure: 'matrix-memory' as const } : {};
    return { state: this.state, ...failure, nbFrag: this.nbFrag, ...this.stats, rankDeficit };
  }

  /** The decoded block, NbFrag·FragSize bytes including the padding, as word rows (see rows.ts). */
  blockRows(): Uint32Array {
    if (this.state !== 'complete') throw new UsageError('the block is not complete');
    if (!this.trackData) throw new UsageError('this decoder tracks the rank only (trackData: false)');
    return this.file;
  }

  private absorb(index: number, payload: Uint8Array): FragmentOutcome {
    if (index <= this.nbFrag) return this.addUncoded(index - 1, payload);
    if (this.maxLost !== undefined && this.nbFrag - this.knownCount > this.maxLost) {
      this.state = 'failed';
      return 'failed';
    }
    return this.addCoded(index, payload);
  }

  private addUncoded(column: number, payload: Uint8Array): FragmentOutcome {
    if (this.known[column]) return this.sameAsRow(column, this.toWords(payload)) ? 'duplicate' : 'inconsistent';
    this.known[column] = 1;
    this.knownCount++;
    if (this.trackData) this.file.set(this.toWords(payload), column * this.words);
    const ordinal = this.ordinalOf[column]!;
    return ordinal >= 0 ? this.eliminateKnownOrdinal(ordinal, column) : 'new';
  }

  private addCoded(index: number, payload: Uint8Array): FragmentOutcome {
    const columns = this.matrix.columnsForIndex(index);
    const { known, ordinalOf, file, words } = this;
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i]!;
      if (known[column] === 0 && ordinalOf[column]! < 0) this.assignOrdinal(column);
    }
    const row = new Uint32Array(this.rowWords);
    const data = this.trackData ? this.toWords(payload) : undefined;
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i]!;
      if (known[column] === 0) {
        const ordinal = ordinalOf[column]!;
        row[ordinal >>> 5]! |= 1 << (ordinal & 31);
      } else if (data) {
        // Eliminate a received column: its data is known (the hot loop of decoding).
        const base = column * words;
        for (let k = 0; k < words; k++) data[k]! ^= file[base + k]!;
      }
    }
    return this.insert(row, data, 0);
  }

  /** Reduces a row against the pivots (lowest set bit first) and stores it as a new pivot if non-zero. */
  private insert(row: Uint32Array, data: Uint32Array | undefined, startWord: number): FragmentOutcome {
    const used = (this.ordinalCount + 31) >>> 5;
    const { pivotRows, pivotData, words } = this;
    let w = startWord;
    for (;;) {
      while (w < used && row[w] === 0) w++;
      if (w === used) return data && data.some((x) => x !== 0) ? 'inconsistent' : 'redundant';
      const word = row[w]!;
      const pivot = (w << 5) + 31 - Math.clz32(word & -word);
      const pivotRow = pivotRows[pivot];
      if (pivotRow === null) {
        pivotRows[pivot] = row;
        pivotData[pivot] = data ?? null;
        this.pivotCount++;
        return 'new';
      }
      for (let k = w; k < used; k++) row[k]! ^= pivotRow![k]!;
      if (data) {
        const source = pivotData[pivot]!;
        for (let k = 0; k < words; k++) data[k]! ^= source[k]!;
      }
    }
  }

  /** An uncoded fragment arrived for a column that stored rows use: remove that column from them. */
  private eliminateKnownOrdinal(ordinal: number, column: number): FragmentOutcome {
    const w = ordinal >>> 5;
    const bit = 1 << (ordinal & 31);
    // Echelon form: only rows whose pivot is at or below this ordinal can hold its bit.
    for (let p = 0; p <= ordinal; p++) {
      const row = this.pivotRows[p];
      if (!row || (row[w]! & bit) === 0) continue;
      row[w]! ^= bit;
      const data = this.pivotData[p];
      if (data) xorWords(data, 0, this.file, column * this.words, this.words);
    }
    const displaced = this.pivotRows[ordinal];
    if (!displaced) return 'new';
    // The row led by this column lost its pivot: reduce it again (it may now be redundant).
    const data = this.pivotData[ordinal] ?? undefined;
    this.pivotRows[ordinal] = null;
    this.pivotData[ordinal] = null;
    this.pivotCount--;
    const reinserted = this.insert(displaced, data, w);
    return reinserted === 'inconsistent' ? 'inconsistent' : 'new';
  }

  private assignOrdinal(column: number): void {
    const ordinal = this.ordinalCount++;
    this.ordinalOf[column] = ordinal;
    if (ordinal >= this.columnOf.length) {
      const grown = new Int32Array(Math.min(this.nbFrag, this.columnOf.length * 2));
      grown.set(this.columnOf);
      this.columnOf = grown;
    }
    this.columnOf[ordinal] = column;
    if (ordinal >= this.rowWords * 32) this.growRows();
  }

  private growRows(): void {
    this.rowWords = Math.min((this.nbFrag + 31) >>> 5, this.rowWords * 2);
    const rows = this.pivotRows;
    for (let p = 0; p < this.ordinalCount; p++) {
      const row = rows[p];
      if (!row) continue;
      const grown = new Uint32Array(this.rowWords);
      grown.set(row);
      rows[p] = grown;
    }
  }

  /** Back-substitution (highest pivot first), then the recovered rows go to their place in the block. */
  private solve(): void {
    if (this.trackData) {
      const used = (this.ordinalCount + 31) >>> 5;
      for (let p = this.ordinalCount - 1; p >= 0; p--) {
        const row = this.pivotRows[p];
        if (!row) continue; // the column arrived uncoded later
        const data = this.pivotData[p]!;
        for (let w = p >>> 5; w < used; w++) {
          let word = row[w]!;
          if (w === p >>> 5) word &= ~((2 << (p & 31)) - 1);
          while (word !== 0) {
            const low = word & -word;
            xorWords(data, 0, this.pivotData[(w << 5) + 31 - Math.clz32(low)]!, 0, this.words);
            word ^= low;
          }
        }
        this.file.set(data, this.columnOf[p]! * this.words);
      }
    }
    this.known.fill(1);
    this.knownCount = this.nbFrag;
    this.pivotRows.fill(null);
    this.pivotData.fill(null);
  }

  /** After completion every further fragment can be checked against the decoded block. */
  private checkLate(index: number, payload: Uint8Array): FragmentOutcome {
    if (!this.trackData) return 'late';
    const words = this.toWords(payload);
    if (index <= this.nbFrag) return this.sameAsRow(index - 1, words) ? 'late' : 'inconsistent';
    for (const column of this.matrix.columnsForIndex(index)) xorWords(words, 0, this.file, column * this.words, this.words);
    return words.every((x) => x === 0) ? 'late' : 'inconsistent';
  }

  private sameAsRow(column: number, words: Uint32Array): boolean {
    if (!this.trackData) return true;
    const base = column * this.words;
    for (let k = 0; k < this.words; k++) if (this.file[base + k] !== words[k]) return false;
    return true;
  }

  private toWords(payload: Uint8Array): Uint32Array {
    const words = new Uint32Array(this.words);
    if (this.trackData) new Uint8Array(words.buffer).set(payload.subarray(0, this.fragSize));
    return words;
  }
}
