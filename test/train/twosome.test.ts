import t from 'tap';
import type { Observation } from '../../envs/core/types.js';
import type { Model } from '../../src/model.js';
import type { Rollout } from '../../src/train/agent.js';
import { resolveConfig, type TwosomeConfig } from '../../src/train/config.js';
import { categorical, policyTerm, valueTerm } from '../../src/train/ppo-loss.js';
import { Rng } from '../../src/train/rng.js';
import { TwosomeAgent } from '../../src/train/twosome.js';
import { TabularPolicy, tabularFactory } from './fake-policy.js';

/** Enough of a model for the agent: a whitespace tokenizer. */
const model = { tokenize: (s: string) => s.split(' ') } as unknown as Model;

const config = (extra: Record<string, unknown> = {}) =>
  resolveConfig({
    env: 'virtualhome/food-preparation', algo: 'twosome', envs: 2, rolloutSteps: 4, valueMinibatch: 4, policyMinibatch: 2, gradAccumSteps: 2, ...extra,
  }) as TwosomeConfig;

function observation(n: number): Observation {
  return { prompt: `state ${n} your next step is to`, actions: ['walk to the kitchen', 'grab it', 'open the fridge door now'], valid: n % 2 ? [0, 1, 2] : [2, 0], vector: [] };
}

/** A rollout of 8 samples whose log-probs come from the policy as it is (ratio 1 at the start of the update). */
async function rollout(agent: TwosomeAgent): Promise<Rollout> {
  const observations = Array.from({ length: 8 }, (_, n) => observation(n));
  const act = await agent.act(observations, new Rng(5), false);
  return {
    steps: 4, envs: 2, observations, choices: act.choices, logprobs: act.logprobs, values: act.values,
    advantages: Float64Array.from([1, -0.5, 2, 0.3, -1, 0.7, 0.1, -2]),
    returns: Float64Array.from([0.5, 0.2, -0.1, 1, 0.3, 0, 0.8, -0.4]),
  };
}

t.test('act: one evaluation (nothing kept for a backward pass) for all environments; actions map back through the valid list', async (t) => {
  const factory = tabularFactory();
  const agent = await TwosomeAgent.create(config(), model, factory);
  const policy = factory.made[0];
  policy.logits.set(TabularPolicy.key(observation(0).prompt, 'walk to the kitchen'), 50);
  const out = await agent.act([observation(0), observation(1)], new Rng(1), true);
  t.equal(policy.calls.evaluate, 1);
  t.equal(policy.calls.forward, 0);
  t.same(out.actions[0], 0, 'greedy picks the boosted phrase, index 0 of actions');
  t.same(out.choices[0], 1, 'which is position 1 of the valid list [2, 0]');
  t.ok(out.logprobs[0] > -1e-3 && out.logprobs[0] <= 0);
  // tokens = prompt words + action tokens (words + 1 in the fake).
  t.equal(out.tokens, 7 + (4 + 1) + (5 + 1) + 7 + (4 + 1) + (2 + 1) + (5 + 1), JSON.stringify(out));
});

t.test('update: value steps then accumulated policy steps, with the hand-computed gradients and decayed lrs', async (t) => {
  const c = config();
  const factory = tabularFactory();
  const agent = await TwosomeAgent.create(c, model, factory);
  const policy = factory.made[0];
  const r = await rollout(agent);
  policy.calls.backwards.length = 0;
  policy.calls.valueBackwards.length = 0;
  const stats = await agent.update(r, 0.5, new Rng(9));
  // 8 samples: 2 value minibatches of 4, 4 policy minibatches of 2 accumulated by 2 → 2 actor steps.
  t.same(policy.calls.criticSteps, [c.criticLr * 0.5, c.criticLr * 0.5]);
  t.same(policy.calls.actorSteps, [c.actorLr * 0.5, c.actorLr * 0.5]);
  t.same(stats.lrs, { actor: c.actorLr * 0.5, critic: c.criticLr * 0.5 });
  t.equal(stats.earlyStop, false);

  const order = new Rng(9).permutation(8);
  // First value minibatch: the head alone, dValue from the clipped value loss (values were 0 → new value 0).
  t.equal(policy.calls.valueBackwards.length, 2);
  const v0 = policy.calls.valueBackwards[0];
  order.slice(0, 4).forEach((i, r0) => {
    const want = valueTerm(0, 0, r.returns[i], { clipValue: c.clipValue, valueCoef: c.valueCoef, scale: 1 / 4 }).dValue;
    t.ok(Math.abs(v0[r0] - want) < 1e-12, `dValue ${r0}`);
  });
  // First policy minibatch: dLogprob = dLoss/dscore / words, advantages normalized within the minibatch of 2.
  t.ok(policy.calls.backwards.every((b) => b.dValue === undefined), 'policy minibatches leave the critic alone');
  const p0 = policy.calls.backwards[0];
  const mb = order.slice(0, 2);
  const adv = mb.map((i) => r.advantages[i]);
  const m = (adv[0] + adv[1]) / 2;
  const s = Math.sqrt(((adv[0] - m) ** 2 + (adv[1] - m) ** 2) / 1);
  mb.forEach((i, row) => {
    const o = r.observations[i];
    const phrases = o.valid.map((k) => o.actions[k]);
    const words = phrases.map((a) => a.split(' ').length);
    const logits = phrases.map((a, k) => -words[k] / words[k]);
    const term = policyTerm({ logits, action: r.choices[i], oldLogprob: r.logprobs[i], advantage: (adv[row] - m) / (s + 1e-8) }, { clipCoef: 0.2, entropyCoef: 0.01, scale: 1 / 4 });
    term.dLogits.forEach((d, k) => t.ok(Math.abs(p0.dLogprob[row][k] - d / words[k]) < 1e-12, `sample ${row} action ${k}`));
  });
  t.ok(stats.valueLoss > 0);
  t.ok(Math.abs(stats.approxKl) < 0.01);
});

