/**
 * Ranking of the (plan, dictionary) jobs of creation: the winner is the smallest, the first of equals in job
 * order. The plain plan is encoded last, whatever its place: it rarely wins on Cortex-M images and its raw
 * program is the largest compression of all, so it runs under the tightest limit and stops early. A job can
 * only win when it is smaller than every job before it and no larger than every job after it; that is the
 * limit it is encoded under, and a job that passes it is out. The winner is the same as in job order.
 */
import { Transform } from '../container/header.js';
import type { TransformPlan } from '../types.js';
import { candidateSize, type EncodedCandidate } from './encode-candidates.js';

export interface RankJob {
  plan: TransformPlan;
  dictSize: number;
}

export async function rankJobs<J extends RankJob>(
  jobs: readonly J[],
  encode: (job: J, limit: number) => Promise<EncodedCandidate | undefined>,
): Promise<{ job: J; encoded: EncodedCandidate } | undefined> {
  const order = jobs.map((_, i) => i);
  const plainLast = (i: number): number => (jobs[i]!.plan.transform === Transform.plain ? 1 : 0);
  order.sort((a, b) => plainLast(a) - plainLast(b) || a - b);
  const sizes = new Array<number>(jobs.length).fill(Infinity);
  const encoded = new Array<EncodedCandidate | undefined>(jobs.length);
  for (const index of order) {
    let limit = Infinity;
    for (let i = 0; i < jobs.length; i++) {
      if (i < index) limit = Math.min(limit, sizes[i]! - 1);
      else if (i > index) limit = Math.min(limit, sizes[i]!);
    }
    const result = await encode(jobs[index]!, limit);
    encoded[index] = result;
    if (result) sizes[index] = candidateSize(result);
  }
  let best = -1;
  for (let i = 0; i < jobs.length; i++) if (encoded[i] && (best < 0 || sizes[i]! < sizes[best]!)) best = i;
  return best < 0 ? undefined : { job: jobs[best]!, encoded: encoded[best]! };
}
