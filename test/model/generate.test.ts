// Generation with the KV-cache decoder: greedy continuations equal node-llama-cpp's (with and without a LoRA
// adapter), reported log-probs equal a full forward pass of the same tokens, batching and sampling are reproducible,
// stop strings and token budgets end generation, and bad options are argument errors.
import t from 'tap';
import { DisposedError, InvalidArgumentError } from '../../src/errors.js';
import { loadModel, type Model } from '../../src/model.js';
import { packBatch } from '../../src/packing.js';
import { createPolicy } from '../../src/training/llm-policy.js';
import { referenceGreedy, referenceModel } from '../helpers/reference.js';
import { tempPath, testModel } from '../helpers/models.js';

// A peaked output layer: greedy choices then have clear margins, so rounding (our KV cache is F16) cannot flip them.
const peaked = () => testModel({ outputScale: 4, arch: 'llama' });
const prompts = ['There is a tomato on the counter. Your next step is to', 'You are in the kitchen.', 'Hello'];

async function forwardLogprobs(model: Model, prompt: string, tokens: number[]): Promise<Float32Array> {
  const p = model.tokenize(prompt, { bos: true });
  return model.evaluate(packBatch([{ prefix: [...p, ...tokens], branches: [], scored: tokens.map((_, i) => [-1, p.length + i]) }]));
}

// gemma3: 6 layers, of which 5 attend to the last 8 positions only (the prompts and replies are longer); gemma2: every
// other layer, and soft caps that bend scores and logits; mistral3: an attention temperature from position 8 on;
// exaone4: at its 32B's depth, windows of 8 in 3 of every 4 layers and no RoPE in the others; gemma4: windowed
// layers of their own head size and kv heads (each shape its own cache), the global ones' values their keys'
// projection, per-layer inputs, and the last 6 of 12 layers reading the caches of layers 4 and 5; qwen3moe: 2 of 8
// experts per token
const extra = {
  llama: {},
  qwen2: {},
  qwen3: {},
  qwen3moe: { kvHeads: 2, experts: { count: 8, used: 2, ff: 64 } },
  smollm3: { layers: 4 },
  gemma2: { layers: 4, vocab: 'spm', slidingWindow: 8, softCaps: { attention: 2, final: 5 } },
  gemma3: { layers: 6, vocab: 'spm', slidingWindow: 8 },
  gemma4: { layers: 12, vocab: 'spm', kvHeads: 2, headDim: 32, headDimSwa: 16, kvHeadsGlobal: 1, kEqV: true, slidingWindow: 8, perLayerInputs: 32, sharedKvLayers: 6 },
  olmo2: { vocab: 'spm' },
  phi3: { kvHeads: 2 },
  granite: { kvHeads: 2 },
  mistral3: { kvHeads: 2, ropeScaling: { type: 'yarn', factor: 4, originalContext: 8 }, attnTemperature: 0.5 },
  glm4: { vocab: 'spm', kvHeads: 2 },
  ernie4_5: { vocab: 'spm', kvHeads: 2 },
  exaone4: { vocab: 'spm', layers: 64, slidingWindow: 8 },
} as const;
for (const arch of ['llama', 'qwen2', 'qwen3', 'qwen3moe', 'smollm3', 'gemma2', 'gemma3', 'gemma4', 'olmo2', 'phi3', 'granite', 'mistral3', 'glm4', 'ernie4_5', 'exaone4'] as const) {
  t.test(`greedy generation equals node-llama-cpp, and its log-probs equal a forward pass (${arch})`, async (t) => {
    const path = await testModel({ outputScale: 4, arch, ...extra[arch] });
    const model = await loadModel(path, { threads: 2 });
    const ref = await referenceModel(path);
    t.teardown(async () => {
      await model.dispose();
      await ref.dispose();
    });
    const gens = await model.generate(prompts, { maxTokens: 16 });
    for (const g of gens) {
      t.same(g.tokens, (await referenceGreedy(ref, model.tokenize(g.prompt, { bos: true }), 16)).slice(0, g.tokens.length), `"${g.prompt}"`);
      t.equal(g.finishReason, 'length');
      t.equal(g.text, model.detokenize(g.tokens));
      const lp = await forwardLogprobs(model, g.prompt, g.tokens);
      const diff = Math.max(...g.logprobs.map((x, i) => Math.abs(x - lp[i])));
      // the F16 cache rounds K and V: up to 7e-3 on the 2-layer models, 1.3e-2 on smollm3's 4 layers (9e-3 on llama's)
      t.ok(diff < 2e-2, `log-probs within ${diff.toExponential(2)} of the forward pass (F16 cache)`);
    }
  });
}

