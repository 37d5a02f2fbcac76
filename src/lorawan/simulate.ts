/**
 * Loss simulation of a fragmentation session: random (Bernoulli) or bursty (Gilbert-Elliott) loss on the
 * downlinks in transmission order, decoded as a device would. Decoding tracks the rank only (success and
 * the fragments needed depend on the rank alone); one trial can also decode the real data as a check.
 */
import { UsageError } from '../errors.js';
import { FragmentDecoder } from './decoder.js';
import { FecEncoder } from './encoder.js';
import { MAX_FRAGMENT_INDEX, ParityMatrix, type Ts004Version } from './parity.js';
import { rowsToBytes } from './rows.js';
import { equalBytes } from './reassemble.js';

export type LossModel =
  | { kind: 'random'; loss: number }
  /** Two-state Markov chain: per-downlink transition probabilities and the loss rate in each state. */
  | { kind: 'gilbert-elliott'; pGoodToBad: number; pBadToGood: number; lossGood: number; lossBad: number };

export function randomLoss(loss: number): LossModel {
  checkUnit('loss', loss);
  return { kind: 'random', loss };
}

/**
 * Bursty loss with a given mean loss rate and mean burst length (Gilbert model: every downlink in the bad
 * state is lost, none in the good state): P(bad→good) = 1/burst, P(good→bad) = loss/(burst·(1 − loss)).
 */
export function burstLoss(meanLoss: number, meanBurstLength: number): LossModel {
  checkUnit('loss', meanLoss);
  if (!(meanBurstLength >= 1)) throw new UsageError(`mean burst length must be at least 1, got ${meanBurstLength}`);
  const pBadToGood = 1 / meanBurstLength;
  const pGoodToBad = meanLoss === 0 ? 0 : (meanLoss * pBadToGood) / (1 - meanLoss);
  if (pGoodToBad > 1) throw new UsageError(`loss ${meanLoss} with bursts of ${meanBurstLength} is not reachable; use shorter bursts`);
  return { kind: 'gilbert-elliott', pGoodToBad, pBadToGood, lossGood: 0, lossBad: 1 };
}

/** Long-run loss rate of a model. */
export function meanLoss(model: LossModel): number {
  if (model.kind === 'random') return model.loss;
  const transitions = model.pGoodToBad + model.pBadToGood;
  const bad = transitions === 0 ? 0 : model.pGoodToBad / transitions;
  return (1 - bad) * model.lossGood + bad * model.lossBad;
}

function checkUnit(name: string, value: number): void {
  if (!(value >= 0 && value < 1)) throw new UsageError(`${name} must be from 0 up to (not including) 1, got ${value}`);
}

/** A small seeded generator (Weyl sequence through a 32-bit avalanche mix): uniform in [0, 1). */
export function createRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 0x1_0000_0000;
  };
}

/** Loss pattern of `count` consecutive downlinks: 1 = lost. A Gilbert-Elliott chain starts in its stationary state. */
export function lossPattern(model: LossModel, count: number, rng: () => number): Uint8Array {
  const lost = new Uint8Array(count);
  if (model.kind === 'random') {
    for (let i = 0; i < count; i++) lost[i] = rng() < model.loss ? 1 : 0;
    return lost;
  }
  const transitions = model.pGoodToBad + model.pBadToGood;
  let bad = rng() < (transitions === 0 ? 0 : model.pGoodToBad / transitions);
  for (let i = 0; i < count; i++) {
    lost[i] = rng() < (bad ? model.lossBad : model.lossGood) ? 1 : 0;
    bad = bad ? rng() >= model.pBadToGood : rng() < model.pGoodToBad;
  }
  return lost;
}

export interface SimulatedSession {
  nbFrag: number;
  version: Ts004Version;
  mode: 'fec' | 'carousel';
  /** Coded fragments sent (FEC). */
  redundancy: number;
  /** Rounds sent (carousel). */
  rounds: number;
}

export interface SimulationOptions {
  trials: number;
  loss: LossModel;
  seed?: number;
  /** Device FRAG_MAX_REDUNDANCY to emulate. */
  maxLost?: number;
  /** Confidence of the recommended redundancy (default 0.99). */
  confidence?: number;
  /** Keep sending past the plan, to measure what would have been needed: extra coded fragments (FEC; default max(R, M/2, 32)) or rounds (carousel; default 2·rounds + 2). */
  extra?: number;
  /** Decode the real data in the first trial and compare (needs the block and its fragment size). */
  verifyWith?: { data: Uint8Array; fragSize: number };
}

