/**
 * What the training loop needs from an algorithm: act on the current observations of all environments at once,
 * value them (for the GAE bootstrap), update from a rollout, and save/restore its learned state in a checkpoint.
 */
import type { Observation } from '../../envs/core/types.js';
import type { Rng } from './rng.js';

export interface ActOutput {
  /** Index into each observation's `actions` to take. */
  actions: number[];
  /** Position of that action among the agent's candidates (what `update` trains on). */
  choices: number[];
  /** Log-probability of each choice under the acting policy. */
  logprobs: number[];
  values: number[];
  /** Tokens the model evaluated for this call (0 for networks that read the vector). */
  tokens: number;
}

/** One rollout of `steps` vector steps × `envs` environments, row-major ([t * envs + i]), with its advantages. */
export interface Rollout {
  steps: number;
  envs: number;
  observations: Observation[];
  choices: number[];
  logprobs: number[];
  values: number[];
  advantages: Float64Array;
  returns: Float64Array;
}

export interface UpdateStats {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  approxKl: number;
  clipFraction: number;
  /** Learning rates used in this update, by parameter group. */
  lrs: Record<string, number>;
  /** Whether the target-KL check ended the update early. */
  earlyStop: boolean;
}

export interface Agent {
  act(observations: readonly Observation[], rng: Rng, greedy: boolean): Promise<ActOutput>;
  /** V of each observation (zeros for agents without a critic). */
  values(observations: readonly Observation[]): Promise<number[]>;
  /** One PPO update; `lrScale` is the linear decay factor (1 at the start). Absent for agents that do not learn. */
  update?(rollout: Rollout, lrScale: number, rng: Rng): Promise<UpdateStats>;
  /** Writes the learned state (weights, optimizer) into the checkpoint folder `dir`. */
  save(dir: string): Promise<void>;
  load(dir: string): Promise<void>;
  dispose(): Promise<void>;
}

/** Index of the largest value (first on ties). */
export function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let k = 1; k < xs.length; k++) if (xs[k] > xs[best]) best = k;
  return best;
}

/** Running means of the per-sample statistics of an update. */
export class StatsAccumulator {
  private sums = { policyLoss: 0, valueLoss: 0, entropy: 0, approxKl: 0, clipped: 0 };
  private policyCount = 0;
  private valueCount = 0;

  addPolicy(s: { pgLoss: number; entropy: number; approxKl: number; clipped: boolean }): void {
    this.sums.policyLoss += s.pgLoss;
    this.sums.entropy += s.entropy;
    this.sums.approxKl += s.approxKl;
    this.sums.clipped += s.clipped ? 1 : 0;
    this.policyCount++;
  }

  addValue(loss: number): void {
    this.sums.valueLoss += loss;
    this.valueCount++;
  }

  result(lrs: Record<string, number>, earlyStop: boolean): UpdateStats {
    const p = Math.max(1, this.policyCount);
    return {
      policyLoss: this.sums.policyLoss / p,
      valueLoss: this.sums.valueLoss / Math.max(1, this.valueCount),
      entropy: this.sums.entropy / p,
      approxKl: this.sums.approxKl / p,
      clipFraction: this.sums.clipped / p,
      lrs,
      earlyStop,
    };
  }
}

/** Consecutive slices of `size` of `order`. */
export function minibatches(order: readonly number[], size: number): number[][] {
  const out: number[][] = [];
  for (let s = 0; s < order.length; s += size) out.push(order.slice(s, s + size));
  return out;
}