t.test('decoding prompts together changes nothing; sampling is seeded per prompt', async (t) => {
  const model = await loadModel(await peaked(), { threads: 2 });
  t.teardown(() => model.dispose());
  const ids = (gs: { tokens: number[] }[]) => gs.map((g) => g.tokens);
  t.same(ids(await model.generate(prompts, { maxTokens: 10, parallel: 1 })), ids(await model.generate(prompts, { maxTokens: 10, parallel: 3 })));
  const sampled = { maxTokens: 10, temperature: 1.5, seed: 7 };
  const a = await model.generate(prompts, { ...sampled, parallel: 3 });
  t.same(ids(a), ids(await model.generate(prompts, { ...sampled, parallel: 2 })), 'same seed, other batching: same samples');
  t.not(JSON.stringify(ids(a)), JSON.stringify(ids(await model.generate(prompts, { ...sampled, seed: 8 }))), 'another seed differs');
  t.same(ids(await model.generate(prompts, { maxTokens: 10, temperature: 2, topK: 1 })), ids(await model.generate(prompts, { maxTokens: 10 })), 'top-k 1 is greedy');
  t.same(ids(await model.generate(prompts, { maxTokens: 10, temperature: 2, topP: 1e-6 })), ids(await model.generate(prompts, { maxTokens: 10 })), 'tiny top-p is greedy');
  const lp = await forwardLogprobs(model, prompts[0], a[0].tokens);
  t.ok(Math.max(...a[0].logprobs.map((x, i) => Math.abs(x - lp[i]))) < 1e-2, 'sampled tokens carry their temperature-1 log-probs');

  // seeds per prompt: a prompt's samples depend on its own seed only, not on its place in the call
  const own = await model.generate(prompts, { ...sampled, seeds: [11, 12, 13] });
  const alone = await Promise.all(prompts.map(async (p, i) => (await model.generate([p], { ...sampled, seed: 11 + i }))[0].tokens));
  t.same(ids(own), alone, 'seeds[i] samples as a call of its own with seed seeds[i]');
  t.same(ids(await model.generate([...prompts].reverse(), { ...sampled, seeds: [13, 12, 11] })), [...alone].reverse(), 'whatever the order');
  // Between two equally likely tokens (top-k 2 at a huge temperature) a draw u picks the more likely one iff u < 1/2,
  // so a sample is a sequence of coin flips of its stream: neighbouring seeds' flips must not be one another's
  // shifted by a draw (they were, when a stream started at seed * step + index).
  const promptIds = model.tokenize(prompts[1], { bos: true });
  const flips = async (seed: number) => {
    const [g] = await model.generate([promptIds], { maxTokens: 24, temperature: 1e4, topK: 2, seed });
    const top = await model.generate(g.tokens.map((_, k) => [...promptIds, ...g.tokens.slice(0, k)]), { maxTokens: 1 });
    return g.tokens.map((tok, k) => tok === top[k].tokens[0]);
  };
  const [f1, f2] = [await flips(1), await flips(2)];
  const shifted = f2.slice(0, -1).filter((f, k) => f === f1[k + 1]).length;
  t.ok(shifted < 20, `seed 2's coin flips are not seed 1's shifted by one (${shifted} of 23 agree)`);
});

