// Packed action scoring against naive per-action evaluation and against node-llama-cpp.
import t, { type Test } from 'tap';
import { InvalidArgumentError } from '../../src/errors.js';
import { loadModel, type Model } from '../../src/model.js';
import type { PromptScores, ScoreItem } from '../../src/scoring.js';
import { makeModel } from '../../src/make-model.js';
import { batchingTolerance, referenceLogprobTolerance } from '../helpers/device.js';
import { tempPath, testModel } from '../helpers/models.js';
import { referenceLogprobs, referenceModel } from '../helpers/reference.js';

/** A deterministic generator of prompts and action lists in TWOSOME's style, with awkward edges mixed in. */
function randomItems(seed: number, n: number): ScoreItem[] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const words = ['tomato', 'lettuce', 'bowl', 'cutting board', 'fridge', 'TV', 'sofa', 'kitchen', 'café', '東京', 'north', 'dish'];
  const verbs = ['pick up the', 'go to the', 'put down the', 'chop the', 'open the', 'walk to the', 'turn on the', 'serve the'];
  const endings = [' Your next step is to', ' You should', ' ', ': ', '\n', ' (then)'];
  return Array.from({ length: n }, () => {
    const prompt = `There is a ${pick(words)} and a ${pick(words)} here.${' In the room you see a '.repeat(Math.floor(rand() * 3))}${pick(words)}.${pick(endings)}`;
    const k = 2 + Math.floor(rand() * 6);
    const actions = Array.from({ length: k }, () => (rand() < 0.15 ? pick([',then stop', '!wait', '.', '🍅 now', "'s turn"]) : `${pick(verbs)} ${pick(words)}`));
    return { prompt, actions };
  });
}

/** The naive definition: logprobs(prompt + " " + action) summed over the action's tokens. */
async function naive(model: Model, prompt: string, action: string, nTokens: number): Promise<number> {
  const r = await model.logprobs(`${prompt} ${action}`);
  return (r.logprobs.slice(-nTokens) as number[]).reduce((a, b) => a + b, 0);
}

function checkPacked(t: Test, results: PromptScores[], items: ScoreItem[]) {
  t.equal(results.length, items.length);
  for (const [n, r] of results.entries()) {
    t.equal(r.actions.length, items[n].actions.length);
    t.ok(Math.abs(r.actions.reduce((a, s) => a + s.probability, 0) - 1) < 1e-9, 'probabilities sum to 1');
  }
}

for (const vocab of ['spm', 'bpe'] as const) {
  t.test(`packed = naive (${vocab})`, async (t) => {
    const model = await loadModel(await testModel({ vocab, kvHeads: 2 }), { threads: 2 });
    t.teardown(() => model.dispose());
    const items = randomItems(vocab === 'spm' ? 7 : 11, 6);
    const results = await model.scoreActions(items, { normalization: 'sum' });
    checkPacked(t, results, items);
    let worst = 0;
    for (const [n, r] of results.entries()) {
      for (const a of r.actions) {
        t.same(model.tokenize(`${items[n].prompt} ${a.action}`, { bos: true }).slice(-a.tokens), a.tokenIds, 'action tokens are the joined text after the prompt');
        worst = Math.max(worst, Math.abs(a.logprob - (await naive(model, items[n].prompt, a.action, a.tokens))));
      }
    }
    t.ok(worst <= batchingTolerance(1e-4), `max |packed - naive| = ${worst.toExponential(2)}`);
  });
}

t.test('boundary edge cases', async (t) => {
  const model = await loadModel(await testModel(), { threads: 2 });
  t.teardown(() => model.dispose());
  const items = [
    { prompt: 'The prompt ends in a space ', actions: ['pick up', ' leading space', 'x'] },
    { prompt: 'Punctuation follows', actions: [',comma', '.', '?!', '...and more'] },
    { prompt: 'Unicode: 東京', actions: ['café ☕', '🍅', 'ü'] },
  ];
  const results = await model.scoreActions(items, { normalization: 'sum' });
  for (const [n, r] of results.entries()) {
    for (const a of r.actions) {
      t.ok(a.tokens >= 1, `${JSON.stringify(a.action)} has tokens`);
      const expected = await naive(model, items[n].prompt, a.action, a.tokens);
      t.ok(Math.abs(a.logprob - expected) <= batchingTolerance(1e-4), `${JSON.stringify(items[n].prompt)} + ${JSON.stringify(a.action)}`);
    }
  }
});

