/**
 * The SayCan-style baseline (spec: twosome.md, Baselines): the frozen model's normalized action probabilities over
 * the valid actions, sampled (or the most probable action with `greedy`). Nothing trains.
 */
import type { Observation } from '../../envs/core/types.js';
import type { Model } from '../model.js';
import type { Normalization } from '../scoring.js';
import { argmax, type ActOutput, type Agent } from './agent.js';
import type { Rng } from './rng.js';
import { scoreItem } from './twosome.js';

export class SayCanAgent implements Agent {
  constructor(
    private readonly model: Model,
    private readonly normalization: Normalization,
  ) {}

  async act(observations: readonly Observation[], rng: Rng, greedy: boolean): Promise<ActOutput> {
    const scores = await this.model.scoreActions(observations.map(scoreItem), { normalization: this.normalization });
    const out: ActOutput = { actions: [], choices: [], logprobs: [], values: observations.map(() => 0), tokens: 0 };
    scores.forEach((s, i) => {
      const probs = s.actions.map((a) => a.probability);
      const k = greedy ? argmax(probs) : rng.categorical(probs);
      out.actions.push(observations[i].valid[k]);
      out.choices.push(k);
      out.logprobs.push(Math.log(probs[k]));
      out.tokens += this.model.tokenize(s.prompt, { bos: true }).length + s.actions.reduce((a, x) => a + x.tokens, 0);
    });
    return out;
  }

  async values(observations: readonly Observation[]): Promise<number[]> {
    return observations.map(() => 0);
  }

  /** Nothing is learned, so a checkpoint holds only the loop's state. */
  async save(): Promise<void> {}
  async load(): Promise<void> {}
  async dispose(): Promise<void> {}
}
