/** Pieces the model benchmarks share: the default benchmark model, ETO's training workloads and their steps, and interleaved timing. */
import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import yargs, { type Options } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { householdExperts } from '../src/bench/eto-workload.js';
import { makeModel } from '../src/make-model.js';
import type { Model } from '../src/model.js';
import { conversationTokens, OPENING_TURNS, type Turn } from '../src/training/conversation.js';
import { createPolicy, type MarkedSequence } from '../src/training/llm-policy.js';
import { timeInterleaved } from '../src/bench/timing.js';

export { timeInterleaved };

/**
 * The command line of a model benchmark: --model, --threads, --min-seconds (default `minSeconds`) and --json, plus
 * the benchmark's `own` options.
 */
export function benchArgs<O extends { [key: string]: Options }>(own: O, minSeconds = 5) {
  return yargs(hideBin(process.argv))
    .option('model', { type: 'string', describe: 'GGUF to benchmark (default: a generated q4_0 model, 8 layers x 1024)' })
    .option('threads', { type: 'number', default: availableParallelism() })
    .options(own)
    .option('min-seconds', { type: 'number', default: minSeconds, describe: 'time each measurement for at least this long' })
    .option('json', { type: 'boolean', default: false })
    .strict()
    .parseSync();
}

/**
 * `model` when given, else a generated q4_0 model with LLaMA proportions (ff ≈ 2.7 × embd, 32000-token head) at a
 * size a 2-core CPU runs in seconds (8 layers × 1024), made once into bench/.models.
 */
export async function benchModel(model: string | undefined): Promise<string> {
  if (model) return model;
  mkdirSync(join('bench', '.models'), { recursive: true });
  const path = join('bench', '.models', 'score-q4_0-8x1024.gguf');
  if (!existsSync(path)) await makeModel({ out: path, type: 'q4_0', layers: 8, embd: 1024, heads: 16, kvHeads: 16, ff: 2816 });
  return path;
}

/**
 * ETO's two training shapes with household conversations, `n` of each:
 * - sft: expert conversations of different tasks (they open with the same instruction);
 * - dpo: pairs of a task's expert conversation and a failed one (the task's opening, then another task's replies
 *   answered "Nothing happens."), which share the task's opening; `shareWithin: 2` as DPO packs them.
 */
export function etoWorkloads(model: Model, n: number): { name: 'sft' | 'dpo'; seqs: MarkedSequence[]; shareWithin: number }[] {
  const convs = householdExperts(2 * n);
  const sft = convs.slice(0, n).map((c) => conversationTokens(model, c));
  const dpo = convs.slice(0, n).flatMap((c, k) => {
    const other = convs[n + k].slice(OPENING_TURNS).map((t): Turn => (t.from === 'gpt' ? t : { from: 'human', value: 'Observation: Nothing happens.' }));
    return [conversationTokens(model, c, OPENING_TURNS), conversationTokens(model, [...c.slice(0, OPENING_TURNS), ...other], OPENING_TURNS)];
  });
  return [
    { name: 'sft', seqs: sft, shareWithin: Infinity },
    { name: 'dpo', seqs: dpo, shareWithin: 2 },
  ];
}

/** A training step's forward/backward passes (each a list of sequences, packed with `shareWithin`). */
export interface StepPlan {
  passes: MarkedSequence[][];
  shareWithin: number;
}

/**
 * Several ways of running one forward + backward + AdamW step, each on its own policy (LoRA r 8 on q, v), timed in
 * interleaved rounds (3 at least): seconds per step and the compute memory each took.
 */
export async function compareSteps(model: Model, minSeconds: number, plans: StepPlan[]): Promise<{ seconds: number[]; computeMiB: number[] }> {
  const policies = await Promise.all(plans.map(() => createPolicy(model, { lora: { rank: 8, alpha: 16, targets: ['q', 'v'] }, valueHead: false })));
  try {
    const steps = plans.map(({ passes, shareWithin }, i) => async () => {
      const policy = policies[i];
      policy.zeroGrad();
      for (const pass of passes) {
        await policy.forwardSequences(pass, { shareWithin });
        await policy.backwardSequences(pass.map(() => -1));
      }
      await policy.step({ actor: { lr: 1e-6, maxGradNorm: 1 } });
    });
    const seconds = await timeInterleaved(minSeconds, steps, 3);
    return { seconds, computeMiB: policies.map((p) => p.memoryUsage().compute / 2 ** 20) };
  } finally {
    for (const p of policies) await p.dispose();
  }
}
