/**
 * PPO's losses and their gradients, written out by hand: the trainer owns the softmax over each state's actions,
 * the clipped policy objective, the entropy bonus and the clipped value loss, and hands the engine only
 * dLoss/d(score of each action) (or dLoss/d(summed log-prob) = dLoss/dscore / normalizer) and dLoss/d(value).
 */

export interface Categorical {
  probs: number[];
  logProbs: number[];
  entropy: number;
}

/** Softmax of `logits`, its logs and its entropy (stable for large logits). */
export function categorical(logits: readonly number[]): Categorical {
  const max = Math.max(...logits);
  const lse = max + Math.log(logits.reduce((a, x) => a + Math.exp(x - max), 0));
  const logProbs = logits.map((x) => x - lse);
  const probs = logProbs.map(Math.exp);
  const entropy = -probs.reduce((a, p, k) => a + (p > 0 ? p * logProbs[k] : 0), 0);
  return { probs, logProbs, entropy };
}

export interface PolicySample {
  /** The current logits (normalized scores) of the state's candidate actions. */
  logits: readonly number[];
  /** Position of the taken action among them. */
  action: number;
  /** Its log-probability when the rollout took it. */
  oldLogprob: number;
  /** Its advantage (already normalized when normalization is on). */
  advantage: number;
}

export interface PolicyTerm {
  /** dLoss/dlogit for each candidate action. */
  dLogits: number[];
  /** This sample's clipped surrogate loss, max(−A·r, −A·clip(r)), unscaled. */
  pgLoss: number;
  entropy: number;
  /** log r = new − old log-prob of the taken action. */
  logratio: number;
  /** k3 estimator of KL(old ‖ new): (r − 1) − log r. */
  approxKl: number;
  /** Whether |r − 1| exceeded the clip range. */
  clipped: boolean;
}

/**
 * One sample's share of L = scale · Σ_i [max(−A_i·r_i, −A_i·clip(r_i, 1±ε)) − c_H·H_i] and its gradient with
 * respect to the logits. With π = softmax(logits): dlog π_a/dz_k = [k = a] − π_k and dH/dz_k = −π_k (log π_k + H).
 * The clipped branch is flat in r, so the surrogate passes gradient only where the unclipped branch is the max.
 */
export function policyTerm(s: PolicySample, o: { clipCoef: number; entropyCoef: number; scale: number }): PolicyTerm {
  const { probs, logProbs, entropy } = categorical(s.logits);
  const logratio = logProbs[s.action] - s.oldLogprob;
  const ratio = Math.exp(logratio);
  const A = s.advantage;
  const unclipped = -A * ratio;
  const clippedRatio = Math.min(Math.max(ratio, 1 - o.clipCoef), 1 + o.clipCoef);
  const clippedLoss = -A * clippedRatio;
  // Gradient flows through the unclipped term when it is the max (ties: the ratio is inside the range, both agree).
  const active = unclipped >= clippedLoss;
  const dLogp = active ? -A * ratio : 0;
  const dLogits = probs.map((p, k) => o.scale * (dLogp * ((k === s.action ? 1 : 0) - p) + o.entropyCoef * (p > 0 ? p * (logProbs[k] + entropy) : 0)));
  return {
    dLogits,
    pgLoss: Math.max(unclipped, clippedLoss),
    entropy,
    logratio,
    approxKl: ratio - 1 - logratio,
    clipped: Math.abs(ratio - 1) > o.clipCoef,
  };
}

export interface ValueTerm {
  /** 0.5 · max((V − R)², (V_clip − R)²) (or the unclipped square), unscaled. */
  loss: number;
  /** dLoss/dV including `scale` and the value coefficient. */
  dValue: number;
}

/**
 * One sample's value loss, CleanRL's form: 0.5·max((V−R)², (V_old + clip(V−V_old, ±c) − R)²), times valueCoef·scale
 * in the gradient. The clipped branch carries gradient only while V is inside V_old ± c.
 */
export function valueTerm(value: number, oldValue: number, ret: number, o: { clipValue: number | null; valueCoef: number; scale: number }): ValueTerm {
  const unclipped = (value - ret) ** 2;
  if (o.clipValue === null) return { loss: 0.5 * unclipped, dValue: o.valueCoef * o.scale * (value - ret) };
  const delta = value - oldValue;
  const inside = Math.abs(delta) <= o.clipValue;
  const vClipped = oldValue + Math.min(Math.max(delta, -o.clipValue), o.clipValue);
  const clipped = (vClipped - ret) ** 2;
  let grad: number;
  if (unclipped >= clipped) grad = value - ret;
  else grad = inside ? vClipped - ret : 0;
  return { loss: 0.5 * Math.max(unclipped, clipped), dValue: o.valueCoef * o.scale * grad };
}

/** The normalizer TWOSOME divides an action's summed log-prob by, so dL/dlogprob = dL/dscore / normalizer. */
export function normalizer(mode: 'sum' | 'token' | 'word', action: { tokens: number; words: number }): number {
  return mode === 'word' ? action.words : mode === 'token' ? action.tokens : 1;
}
