/**
 * The from-scratch PPO baseline (spec: twosome.md, Baselines): separate actor and critic MLPs (two tanh layers of 64,
 * orthogonal init, actor output gain 0.01) on the raw observation vector, one Adam over both, CleanRL's update
 * (epochs × shuffled minibatches, per-minibatch advantage normalization, clipped value loss, joint grad-norm clip).
 * With `actionMask` the actor's softmax runs over the valid actions only.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Observation } from '../../envs/core/types.js';
import { EnvError, InvalidArgumentError } from '../errors.js';
import { argmax, minibatches, StatsAccumulator, type ActOutput, type Agent, type Rollout, type UpdateStats } from './agent.js';
import type { PpoConfig } from './config.js';
import { writeFileAtomic } from './files.js';
import { normalizeAdvantages } from './gae.js';
import { Adam, clipGradNorm, Mlp } from './mlp.js';
import { categorical, policyTerm, valueTerm } from './ppo-loss.js';
import type { Rng } from './rng.js';

const FILE = 'ppo.json';

interface Saved {
  sizes: { inputs: number; actions: number; hidden: number };
  actor: number[];
  critic: number[];
  adam: { step: number; m: number[]; v: number[] }[];
}

export class PpoAgent implements Agent {
  readonly actor: Mlp;
  readonly critic: Mlp;
  private readonly adams: Adam[];

  constructor(
    private readonly config: PpoConfig,
    readonly inputs: number,
    readonly actionCount: number,
    rng: Rng,
  ) {
    const h = config.hidden;
    this.actor = new Mlp([inputs, h, h, actionCount], [Math.SQRT2, Math.SQRT2, 0.01], rng);
    this.critic = new Mlp([inputs, h, h, 1], [Math.SQRT2, Math.SQRT2, 1], rng);
    this.adams = [this.actor, this.critic].map((n) => new Adam(n.params.length, { eps: config.adamEps }));
  }

  /** The actions the softmax ranges over in this state. */
  private candidates(o: Observation): number[] {
    return this.config.actionMask ? o.valid : Array.from({ length: this.actionCount }, (_, k) => k);
  }

  private input(observations: readonly Observation[]): Float64Array {
    const x = new Float64Array(observations.length * this.inputs);
    observations.forEach((o, r) => {
      if (o.vector.length !== this.inputs) throw new EnvError('BAD_OBSERVATION', `observation vector of length ${o.vector.length}, the network reads ${this.inputs}`);
      x.set(o.vector, r * this.inputs);
    });
    return x;
  }

  private logits(out: Float64Array, row: number, candidates: readonly number[]): number[] {
    return candidates.map((a) => out[row * this.actionCount + a]);
  }

  async act(observations: readonly Observation[], rng: Rng, greedy: boolean): Promise<ActOutput> {
    const x = this.input(observations);
    const out = Mlp.output(this.actor.forward(x, observations.length));
    const values = Array.from(Mlp.output(this.critic.forward(x, observations.length)));
    const actions: number[] = [];
    const choices: number[] = [];
    const logprobs: number[] = [];
    observations.forEach((o, r) => {
      const cand = this.candidates(o);
      const dist = categorical(this.logits(out, r, cand));
      const k = greedy ? argmax(dist.probs) : rng.categorical(dist.probs);
      actions.push(cand[k]);
      choices.push(cand[k]);
      logprobs.push(dist.logProbs[k]);
    });
    return { actions, choices, logprobs, values, tokens: 0 };
  }

  async values(observations: readonly Observation[]): Promise<number[]> {
    return Array.from(Mlp.output(this.critic.forward(this.input(observations), observations.length)));
  }

  async update(rollout: Rollout, lrScale: number, rng: Rng): Promise<UpdateStats> {
    const c = this.config;
    const n = rollout.steps * rollout.envs;
    const lr = c.lr * lrScale;
    const stats = new StatsAccumulator();
    let earlyStop = false;
    for (let epoch = 0; epoch < c.updateEpochs && !earlyStop; epoch++) {
      let klSum = 0;
      for (const mb of minibatches(rng.permutation(n), n / c.minibatches)) {
        const obs = mb.map((i) => rollout.observations[i]);
        const x = this.input(obs);
        const actorTape = this.actor.forward(x, mb.length);
        const criticTape = this.critic.forward(x, mb.length);
        const out = Mlp.output(actorTape);
        const v = Mlp.output(criticTape);
        const adv = c.normAdvantages ? normalizeAdvantages(mb.map((i) => rollout.advantages[i])) : mb.map((i) => rollout.advantages[i]);
        const dOut = new Float64Array(out.length);
        const dV = new Float64Array(mb.length);
        const scale = 1 / mb.length;
        mb.forEach((i, r) => {
          const cand = this.candidates(obs[r]);
          const term = policyTerm(
            { logits: this.logits(out, r, cand), action: cand.indexOf(rollout.choices[i]), oldLogprob: rollout.logprobs[i], advantage: adv[r] },
            { clipCoef: c.clipCoef, entropyCoef: c.entropyCoef, scale },
          );
          cand.forEach((a, k) => (dOut[r * this.actionCount + a] = term.dLogits[k]));
          stats.addPolicy(term);
          klSum += term.approxKl;
          const vt = valueTerm(v[r], rollout.values[i], rollout.returns[i], { clipValue: c.clipValue, valueCoef: c.valueCoef, scale });
          dV[r] = vt.dValue;
          stats.addValue(vt.loss);
        });
        this.actor.zeroGrad();
        this.critic.zeroGrad();
        this.actor.backward(actorTape, dOut);
        this.critic.backward(criticTape, dV);
        clipGradNorm([this.actor.grads, this.critic.grads], c.maxGradNorm);
        this.adams[0].apply(this.actor.params, this.actor.grads, lr);
        this.adams[1].apply(this.critic.params, this.critic.grads, lr);
      }
      // CleanRL checks the target KL once per epoch.
      if (c.targetKl !== null && klSum / n > c.targetKl) earlyStop = true;
    }
    return stats.result({ lr }, earlyStop);
  }

  async save(dir: string): Promise<void> {
    const saved: Saved = {
      sizes: { inputs: this.inputs, actions: this.actionCount, hidden: this.config.hidden },
      actor: Array.from(this.actor.params),
      critic: Array.from(this.critic.params),
      adam: this.adams.map((a) => ({ step: a.step, m: Array.from(a.m), v: Array.from(a.v) })),
    };
    await writeFileAtomic(join(dir, FILE), JSON.stringify(saved));
  }

  async load(dir: string): Promise<void> {
    const saved = JSON.parse(await readFile(join(dir, FILE), 'utf8')) as Saved;
    const { inputs, actions, hidden } = saved.sizes ?? {};
    if (inputs !== this.inputs || actions !== this.actionCount || hidden !== this.config.hidden) {
      throw new InvalidArgumentError('BAD_CHECKPOINT', `${dir}: the saved networks (${inputs} inputs, ${actions} actions, ${hidden} wide) do not fit this run (${this.inputs}, ${this.actionCount}, ${this.config.hidden})`);
    }
    this.actor.params.set(saved.actor);
    this.critic.params.set(saved.critic);
    saved.adam.forEach((s, k) => {
      this.adams[k].step = s.step;
      this.adams[k].m.set(s.m);
      this.adams[k].v.set(s.v);
    });
  }

  async dispose(): Promise<void> {}
}