t.test('stop strings and token budgets end generation', async (t) => {
  const model = await loadModel(await peaked(), { threads: 2 });
  t.teardown(() => model.dispose());
  const [full] = await model.generate([prompts[0]], { maxTokens: 12 });
  const stop = full.text.slice(Math.floor(full.text.length / 2), Math.floor(full.text.length / 2) + 3);
  const [cut] = await model.generate([prompts[0]], { maxTokens: 12, stop: ['never appears here', stop] });
  t.equal(cut.finishReason, 'stop');
  t.equal(cut.text, full.text.slice(0, full.text.indexOf(stop)));
  t.ok(cut.tokens.length < full.tokens.length);
  const [short] = await model.generate([prompts[0]], { maxTokens: 3 });
  t.match(short, { finishReason: 'length', tokens: full.tokens.slice(0, 3) });
});

t.test('a policy generates with its adapter, as node-llama-cpp does with the saved adapter', async (t) => {
  const path = await peaked();
  const model = await loadModel(path, { threads: 2 });
  const policy = await createPolicy(model, { lora: { rank: 4, alpha: 8, targets: ['q', 'v', 'down'] }, valueHead: false, seed: 3 });
  const ref = await referenceModel(path);
  t.teardown(async () => {
    await policy.dispose();
    await model.dispose();
    await ref.dispose();
  });
  t.same((await policy.generate(prompts, { maxTokens: 8 })).map((g) => g.tokens), (await model.generate(prompts, { maxTokens: 8 })).map((g) => g.tokens), 'a fresh adapter changes nothing');
  let s = 5;
  for (const p of policy.parameters()) {
    if (p.name.endsWith('.lora_b')) policy.setParameter(p.name, Float32Array.from({ length: p.shape[0] * p.shape[1] }, () => ((s = (s * 69069 + 1) % 2 ** 32) / 2 ** 32 - 0.5) * 0.6));
  }
  const dir = tempPath('generate-policy');
  await policy.save(dir);
  const gens = await policy.generate(prompts, { maxTokens: 12 });
  const base = await model.generate(prompts, { maxTokens: 12 });
  t.not(JSON.stringify(gens.map((g) => g.tokens)), JSON.stringify(base.map((g) => g.tokens)), 'the trained adapter changes the text');
  for (const g of gens) {
    t.same(g.tokens, (await referenceGreedy(ref, model.tokenize(g.prompt, { bos: true }), 12, { lora: `${dir}/adapter.gguf` })).slice(0, g.tokens.length));
  }
});

