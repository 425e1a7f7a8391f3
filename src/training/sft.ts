/**
 * Behaviour cloning (ETO's first stage): LoRA fine-tuning on expert trajectories, next-token loss on the agent turns
 * only, averaged over the batch's agent tokens; AdamW with 3% linear warm-up then cosine decay, gradient-norm clip 1.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Model } from '../model.js';
import { encodeConversation, type Trajectory } from './conversation.js';
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
  /** Most packed tokens per forward/backward (larger batches accumulate gradients over several). */
  microBatchTokens?: number;
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

/** A seeded shuffle (mulberry32), so runs are repeatable. */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
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

export function learningRate(step: number, steps: number, peak: number): number {
  const warmup = Math.max(1, Math.ceil(0.03 * steps));
  if (step < warmup) return (peak * (step + 1)) / warmup;
  return 0.5 * peak * (1 + Math.cos((Math.PI * (step - warmup)) / Math.max(1, steps - warmup)));
}

export async function sft(options: SftOptions, control: { signal?: AbortSignal; onProgress?: (p: SftProgress) => void } = {}): Promise<SftResult> {
  const { model, data } = options;
  const batch = options.batch ?? 8;
  const epochs = options.epochs ?? 3;
  const lr = options.lr ?? 2e-4;
  const microTokens = options.microBatchTokens ?? 4096;
  for (const [k, v] of Object.entries({ batch, epochs, lr, microTokens })) {
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
      // micro-batches: gradient accumulation over packed groups that fit `microTokens`
      for (let i = 0; i < chosen.length; ) {
        const micro = [chosen[i++]];
        while (i < chosen.length && Math.max(...[...micro, chosen[i]].map((s) => s.tokens.length)) * (micro.length + 1) <= microTokens) micro.push(chosen[i++]);
        const f = await policy.forwardSequences(micro);
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
