// Finite-difference checks of every trainable parameter kind, on packed multi-prompt batches and on multi-turn
// marked sequences, over float and quantized bases.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadModel, type Model } from '../../src/model.js';
import type { MakeModelOptions } from '../../src/make-model.js';
import { native } from '../../src/native.js';
import { createPolicy, type NativeLlmPolicy } from '../../src/training/llm-policy.js';
import type { LoraTarget, PolicyForward } from '../../src/training/policy.js';
import { testModel } from '../helpers/models.js';
import { gradientTolerance, onGpu } from '../helpers/device.js';

// Finite differences check the autodiff itself, so the backward multiplies in f32 here even on CPUs that would use
// bf16 (whose rounding, ~1% of a gradient, would swamp the float bases' 1% tolerance); the comparison with ggml's
// formula below runs both precisions in child processes.
const suiteEnv = { ...process.env };
process.env.RL_GGML_BACKWARD_F32 = '1';

const items = [
  { prompt: 'There is a tomato on the counter. Your next step is to', actions: ['pick up the tomato', 'serve the dish', 'go north'] },
  { prompt: 'You are in the kitchen.', actions: ['open the fridge', 'walk to the sofa'] },
];
const coef = [[0.3, -0.7, 0.2], [1.1, -0.4]];
const dValue = [0.5, -1.5];

function rng(seed: number) {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
}

/** B starts at zero, which makes A's gradient zero: give B small random values so every gradient is exercised. */
function perturbB(policy: NativeLlmPolicy, seed: number) {
  const r = rng(seed);
  for (const p of policy.parameters()) {
    if (p.name.endsWith('.lora_b')) policy.setParameter(p.name, Float32Array.from({ length: p.shape[0] * p.shape[1] }, () => 0.05 * r()));
  }
}

/**
 * Directional finite differences, one random ±1 direction per parameter kind, a small step. Quantized bases quantize
 * activations to 8 bits inside every matmul, which makes their loss step-wise: their gradients are checked against
 * finite differences on a float twin (an f32 model holding exactly the quantized weights, with the same adapter).
 */
async function checkParams(t: Test, policy: NativeLlmPolicy, loss: () => Promise<number>, backward: () => Promise<void>, tolerance: number, twin = policy) {
  policy.zeroGrad();
  await backward();
  const r = rng(77);
  let worst = 0;
  const kinds = new Set<string>();
  for (const p of policy.parameters()) {
    const kind = p.name.replace(/^blk\.\d+\./, '');
    if (kinds.has(kind)) continue; // one layer per kind keeps the test fast
    kinds.add(kind);
    const g = policy.getGradient(p.name);
    const w = policy.getParameter(p.name);
    const d = Float32Array.from(w, () => (r() < 0 ? -1 : 1));
    const analytic = g.reduce((s, gi, i) => s + gi * d[i], 0);
    // a step that changes the loss by about 1e-3 at first order: well inside the linear regime, far above rounding;
    // at most 1e-3 a value, since a larger step can carry a unit of the value head across its ReLU's kink
    const eps = Math.min(1e-3, Math.max(1e-5, 1e-3 / (Math.abs(analytic) + 1e-9)));
    const at = async (sign: number) => {
      twin.setParameter(p.name, Float32Array.from(w, (x, i) => x + sign * eps * d[i]));
      return loss();
    };
    const fd = ((await at(1)) - (await at(-1))) / (2 * eps);
    twin.setParameter(p.name, w);
    const err = Math.abs(analytic - fd) / (tolerance * (Math.abs(fd) + Math.abs(analytic)) + 1e-2);
    worst = Math.max(worst, err);
    if (err > 1) t.fail(`${p.name}: directional derivative ${analytic} vs finite difference ${fd}`);
  }
  t.ok(worst <= 1, `${kinds.size} parameter kinds agree with finite differences (worst ${worst.toFixed(3)} of the tolerance)`);
}

