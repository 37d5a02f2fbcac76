/** Redundancy planning, device limits, carousel mode and loss simulation. */
import { describe, expect, it } from 'vitest';
import {
  burstLoss,
  carouselRounds,
  createRng,
  fragmentFile,
  lossPattern,
  lostQuantile,
  meanLoss,
  normalQuantile,
  planRedundancy,
  randomLoss,
  reassemble,
  simulateSession,
  dataBlockMic,
  toHex,
  type FragmentOptions,
} from '../../src/lorawan/index.js';
import { UsageError } from '../../src/errors.js';

const bytes = (n: number, seed = 1): Uint8Array => {
  const rng = createRng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
};

describe('planning rule', () => {
  it('uses the one-sided normal quantile (0.99 → 2.326)', () => {
    expect(normalQuantile(0.99)).toBeCloseTo(2.3263, 3);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 5);
  });

  it('matches the coded fragments the reference measured at p99 (section 2.6)', () => {
    // [M, loss, measured p99 of coded fragments sent: low and high end over the reference's runs]
    const measured: [number, number, number, number][] = [
      [21, 0.1, 11, 14],
      [21, 0.3, 21, 24],
      [100, 0.1, 29, 29],
      [100, 0.3, 65, 68],
      [500, 0.1, 79, 79],
      [500, 0.3, 256, 257],
      [1000, 0.1, 128, 128],
      [1000, 0.3, 482, 502],
    ];
    for (const [m, loss, low, high] of measured) {
      const planned = planRedundancy(m, loss, 0.99);
      // At or above every measured p99, except M = 1000 at 30 % where the runs spread 482–502 (rule: 499).
      expect(planned, `M=${m} loss=${loss}`).toBeGreaterThanOrEqual(Math.max(low, high - 0.005 * m));
    }
  });

  it('is the smallest total meeting (1−p)T − z·sqrt(p(1−p)T) ≥ M + 8', () => {
    const z = normalQuantile(0.95);
    for (const [m, p] of [[50, 0.2], [777, 0.05], [3000, 0.4]] as const) {
      const t = m + planRedundancy(m, p, 0.95);
      const ok = (x: number): boolean => (1 - p) * x - z * Math.sqrt(p * (1 - p) * x) >= m + 8;
      expect(ok(t)).toBe(true);
      expect(ok(t - 1)).toBe(false);
    }
  });

  it('checked by simulation: the plan reaches its confidence under independent loss (v1 and v2)', () => {
    for (const version of [1, 2] as const) {
      for (const [m, loss] of [[60, 0.2], [300, 0.3]] as const) {
        const redundancy = planRedundancy(m, loss, 0.99);
        const r = simulateSession({ nbFrag: m, version, mode: 'fec', redundancy, rounds: 1 }, { trials: 150, loss: randomLoss(loss), seed: 42 });
        expect(r.successRate, `v${version} M=${m} loss=${loss}`).toBeGreaterThanOrEqual(0.97);
        expect(r.recommended!).toBeLessThanOrEqual(redundancy + 5);
      }
    }
  });

  it('carousel rounds: every fragment at least once with the confidence', () => {
    expect(carouselRounds(100, 0.3, 0.99)).toBe(8);
    expect(carouselRounds(100, 0, 0.99)).toBe(1);
    const r = simulateSession({ nbFrag: 100, version: 1, mode: 'carousel', redundancy: 0, rounds: 8 }, { trials: 300, loss: randomLoss(0.3), seed: 3 });
    expect(r.successRate).toBeGreaterThanOrEqual(0.97);
    expect(r.roundsNeeded!.max).toBeGreaterThan(r.roundsNeeded!.p50);
  });

  it('lost-fragment quantile for the device check', () => {
    expect(lostQuantile(1000, 0.1, 0.99)).toBe(Math.ceil(100 + normalQuantile(0.99) * Math.sqrt(90)));
  });
});

describe('loss models', () => {
  it('Gilbert-Elliott from mean loss and burst length: long-run loss and bursts as asked', () => {
    const model = burstLoss(0.2, 5);
    expect(meanLoss(model)).toBeCloseTo(0.2, 10);
    const lost = lossPattern(model, 400_000, createRng(9));
    const rate = lost.reduce((s, x) => s + x, 0) / lost.length;
    let bursts = 0;
    for (let i = 0; i < lost.length; i++) if (lost[i] && !lost[i - 1]) bursts++;
    expect(rate).toBeCloseTo(0.2, 2);
    expect(rate * lost.length / bursts).toBeCloseTo(5, 0);
  });

  it('bursty loss needs more redundancy than the independent-loss plan', () => {
    const m = 200;
    const redundancy = planRedundancy(m, 0.2, 0.99);
    const session = { nbFrag: m, version: 2 as const, mode: 'fec' as const, redundancy, rounds: 1 };
    const random = simulateSession(session, { trials: 100, loss: randomLoss(0.2), seed: 5 });
    const bursty = simulateSession(session, { trials: 100, loss: burstLoss(0.2, 20), seed: 5 });
    expect(bursty.successRate).toBeLessThan(random.successRate);
    expect(bursty.codedSent!.p90).toBeGreaterThan(random.codedSent!.p90);
  });

  it('the same seed gives the same simulation', () => {
    const session = { nbFrag: 80, version: 1 as const, mode: 'fec' as const, redundancy: 30, rounds: 1 };
    const a = simulateSession(session, { trials: 20, loss: randomLoss(0.25), seed: 77 });
    const b = simulateSession(session, { trials: 20, loss: randomLoss(0.25), seed: 77 });
    expect(a).toEqual(b);
  });

  it('checks the real data in one trial when asked', () => {
    const data = bytes(5000);
    const session = fragmentFile(data, { fragSize: 50, loss: 0.2 });
    const r = simulateSession(session.params, { trials: 3, loss: randomLoss(0.2), verifyWith: { data, fragSize: 50 } });
    expect(r.dataVerified).toBe(true);
  });
});

