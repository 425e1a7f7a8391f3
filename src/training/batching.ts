/**
 * What SFT and DPO share in scheduling their steps: a seeded shuffle per epoch, the warm-up + cosine learning rate,
 * and micro-batches that bound the memory of one forward/backward.
 */
import type { MarkedSequence, NativeLlmPolicy } from './llm-policy.js';

/** A seeded shuffle (mulberry32), so runs are repeatable. */
export function shuffled<T>(xs: readonly T[], seed: number): T[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Learning rate at `step` of `steps`: linear warm-up over the first 3% of the steps, then cosine decay to 0. */
export function learningRate(step: number, steps: number, peak: number): number {
  const warmup = Math.max(1, Math.ceil(0.03 * steps));
  if (step < warmup) return (peak * (step + 1)) / warmup;
  return 0.5 * peak * (1 + Math.cos((Math.PI * (step - warmup)) / Math.max(1, steps - warmup)));
}

/** Default device memory (bytes) one training forward+backward may take (SFT, DPO and TWOSOME's `trainMemoryBudget`). */
export const defaultMemoryBudget = 2 ** 31;

/** The micro-batch test of SFT and DPO: the policy's estimate of a training forward+backward within `budget` bytes. */
export function withinMemory(policy: NativeLlmPolicy, budget: number): (micro: readonly MarkedSequence[]) => boolean {
  return (micro) => policy.sequenceTrainingBytes(micro) <= budget;
}

/**
 * Consecutive runs of `seqs` that `fits` accepts, each holding at least one chunk (a chunk too large alone still runs
 * alone); chunks of `chunk` sequences (a DPO pair's two sides) are never split.
 */
export function* microBatches(seqs: readonly MarkedSequence[], fits: (micro: readonly MarkedSequence[]) => boolean, chunk = 1): Generator<MarkedSequence[]> {
  for (let i = 0; i < seqs.length; ) {
    const micro = seqs.slice(i, (i += chunk));
    while (i < seqs.length) {
      const next = seqs.slice(i, i + chunk);
      if (!fits([...micro, ...next])) break;
      micro.push(...next);
      i += chunk;
    }
    yield micro;
  }
}