// Relative tolerance per base: float bases are exact to rounding. A quantized model's forward pass rounds
// activations to 8 bits in every matmul, so its gradient differs from its float twin's by that rounding — 15-35% on
// these random 2-layer models (their logits are nearly flat, which amplifies it); the test below checks the quantized
// backward itself exactly.
const bases: [string, Omit<MakeModelOptions, 'out'>, number][] = [
  ['f32 GQA', { kvHeads: 2 }, 0.01],
  ['q8_0', { type: 'q8_0' }, 0.5],
  ['q4_0', { type: 'q4_0', tied: true }, 0.5],
  ['f32 GQA, attn_output and feed-forward biases', { kvHeads: 2, biases: true }, 0.01],
  ['qwen2 f32 GQA tied, an LM head bias', { arch: 'qwen2', kvHeads: 2, tied: true, biases: true }, 0.01],
  ['qwen3 f32 GQA wide heads', { arch: 'qwen3', kvHeads: 2, headDim: 32 }, 0.01],
  ['smollm3 f32, layer 4 without RoPE', { arch: 'smollm3', layers: 4 }, 0.01],
  ['gemma3 f32 GQA wide heads tied, 5 of 6 layers in a window of 8', { arch: 'gemma3', vocab: 'spm', layers: 6, kvHeads: 2, headDim: 32, tied: true, slidingWindow: 8 }, 0.01],
  // soft caps low enough to bend scores and logits well away from linear
  ['gemma2 f32 GQA tied, every other layer in a window of 8, soft caps 2 and 5', { arch: 'gemma2', vocab: 'spm', layers: 4, kvHeads: 2, tied: true, slidingWindow: 8, softCaps: { attention: 2, final: 5 } }, 0.01],
  // all seven targets: q, k, v adapt the fused qkv projection, gate and up the fused up one
  ['phi3 f32 GQA, fused projections, LongRoPE factors', { arch: 'phi3', kvHeads: 2, ropeFreqs: true }, 0.01],
  ['granite f32 GQA, μP multipliers and biases', { arch: 'granite', kvHeads: 2, biases: true }, 0.01],
  ['mistral3 f32 GQA, YaRN and an attention temperature from position 4 on', { arch: 'mistral3', vocab: 'spm', kvHeads: 2, ropeScaling: { type: 'yarn', factor: 4, originalContext: 4 }, attnTemperature: 0.5 }, 0.01],
  // one attn_qkv: views of it normed whole (olmo2) or per head (qwen3)
  ['olmo2 f32 GQA, one attn_qkv', { arch: 'olmo2', vocab: 'spm', kvHeads: 2, fusedQkv: true }, 0.01],
  ['qwen3 f32 GQA wide heads, one attn_qkv', { arch: 'qwen3', vocab: 'spm', kvHeads: 2, headDim: 32, fusedQkv: true }, 0.01],
  ['glm4 f32 GQA, pre- and post-norms, fused gate and up, RoPE on half of each head', { arch: 'glm4', vocab: 'spm', kvHeads: 2 }, 0.01],
  // all seven targets: v adapts the windowed layers only (the global ones take the keys' projection as values), k and
  // v not the last 6 layers (which attend with layers 4's and 5's keys and values)
  ['gemma4 f32, windowed layers of their own head size and kv heads, K = V in the global ones, per-layer inputs, shared keys and values', { arch: 'gemma4', vocab: 'spm', layers: 12, kvHeads: 2, headDim: 32, headDimSwa: 16, kvHeadsGlobal: 1, kEqV: true, slidingWindow: 8, softCaps: { final: 5 }, perLayerInputs: 32, sharedKvLayers: 6 }, 0.01],
  ['exaone4 f32 GQA at 64 layers, windows of 8 in 3 of 4, no RoPE in the others', { arch: 'exaone4', vocab: 'spm', layers: 64, kvHeads: 2, slidingWindow: 8 }, 0.01],
  // mixtures of experts (their feed-forwards not adapted): the input gradient through each token's chosen experts, the
  // router's logits of them and their weights
  ['qwen3moe f32 GQA, 8 experts of 32, 2 per token', { arch: 'qwen3moe', vocab: 'spm', kvHeads: 2, experts: { count: 8, used: 2, ff: 32 } }, 0.01],
  ["llama f32 as Mixtral's, 4 experts, 2 per token", { experts: { count: 4, used: 2 } }, 0.01],
  // Gemma 4 26B-A4B's: its feed-forward (adapted) beside the experts, gate and up in one, the router reading its own
  // input, expert scales. Every expert used: these random routers' near ties would flip a choice of fewer under the
  // finite differences' steps (choosing is checked above, the same code)
  ['gemma4 f32 with 4 experts of 32 beside each feed-forward, all used', { arch: 'gemma4', vocab: 'spm', layers: 6, kvHeads: 2, slidingWindow: 8, experts: { count: 4, used: 4, ff: 32 } }, 0.01],
  ['qwen3moe q8_0 GQA, 8 experts of 32, 2 per token', { arch: 'qwen3moe', vocab: 'spm', kvHeads: 2, type: 'q8_0', experts: { count: 8, used: 2, ff: 32 } }, 0.5],
  ['olmo2 f32 GQA, 3 of 4 layers in a window of 8, YaRN on the others', { arch: 'olmo2', vocab: 'spm', layers: 4, kvHeads: 2, slidingWindow: 8, ropeScaling: { type: 'yarn', factor: 4, originalContext: 16 } }, 0.01],
];

