/**
 * What SFT and DPO share in scheduling their steps: a seeded shuffle per epoch, the warm-up + cosine learning rate,
 * and the micro-batches a step runs as: forward/backward passes within a memory budget, grouped by the cost model.
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

/** How SFT and DPO divide a step into forward/backward passes. */
export interface PassPlan {
  /** One pass over `micro`: whether it stays within the memory budget, and its relative time. */
  assess(micro: readonly MarkedSequence[]): { fits: boolean; cost: number };
}

/** SFT's and DPO's plan: the policy's estimates of a training pass (memory within `budget` bytes, and its cost model). */
export function passPlan(policy: NativeLlmPolicy, budget: number, packing: SequencePacking = {}): PassPlan {
  return {
    assess: (micro) => {
      const { bytes, cost } = policy.sequenceTrainingEstimate(micro, packing);
      return { fits: bytes <= budget, cost };
    },
  };
}

/**
 * A step's micro-batches, as indices into `seqs`: chunks of `chunk` sequences (a DPO pair's two sides, never split)
 * in order of length, each pass taking the next chunk while it fits the memory budget and costs less than a pass of
 * its own. A pass pads every sequence to its longest, so a long conversation among short ones trains alone, while
 * short ones share a pass. A chunk beyond the budget alone still runs alone.
 */
export function microBatches(seqs: readonly MarkedSequence[], plan: PassPlan, chunk = 1): number[][] {
  const chunks: number[][] = [];
  for (let i = 0; i < seqs.length; i += chunk) chunks.push(Array.from({ length: Math.min(chunk, seqs.length - i) }, (_, k) => i + k));
  const longest = (c: number[]) => Math.max(...c.map((i) => seqs[i].tokens.length));
  chunks.sort((a, b) => longest(a) - longest(b)); // stable: equal lengths keep their order
  const assess = (idx: number[]) => plan.assess(idx.map((i) => seqs[i]));
  const passes: { idx: number[]; cost: number }[] = [];
  for (const c of chunks) {
    const own = assess(c).cost;
    const last = passes.at(-1);
    if (last) {
      const idx = [...last.idx, ...c];
      const joined = assess(idx);
      if (joined.fits && joined.cost <= last.cost + own) {
        passes[passes.length - 1] = { idx, cost: joined.cost };
        continue;
      }
    }
    passes.push({ idx: c, cost: own });
  }
  return passes.map((p) => p.idx);
}
