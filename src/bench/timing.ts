/** Interleaved median timing, shared by `rl-ggml bench` and the repository's benchmark scripts (bench/). */

/** Where a measurement stands, for progress lines. */
export interface TimingProgress {
  phase: 'warm-up' | 'measure';
  /** Rounds completed so far (0 during the warm-up). */
  rounds: number;
  /** Seconds spent measuring so far (0 during the warm-up). */
  seconds: number;
}

/**
 * Seconds per call of each function, measured in interleaved rounds (a, b, c, a, b, c, ...) for at least `minSeconds`
 * and `minRounds`, summarized by the median, so that load from other processes hits every side alike. Each function
 * runs once first as a warm-up (not counted). `onProgress` hears of the warm-up, of the start of the measurement (round 0) and of every completed round.
 */
export async function timeInterleaved(
  minSeconds: number,
  fns: (() => Promise<void>)[],
  minRounds = 5,
  onProgress?: (p: TimingProgress) => void,
): Promise<number[]> {
  onProgress?.({ phase: 'warm-up', rounds: 0, seconds: 0 });
  for (const fn of fns) await fn(); // warm-up
  const samples: number[][] = fns.map(() => []);
  const start = performance.now();
  onProgress?.({ phase: 'measure', rounds: 0, seconds: 0 });
  while (performance.now() - start < minSeconds * 1000 || samples[0].length < minRounds) {
    for (const [i, fn] of fns.entries()) {
      const t0 = performance.now();
      await fn();
      samples[i].push((performance.now() - t0) / 1000);
    }
    onProgress?.({ phase: 'measure', rounds: samples[0].length, seconds: (performance.now() - start) / 1000 });
  }
  return samples.map((xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
}
