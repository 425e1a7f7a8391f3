/**
 * Behaviour cloning (ETO's first stage): LoRA fine-tuning on expert trajectories, next-token loss on the agent turns
 * only, averaged over the batch's agent tokens; AdamW with 3% linear warm-up then cosine decay, gradient-norm clip 1.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Model } from '../model.js';
import { encodeConversation, type Trajectory } from './conversation.js';
import { learningRate, microBatches, sequenceMemoryBudget, shuffled, withinMemory } from './batching.js';
import { createPolicy, type MarkedSequence, type NativeLlmPolicy } from './llm-policy.js';
import { loraTargets, type LoraTarget } from './policy.js';

export interface SftOptions {
  model: Model;
  data: Trajectory[];
  /** Checkpoint folder (adapter.gguf + state.gguf + policy.json). */
  out: string;
  /** Optimizer steps; default: `epochs` passes over the data. */
  steps?: number;
  epochs?: number;
  lr?: number;
  /** Conversations per optimizer step. */
  batch?: number;
  rank?: number;
  alpha?: number;
  targets?: LoraTarget[];
  seed?: number;
  /**
   * Device memory (bytes) one forward/backward may take by the engine's estimate: a batch beyond it runs as several,
   * accumulating the same gradient, and a conversation larger alone runs alone with layer checkpointing (the same
   * gradient, more time). Default: 2 GiB, or a quarter of the device's free memory where more.
   */
  memoryBudget?: number;
}

export interface SftProgress {
  step: number;
  steps: number;
  epoch: number;
  /** Mean negative log-likelihood per agent token of this step's batch. */
  loss: number;
  lr: number;
  tokensPerSecond: number;
}

export interface SftResult {
  steps: number;
  losses: number[];
  policy: NativeLlmPolicy;
}

export async function sft(options: SftOptions, control: { signal?: AbortSignal; onProgress?: (p: SftProgress) => void } = {}): Promise<SftResult> {
  const { model, data } = options;
  const batch = options.batch ?? 8;
  const epochs = options.epochs ?? 3;
  const lr = options.lr ?? 2e-4;
  const memoryBudget = options.memoryBudget ?? sequenceMemoryBudget(model);
  for (const [k, v] of Object.entries({ batch, epochs, lr, memoryBudget })) {
    if (!(typeof v === 'number' && v > 0)) throw new InvalidArgumentError('INVALID_ARGUMENT', `sft: ${k} must be positive, got ${v}`);
  }
  for (const t of options.targets ?? []) {
    if (!loraTargets.includes(t)) throw new InvalidArgumentError('INVALID_ARGUMENT', `unknown LoRA target "${t}" (${loraTargets.join(', ')})`);
  }
  const sequences: MarkedSequence[] = data.map((t, n) => {
    try {
      return encodeConversation(model, t.conversations);
    } catch (err) {
      throw new InvalidArgumentError('CONTEXT_OVERFLOW', `sft: trajectory ${t.id ?? n}: ${(err as Error).message}`, { cause: err });
    }
  });
  const perEpoch = Math.ceil(sequences.length / batch);
  const steps = options.steps ?? perEpoch * epochs;
  if (!Number.isInteger(steps) || steps <= 0) throw new InvalidArgumentError('INVALID_ARGUMENT', `sft: steps must be a positive integer, got ${steps}`);
  const seed = options.seed ?? 1;
  const policy = await createPolicy(model, {
    lora: { rank: options.rank ?? 8, alpha: options.alpha ?? 16, targets: options.targets ?? ['q', 'v'] },
    valueHead: false,
    seed,
  });
  const fits = withinMemory(policy, memoryBudget);
  try {
    const losses: number[] = [];
    let order: MarkedSequence[] = [];
    for (let step = 0; step < steps; step++) {
      if (control.signal?.aborted) break;
      const epoch = Math.floor(step / perEpoch);
      if (step % perEpoch === 0) order = shuffled(sequences, seed + epoch);
      const chosen = order.slice((step % perEpoch) * batch, (step % perEpoch + 1) * batch);
      const nTokens = chosen.reduce((n, s) => n + s.marked.filter((m, i) => m && i > 0).length, 0);
      const started = performance.now();
      policy.zeroGrad();
      let sum = 0;
      // gradient accumulation over packed groups that fit the memory budget
      for (const micro of microBatches(chosen, fits)) {
        const f = await policy.forwardSequences(micro, { memoryBudget });
        sum += f.logprob.reduce((a, b) => a + b, 0);
        await policy.backwardSequences(micro.map(() => -1 / nTokens));
      }
      const rate = learningRate(step, steps, lr);
      const report = await policy.step({ actor: { lr: rate, maxGradNorm: 1, weightDecay: 0 } });
      const loss = -sum / nTokens;
      losses.push(loss);
      if (report.skipped) throw new InvalidArgumentError('NAN_LOSS', `sft: non-finite gradients at step ${step + 1} (loss ${loss}); lower the learning rate`);
      const tokens = chosen.reduce((n, s) => n + s.tokens.length, 0);
      control.onProgress?.({ step: step + 1, steps, epoch, loss, lr: rate, tokensPerSecond: tokens / ((performance.now() - started) / 1000) });
    }
    await policy.save(options.out, { kind: 'sft', steps: losses.length, finalLoss: losses.at(-1) ?? null });
    return { steps: losses.length, losses, policy };
  } catch (err) {
    await policy.dispose();
    throw err;
  }
}