t.test('cache slots keep a conversation between calls: the next round computes only its new tokens, with the same result', async (t) => {
  const model = await loadModel(await peaked(), { threads: 2 });
  const policy = await createPolicy(model, { lora: { rank: 4, alpha: 8, targets: ['q', 'v'] }, valueHead: false, seed: 5 });
  t.teardown(async () => {
    await policy.dispose();
    await model.dispose();
  });
  const first = prompts.slice(0, 2).map((p) => model.tokenize(p, { bos: true }));
  const round1 = await model.generate(first, { maxTokens: 6, slots: [1, 0], parallel: 3 });
  t.same(round1.map((g) => g.cachedTokens), [0, 0]);
  t.same(round1.map((g) => g.tokens), (await model.generate(first, { maxTokens: 6 })).map((g) => g.tokens), 'as without slots');
  // the next round: each conversation continues with what it generated plus new text
  const more = model.tokenize(' Then you see a bowl.');
  const second = first.map((p, i) => [...p, ...round1[i].tokens, ...more]);
  const round2 = await model.generate(second, { maxTokens: 6, slots: [1, 0], parallel: 3 });
  t.same(
    round2.map((g) => g.cachedTokens),
    first.map((p, i) => p.length + round1[i].tokens.length - (round1[i].finishReason === 'length' ? 1 : 0)),
    'the prompt and the generated tokens fed back are reused',
  );
  const fresh = await model.generate(second, { maxTokens: 6 });
  t.same(round2.map((g) => g.tokens), fresh.map((g) => g.tokens), 'the same continuation as from scratch');
  const drift = Math.max(...round2.flatMap((g, i) => g.logprobs.map((x, k) => Math.abs(x - fresh[i].logprobs[k]))));
  t.ok(drift < 1e-2, `log-probs within ${drift.toExponential(2)} of a fresh prefill (F16 cache)`);
  const swapped = await model.generate([second[1]], { maxTokens: 2, slots: [1], parallel: 3 });
  t.ok(swapped[0].cachedTokens < 4, 'another conversation in a slot reuses only the common opening');
  const long = [...second[0], ...model.tokenize(' and more'.repeat(60))];
  const [grown] = await model.generate([long], { maxTokens: 2, slots: [2], parallel: 3 });
  t.equal(grown.cachedTokens, 0, 'a longer conversation grows the cache (and empties it)');
  t.same(grown.tokens, (await model.generate([long], { maxTokens: 2 }))[0].tokens);
  await model.releaseGenerationCache();
  t.equal((await model.generate([second[0]], { maxTokens: 2, slots: [1], parallel: 3 }))[0].cachedTokens, 0, 'released');

  // a policy's cache is emptied when its weights change
  const a = await policy.generate([second[0]], { maxTokens: 4, slots: [0] });
  t.equal((await policy.generate([second[0]], { maxTokens: 4, slots: [0] }))[0].cachedTokens, second[0].length - 1);
  const b = policy.parameters().find((p) => p.name.endsWith('.lora_b'))!;
  policy.setParameter(b.name, new Float32Array(b.shape[0] * b.shape[1]).fill(0.05));
  const [changed] = await policy.generate([second[0]], { maxTokens: 4, slots: [0] });
  t.equal(changed.cachedTokens, 0, 'new weights: nothing reused');
  t.same(changed.tokens, (await policy.generate([second[0]], { maxTokens: 4 }))[0].tokens);
  t.same(a[0].prompt, second[0]);
  await policy.releaseGenerationCache();

  const bad = (o: object, pattern: RegExp) => t.rejects(model.generate(first, o), { constructor: InvalidArgumentError, message: pattern } as never, pattern.source);
  await bad({ slots: [0] }, /one cache slot per prompt/);
  await bad({ slots: [0, 0] }, /the same cache slot/);
  await bad({ slots: [0, 3], parallel: 2 }, /cache slots must be integers in \[0, 2\)/);
  await bad({ slots: [0, -1] }, /cache slots must be integers/);
});

t.test('bad options and states are clear errors', async (t) => {
  const model = await loadModel(await testModel(), { threads: 2 });
  const bad = (o: object, pattern: RegExp) => t.rejects(model.generate(['Hi'], o), { constructor: InvalidArgumentError, message: pattern } as never, pattern.source);
  await bad({ maxTokens: 0 }, /maxTokens must be a positive integer/);
  await bad({ temperature: -1 }, /temperature must be >= 0/);
  await bad({ seeds: [1, 2] }, /one seed per prompt/);
  await bad({ seeds: [1.5] }, /seeds must be non-negative integers/);
  await bad({ topP: 0 }, /topP must be in \(0, 1\]/);
  await bad({ topK: 1.5 }, /topK must be a non-negative integer/);
  await bad({ parallel: 0 }, /parallel must be a positive integer/);
  await bad({ stop: [''] }, /stop strings must be non-empty/);
  await bad({ maxTokens: model.hparams.nCtxTrain }, /exceeds the model's context/);
  await t.rejects(model.generate([''], { bos: false }), { constructor: InvalidArgumentError, message: /a prompt has no tokens/ } as never);
  t.same(await model.generate([]), []);
  await model.dispose();
  t.throws(() => model.generate(['Hi']), DisposedError);
});