describe('fragmentFile', () => {
  const data = bytes(30_000);
  const usage = (options: FragmentOptions): string => {
    try {
      fragmentFile(data, options);
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message;
    }
    throw new Error('expected a usage error');
  };

  it('takes the fragment size from the data rate (N − 3) and plans redundancy from loss', () => {
    const s = fragmentFile(data, { region: 'EU868', dr: 5, loss: 0.2 });
    expect(s.params).toMatchObject({ fragSize: 239, nbFrag: 126, padding: 126 * 239 - 30_000, redundancy: planRedundancy(126, 0.2, 0.99), version: 1 });
    expect(toHex(s.setup)).toBe(`02007e00ef00${(126 * 239 - 30_000).toString(16)}00000000`);
    expect(s.fragments.length).toBe(126 + s.params.redundancy);
    expect(s.fragments[0]!.command.subarray(0, 3)).toEqual(Uint8Array.of(0x08, 0x01, 0x00));
  });

  it('its params feed reassemble directly: 20 % dropped at random still gives the data back', () => {
    const s = fragmentFile(data, { region: 'EU868', dr: 3, loss: 0.2 });
    const rng = createRng(2024);
    const result = reassemble(s.fragments.filter(() => rng() >= 0.2), s.params);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.data).toEqual(data);
  });

  it('redundancy as a percentage rounds up; a count is taken as is', () => {
    expect(fragmentFile(data, { fragSize: 100, redundancy: { percent: 10 } }).params.redundancy).toBe(30);
    expect(fragmentFile(data, { fragSize: 100, redundancy: { percent: 3.5 } }).params.redundancy).toBe(Math.ceil(300 * 0.035));
    expect(fragmentFile(data, { fragSize: 100, redundancy: 7 }).params.redundancy).toBe(7);
  });

  it('v2: 17-byte setup with SessionCnt and the data-block MIC', () => {
    const key = Uint8Array.from({ length: 16 }, (_, i) => i);
    const s = fragmentFile(data, { fragSize: 200, version: 2, genAppKey: key, sessionCnt: 9, fragIndex: 2, descriptor: Uint8Array.of(1, 2, 3, 4) });
    expect(s.setup.length).toBe(17);
    const mic = dataBlockMic(key, { sessionCnt: 9, fragIndex: 2, descriptor: Uint8Array.of(1, 2, 3, 4), data });
    expect(s.setup.subarray(13)).toEqual(mic);
    expect(s.setup.subarray(11, 13)).toEqual(Uint8Array.of(9, 0));
    expect(s.fragments[0]!.command[2]! >> 6).toBe(2);
    expect(fragmentFile(data, { fragSize: 200, version: 2 }).warnings.join()).toMatch(/zero MIC/);
  });

  it('carousel: every uncoded fragment, rounds times, no coded ones', () => {
    const s = fragmentFile(data, { fragSize: 239, mode: 'carousel', rounds: 3 });
    expect(s.fragments.length).toBe(3 * 126);
    expect(s.fragments.every((f) => !f.coded)).toBe(true);
    expect(s.fragments[126]).toMatchObject({ index: 1, round: 2 });
    expect(fragmentFile(data, { fragSize: 239, mode: 'carousel', loss: 0.3 }).params.rounds).toBe(carouselRounds(126, 0.3, 0.99));
  });

  it('refuses sessions a device cannot take, saying which limit and what to change', () => {
    expect(usage({ region: 'EU868', dr: 5, fragSize: 240 })).toMatch(/maximum is 239 .*--frag-size 239 or less/);
    expect(usage({ region: 'EU868', dr: 5, fragSize: 200, device: { maxFragSize: 100 } })).toMatch(/device's limit of 100 bytes \(--device-max-frag-size\); use --frag-size 100/);
    expect(usage({ fragSize: 40, device: { maxFrags: 200 } })).toMatch(/at most 200 \(--device-max-frags\); use --frag-size 150 or more/);
    expect(usage({ region: 'EU868', dr: 0, device: { maxFrags: 200 } })).toMatch(/--device-max-frags.*a faster --dr allowing 150-byte fragments/);
    expect(usage({ region: 'EU868', dr: 5, device: { maxFrags: 100 } })).toMatch(/--device-max-frags.*FRAG_MAX_NB/);
    expect(usage({ region: 'EU868', dr: 0, loss: 0.3, device: { maxLost: 50 } })).toMatch(/recovers at most 50 \(--device-max-lost\)/);
    expect(usage({ fragSize: 2, redundancy: 5000 })).toMatch(/14-bit index limit/);
    expect(usage({ region: 'AS923', dr: 0, dwellTime: true })).toMatch(/cannot carry a downlink frame with downlink dwell time/);
    expect(() => fragmentFile(bytes(10), { fragSize: 50 })).toThrow(/fits in one fragment/);
  });

  it('the device frame limit picks the fragment size when none is given', () => {
    const s = fragmentFile(data, { region: 'EU868', dr: 5, device: { maxFragSize: 50, maxFrags: 1000, maxLost: 300 }, loss: 0.2 });
    expect(s.params.fragSize).toBe(50);
    expect(s.params.nbFrag).toBe(600);
  });
});
