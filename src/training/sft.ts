/**
 * Behaviour cloning (ETO's first stage): LoRA fine-tuning on expert trajectories, next-token loss on the agent turns
 * only, averaged over the batch's agent tokens; AdamW with 3% linear warm-up then cosine decay, gradient-norm clip 1.
 *
 * The output folder is the policy (adapter.gguf, state.gguf, policy.json) plus `metrics.jsonl`, one line per step.
 * It is rewritten as a whole every `checkpointEvery` steps, at the end and when stopped, and a stopped or crashed run
 * resumes from it to the result an uninterrupted run gives (the state holds the AdamW moments and the step).
 */
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { Model } from '../model.js';
import { checkSameRun, fingerprint, keepJsonLines } from '../train/files.js';
import { encodeConversation, type Trajectory } from './conversation.js';
import { learningRate, microBatches, passPlan, sequenceMemoryBudget, shuffled } from './batching.js';
import { createPolicy, loadPolicy, type MarkedSequence, type NativeLlmPolicy } from './llm-policy.js';
import { loraTargets, type LoraTarget } from './policy.js';

export interface SftOptions {
  model: Model;
  data: Trajectory[];
  /** Checkpoint folder (adapter.gguf + state.gguf + policy.json, and metrics.jsonl). */
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
  /** Rewrite the checkpoint folder every this many steps (default 50); it is also written at the end and when stopped. */
  checkpointEvery?: number;
  /** Continue the run whose checkpoint is in `out`, with the data and options it was started with. */
  resume?: boolean;
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
  /** Steps done (before a resume too). */
  steps: number;
  /** The loss of every step done. */
  losses: number[];
  /** True when the signal stopped the run before its last step (the checkpoint holds the steps done). */
  stopped: boolean;
  policy: NativeLlmPolicy;
}

/** What a resumed run must share with the run it continues (the memory budget and checkpoint interval may change). */
interface SftRun {
  data: string;
  steps: number;
  batch: number;
  lr: number;
  rank: number;
  alpha: number;
  targets: LoraTarget[];
  seed: number;
  chatTemplate: string;
}

const METRICS = 'metrics.jsonl';

function checkpointMeta(run: SftRun, step: number, finalLoss: number | null): Record<string, unknown> {
  return { kind: 'sft', step, finalLoss, run };
}