for (const type of ['f32', 'q8_0', 'q4_0', 'q4_k', 'f16'] as const) {
  t.test(`the fast input gradient through frozen ${type} weights equals ggml's own formula`, async (t) => {
    const path = await testModel(type === 'q4_k' ? { type, embd: 256, ff: 512 } : { type });
    const dump = fileURLToPath(new URL('../helpers/grad-dump.js', import.meta.url));
    // ggml's generic formula (out_prod of quantized weights) has no CUDA kernel: on a GPU it is computed on the CPU
    const run = (env: Record<string, string>) =>
      JSON.parse(execFileSync(process.execPath, [dump, path], { env: { ...suiteEnv, ...env }, encoding: 'utf8' })) as Record<string, number[]>;
    const reference = run({ RL_GGML_GENERIC_BACKWARD: '1', RL_GGML_DEVICE: 'cpu' });
    // at this run's precision (see cpuBackwardPrecision), and in f32
    for (const f32 of [false, true]) {
      const fast = run({ RL_GGML_GENERIC_BACKWARD: '0', ...(f32 ? { RL_GGML_BACKWARD_F32: '1' } : {}) });
      let worst = 0;
      for (const [name, g] of Object.entries(reference)) {
        const scale = Math.max(...g.map(Math.abs)) + 1e-12;
        g.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - fast[name][i]) / scale)));
      }
      const tolerance = f32 && !onGpu ? 1e-4 : gradientTolerance(1e-4);
      t.ok(worst < tolerance, `${f32 ? 'f32' : 'default precision'}: max difference ${worst.toExponential(2)} of each tensor's largest gradient`);
    }
  });
}

for (const [name, options, tolerance] of bases) {
  t.test(`packed prompts and actions, ${name} base`, async (t) => {
    const targets: LoraTarget[] = options.experts && options.arch !== 'gemma4' ? ['q', 'k', 'v', 'o'] : ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];
    const config = { lora: { rank: 2, alpha: 4, targets }, valueHead: { hidden: [16, 8] }, seed: 5 };
    const model = await loadModel(await testModel(options), { threads: 2 });
    const policy = await createPolicy(model, config);
    const quantized = options.type !== undefined;
    const twinModel = quantized ? await loadModel(await testModel({ ...options, type: 'f32', roundTrip: options.type }), { threads: 2 }) : model;
    const twin = quantized ? await createPolicy(twinModel, config) : policy;
    t.teardown(async () => {
      await policy.dispose();
      await model.dispose();
      if (quantized) {
        await twin.dispose();
        await twinModel.dispose();
      }
    });
    perturbB(policy, 9);
    perturbB(twin, 9);
    const value = (f: PolicyForward) =>
      f.scores.reduce((s, ps, n) => s + ps.actions.reduce((a, x, k) => a + coef[n][k] * x.logprob, 0) + dValue[n] * f.values[n], 0);
    await policy.forward(items);
    await checkParams(t, policy, async () => value(await twin.forward(items)), () => policy.backward({ dLogprob: coef, dValue }), tolerance, twin);
  });
}

