/**
 * ETO's contrastive stage: failure/success trajectory pairs and DPO on them.
 *
 * A pair shares the expert's opening turns (instruction, "OK", task), and in step-wise exploration also the expert's
 * replies that were replayed, and continues with the chosen (higher-reward) and rejected (lower-reward) agent turns. DPO's sigmoid loss on a pair, with summed log-probs of the agent tokens
 * after the opening turns under the policy (π) and the reference (the policy at the start of the stage, ρ):
 *   z = β·[(π_c − ρ_c) − (π_r − ρ_r)],  loss = −log σ(z),  ∂loss/∂π_c = −β·σ(−z) = −∂loss/∂π_r.
 * The reference log-probs are computed once per stage (the reference code recomputes them every batch).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { Model } from '../model.js';
import { checkSameRun, fingerprint } from '../train/files.js';
import { conversationTokens, OPENING_TURNS, type Trajectory, type Turn } from './conversation.js';
import type { MarkedSequence, NativeLlmPolicy } from './llm-policy.js';
import { learningRate, microBatches, passPlan, sequenceMemoryBudget, shuffled, type PassPlan } from './batching.js';

export interface TrajectoryPair {
  id: string;
  prompt: Turn[];
  chosen: Turn[];
  rejected: Turn[];
  chosenReward: number;
  rejectedReward: number;
}

export interface PairOptions {
  /**
   * Rejected trajectories longer than the expert's by more than this many rounds (reply + observation) are cut there
   * (ETO does so with 5 in partial-reward environments); null: never cut. A function gives it per task id.
   */
  cutRounds?: number | null | ((id: string) => number | null);
}

/**
 * ETO's pairs: each explored trajectory against the expert trajectory of the same task (same id); the higher reward is
 * chosen, equal rewards (both successes included) give no pair. Expert trajectories without a reward count as 1.
 * An explored trajectory that replayed the expert's first `forced` replies (step-wise exploration) is paired with the
 * expert's continuation from there; the pair's prompt then also holds the replayed rounds, as the agent saw them.
 */
export function makePairs(experts: readonly Trajectory[], explored: readonly (Trajectory & { forced?: number })[], options: PairOptions = {}): TrajectoryPair[] {
  const byId = new Map(experts.map((t) => [t.id, t]));
  const pairs: TrajectoryPair[] = [];
  for (const ex of explored) {
    const expert = byId.get(ex.id);
    if (!expert) throw new InvalidArgumentError('BAD_DATA', `explored trajectory "${ex.id}" has no expert trajectory of the same task`);
    const expertReward = expert.reward ?? 1;
    const exploredReward = ex.reward ?? 0;
    if (expertReward === exploredReward) continue;
    const start = OPENING_TURNS + 2 * (ex.forced ?? 0); // each replayed round: the expert's reply and its observation
    const expertTurns = agentPart(expert.conversations, start, Infinity);
    const cut = typeof options.cutRounds === 'function' ? options.cutRounds(ex.id) : options.cutRounds;
    const exploredTurns = agentPart(ex.conversations, start, cut == null ? Infinity : rounds(expertTurns) + cut);
    if (rounds(expertTurns) === 0 || rounds(exploredTurns) === 0) continue;
    const expertWins = expertReward > exploredReward;
    pairs.push({
      id: ex.id,
      prompt: [...expert.conversations.slice(0, OPENING_TURNS), ...ex.conversations.slice(OPENING_TURNS, start)],
      chosen: expertWins ? expertTurns : exploredTurns,
      rejected: expertWins ? exploredTurns : expertTurns,
      chosenReward: Math.max(expertReward, exploredReward),
      rejectedReward: Math.min(expertReward, exploredReward),
    });
  }
  return pairs;
}

/** Agent replies among turns. */
function rounds(turns: readonly Turn[]): number {
  return turns.filter((t) => t.from === 'gpt').length;
}

/** The turns from `start` on, up to `maxRounds` replies, without a trailing observation (nothing learns from it). */
function agentPart(conversation: readonly Turn[], start: number, maxRounds: number): Turn[] {
  const out: Turn[] = [];
  let replies = 0;
  for (const turn of conversation.slice(start)) {
    if (turn.from === 'gpt' && ++replies > maxRounds) break;
    out.push(turn);
  }
  while (out.at(-1)?.from === 'human') out.pop();
  return out;
}

