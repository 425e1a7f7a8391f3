/**
 * TWOSOME (spec: twosome.md): the policy is the softmax over the normalized log-probs of the valid action phrases,
 * the actor a LoRA adapter and the critic a value head, both behind `LlmPolicy`. One `evaluate` per vector step scores
 * every environment's valid actions in packed batches. The update follows the reference: per epoch one shuffled
 * order; the value head over minibatches of `valueMinibatch` (one optimizer step each), then the actor over
 * minibatches of `policyMinibatch` with gradients accumulated over `gradAccumSteps`, the mean k3 KL of the
 * accumulated samples checked before each optimizer step (over the target: the gradient is dropped and the update ends).
 */
import { join } from 'node:path';
import type { Observation } from '../../envs/core/types.js';
import type { Model } from '../model.js';
import type { ScoreItem } from '../scoring.js';
import { createPolicy, loadPolicy } from '../training/llm-policy.js';
import type { LlmPolicy, LoraConfig, ValueHeadConfig } from '../training/policy.js';
import { argmax, minibatches, StatsAccumulator, type ActOutput, type Agent, type Rollout, type UpdateStats } from './agent.js';
import type { TwosomeConfig } from './config.js';
import { normalizeAdvantages } from './gae.js';
import { categorical, normalizer, policyTerm, valueTerm } from './ppo-loss.js';
import type { Rng } from './rng.js';

export interface PolicyOptions {
  lora: LoraConfig;
  valueHead: ValueHeadConfig;
  seed: number;
}

/** Builds the trainable policy on a loaded model (the native one by default; tests pass a small fake). */
export interface PolicyFactory {
  create(model: Model, options: PolicyOptions): Promise<LlmPolicy>;
  /** A policy restored from a folder its `save` wrote. */
  load(model: Model, dir: string): Promise<LlmPolicy>;
}

/** The prompt and the valid action phrases of an observation: what TWOSOME scores. */
export function scoreItem(o: Observation): ScoreItem {
  return { prompt: o.prompt, actions: o.valid.map((k) => o.actions[k]) };
}

export function policyOptions(c: TwosomeConfig): PolicyOptions {
  return {
    lora: { rank: c.loraRank, alpha: c.loraAlpha, targets: [...c.loraTargets] },
    valueHead: { hidden: [...c.valueHidden], features: c.valueFeatures },
    seed: c.seed,
  };
}

/** The policy of src/training/llm-policy.ts, on the native engine. */
export const nativePolicyFactory: PolicyFactory = {
  create: (model, options) => createPolicy(model, options),
  load: async (model, dir) => (await loadPolicy(model, dir)).policy,
};

/** Folder of the policy inside a checkpoint. */
const POLICY_DIR = 'policy';

export class TwosomeAgent implements Agent {
  private constructor(
    private readonly config: TwosomeConfig,
    private readonly model: Model,
    private readonly factory: PolicyFactory,
    private policy: LlmPolicy,
  ) {}

  /** A fresh policy on `model` (adapter that changes nothing yet, newly initialized value head). */
  static async create(config: TwosomeConfig, model: Model, factory: PolicyFactory): Promise<TwosomeAgent> {
    return new TwosomeAgent(config, model, factory, await factory.create(model, policyOptions(config)));
  }

  private promptTokens(prompt: string): number {
    return this.model.tokenize(prompt, { bos: true }).length;
  }

  async act(observations: readonly Observation[], rng: Rng, greedy: boolean): Promise<ActOutput> {
    const f = await this.policy.evaluate(observations.map(scoreItem), { normalization: this.config.normalization });
    const out: ActOutput = { actions: [], choices: [], logprobs: [], values: f.values.slice(), tokens: 0 };
    f.scores.forEach((s, i) => {
      const dist = categorical(s.actions.map((a) => a.score));
      const k = greedy ? argmax(dist.probs) : rng.categorical(dist.probs);
      out.actions.push(observations[i].valid[k]);
      out.choices.push(k);
      out.logprobs.push(dist.logProbs[k]);
      out.tokens += this.promptTokens(s.prompt) + s.actions.reduce((a, x) => a + x.tokens, 0);
    });
    return out;
  }

  values(observations: readonly Observation[]): Promise<number[]> {
    return this.policy.forwardValues(observations.map((o) => o.prompt));
  }