// Slots longer than the attention block attend by blocks of queries: 8-row blocks split these into 2-4 blocks.
for (const blockRows of ['', '8']) {
  t.test(`multi-turn marked sequences${blockRows ? `, attention by blocks of ${blockRows} queries` : ''}`, async (t) => {
    process.env.RL_GGML_ATTENTION_BLOCK_ROWS = blockRows;
    const model = await loadModel(await testModel(), { threads: 2 });
    const policy = await createPolicy(model, { lora: { rank: 3, alpha: 3, targets: ['q', 'v', 'down'] }, valueHead: false, seed: 2 });
    t.teardown(async () => {
      delete process.env.RL_GGML_ATTENTION_BLOCK_ROWS;
      await policy.dispose();
      await model.dispose();
    });
    perturbB(policy, 4);
    const a = model.tokenize('User: go north. Agent: I go north. User: now east. Agent: I go east.', { bos: true });
    const b = model.tokenize('Observation: a bowl. Action: take bowl', { bos: true });
    // mark two "agent turns" of a and the tail of b
    const seqs = [
      { tokens: a, marked: a.map((_, i) => (i > 5 && i < 11) || i > a.length - 5) },
      { tokens: b, marked: b.map((_, i) => i >= b.length - 3) },
    ];
    const c = [0.8, -1.3];
    const f = await policy.forwardSequences(seqs);
    t.same(f.tokens, seqs.map((s) => s.marked.filter((m, i) => m && i > 0).length));
    if (blockRows) {
      process.env.RL_GGML_ATTENTION_BLOCK_ROWS = '';
      const whole = await policy.forwardSequences(seqs, { keep: false });
      process.env.RL_GGML_ATTENTION_BLOCK_ROWS = blockRows;
      t.ok(f.logprob.every((x, i) => Math.abs(x - whole.logprob[i]) <= 1e-5 * Math.abs(x)), `log-probs as with one block: ${f.logprob} vs ${whole.logprob}`);
    }
    const loss = async () => (await policy.forwardSequences(seqs)).logprob.reduce((s, x, n) => s + c[n] * x, 0);
    await checkParams(t, policy, loss, async () => {
      await policy.forwardSequences(seqs);
      await policy.backwardSequences(c);
    }, 0.01);
  });
}

t.test('a fresh adapter reproduces the base model exactly', async (t) => {
  const model = await loadModel(await testModel({ type: 'q4_0' }), { threads: 2 });
  const before = await model.scoreActions(items, { normalization: 'sum' });
  const policy = await createPolicy(model, { lora: { rank: 4, alpha: 8, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] } });
  t.teardown(async () => {
    await policy.dispose();
    await model.dispose();
  });
  const f = await policy.forward(items, { normalization: 'sum' });
  const base = await model.scoreActions(items, { normalization: 'sum' });
  t.same(f.scores.map((s) => s.actions.map((a) => a.logprob)), base.map((s) => s.actions.map((a) => a.logprob)), 'policy == base scoring, bit for bit');
  t.same(base, before, 'creating a policy leaves scoring unchanged, bit for bit (the forward keeps repacked weights)');
  const scored = await policy.score(items, { normalization: 'sum' });
  t.same(scored.map((s) => s.actions.map((a) => a.logprob)), base.map((s) => s.actions.map((a) => a.logprob)));
});

t.test('evaluate (for acting) gives forward\'s scores and values, keeping nothing for a backward pass', async (t) => {
  const model = await loadModel(await testModel({ type: 'q4_0' }), { threads: 2 });
  const policy = await createPolicy(model, { lora: { rank: 4, alpha: 8, targets: ['q', 'v'] }, valueHead: { hidden: [16, 8] }, seed: 2 });
  t.teardown(async () => {
    await policy.dispose();
    await model.dispose();
  });
  perturbB(policy, 4);
  const logprobs = (r: PolicyForward) => r.scores.map((s) => s.actions.map((a) => a.logprob));
  const evaluated = await policy.evaluate(items);
  const afterEvaluate = policy.memoryUsage().compute;  // the value head's graph only
  const f = await policy.forward(items);
  const afterForward = policy.memoryUsage().compute;
  t.ok(afterEvaluate < 0.1 * afterForward, `evaluate's compute memory ${afterEvaluate} B, a kept forward's ${afterForward} B`);
  t.same(logprobs(evaluated), logprobs(f), 'log-probs, bit for bit');
  t.same(evaluated.values, f.values, 'values, bit for bit');
  const base = await model.scoreActions(items);
  t.notSame(logprobs(evaluated), base.map((s) => s.actions.map((a) => a.logprob)), 'with the adapter applied');
  // between a forward and its backward, an evaluation leaves the kept pass alone
  await policy.evaluate(items);
  policy.zeroGrad();
  await policy.backward({ dLogprob: coef });
  t.ok(policy.parameters().some((p) => policy.getGradient(p.name).some((g) => g !== 0)), 'the backward of the kept forward');
});