export async function sft(options: SftOptions, control: { signal?: AbortSignal; onProgress?: (p: SftProgress) => void } = {}): Promise<SftResult> {
  const { model, data, out } = options;
  const batch = options.batch ?? 8;
  const epochs = options.epochs ?? 3;
  const lr = options.lr ?? 2e-4;
  const memoryBudget = options.memoryBudget ?? sequenceMemoryBudget(model);
  const checkpointEvery = options.checkpointEvery ?? 50;
  for (const [k, v] of Object.entries({ batch, epochs, lr, memoryBudget, checkpointEvery })) {
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
  const run: SftRun = {
    data: fingerprint(data.map((t) => [t.id, t.conversations])),
    steps,
    batch,
    lr,
    rank: options.rank ?? 8,
    alpha: options.alpha ?? 16,
    targets: options.targets ?? ['q', 'v'],
    seed,
    chatTemplate: model.chatTemplate.id,
  };
  const { policy, done, losses } = options.resume ? await resumeRun(model, out, run) : await startRun(model, out, run);
  let at = done; // steps done
  const save = () => policy.save(out, checkpointMeta(run, at, losses.at(-1) ?? null), { carry: [METRICS] });
  try {
    let order: MarkedSequence[] = [];
    for (let step = done; step < steps; step++) {
      if (control.signal?.aborted) break;
      const epoch = Math.floor(step / perEpoch);
      if (step % perEpoch === 0 || order.length === 0) order = shuffled(sequences, seed + epoch);
      const chosen = order.slice((step % perEpoch) * batch, (step % perEpoch + 1) * batch);
      const started = performance.now();
      const rate = learningRate(step, steps, lr);
      const { loss, skipped } = await sftStep(policy, chosen, rate, memoryBudget);
      if (skipped) throw new InvalidArgumentError('NAN_LOSS', `sft: non-finite gradients at step ${step + 1} (loss ${loss}); lower the learning rate`);
      losses.push(loss);
      at = step + 1;
      const tokens = chosen.reduce((n, s) => n + s.tokens.length, 0);
      const progress: SftProgress = { step: step + 1, steps, epoch, loss, lr: rate, tokensPerSecond: tokens / ((performance.now() - started) / 1000) };
      appendFileSync(join(out, METRICS), `${JSON.stringify(progress)}\n`);
      control.onProgress?.(progress);
      if (at % checkpointEvery === 0 && at < steps) await save();
    }
    await save();
    return { steps: at, losses, stopped: at < steps, policy };
  } catch (err) {
    await policy.dispose();
    throw err;
  }
}

/** A new run in `out`: refused where a policy folder is already (resume it, or choose another). */
/**
 * One behaviour-cloning step on `batch`: the mean negative log-likelihood of its marked tokens (the loss it returns),
 * its gradient accumulated over micro-batches that fit `memoryBudget` (see microBatches), then AdamW at `lr` with the gradient norm
 * clipped to 1 (skipped, and said so, when the gradients are not finite).
 */
export async function sftStep(policy: NativeLlmPolicy, batch: readonly MarkedSequence[], lr: number, memoryBudget: number): Promise<{ loss: number; skipped: boolean }> {
  const nTokens = batch.reduce((n, s) => n + s.marked.filter((m, i) => m && i > 0).length, 0);
  policy.zeroGrad();
  let sum = 0;
  for (const idx of microBatches(batch, passPlan(policy, memoryBudget))) {
    const micro = idx.map((i) => batch[i]);
    const f = await policy.forwardSequences(micro, { memoryBudget });
    sum += f.logprob.reduce((a, b) => a + b, 0);
    await policy.backwardSequences(micro.map(() => -1 / nTokens));
  }
  const report = await policy.step({ actor: { lr, maxGradNorm: 1, weightDecay: 0 } });
  return { loss: -sum / nTokens, skipped: report.skipped };
}

async function startRun(model: Model, out: string, run: SftRun): Promise<{ policy: NativeLlmPolicy; done: number; losses: number[] }> {
  if (existsSync(join(out, 'policy.json'))) throw new InvalidArgumentError('RUN_EXISTS', `sft: ${out} already holds a policy (continue its run with --resume, or choose another --out)`);
  const policy = await createPolicy(model, { lora: { rank: run.rank, alpha: run.alpha, targets: run.targets }, valueHead: false, seed: run.seed });
  try {
    await policy.save(out, checkpointMeta(run, 0, null)); // the folder exists from the start, for the metrics
    writeFileSync(join(out, METRICS), '');
    return { policy, done: 0, losses: [] };
  } catch (err) {
    await policy.dispose();
    throw err;
  }
}

/** The run in `out` at its checkpoint: the same run (else CONFIG_MISMATCH), its log cut back to the checkpoint's step. */
async function resumeRun(model: Model, out: string, run: SftRun): Promise<{ policy: NativeLlmPolicy; done: number; losses: number[] }> {
  if (!existsSync(join(out, 'policy.json'))) throw new InvalidArgumentError('NO_RUN', `sft: nothing to resume in ${out}`);
  const { policy, meta } = await loadPolicy(model, out);
  try {
    if (meta.kind !== 'sft' || typeof meta.step !== 'number') throw new InvalidArgumentError('NO_RUN', `sft: ${out} holds no sft run to resume`);
    checkSameRun('sft', out, meta.run as Record<string, unknown>, { ...run }, 'data and options');
    const done = meta.step;
    // the steps after the checkpoint are done again
    const lines = keepJsonLines<SftProgress>(join(out, METRICS), (p) => p.step <= done);
    return { policy, done, losses: lines.map((p) => p.loss) };
  } catch (err) {
    await policy.dispose();
    throw err;
  }
}