export interface Summary {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface SimulationResult {
  trials: number;
  /** Trials whose block completed within the planned downlinks. */
  successes: number;
  successRate: number;
  /** Trials that failed on the device's matrix limit. */
  matrixFailures: number;
  /** Observed fraction of downlinks lost. */
  observedLoss: number;
  /** FEC: distinct fragments received at completion minus M (completed trials, extra included). */
  overhead?: Summary;
  /** FEC: coded fragments sent until completion (trials that completed within the extra). */
  codedSent?: Summary;
  /** Carousel: rounds until every fragment arrived. */
  roundsNeeded?: Summary;
  /** Trials that did not complete even with the extra downlinks. */
  incomplete: number;
  /** Coded fragments (FEC) or rounds (carousel) that reach the confidence in these trials; undefined if not reached. */
  recommended?: number;
  confidence: number;
  /** Whether the first trial's real-data decode matched the input (when verifyWith was given). */
  dataVerified?: boolean;
}

export function simulateSession(session: SimulatedSession, options: SimulationOptions): SimulationResult {
  if (!Number.isInteger(options.trials) || options.trials < 1) throw new UsageError(`trials must be a positive integer, got ${options.trials}`);
  const confidence = options.confidence ?? 0.99;
  const rng = createRng(options.seed ?? 1);
  return session.mode === 'carousel' ? simulateCarousel(session, options, rng, confidence) : simulateFec(session, options, rng, confidence);
}

function simulateFec(session: SimulatedSession, options: SimulationOptions, rng: () => number, confidence: number): SimulationResult {
  const { nbFrag, redundancy, version } = session;
  const planned = nbFrag + redundancy;
  const cap = Math.min(MAX_FRAGMENT_INDEX, planned + (options.extra ?? Math.max(redundancy, Math.ceil(nbFrag / 2), 32)));
  const matrix = new ParityMatrix(nbFrag, version, { cache: true });
  const empty = new Uint8Array(0);
  const overheads: number[] = [];
  const codedSent: number[] = [];
  let successes = 0;
  let matrixFailures = 0;
  let lostTotal = 0;
  let sentTotal = 0;
  let dataVerified: boolean | undefined;
  for (let trial = 0; trial < options.trials; trial++) {
    const lost = lossPattern(options.loss, cap, rng);
    const decoder = new FragmentDecoder({ nbFrag, fragSize: 1, version, maxLost: options.maxLost, trackData: false, matrix });
    let completedAt = 0;
    for (let index = 1; index <= cap; index++) {
      if (index <= planned) {
        sentTotal++;
        lostTotal += lost[index - 1]!;
      }
      if (lost[index - 1]) continue;
      const outcome = decoder.push(index, empty);
      if (outcome === 'complete') {
        completedAt = index;
        break;
      }
      if (outcome === 'failed') break;
    }
    const stats = decoder.status();
    if (stats.state === 'failed') matrixFailures++;
    if (completedAt > 0) {
      overheads.push(stats.neededAtCompletion! - nbFrag);
      codedSent.push(Math.max(0, completedAt - nbFrag));
      if (completedAt <= planned) successes++;
    }
    if (trial === 0 && options.verifyWith) dataVerified = verifyRealDecode(session, options, lost, planned);
  }
  const incomplete = options.trials - codedSent.length;
  return {
    trials: options.trials,
    successes,
    successRate: successes / options.trials,
    matrixFailures,
    observedLoss: sentTotal ? lostTotal / sentTotal : 0,
    ...(overheads.length ? { overhead: summarize(overheads), codedSent: summarize(codedSent) } : {}),
    incomplete,
    ...recommendation(codedSent, options.trials, confidence),
    confidence,
    ...(dataVerified !== undefined ? { dataVerified } : {}),
  };
}

/** Decodes the planned downlinks with real payloads under one loss pattern; true when the outcome is right. */
function verifyRealDecode(session: SimulatedSession, options: SimulationOptions, lost: Uint8Array, planned: number): boolean {
  const { data, fragSize } = options.verifyWith!;
  const encoder = new FecEncoder(data, fragSize, session.version);
  const decoder = new FragmentDecoder({ nbFrag: session.nbFrag, fragSize, version: session.version, maxLost: options.maxLost });
  for (let index = 1; index <= planned; index++) if (!lost[index - 1]) decoder.push(index, encoder.fragment(index));
  if (!decoder.isComplete) return decoder.status().inconsistent === 0;
  return equalBytes(rowsToBytes(decoder.blockRows(), fragSize, data.length), data);
}

function simulateCarousel(session: SimulatedSession, options: SimulationOptions, rng: () => number, confidence: number): SimulationResult {
  const { nbFrag, rounds } = session;
  const capRounds = rounds + (options.extra ?? rounds + 2);
  const roundsNeeded: number[] = [];
  let successes = 0;
  let lostTotal = 0;
  for (let trial = 0; trial < options.trials; trial++) {
    const lost = lossPattern(options.loss, capRounds * nbFrag, rng);
    for (let i = 0; i < rounds * nbFrag; i++) lostTotal += lost[i]!;
    const received = new Uint8Array(nbFrag);
    let missing = nbFrag;
    for (let round = 1; round <= capRounds && missing > 0; round++) {
      for (let i = 0; i < nbFrag; i++) {
        if (!lost[(round - 1) * nbFrag + i] && !received[i]) {
          received[i] = 1;
          missing--;
        }
      }
      if (missing === 0) {
        roundsNeeded.push(round);
        if (round <= rounds) successes++;
      }
    }
  }
  return {
    trials: options.trials,
    successes,
    successRate: successes / options.trials,
    matrixFailures: 0,
    observedLoss: lostTotal / (options.trials * rounds * nbFrag),
    ...(roundsNeeded.length ? { roundsNeeded: summarize(roundsNeeded) } : {}),
    incomplete: options.trials - roundsNeeded.length,
    ...recommendation(roundsNeeded, options.trials, confidence),
    confidence,
  };
}

/** The value reached by `confidence` of all trials (incomplete trials count as never reaching it). */
function recommendation(values: number[], trials: number, confidence: number): { recommended?: number } {
  const rank = Math.ceil(confidence * trials);
  if (rank > values.length) return {};
  const sorted = [...values].sort((a, b) => a - b);
  return { recommended: sorted[rank - 1]! };
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { mean: sorted.reduce((s, v) => s + v, 0) / sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1]! };
}