// Qwen3's heads are wider than the embedding (its queries twice as wide at 0.6B's shapes); Gemma 3 adds norms, a
// GELU whose backward is composed of several ops, and a second attention mask; Gemma 2 the tanh of its soft caps;
// Qwen2 its logits' bias; Granite its multipliers' products; Gemma 4 heads of two sizes and every layer's own input;
// Qwen3-MoE each token's chosen experts' activations and outputs.
const estimated = [
  ['llama', {}],
  ['qwen3, queries twice the embedding', { arch: 'qwen3', headDim: 128 }],
  ['gemma3, a window of 64', { arch: 'gemma3', vocab: 'spm', headDim: 128, tied: true, slidingWindow: 64 }],
  ['gemma2, a window of 64', { arch: 'gemma2', vocab: 'spm', headDim: 128, tied: true, slidingWindow: 64 }],
  ['qwen2, an LM head bias', { arch: 'qwen2', vocab: 'spm', biases: true }],
  ['granite, μP multipliers', { arch: 'granite', vocab: 'spm' }],
  ['gemma4, per-layer inputs and shared keys and values', { arch: 'gemma4', vocab: 'spm', layers: 12, headDim: 128, headDimSwa: 64, tied: true, slidingWindow: 64, perLayerInputs: 64, sharedKvLayers: 6 }],
  ['qwen3moe, 2 of 16 experts of 256 per token', { arch: 'qwen3moe', vocab: 'spm', experts: { count: 16, used: 2, ff: 256 } }],
] as const;
for (const [name, options] of estimated) {
  t.test(`the training-memory estimate covers what a training forward allocates (${name})`, async (t) => {
    const model = await loadModel(await testModel({ layers: 3, embd: 256, ff: 704, heads: 4, ...options }), { threads: 2 });
    t.teardown(() => model.dispose());
    // [prompts, repeats of the prompt's sentence]; 50 makes a slot long enough to recompute attention in the backward
    for (const [n, repeats] of [[1, 4], [3, 4], [2, 50]]) {
      const policy = await createPolicy(model, { lora: { rank: 8, alpha: 16, targets: ['q', 'v'] }, valueHead: { hidden: [64, 32] } });
      const batch = Array.from({ length: n }, (_, i) => ({ prompt: `${'You see a tomato and a bowl on the counter. '.repeat(repeats + i)}Your next step is to`, actions: ['pick up the tomato', 'serve the dish', 'go north'] }));
      await policy.forward(batch);
      const actual = policy.memoryUsage().compute;
      const estimate = policy.trainingBytes(batch);
      t.ok(estimate >= actual && estimate < 2 * actual, `${n} prompt(s) of ${repeats} sentences: estimate ${estimate} B for ${actual} B allocated`);
      await policy.dispose();
    }
  });
}