  async update(rollout: Rollout, lrScale: number, rng: Rng): Promise<UpdateStats> {
    const c = this.config;
    const n = rollout.steps * rollout.envs;
    const actor = { lr: c.actorLr * lrScale, eps: c.adamEps, weightDecay: c.weightDecay, maxGradNorm: c.maxGradNorm };
    const critic = { lr: c.criticLr * lrScale, eps: c.adamEps, weightDecay: c.weightDecay, maxGradNorm: c.maxGradNorm };
    const stats = new StatsAccumulator();
    const items = (mb: readonly number[]) => mb.map((i) => scoreItem(rollout.observations[i]));
    let earlyStop = false;
    for (let epoch = 0; epoch < c.updateEpochs && !earlyStop; epoch++) {
      const order = rng.permutation(n);

      // The critic: the value head alone (its features come from the frozen base, no LLM pass needed).
      for (const mb of minibatches(order, c.valueMinibatch)) {
        this.policy.zeroGrad();
        const values = await this.policy.forwardValues(mb.map((i) => rollout.observations[i].prompt));
        const dValue = mb.map((i, r) => {
          const t = valueTerm(values[r], rollout.values[i], rollout.returns[i], { clipValue: c.clipValue, valueCoef: c.valueCoef, scale: 1 / mb.length });
          stats.addValue(t.loss);
          return t.dValue;
        });
        await this.policy.backwardValues(dValue);
        await this.policy.step({ critic });
      }

      this.policy.zeroGrad();
      let klSum = 0;
      let accumulated = 0;
      const policyBatches = minibatches(order, c.policyMinibatch);
      for (let b = 0; b < policyBatches.length; b++) {
        const mb = policyBatches[b];
        const raw = mb.map((i) => rollout.advantages[i]);
        const adv = c.normAdvantages ? normalizeAdvantages(raw) : raw;
        // Each sample's gradient depends on its own forward only, so a minibatch too large for the memory budget
        // runs as several forward/backward chunks that accumulate the same gradient.
        for (const chunk of this.chunks(mb.map((_, r) => r), (rs) => items(rs.map((r) => mb[r])))) {
          const f = await this.policy.forward(items(chunk.map((r) => mb[r])), { normalization: c.normalization, memoryBudget: c.trainMemoryBudget });
          const dLogprob = chunk.map((r, j) => {
            const i = mb[r];
            const actions = f.scores[j].actions;
            const term = policyTerm(
              { logits: actions.map((a) => a.score), action: rollout.choices[i], oldLogprob: rollout.logprobs[i], advantage: adv[r] },
              { clipCoef: c.clipCoef, entropyCoef: c.entropyCoef, scale: 1 / (mb.length * c.gradAccumSteps) },
            );
            stats.addPolicy(term);
            klSum += term.approxKl;
            return term.dLogits.map((d, k) => d / normalizer(c.normalization, actions[k]));
          });
          await this.policy.backward({ dLogprob });
        }
        accumulated += mb.length;
        if ((b + 1) % c.gradAccumSteps !== 0) continue;
        if (c.targetKl !== null && klSum / accumulated > c.targetKl) {
          this.policy.zeroGrad();
          earlyStop = true;
          break;
        }
        await this.policy.step({ actor });
        this.policy.zeroGrad();
        klSum = 0;
        accumulated = 0;
      }
    }
    return stats.result({ actor: actor.lr, critic: critic.lr }, earlyStop);
  }

  /** Consecutive runs of `samples` whose training pass fits the memory budget (at least one sample each). */
  private chunks(samples: number[], itemsOf: (samples: number[]) => ScoreItem[]): number[][] {
    if (this.policy.trainingBytes(itemsOf(samples)) <= this.config.trainMemoryBudget) return [samples];
    const out: number[][] = [];
    let cur: number[] = [];
    for (const s of samples) {
      if (cur.length > 0 && this.policy.trainingBytes(itemsOf([...cur, s])) > this.config.trainMemoryBudget) {
        out.push(cur);
        cur = [];
      }
      cur.push(s);
    }
    if (cur.length > 0) out.push(cur);
    return out;
  }

  save(dir: string): Promise<void> {
    return this.policy.save(join(dir, POLICY_DIR));
  }

  /** Replaces the policy with the one saved in checkpoint `dir`. */
  async load(dir: string): Promise<void> {
    const loaded = await this.factory.load(this.model, join(dir, POLICY_DIR));
    await this.policy.dispose();
    this.policy = loaded;
  }

  dispose(): Promise<void> {
    return this.policy.dispose();
  }
}