/** DPO's loss on one pair and its derivatives with respect to the policy's summed log-probs. */
export function dpoLoss(
  policy: { chosen: number; rejected: number },
  reference: { chosen: number; rejected: number },
  beta: number,
): { loss: number; dChosen: number; dRejected: number; margin: number } {
  const margin = beta * (policy.chosen - reference.chosen - (policy.rejected - reference.rejected));
  // −log σ(z) = softplus(−z), written to stay finite for large |z|
  const loss = margin > 0 ? Math.log1p(Math.exp(-margin)) : -margin + Math.log1p(Math.exp(margin));
  const s = 1 / (1 + Math.exp(margin)); // σ(−z)
  return { loss, dChosen: -beta * s, dRejected: beta * s, margin };
}

export interface DpoOptions {
  /** DPO's β (default 0.1, ETO's). */
  beta?: number;
  /** Peak learning rate of the LoRA parameters (3% warm-up, cosine decay; default 2e-5). */
  lr?: number;
  epochs?: number;
  /** Pairs per optimizer step (default 32, ETO's). */
  batch?: number;
  seed?: number;
  /** Device memory (bytes) one forward/backward may take by the engine's estimate (see SftOptions). */
  memoryBudget?: number;
}

export interface DpoProgress {
  step: number;
  steps: number;
  epoch: number;
  /** Mean loss of this step's pairs. */
  loss: number;
  /** Fraction of this step's pairs whose chosen side the policy already prefers more than the reference does (z > 0). */
  accuracy: number;
  /** Mean z / β of the step's pairs: how far the policy has moved the log-ratio towards the chosen side. */
  margin: number;
  lr: number;
}

/**
 * Where a DPO stage keeps its checkpoint (a policy folder), so that a stopped or crashed stage resumes exactly: called
 * again with the policy as it was when the stage began (its reference), it goes on from the checkpoint.
 */
export interface DpoCheckpoint {
  dir: string;
  /** Steps between checkpoints (default 50); one is also written when the signal stops the stage. */
  every?: number;
}

export interface DpoControl {
  signal?: AbortSignal;
  onProgress?: (p: DpoProgress) => void;
  checkpoint?: DpoCheckpoint;
  /** With a checkpoint: called once, with the step the stage goes on from (0, or its checkpoint's). */
  onStart?: (step: number) => void;
}

export interface DpoResult {
  /** Steps done (before a resume too). */
  steps: number;
  /** The loss of every step done. */
  losses: number[];
  /** True when the signal stopped the stage before its last step. */
  stopped: boolean;
  /** Pairs left out because chosen or rejected does not fit the model's context. */
  dropped: number;
}

interface EncodedPair {
  chosen: MarkedSequence;
  rejected: MarkedSequence;
  reference: { chosen: number; rejected: number };
}

/** Summed marked log-probs of pairs' sides ([chosen, rejected, ...]), a pair in one micro-batch (forward only: a stage's reference). */
async function sequenceLogprobs(policy: NativeLlmPolicy, seqs: MarkedSequence[], plan: PassPlan): Promise<number[]> {
  const out = new Array<number>(seqs.length);
  for (const idx of microBatches(seqs, plan, 2)) {
    const { logprob } = await policy.forwardSequences(idx.map((i) => seqs[i]), { keep: false, shareWithin: 2 });
    idx.forEach((i, k) => (out[i] = logprob[k]));
  }
  return out;
}

