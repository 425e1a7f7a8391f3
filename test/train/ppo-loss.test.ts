import t from 'tap';
import { categorical, normalizer, policyTerm, valueTerm } from '../../src/train/ppo-loss.js';

/** Central finite difference of f at x along coordinate k. */
function numeric(f: (x: number[]) => number, x: number[], k: number, h = 1e-6): number {
  const a = [...x];
  const b = [...x];
  a[k] += h;
  b[k] -= h;
  return (f(a) - f(b)) / (2 * h);
}

t.test('categorical: softmax, logs and entropy by hand', async (t) => {
  const c = categorical([0, Math.log(3)]);
  t.ok(Math.abs(c.probs[0] - 0.25) < 1e-12 && Math.abs(c.probs[1] - 0.75) < 1e-12);
  t.ok(Math.abs(c.logProbs[0] - Math.log(0.25)) < 1e-12);
  t.ok(Math.abs(c.entropy - -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75))) < 1e-12);
  // Stable for huge logits.
  const big = categorical([1000, 1000]);
  t.ok(big.probs.every((p) => Math.abs(p - 0.5) < 1e-12));
});

t.test('policyTerm: hand-computed loss and gradient inside the clip range', async (t) => {
  // Two actions, logits [0, ln 3]: π = [1/4, 3/4]. Taken action 1 with old log-prob ln(0.75) → ratio 1.
  const term = policyTerm({ logits: [0, Math.log(3)], action: 1, oldLogprob: Math.log(0.75), advantage: 2 }, { clipCoef: 0.2, entropyCoef: 0, scale: 1 });
  t.ok(Math.abs(term.pgLoss - -2) < 1e-12, 'loss = −A·r = −2');
  // dL/dz_k = −A·r·([k=a] − π_k) = −2·([k=1] − π_k) → [0.5, −0.5].
  t.ok(Math.abs(term.dLogits[0] - 0.5) < 1e-12 && Math.abs(term.dLogits[1] - -0.5) < 1e-12, JSON.stringify(term.dLogits));
  t.ok(Math.abs(term.approxKl) < 1e-15);
  t.equal(term.clipped, false);
});

t.test('policyTerm: the clipped side passes no gradient, the pessimistic side does', async (t) => {
  const o = { clipCoef: 0.2, entropyCoef: 0, scale: 1 };
  // ratio = 2 with a positive advantage: clipped at 1.2, flat.
  const up = policyTerm({ logits: [0, 0], action: 0, oldLogprob: Math.log(0.25), advantage: 1 }, o);
  t.ok(Math.abs(up.pgLoss - -1.2) < 1e-12);
  t.same(up.dLogits, [0, 0]);
  t.equal(up.clipped, true);
  t.ok(Math.abs(up.approxKl - (1 - Math.log(2))) < 1e-12, 'k3 = (r − 1) − log r');
  // ratio = 2 with a negative advantage: the unclipped −A·r = 2 is the max and keeps its gradient.
  const down = policyTerm({ logits: [0, 0], action: 0, oldLogprob: Math.log(0.25), advantage: -1 }, o);
  t.ok(Math.abs(down.pgLoss - 2) < 1e-12);
  t.ok(Math.abs(down.dLogits[0] - 1) < 1e-12 && Math.abs(down.dLogits[1] - -1) < 1e-12, JSON.stringify(down.dLogits));
});

t.test('policyTerm: gradient of the full loss (surrogate + entropy, scaled) matches finite differences', async (t) => {
  const o = { clipCoef: 0.2, entropyCoef: 0.05, scale: 0.25 };
  const s = { logits: [0.3, -1.2, 0.8, 0.1], action: 2, oldLogprob: Math.log(0.45), advantage: -0.7 };
  const loss = (z: number[]) => {
    const r = policyTerm({ ...s, logits: z }, o);
    return o.scale * (r.pgLoss - o.entropyCoef * r.entropy);
  };
  const term = policyTerm(s, o);
  for (let k = 0; k < 4; k++) t.ok(Math.abs(term.dLogits[k] - numeric(loss, s.logits, k)) < 1e-7, `logit ${k}: ${term.dLogits[k]} vs ${numeric(loss, s.logits, k)}`);
});

t.test('valueTerm: clipped and unclipped branches by hand', async (t) => {
  const o = { clipValue: 0.2, valueCoef: 0.5, scale: 1 };
  // V moved 0.5 above V_old = 0 towards R = 1: unclipped (−0.5)² = 0.25 < clipped (0.2 − 1)² = 0.64 → clipped, flat.
  const far = valueTerm(0.5, 0, 1, o);
  t.ok(Math.abs(far.loss - 0.32) < 1e-12);
  t.equal(far.dValue, 0);
  // V inside the clip range: both branches agree, gradient valueCoef·(V − R).
  const near = valueTerm(0.1, 0, 1, o);
  t.ok(Math.abs(near.loss - 0.405) < 1e-12);
  t.ok(Math.abs(near.dValue - 0.5 * (0.1 - 1)) < 1e-12);
  // V overshooting away from the old value: the unclipped square is larger and keeps its gradient.
  const over = valueTerm(2, 0, 1, o);
  t.ok(Math.abs(over.loss - 0.5) < 1e-12 && Math.abs(over.dValue - 0.5) < 1e-12);
  // No clipping.
  const plain = valueTerm(0.5, 0, 1, { ...o, clipValue: null, scale: 0.5 });
  t.ok(Math.abs(plain.loss - 0.125) < 1e-12 && Math.abs(plain.dValue - 0.5 * 0.5 * -0.5) < 1e-12);
});

t.test('normalizer: word, token, sum', async (t) => {
  t.equal(normalizer('word', { tokens: 5, words: 3 }), 3);
  t.equal(normalizer('token', { tokens: 5, words: 3 }), 5);
  t.equal(normalizer('sum', { tokens: 5, words: 3 }), 1);
});