t.test('update: target KL exceeded before the first step drops the gradient and ends the update', async (t) => {
  const factory = tabularFactory();
  const agent = await TwosomeAgent.create(config({ targetKl: 1e-4 }), model, factory);
  const policy = factory.made[0];
  const r = await rollout(agent);
  // The policy has moved far since the rollout.
  for (const o of r.observations) policy.logits.set(TabularPolicy.key(o.prompt, o.actions[o.valid[0]]), 5);
  const zeroBefore = policy.calls.zeroGrad;
  const stats = await agent.update(r, 1, new Rng(3));
  t.equal(stats.earlyStop, true);
  t.same(policy.calls.actorSteps, []);
  t.equal(policy.calls.criticSteps.length, 2, 'the value head still trained');
  t.ok(policy.calls.zeroGrad > zeroBefore);
  t.ok(stats.approxKl > 1e-4);
});

t.test('update: repeated updates raise the probability of positive-advantage actions', async (t) => {
  const factory = tabularFactory();
  const agent = await TwosomeAgent.create(config({ actorLr: 1, criticLr: 0.1, targetKl: null, normAdvantages: false }), model, factory);
  const obs = observation(0);
  const good = obs.valid[0];
  const before = categorical([-1, -1]).probs[0];
  for (let k = 0; k < 10; k++) {
    const act = await agent.act(Array(8).fill(obs), new Rng(k), false);
    const adv = act.actions.map((a) => (a === good ? 1 : -1));
    await agent.update({ steps: 4, envs: 2, observations: Array(8).fill(obs), choices: act.choices, logprobs: act.logprobs, values: act.values, advantages: Float64Array.from(adv), returns: Float64Array.from(adv) }, 1, new Rng(k));
  }
  const after = await factory.made[0].forward([{ prompt: obs.prompt, actions: obs.valid.map((k) => obs.actions[k]) }]);
  t.ok(after.scores[0].actions[0].probability > before + 0.2, `${before} → ${after.scores[0].actions[0].probability}`);
  t.ok(after.values[0] > 0, 'the value followed the positive returns');
});

t.test('save/load: a checkpoint restores the policy through the factory', async (t) => {
  const dir = t.testdir();
  const factory = tabularFactory();
  const agent = await TwosomeAgent.create(config(), model, factory);
  factory.made[0].logits.set('x', 3);
  await agent.save(dir);
  await agent.load(dir);
  t.equal(factory.made.length, 2);
  t.equal(factory.made[1].logits.get('x'), 3);
  t.equal(factory.made[1], (agent as unknown as { policy: unknown }).policy);
});

t.test('update: minibatches over the memory budget run in chunks with the same gradients and result', async (t) => {
  const run = async (budget: number) => {
    const factory = tabularFactory();
    const agent = await TwosomeAgent.create(config({ trainMemoryBudget: budget }), model, factory);
    const policy = factory.made[0];
    policy.bytesPerItem = 1;
    const r = await rollout(agent);
    policy.calls.backwards.length = 0;
    const forwards = policy.calls.forward;
    const stats = await agent.update(r, 1, new Rng(9));
    return { rows: policy.calls.backwards.flatMap((b) => b.dLogprob), forwards: policy.calls.forward - forwards, logits: [...policy.logits], stats, steps: policy.calls.actorSteps.length };
  };
  const whole = await run(2);
  const split = await run(1);
  t.equal(whole.forwards, 4, 'minibatches of 2 fit a budget of 2 samples');
  t.equal(split.forwards, 8, 'a budget of 1 sample runs each sample alone');
  t.same(split.rows, whole.rows, 'the same per-sample gradients');
  t.same(split.logits, whole.logits, 'the same parameters after the update');
  t.equal(split.steps, whole.steps);
  t.same(split.stats, whole.stats);
});