t.test('normalizations, words and the softmax', async (t) => {
  const model = await loadModel(await testModel(), { threads: 2 });
  t.teardown(() => model.dispose());
  const items = [{ prompt: 'Your next step is to', actions: ['pick up the tomato', 'serve', 'go  to the   bowl'] }];
  const [sum] = await model.scoreActions(items, { normalization: 'sum' });
  const [tok] = await model.scoreActions(items, { normalization: 'token' });
  const [word] = await model.scoreActions(items);
  t.same(word.actions.map((a) => a.words), [4, 1, 4]);
  for (let k = 0; k < 3; k++) {
    t.equal(sum.actions[k].score, sum.actions[k].logprob);
    t.ok(Math.abs(tok.actions[k].score - sum.actions[k].logprob / sum.actions[k].tokens) < 1e-12);
    t.ok(Math.abs(word.actions[k].score - sum.actions[k].logprob / 4 ** Number(k !== 1)) < 1e-12);
  }
  const z = word.actions.reduce((a, s) => a + Math.exp(s.score), 0);
  for (const a of word.actions) t.ok(Math.abs(a.probability - Math.exp(a.score) / z) < 1e-12);
});

t.test('results do not depend on how the work is split', async (t) => {
  const model = await loadModel(await testModel(), { threads: 2 });
  t.teardown(() => model.dispose());
  const items = randomItems(3, 8);
  const whole = await model.scoreActions(items, { normalization: 'sum' });
  for (const options of [{ memoryBudget: 1 }, { maxBatchTokens: 40 }, { maxBatchTokens: 200 }]) {
    const split = await model.scoreActions(items, { normalization: 'sum', ...options });
    let worst = 0;
    split.forEach((r, n) => r.actions.forEach((a, k) => (worst = Math.max(worst, Math.abs(a.logprob - whole[n].actions[k].logprob)))));
    t.ok(worst <= batchingTolerance(1e-5), `${JSON.stringify(options)}: max difference ${worst.toExponential(2)} (float32 summation order)`);
  }
});

t.test('matches node-llama-cpp', async (t) => {
  const path = await testModel({ type: 'q8_0' });
  const model = await loadModel(path, { threads: 2 });
  const ref = await referenceModel(path);
  t.teardown(async () => {
    await model.dispose();
    await ref.dispose();
  });
  const items = randomItems(5, 3);
  const results = await model.scoreActions(items, { normalization: 'sum' });
  let worst = 0;
  for (const [n, r] of results.entries()) {
    for (const a of r.actions) {
      const tokens = model.tokenize(`${items[n].prompt} ${a.action}`, { bos: true });
      const lp = await referenceLogprobs(ref, tokens);
      const expected = lp.slice(-a.tokens).reduce((x, y) => x + y, 0);
      worst = Math.max(worst, Math.abs(a.logprob - expected));
    }
  }
  t.ok(worst <= referenceLogprobTolerance, `max |ours - node-llama-cpp| = ${worst.toExponential(2)}`);
});

t.test('bad input', async (t) => {
  const small = tempPath('score-ctx.gguf');
  await makeModel({ out: small, ctx: 24 });
  const model = await loadModel(small);
  t.teardown(() => model.dispose());
  const bad = (items: unknown, pattern: RegExp, options = {}) =>
    t.rejects(model.scoreActions(items as ScoreItem[], options), { constructor: InvalidArgumentError, message: pattern } as never, pattern.source);
  await bad([], /non-empty array/);
  await bad('nope', /non-empty array/);
  await bad([{ prompt: 'p', actions: [] }], /item 0 has no actions/);
  await bad([{ prompt: 'p', actions: ['ok', ''] }], /action 1 of item 0 is empty/);
  await bad([{ prompt: 'p', actions: ['ok', 42] }], /action 1 of item 0 is not a string/);
  await bad([{ prompt: 7, actions: ['ok'] }], /item 0 has no prompt string/);
  await bad([{ prompt: 'word '.repeat(30), actions: ['ok'] }], /more than the model's context of 24/);
  await bad([{ prompt: 'p', actions: ['ok'] }], /unknown normalization/, { normalization: 'max' });
  // duplicates are scored independently and share the probability mass
  const [r] = await model.scoreActions([{ prompt: 'Go', actions: ['north', 'south', 'north'] }]);
  t.equal(r.actions[0].logprob, r.actions[2].logprob);
  t.equal(r.actions[0].probability, r.actions[2].probability);
});