// gemma2: the soft cap's tanh, which its backward reads, is recomputed with the probabilities
const recomputeModels = { llama: { layers: 8 }, 'gemma2, soft caps 2 and 5': { arch: 'gemma2', vocab: 'spm', layers: 8, tied: true, softCaps: { attention: 2, final: 5 } } } as const;
for (const [name, options] of Object.entries(recomputeModels)) {
  t.test(`long sequences recompute attention in the backward pass: the same gradients, bit for bit, in less memory (${name})`, async (t) => {
    const model = await loadModel(await testModel(options), { threads: 2 });
    t.teardown(() => model.dispose());
    const tokens = model.tokenize('You are in the middle of a room. Looking around you, you see a cabinet 1. '.repeat(30), { bos: true });
    t.ok(tokens.length >= native().recomputeAttentionFromSlot, `${tokens.length} tokens: a slot past the recomputation threshold`);
    const seqs = [{ tokens, marked: tokens.map((_, i) => i % 25 === 0) }];
    const run = async (recompute: '0' | '1' | '', blockRows = '') => {
      process.env.RL_GGML_RECOMPUTE_ATTENTION = recompute;
      process.env.RL_GGML_ATTENTION_BLOCK_ROWS = blockRows;
      const policy = await createPolicy(model, { lora: { rank: 2, alpha: 4, targets: ['q', 'k', 'v'] }, valueHead: false, seed: 3 });
      perturbB(policy, 6);
      await policy.forwardSequences(seqs);
      await policy.backwardSequences([1]);
      const grads = policy.parameters().map((p) => Array.from(policy.getGradient(p.name)));
      const bytes = policy.memoryUsage().compute;
      await policy.dispose();
      return { grads, bytes };
    };
    const kept = await run('0');
    const recomputed = await run('1');
    t.same(recomputed.grads, kept.grads, 'identical gradients');
    t.ok(kept.grads.flat().some((g) => g !== 0), 'gradients are not all zero');
    t.ok(recomputed.bytes < 0.6 * kept.bytes, `compute memory ${recomputed.bytes} B instead of ${kept.bytes} B`);
    const byDefault = await run('');
    t.equal(byDefault.bytes, recomputed.bytes, 'recomputed by default at this length');
    // by default the 608-token slot attends in blocks of 256 queries: recomputed, one block's probabilities at a time
    const oneBlock = await run('1', '100000');
    delete process.env.RL_GGML_RECOMPUTE_ATTENTION;
    delete process.env.RL_GGML_ATTENTION_BLOCK_ROWS;
    t.ok(oneBlock.grads.every((g, i) => g.every((x, j) => Math.abs(x - recomputed.grads[i][j]) <= 1e-5 * Math.max(...g.map(Math.abs)))), 'gradients as with one block');
    t.ok(recomputed.bytes < 0.9 * oneBlock.bytes, `compute memory ${recomputed.bytes} B in blocks of queries, ${oneBlock.bytes} B in one`);
  });
}

/** Three conversations of different lengths (padded slots), every `every`-th token scored. */
function conversations(model: Model, every = 9) {
  const sentence = 'You are in the middle of a room. Looking around you, you see a cabinet 1. ';
  return [12, 5, 1].map((n) => {
    const tokens = model.tokenize(sentence.repeat(n), { bos: true });
    return { tokens, marked: tokens.map((_, i) => i % every === 4 % every) };
  });
}

/** Conversations and action scores through all seven adapters (a mixture of experts alone: attention's four) and a value head,
 *  kept or checkpointed (a budget of 1 byte). */
async function trainingRun(model: Model, memoryBudget: number | undefined, every?: number) {
  const seqs = conversations(model, every);
  const targets: LoraTarget[] = model.hparams.experts && !model.hparams.experts.shared ? ['q', 'k', 'v', 'o'] : ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];
  const policy = await createPolicy(model, { lora: { rank: 2, alpha: 4, targets }, valueHead: { hidden: [16, 8], features: 'adapted' }, seed: 3 });
  perturbB(policy, 6);
  const sequences = await policy.forwardSequences(seqs, { memoryBudget });
  await policy.backwardSequences([1, -0.5, 0.25]);
  const forward = await policy.forward(items, { memoryBudget });
  await policy.backward({ dLogprob: coef, dValue });
  const grads = policy.parameters().map((p) => Array.from(policy.getGradient(p.name)));
  const bytes = policy.memoryUsage().compute;
  await policy.dispose();
  return { sequences, forward, grads, bytes };
}

const checkpointModel = { layers: 4, embd: 128, heads: 4, kvHeads: 2, ff: 256, type: 'q8_0' } as const;