/** One DPO stage on `policy` (updated in place), its reference being the policy as it is on entry. */
export async function dpo(
  policy: NativeLlmPolicy,
  pairs: readonly TrajectoryPair[],
  options: DpoOptions = {},
  control: DpoControl = {},
): Promise<DpoResult> {
  const model: Model = policy.model;
  const beta = options.beta ?? 0.1;
  const lr = options.lr ?? 2e-5;
  const epochs = options.epochs ?? 3;
  const batch = options.batch ?? 32;
  const memoryBudget = options.memoryBudget ?? sequenceMemoryBudget(model);
  for (const [k, v] of Object.entries({ beta, lr, epochs, batch, memoryBudget })) {
    if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new InvalidArgumentError('INVALID_ARGUMENT', `dpo: ${k} must be positive, got ${v}`);
  }
  const encode = (p: TrajectoryPair, side: Turn[]) => conversationTokens(model, [...p.prompt, ...side], p.prompt.length);
  const fitting = pairs
    .map((p) => ({ chosen: encode(p, p.chosen), rejected: encode(p, p.rejected) }))
    .filter((e) => Math.max(e.chosen.tokens.length, e.rejected.tokens.length) <= model.hparams.nCtxTrain);
  // a pair's two sides share their prompt's computation, never another pair's, so that the reference and the
  // policy see each side packed alike
  const plan = passPlan(policy, memoryBudget, { shareWithin: 2 });
  const ref = await sequenceLogprobs(policy, fitting.flatMap((e) => [e.chosen, e.rejected]), plan);
  const encoded: EncodedPair[] = fitting.map((e, i) => ({ ...e, reference: { chosen: ref[2 * i], rejected: ref[2 * i + 1] } }));
  const perEpoch = Math.ceil(encoded.length / batch);
  const steps = perEpoch * epochs;
  const seed = options.seed ?? 1;
  const { done, losses, every, save } = await stageCheckpoint(policy, control, ref, {
    pairs: fingerprint(fitting.map((e) => [e.chosen.tokens, e.rejected.tokens])),
    beta,
    lr,
    epochs,
    batch,
    seed,
  });
  let order: EncodedPair[] = [];
  for (let step = done; step < steps && !control.signal?.aborted; step++) {
    const epoch = Math.floor(step / perEpoch);
    if (step % perEpoch === 0 || order.length === 0) order = shuffled(encoded, seed + epoch);
    const chosen = order.slice((step % perEpoch) * batch, (step % perEpoch + 1) * batch);
    policy.zeroGrad();
    let loss = 0;
    let wins = 0;
    let margin = 0;
    // a pair's two sides always share a micro-batch
    const sides = chosen.flatMap((p) => [p.chosen, p.rejected]);
    for (const idx of microBatches(sides, plan, 2)) {
      const { logprob } = await policy.forwardSequences(idx.map((i) => sides[i]), { memoryBudget, shareWithin: 2 });
      const grads: number[] = [];
      for (let i = 0; i < idx.length; i += 2) {
        const pair = chosen[idx[i] / 2];
        const d = dpoLoss({ chosen: logprob[i], rejected: logprob[i + 1] }, pair.reference, beta);
        loss += d.loss;
        wins += d.margin > 0 ? 1 : 0;
        margin += d.margin / beta;
        grads.push(d.dChosen / chosen.length, d.dRejected / chosen.length);
      }
      await policy.backwardSequences(grads);
    }
    const rate = learningRate(step, steps, lr);
    const report = await policy.step({ actor: { lr: rate, maxGradNorm: 1, weightDecay: 0 } });
    loss /= chosen.length;
    if (report.skipped || !Number.isFinite(loss)) throw new InvalidArgumentError('NAN_LOSS', `dpo: non-finite loss or gradients at step ${step + 1} (loss ${loss}); lower the learning rate`);
    losses.push(loss);
    control.onProgress?.({ step: step + 1, steps, epoch, loss, accuracy: wins / chosen.length, margin: margin / chosen.length, lr: rate });
    if (losses.length % every === 0 && losses.length < steps) await save();
  }
  if (losses.length > done && losses.length < steps) await save(); // stopped
  return { steps: losses.length, losses, stopped: losses.length < steps, dropped: pairs.length - fitting.length };
}

/**
 * The stage's checkpoint, if it has one: restored into `policy` when its folder holds one of this stage (the same
 * pairs and options, and the same reference log-probs up to rounding, else CONFIG_MISMATCH), after the reference was
 * computed from the entry policy.
 */
async function stageCheckpoint(
  policy: NativeLlmPolicy,
  control: DpoControl,
  reference: readonly number[],
  run: Record<string, unknown>,
): Promise<{ done: number; losses: number[]; every: number; save: () => Promise<void> }> {
  const ck = control.checkpoint;
  const losses: number[] = [];
  const save = async () => {
    if (ck) await policy.save(ck.dir, { kind: 'dpo', losses, run, reference });
  };
  const every = ck?.every ?? 50;
  if (!ck) return { done: 0, losses, every, save };
  if (!(Number.isInteger(every) && every > 0)) throw new InvalidArgumentError('INVALID_ARGUMENT', `dpo: checkpoint.every must be a positive integer, got ${every}`);
  if (existsSync(join(ck.dir, 'policy.json'))) {
    const meta = await policy.restore(ck.dir);
    if (meta.kind !== 'dpo' || !Array.isArray(meta.losses)) throw new InvalidArgumentError('BAD_CHECKPOINT', `dpo: ${ck.dir} holds no DPO checkpoint`);
    checkSameRun('dpo', `the stage checkpointed in ${ck.dir}`, meta.run as Record<string, unknown>, run);
    const saved = meta.reference as number[];
    // the same policy computes the same reference; another grouping into micro-batches may round differently
    if (saved.length !== reference.length || saved.some((x, i) => !(Math.abs(x - reference[i]) <= 1e-4 * Math.max(1, Math.abs(x))))) {
      throw new InvalidArgumentError('CONFIG_MISMATCH', `dpo: the checkpoint in ${ck.dir} is of a stage that began from another policy (its reference log-probs differ)`);
    }
    losses.push(...(meta.losses as number[]));
  }
  control.onStart?.(losses.length);
  return { done: losses.length, losses, every, save };
}
