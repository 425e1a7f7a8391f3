/**
 * Generalized advantage estimation over a rollout of T vector steps × N environments (row-major [t * N + i]), with
 * TWOSOME's macro-action discount: a transition whose macro-action took n primitive steps is discounted by gamma^n.
 *   δ_t = R_t + γ^(n_t)·V(s_{t+1})·(1 − d_t) − V(s_t),   A_t = δ_t + γ^(n_t)·λ·(1 − d_t)·A_{t+1},   returns = A + V
 * where d_t is the done flag step t returned (the next observation then starts a new episode, so nothing bootstraps).
 */
export interface GaeInput {
  steps: number;
  envs: number;
  rewards: ArrayLike<number>;
  values: ArrayLike<number>;
  dones: ArrayLike<boolean | number>;
  /** Primitive steps of each transition (all 1 without macro-actions). */
  macroSteps: ArrayLike<number>;
  /** V of the observations after the last step (the bootstrap). */
  lastValues: ArrayLike<number>;
  gamma: number;
  lambda: number;
}

export function gae(input: GaeInput): { advantages: Float64Array; returns: Float64Array } {
  const { steps: T, envs: N, rewards, values, dones, macroSteps, lastValues, gamma, lambda } = input;
  const advantages = new Float64Array(T * N);
  const returns = new Float64Array(T * N);
  for (let i = 0; i < N; i++) {
    let next = 0;
    for (let t = T - 1; t >= 0; t--) {
      const k = t * N + i;
      const live = dones[k] ? 0 : 1;
      const discount = gamma ** macroSteps[k];
      const nextValue = t === T - 1 ? lastValues[i] : values[k + N];
      const delta = rewards[k] + discount * nextValue * live - values[k];
      next = delta + discount * lambda * live * next;
      advantages[k] = next;
      returns[k] = next + values[k];
    }
  }
  return { advantages, returns };
}

/** Advantages normalized to mean 0 and (unbiased, as torch's std) deviation 1 within a minibatch. */
export function normalizeAdvantages(adv: readonly number[]): number[] {
  const n = adv.length;
  const mean = adv.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? adv.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : NaN;
  // A single sample has no spread (torch gives NaN); keep it centred instead of poisoning the update.
  const std = Number.isFinite(variance) ? Math.sqrt(variance) : 0;
  return adv.map((a) => (a - mean) / (std + 1e-8));
}