// gemma3: its windowed layers' mask, uploaded once with the other, is read by the recomputed layers too; gemma2: the
// recomputed LM head is soft-capped; qwen2: biased; mistral3: the temperatures, uploaded once too
const checkpointModels = {
  llama: checkpointModel,
  'gemma3, 5 of 6 layers in a window of 8': { ...checkpointModel, arch: 'gemma3', vocab: 'spm', layers: 6, tied: true, slidingWindow: 8 },
  'gemma2, soft caps 2 and 5': { ...checkpointModel, arch: 'gemma2', vocab: 'spm', tied: true, slidingWindow: 8, softCaps: { attention: 2, final: 5 } },
  'qwen2, an LM head bias': { ...checkpointModel, arch: 'qwen2', vocab: 'spm', biases: true },
  // the last 6 of 18 layers are recomputed with layers 10 and 11, whose keys and values they read
  'gemma4, per-layer inputs and shared keys and values': { ...checkpointModel, arch: 'gemma4', vocab: 'spm', layers: 18, tied: true, slidingWindow: 8, headDimSwa: 16, perLayerInputs: 32, sharedKvLayers: 6 },
  'mistral3, an attention temperature from position 8 on': { ...checkpointModel, arch: 'mistral3', vocab: 'spm', ropeScaling: { type: 'yarn', factor: 4, originalContext: 8 }, attnTemperature: 0.5 },
  'qwen3moe, 2 of 8 experts per token': { ...checkpointModel, arch: 'qwen3moe', vocab: 'spm', experts: { count: 8, used: 2, ff: 64 } },
  'gemma4, 2 of 8 experts per token beside each feed-forward': { ...checkpointModel, arch: 'gemma4', vocab: 'spm', layers: 6, tied: true, slidingWindow: 8, experts: { count: 8, used: 2, ff: 64 } },
} as const;
for (const [name, options] of Object.entries(checkpointModels)) {
  t.test(`layer checkpointing: the same log-probs, values and gradients, bit for bit, in less memory (${name})`, async (t) => {
    const model = await loadModel(await testModel(options), { threads: 2 });
    t.teardown(() => model.dispose());
    const kept = await trainingRun(model, undefined);
    const checkpointed = await trainingRun(model, 1);
    t.same(checkpointed.sequences, kept.sequences, 'identical sequence log-probs');
    t.same(checkpointed.forward, kept.forward, 'identical action scores and values (from the adapted model)');
    t.ok(checkpointed.grads.every((g, i) => g.every((x, j) => x === kept.grads[i][j])), 'identical gradients');
    t.ok(kept.grads.flat().some((g) => g !== 0), 'gradients are not all zero');
    t.ok(checkpointed.bytes < 0.7 * kept.bytes, `device memory ${checkpointed.bytes} B instead of ${kept.bytes} B`);
    const unbounded = await trainingRun(model, Infinity);
    t.equal(unbounded.bytes, kept.bytes, 'no checkpoints within the budget');
    const policy = await createPolicy(model, { valueHead: false });
    await t.rejects(policy.forwardSequences(conversations(model), { memoryBudget: 0 }), { code: 'INVALID_ARGUMENT', message: /memoryBudget must be positive/ });
    await policy.dispose();
  });
}

t.test('the LM head in chunks of rows: the same log-probs and gradients, in less memory', async (t) => {
  const model = await loadModel(await testModel(checkpointModel), { threads: 2 });
  t.teardown(() => {
    delete process.env.RL_GGML_HEAD_CHUNK_ROWS;
    return model.dispose();
  });
  // every other token scored (about 180 rows), in one chunk or in chunks of 7 rows
  process.env.RL_GGML_HEAD_CHUNK_ROWS = '1000000';
  const whole = await trainingRun(model, undefined, 2);
  const checkpointedWhole = await trainingRun(model, 1, 2);
  process.env.RL_GGML_HEAD_CHUNK_ROWS = '7';
  const kept = await trainingRun(model, undefined, 2);
  const checkpointed = await trainingRun(model, 1, 2);
  const close = (a: number[], b: number[], tolerance: number) => {
    const scale = Math.max(1e-12, ...a.map(Math.abs));
    return a.every((x, i) => Math.abs(x - b[i]) <= tolerance * scale);
  };
  t.ok(close(kept.sequences.logprob, whole.sequences.logprob, 1e-6), 'sequence log-probs as from one chunk');
  t.ok(close(kept.forward.scores.flatMap((s) => s.actions.map((a) => a.logprob)), whole.forward.scores.flatMap((s) => s.actions.map((a) => a.logprob)), 1e-6), 'action log-probs as from one chunk');
  t.ok(kept.grads.every((g, i) => close(whole.grads[i], g, 1e-5)), 'gradients as from one chunk');
  t.same(checkpointed.sequences, kept.sequences, 'checkpointed: identical sequence log-probs');
  t.ok(checkpointed.grads.every((g, i) => g.every((x, j) => x === kept.grads[i][j])), 'checkpointed: identical gradients (the head recomputed chunk by chunk)');
  t.ok(kept.bytes < 0.75 * whole.bytes, `kept: device memory ${kept.bytes} B instead of ${whole.bytes} B`);
  t.ok(checkpointed.bytes < 0.5 * checkpointedWhole.bytes, `checkpointed: device memory ${checkpointed.bytes} B instead of ${checkpointedWhole.bytes} B`);
});
