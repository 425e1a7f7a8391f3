/**
 * What SFT and DPO share in scheduling their steps: a seeded shuffle per epoch, the warm-up + cosine learning rate,
 * and micro-batches that bound the memory of one forward/backward.
 */
import type { Model } from '../model.js';
import { Rng } from '../train/rng.js';
import type { MarkedSequence, NativeLlmPolicy, SequencePacking } from './llm-policy.js';

/** A seeded shuffle, so runs are repeatable. */
export function shuffled<T>(xs: readonly T[], seed: number): T[] {
  return new Rng(seed).permutation(xs.length).map((i) => xs[i]);
}

/** Learning rate at `step` of `steps`: linear warm-up over the first 3% of the steps, then cosine decay to 0. */
export function learningRate(step: number, steps: number, peak: number): number {
  const warmup = Math.max(1, Math.ceil(0.03 * steps));
  if (step < warmup) return (peak * (step + 1)) / warmup;
  return 0.5 * peak * (1 + Math.cos((Math.PI * (step - warmup)) / Math.max(1, steps - warmup)));
}

/** Device memory (bytes) one training forward+backward may take: TWOSOME's `trainMemoryBudget`, and SFT's and DPO's least. */
export const defaultMemoryBudget = 2 ** 31;

/**
 * SFT's and DPO's default memory budget on `model`'s device: 2 GiB, or a quarter of the memory free there now where
 * that is more. Beyond the budget a conversation recomputes its layers in the backward pass (slower), so a large
 * GPU keeps every activation while a small one still fits long conversations.
 */
export function sequenceMemoryBudget(model: Model): number {
  return Math.max(defaultMemoryBudget, model.deviceMemory().free / 4);
}

/** The micro-batch test of SFT and DPO: the policy's estimate of a training forward+backward within `budget` bytes. */
export function withinMemory(policy: NativeLlmPolicy, budget: number, packing: SequencePacking = {}): (micro: readonly MarkedSequence[]) => boolean {
  return (micro) => policy.sequenceTrainingBytes(micro, packing) <= budget;
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
