// The architectures besides llama: qwen2 (llama's block with q, k, v projection biases and NeoX-style RoPE), qwen3
// (per-head q, k norms instead of biases, heads wider than embedding / heads) with Qwen2's vocabulary, which Qwen3
// shares, qwen3moe (qwen3's with mixtures of experts, as llama's Mixtral), smollm3 (no RoPE in every 4th layer), gemma3 (scaled embeddings, GELU, post-norms, sliding windows), gemma2
// (gemma3's without q, k norms, with soft caps), olmo2 (post-norms only, q and k normed whole), phi3 (fused
// projections), granite (μP multipliers), mistral3 (an attention temperature), glm4 (pre- and post-norms, a fused
// gate and up, half-rotary RoPE) and exaone4 (olmo2's block with per-head norms, windows at 64 layers): what make-model writes, how conversations are laid out and tokenized, adapters that node-llama-cpp
// applies as we do, and the clear errors of a vocabulary without BOS. Log-probs, generation and gradients on each are
// checked with the other types in reference.test.ts, generate.test.ts and training/gradients.test.ts.
import t, { type Test } from 'tap';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { vocabularyChatTemplate } from '../../src/chat-template.js';
import { InvalidArgumentError } from '../../src/errors.js';
import type { MakeModelOptions } from '../../src/make-model.js';
import { loadModel, type Model } from '../../src/model.js';
import { packBatch } from '../../src/packing.js';
import { packageRoot } from '../../src/native.js';
import { conversationTokens } from '../../src/training/conversation.js';
import { createPolicy, loadAdapter, loadPolicy } from '../../src/training/llm-policy.js';
import type { LoraTarget } from '../../src/training/policy.js';
import { sft } from '../../src/training/sft.js';
import { referenceLogprobTolerance } from '../helpers/device.js';
import { setF32, setU32 } from '../helpers/gguf-surgery.js';
import { tempPath, testModel } from '../helpers/models.js';
import { adapterAgreement, gemmaGeluTolerance, referenceLogprobs, referenceModel } from '../helpers/reference.js';
import { mugTrajectory } from '../helpers/trajectories.js';

/** The shape of the model's tensor `name`, if it has one. */
const tensorShape = (model: Model, name: string) => model.tensors.find((x) => x.name === name)?.shape;

const qwen2 = () => testModel({ arch: 'qwen2', kvHeads: 2, tied: true });

/** The text of each run of marked tokens. */
function markedSpans(model: Model, tokens: readonly number[], marked: readonly boolean[]): string[] {
  const spans: string[] = [];
  tokens.forEach((tok, i) => {
    if (!marked[i]) return;
    if (i === 0 || !marked[i - 1]) spans.push('');
    spans[spans.length - 1] += model.tokenPiece(tok).toString();
  });
  return spans;
}

t.test('make-model: a qwen2 model gets Qwen2\'s vocabulary, chat template and RoPE base', async (t) => {
  const model = await loadModel(await qwen2(), { threads: 1 });
  t.teardown(() => model.dispose());
  t.equal(model.hparams.architecture, 'qwen2');
  t.equal(model.hparams.nVocab, 151936);
  t.equal(model.hparams.ropeFreqBase, 1e6);
  t.ok(model.hparams.tiedOutput);
  t.match(model.chatTemplate, { name: 'gguf', source: 'gguf' }, "the vocabulary file's Jinja template is the model's");
  t.notOk(model.addsBos, 'no BOS, as llama.cpp tokenizes for Qwen2');
  t.same(model.tokenize('Hello', { bos: true }), model.tokenize('Hello'));
  t.equal(vocabularyChatTemplate((x) => model.tokenize(x, { special: true })), 'chatml', "the vocabulary's own chat tokens are ChatML's");

  const llama = await loadModel(await testModel(), { threads: 1 });
  t.teardown(() => llama.dispose());
  t.equal(llama.hparams.architecture, 'llama');
  t.ok(llama.addsBos);
  t.equal(vocabularyChatTemplate((x) => llama.tokenize(x, { special: true })), 'llama2');
});

t.test('make-model: a qwen3 model has wide heads, per-head norms and no biases', async (t) => {
  const model = await loadModel(await testModel({ arch: 'qwen3', headDim: 32 }), { threads: 1 });
  t.teardown(() => model.dispose());
  t.equal(model.hparams.architecture, 'qwen3');
  t.equal(model.hparams.headDim, 32, 'attention.key_length');
  t.equal(model.hparams.nRot, 32);
  t.equal(model.hparams.ropeFreqBase, 1e6);
  t.equal(model.hparams.nVocab, 151936, "Qwen2's vocabulary");
  const shape = (name: string) => tensorShape(model, name);
  t.same(shape('blk.0.attn_q.weight'), [64, 128], 'queries of 4 heads × 32');
  t.same(shape('blk.0.attn_output.weight'), [128, 64]);
  t.same(shape('blk.1.attn_q_norm.weight'), [32]);
  t.same(shape('blk.1.attn_k_norm.weight'), [32]);
  t.notOk(model.tensors.some((x) => x.name.endsWith('.bias')));
});

t.test("make-model: a qwen3moe model has a router and experts in every layer; Mixtral's are llama's, ff wide", async (t) => {
  const model = await loadModel(await testModel({ arch: 'qwen3moe', kvHeads: 2, type: 'q8_0', experts: { count: 8, used: 2, ff: 96 } }), { threads: 1 });
  t.teardown(() => model.dispose());
  t.equal(model.hparams.architecture, 'qwen3moe');
  t.same(model.hparams.experts, { count: 8, used: 2, ff: 96, shared: false });
  t.equal(model.hparams.nVocab, 151936, "Qwen2's vocabulary");
  const shape = (name: string) => tensorShape(model, name);
  const type = (name: string) => model.tensors.find((x) => x.name === name)?.type;
  t.same(shape('blk.1.ffn_gate_inp.weight'), [64, 8]);
  t.equal(type('blk.1.ffn_gate_inp.weight'), 'f32', 'the router unquantized, as llama.cpp quantizes files');
  t.same(shape('blk.1.ffn_gate_exps.weight'), [64, 96, 8]);
  t.same(shape('blk.1.ffn_up_exps.weight'), [64, 96, 8]);
  t.same(shape('blk.1.ffn_down_exps.weight'), [96, 64, 8]);
  t.equal(type('blk.1.ffn_down_exps.weight'), 'q8_0');
  t.notOk(model.tensors.some((x) => /ffn_(gate|up|down)\.weight/.test(x.name)), 'no dense feed-forward');
  await t.rejects(createPolicy(model, { lora: { rank: 2, targets: ['q', 'down'] } }), { code: 'INVALID_ARGUMENT', message: /LoRA target "down" adapts nothing in this qwen3moe model: its feed-forwards are mixtures of experts/ });

  const mixtral = await loadModel(await testModel({ experts: { count: 4, used: 2 } }), { threads: 1 });
  t.teardown(() => mixtral.dispose());
  t.same(mixtral.hparams.experts, { count: 4, used: 2, ff: 160, shared: false });
  t.same(tensorShape(mixtral, 'blk.0.ffn_up_exps.weight'), [64, 160, 4]);
  t.equal((await loadModel(await testModel(), { threads: 1 }).then(async (m) => (await m.dispose(), m.hparams))).experts, null, 'dense llama: none');
  await t.rejects(testModel({ arch: 'qwen3moe' }), { code: 'INVALID_ARGUMENT', message: /a mixture of experts needs between 1 and experts experts per token/ });
  await t.rejects(testModel({ arch: 'qwen3', experts: { count: 4, used: 2 } }), { code: 'INVALID_ARGUMENT', message: /qwen3 has no mixtures of experts \(llama, gemma4 and qwen3moe have\)/ });
  await t.rejects(testModel({ experts: { count: 4, used: 2, ff: 64 } }), { code: 'INVALID_ARGUMENT', message: /llama's experts are ff wide/ });
  await t.rejects(testModel({ arch: 'qwen3moe', experts: { count: 4, used: 5 } }), { code: 'INVALID_ARGUMENT', message: /between 1 and experts/ });
});

t.test("make-model: a gemma4 model with 26B-A4B's experts keeps its feed-forward beside them, with norms and scales of their own", async (t) => {
  const model = await loadModel(await testModel({ arch: 'gemma4', vocab: 'spm', layers: 6, slidingWindow: 8, experts: { count: 8, used: 2, ff: 32 } }), { threads: 1 });
  t.teardown(() => model.dispose());
  t.same(model.hparams.experts, { count: 8, used: 2, ff: 32, shared: true });
  const shape = (name: string) => tensorShape(model, name);
  t.same(shape('blk.2.ffn_gate_up_exps.weight'), [64, 64, 8], "the experts' gate and up in one");
  t.same(shape('blk.2.ffn_down_exps.weight'), [32, 64, 8]);
  t.same(shape('blk.2.ffn_gate_inp.scale'), [64]);
  t.same(shape('blk.2.ffn_down_exps.scale'), [8]);
  for (const norm of ['pre_ffw_norm_2', 'post_ffw_norm_1', 'post_ffw_norm_2']) t.same(shape(`blk.2.${norm}.weight`), [64]);
  t.same(shape('blk.2.ffn_gate.weight'), [64, 160], 'its own feed-forward, which LoRA adapts');
  const policy = await createPolicy(model, { lora: { rank: 2, targets: ['q', 'gate', 'down'] } });
  t.teardown(() => policy.dispose());
  t.ok(policy.parameters().some((p) => p.name === 'blk.2.ffn_gate.weight.lora_a'));
});

t.test('make-model: a smollm3 model gets Llama 3\'s vocabulary and SmolLM3\'s RoPE base', async (t) => {
  const model = await loadModel(await testModel({ arch: 'smollm3', layers: 4 }), { threads: 1 });
  t.teardown(() => model.dispose());
  t.equal(model.hparams.architecture, 'smollm3');
  t.equal(model.hparams.nVocab, 128256);
  t.equal(model.hparams.ropeFreqBase, 5e6);
  t.match(model.chatTemplate, { name: 'llama3', source: 'vocabulary' });
  t.ok(model.addsBos);
});

// gemma3 unless options say gemma2
const gemma = (options: Omit<MakeModelOptions, 'out'> = {}) => testModel({ arch: 'gemma3', layers: 6, kvHeads: 1, headDim: 32, tied: true, slidingWindow: 16, ...options });

t.test("make-model: a gemma3 model has Gemma's vocabulary size, post-norms and sliding windows in 5 of 6 layers", async (t) => {
  const model = await loadModel(await gemma(), { threads: 1 });
  t.teardown(() => model.dispose());
  t.equal(model.hparams.architecture, 'gemma3');
  t.equal(model.hparams.nVocab, 262144, "Gemma 4's vocabulary, as large as Gemma 3's");
  t.equal(model.hparams.ropeFreqBase, 1e6, "the global layers' RoPE base (the windowed ones use 10,000)");
  t.equal(model.hparams.slidingWindow, 16);
  t.ok(model.addsBos);
  t.match(model.chatTemplate, { name: 'gguf', source: 'gguf' }, "the vocabulary file's Jinja template is the model's");
  const shape = (name: string) => tensorShape(model, name);
  t.same(shape('blk.5.post_attention_norm.weight'), [64]);
  t.same(shape('blk.5.post_ffw_norm.weight'), [64]);
  t.same(shape('blk.0.attn_q_norm.weight'), [32]);
  t.notOk(model.tensors.some((x) => x.name === 'output.weight'), 'the head is the embedding');
  const { tokens, marked } = conversationTokens(model, mugTrajectory.conversations);
  t.equal(tokens[0], model.bosToken);
  t.same(markedSpans(model, tokens, marked), mugTrajectory.conversations.filter((c) => c.from === 'gpt').map((c) => `${c.value}<turn|>`), "each reply marked through Gemma's end of turn");
});

t.test("a vocabulary with Gemma's turn tokens (and no file template) gets llama.cpp's gemma layout", async (t) => {
  const special = new Set(['<start_of_turn>', '<end_of_turn>']);
  t.equal(vocabularyChatTemplate((text) => (special.has(text) ? [7] : [7, 8])), 'gemma');
  const model = await loadModel(await gemma({ vocab: 'spm' }), { threads: 1, chatTemplate: 'gemma' });
  t.teardown(() => model.dispose());
  const { tokens } = conversationTokens(model, mugTrajectory.conversations.slice(0, 1));
  t.match(model.detokenize(tokens), /<start_of_turn>user\nYou are in a kitchen\. .*<end_of_turn>\n<start_of_turn>model\n$/s);
});

t.test('a sliding window of 8: each prediction reads the last 8 positions, none before', async (t) => {
  // one layer, so each prediction reads the last 8 tokens only (a stack of windowed layers would see further)
  const model = await loadModel(await gemma({ vocab: 'spm', layers: 1, slidingWindow: 8 }), { threads: 1 });
  const global = await loadModel(await gemma({ vocab: 'spm', layers: 1, slidingWindow: undefined }), { threads: 1 });
  t.teardown(async () => {
    await model.dispose();
    await global.dispose();
  });
  const a = model.tokenize('the quick brown fox jumps over the lazy dog and runs far away into the woods', { bos: true });
  const b = a.map((tok, i) => (i === 2 ? model.tokenize(' tomato')[0] : tok));
  t.ok(a.length > 16 && a[2] !== b[2]);
  const logprobs = async (m: Model, tokens: number[]) =>
    Array.from(await m.evaluate(packBatch([{ prefix: tokens, branches: [], scored: tokens.slice(1).map((_, i) => [-1, i + 1] as [number, number]) }])));
  const [la, lb] = [await logprobs(model, a), await logprobs(model, b)];
  // token k is predicted at position k - 1, which sees positions k - 8 .. k - 1: token 2 reaches tokens 3 to 10
  t.ok([3, 4, 9, 10].every((k) => la[k - 1] !== lb[k - 1]), 'tokens 3 to 10 see the change');
  t.same(la.slice(10), lb.slice(10), 'tokens from 11 on do not');
  const [ga, gb] = [await logprobs(global, a), await logprobs(global, b)];
  t.ok(ga.slice(10).every((x, i) => x !== gb[10 + i]), 'without a window every later token sees it');
});

// Gemma 2's 46 layers, without q, k norms to keep attention's scores small, amplify the GELU's differences (see
// gemmaGeluTolerance) to about 3e-2 on these random weights; the other scale moves log-probs by units.
for (const [arch, layers, bound] of [['gemma3', 62, referenceLogprobTolerance + gemmaGeluTolerance], ['gemma2', 46, 0.1]] as const) {
  t.test(`at 27B's depth (${layers} layers) ${arch} scales attention scores by 1/√(embedding / heads), as llama.cpp does`, async (t) => {
    const path = await gemma({ arch, vocab: 'spm', layers });  // heads of 32, embedding / heads 16
    const ours = await loadModel(path, { threads: 2 });
    const ref = await referenceModel(path);
    t.teardown(async () => {
      await ours.dispose();
      await ref.dispose();
    });
    t.match(ref.typeDescription, new RegExp(`^${arch} 27B`), 'llama.cpp takes it for the 27B');
    const r = await ours.logprobs('pick up the tomato; chop it on the first cutting board!');
    const expected = await referenceLogprobs(ref, r.tokens);
    const worst = Math.max(...r.logprobs.slice(1).map((x, i) => Math.abs((x as number) - expected[i])));
    t.ok(worst <= bound, `max |Δ log-prob| ${worst.toExponential(2)} <= ${bound}`);
  });
}

t.test("make-model: a gemma2 model has Gemma 2's soft caps, RoPE base and default window, and no q, k norms", async (t) => {
  const model = await loadModel(await testModel({ arch: 'gemma2', kvHeads: 2, tied: true }), { threads: 1 });
  t.teardown(() => model.dispose());
  t.equal(model.hparams.architecture, 'gemma2');
  t.equal(model.hparams.nVocab, 262144, "Gemma 4's vocabulary, near Gemma 2's 256,000");
  t.equal(model.hparams.ropeFreqBase, 10000);
  t.same(model.hparams.softCaps, { attention: 50, final: 30 });
  t.equal(model.hparams.slidingWindow, 4096, "llama.cpp's window where the file gives none");
  const shape = (name: string) => tensorShape(model, name);
  t.same(shape('blk.1.post_attention_norm.weight'), [64]);
  t.same(shape('blk.1.post_ffw_norm.weight'), [64]);
  t.notOk(model.tensors.some((x) => x.name.includes('attn_q_norm')), 'no q, k norms');
  const capped = await loadModel(await testModel({ arch: 'gemma2', vocab: 'spm', softCaps: { attention: 2, final: 5 } }), { threads: 1 });
  t.teardown(() => capped.dispose());
  t.same(capped.hparams.softCaps, { attention: 2, final: 5 });
  t.ok(capped.hparams.tiedOutput, "tied by default: llama.cpp loads Gemma 2's head from the embedding only");
  const refused: [Omit<MakeModelOptions, 'out'>, RegExp][] = [
    [{ arch: 'gemma3', softCaps: { attention: 2 } }, /gemma3 has no soft caps/],
    [{ arch: 'gemma2', softCaps: { final: 0 } }, /softCaps must be positive/],
    [{ arch: 'gemma2', tied: false }, /gemma2's output projection is its token embedding: it must be tied/],
    [{ arch: 'olmo2', tied: true }, /olmo2 has an output projection of its own/],
  ];
  for (const [options, message] of refused) await t.rejects(testModel({ vocab: 'spm', ...options }), { code: 'INVALID_ARGUMENT', message }, JSON.stringify(options));
});

t.test("make-model: a gemma4 model has Gemma 4's layers of two shapes, normed values, output scales and a soft cap on the logits", async (t) => {
  const model = await loadModel(await testModel({ arch: 'gemma4', vocab: 'spm', layers: 6, kvHeads: 2, headDim: 32, headDimSwa: 16, kvHeadsGlobal: 1, kEqV: true }), { threads: 1 });
  t.teardown(() => model.dispose());
  const hp = model.hparams;
  t.equal(hp.architecture, 'gemma4');
  t.equal(hp.slidingWindow, 1024, "Gemma 4's window where none is given");
  t.same(hp.softCaps, { attention: 0, final: 30 }, 'logits only');
  t.equal(hp.scales.attention, 1, 'scores unscaled');
  t.ok(hp.ropeFreqs);
  const windowed = { headDim: 16, nHeadKv: 2, nFf: 160, nRot: 16 };
  t.same(hp.layers, [windowed, windowed, windowed, windowed, windowed, { headDim: 32, nHeadKv: 1, nFf: 160, nRot: 32 }]);
  t.match(hp, { headDim: 32, nHeadKv: 2, nRot: 32 }, 'the largest head and kv heads; the global layers\' RoPE dimensions');
  const shape = (name: string) => tensorShape(model, name);
  t.same(shape('blk.0.attn_q.weight'), [64, 64], 'windowed: 4 heads of 16');
  t.same(shape('blk.0.attn_v.weight'), [64, 32]);
  t.same(shape('blk.5.attn_q.weight'), [64, 128], 'global: 4 heads of 32');
  t.same(shape('blk.5.attn_k.weight'), [64, 32], 'one kv head');
  t.equal(shape('blk.5.attn_v.weight'), undefined, "the global layer's values are its keys' projection");
  t.same(shape('blk.3.layer_output_scale.weight'), [1]);
  t.same(shape('rope_freqs.weight'), [16], "the global layers' RoPE factors");
  // LoRA on v adapts the layers that have a value projection (as PEFT adapts the modules there are)
  const policy = await createPolicy(model, { lora: { rank: 2, alpha: 4, targets: ['q', 'v'] }, seed: 1 });
  t.teardown(() => policy.dispose());
  const names = policy.parameters().map((p) => p.name).filter((n) => n.includes('attn_v'));
  t.same(names.map((n) => n.split('.')[1]), ['0', '0', '1', '1', '2', '2', '3', '3', '4', '4'], 'v adapters in layers 0 to 4');
  const refused: [Omit<MakeModelOptions, 'out'>, RegExp][] = [
    [{ arch: 'gemma4', softCaps: { attention: 2 } }, /gemma4 has no soft cap on attention's scores/],
    [{ arch: 'gemma3', kEqV: true }, /gemma3's layers all have value projections/],
    [{ headDimSwa: 8 }, /need a sliding window/],
  ];
  for (const [options, message] of refused) await t.rejects(testModel({ vocab: 'spm', ...options }), { code: 'INVALID_ARGUMENT', message }, JSON.stringify(options));
});

t.test("make-model: a gemma4 model with E2B's parts: per-layer inputs, and the last layers reading earlier layers' keys and values", async (t) => {
  const model = await loadModel(await testModel({ arch: 'gemma4', vocab: 'spm', layers: 12, kvHeads: 2, slidingWindow: 8, perLayerInputs: 32, sharedKvLayers: 6 }), { threads: 1 });
  t.teardown(() => model.dispose());
  t.match(model.hparams, { perLayerInputs: 32, sharedKvLayers: 6 });
  const shape = (name: string) => tensorShape(model, name);
  t.same(shape('per_layer_token_embd.weight'), [32 * 12, 32000], "each token's inputs of every layer");
  t.same(shape('per_layer_model_proj.weight'), [64, 32 * 12]);
  t.same(shape('blk.7.inp_gate.weight'), [64, 32]);
  t.same(shape('blk.7.proj.weight'), [32, 64]);
  t.same(shape('blk.7.post_norm.weight'), [64]);
  t.same(shape('blk.7.attn_k.weight'), [64, 32], "a shared layer's own keys are in the file (and unread, as llama.cpp leaves them)");
  // LoRA on k and v adapts the layers with keys and values of their own only
  const policy = await createPolicy(model, { lora: { rank: 2, alpha: 4, targets: ['q', 'k', 'v'] }, seed: 1 });
  t.teardown(() => policy.dispose());
  const layersOf = (proj: string) => [...new Set(policy.parameters().map((p) => p.name).filter((n) => n.includes(proj)).map((n) => Number(n.split('.')[1])))];
  t.same(layersOf('attn_q'), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  t.same(layersOf('attn_k'), [0, 1, 2, 3, 4, 5]);
  t.same(layersOf('attn_v'), [0, 1, 2, 3, 4, 5]);
  const refused: [Omit<MakeModelOptions, 'out'>, RegExp][] = [
    [{ arch: 'gemma4', layers: 12, slidingWindow: 8, sharedKvLayers: 5 }, /the two layers before the 5 that share keys and values must be a windowed one, then a global one/],
    [{ arch: 'gemma3', perLayerInputs: 32 }, /gemma3 has none \(gemma4 has\)/],
    [{ arch: 'gemma4', type: 'q8_0', perLayerInputs: 48 }, /packs rows in blocks of 32/],
  ];
  for (const [options, message] of refused) await t.rejects(testModel({ vocab: 'spm', ...options }), { code: 'INVALID_ARGUMENT', message }, JSON.stringify(options));
});

t.test('make-model: an olmo2 model has norms after attention and feed-forward only, and q, k norms as wide as the projections', async (t) => {
  const model = await loadModel(await testModel({ arch: 'olmo2', kvHeads: 2 }), { threads: 1 });
  t.teardown(() => model.dispose());
  t.equal(model.hparams.architecture, 'olmo2');
  t.equal(model.hparams.nVocab, 128256, "Llama 3's vocabulary (the vendored tree has no OLMo 2 one)");
  t.equal(model.hparams.ropeFreqBase, 500000);
  const shape = (name: string) => tensorShape(model, name);
  t.same(shape('blk.1.attn_q_norm.weight'), [64]);
  t.same(shape('blk.1.attn_k_norm.weight'), [32], 'two kv heads of 16');
  t.same(shape('blk.1.post_attention_norm.weight'), [64]);
  t.same(shape('blk.1.post_ffw_norm.weight'), [64]);
  t.notOk(model.tensors.some((x) => x.name.endsWith('attn_norm.weight') || x.name.endsWith('ffn_norm.weight')), 'no norms before');
});

t.test("make-model: a granite model has Granite 3.3's multipliers and StarCoder's vocabulary; the options only some architectures have are refused elsewhere", async (t) => {
  const model = await loadModel(await testModel({ arch: 'granite', kvHeads: 2 }), { threads: 1 });
  t.teardown(() => model.dispose());
  t.equal(model.hparams.architecture, 'granite');
  t.equal(model.hparams.nVocab, 49152, "StarCoder's vocabulary, near Granite 3's 49,155");
  t.equal(model.hparams.ropeFreqBase, 1e7);
  t.same(model.hparams.scales, { embedding: 12, residual: Math.fround(0.22), attention: 1 / 16, logit: 8 }, 'attention: 1 / head size');
  t.notOk(model.hparams.noRope);
  const llama = await loadModel(await testModel(), { threads: 1 });
  t.teardown(() => llama.dispose());
  t.same(llama.hparams.scales, { embedding: 1, residual: 1, attention: 1 / 4, logit: 1 }, 'elsewhere: 1/√(head size)');
  const refused: [Omit<MakeModelOptions, 'out'>, RegExp][] = [
    [{ arch: 'llama', rope: false }, /only granite files switch RoPE off/],
    [{ arch: 'qwen3', biases: true }, /qwen3 has no optional biases/],
  ];
  for (const [options, message] of refused) await t.rejects(testModel({ vocab: 'spm', ...options }), { code: 'INVALID_ARGUMENT', message }, JSON.stringify(options));
});

t.test("make-model: a phi3 model has fused projections and Phi-3's vocabulary and template; LoRA targets name its matrices", async (t) => {
  const model = await loadModel(await testModel({ arch: 'phi3', kvHeads: 2 }), { threads: 1 });
  const llama = await loadModel(await testModel(), { threads: 1 });
  t.teardown(async () => {
    await model.dispose();
    await llama.dispose();
  });
  t.equal(model.hparams.architecture, 'phi3');
  t.equal(model.hparams.nVocab, 32064, "LLaMA's SentencePiece with Phi-3's chat tokens");
  t.ok(model.hparams.fusedQkv && model.hparams.fusedUp);
  const shape = (name: string) => tensorShape(model, name);
  t.same(shape('blk.1.attn_qkv.weight'), [64, 128], '64 query rows, then 32 key and 32 value rows');
  t.same(shape('blk.1.ffn_up.weight'), [64, 320], 'the gate, then the up projection');
  t.notOk(model.tensors.some((x) => /attn_[qkv]\.|ffn_gate/.test(x.name)), 'no separate projections');
  t.match(model.chatTemplate, { name: 'gguf', source: 'gguf' });
  const { tokens, marked } = conversationTokens(model, mugTrajectory.conversations);
  t.same(markedSpans(model, tokens, marked), mugTrajectory.conversations.filter((c) => c.from === 'gpt').map((c) => `${c.value}<|end|>`), "each reply marked through Phi-3's <|end|>");
  const policy = await createPolicy(model, { lora: { rank: 2, alpha: 4, targets: ['q', 'v', 'gate', 'down'] }, valueHead: false });
  t.same(policy.lora.targets, ['qkv', 'up', 'down'], 'q and v adapt the fused qkv, gate the fused up');
  await policy.dispose();
  await t.rejects(createPolicy(llama, { lora: { targets: ['qkv'] } }), { constructor: InvalidArgumentError, message: /llama model's query, key and value projections are separate \(targets q, k, v\)/ });
});

t.test("partial rotary dimensions (Phi-4-mini rotates 96 of 128): the others pass through, as llama.cpp's", async (t) => {
  const whole = await testModel({ arch: 'phi3', kvHeads: 2 });
  const path = tempPath('phi3-partial-rope.gguf');
  copyFileSync(whole, path);
  setU32(path, 'phi3.rope.dimension_count', 8);  // of heads of 16
  const [ours, rotated] = [await loadModel(path, { threads: 1 }), await loadModel(whole, { threads: 1 })];
  const ref = await referenceModel(path);
  t.teardown(async () => {
    await ours.dispose();
    await rotated.dispose();
    await ref.dispose();
  });
  t.equal(ours.hparams.nRot, 8);
  const text = 'pick up the tomato; chop it on the first cutting board!';
  const r = await ours.logprobs(text);
  const expected = await referenceLogprobs(ref, r.tokens);
  const worst = Math.max(...r.logprobs.slice(1).map((x, i) => Math.abs((x as number) - expected[i])));
  t.ok(worst <= referenceLogprobTolerance, `max |Δ log-prob| ${worst.toExponential(2)}`);
  const all = (await rotated.logprobs(text)).logprobs;
  t.ok(r.logprobs.slice(1).some((x, i) => Math.abs((x as number) - (all[i + 1] as number)) > 1e-3), 'other numbers than with every dimension rotated');
});

t.test("make-model: a mistral3 model has an attention temperature and Ministral 3's YaRN keys; other betas are read as llama.cpp reads them", async (t) => {
  // (base 10,000: YaRN's ramp then spans rotary dimensions that the betas move)
  const made = await testModel({ arch: 'mistral3', kvHeads: 2, ropeFreqBase: 10000, ropeScaling: { type: 'yarn', factor: 4, originalContext: 32 }, attnTemperature: 0.5 });
  const path = tempPath('mistral3-betas.gguf');
  copyFileSync(made, path);
  setF32(path, 'mistral3.rope.scaling.yarn_beta_fast', 8);
  setF32(path, 'mistral3.rope.scaling.yarn_beta_slow', 2);
  const [ministral, ours] = [await loadModel(made, { threads: 1 }), await loadModel(path, { threads: 1 })];
  const ref = await referenceModel(path);
  t.teardown(async () => {
    await ministral.dispose();
    await ours.dispose();
    await ref.dispose();
  });
  t.equal(ministral.hparams.architecture, 'mistral3');
  t.equal(ministral.hparams.nVocab, 128256, "Llama 3's vocabulary, near Tekken's 131,072");
  t.equal(ministral.hparams.attnTemperature, 0.5);
  const text = Array.from({ length: 12 }, (_, i) => `step ${i}: pick up the tomato`).join('; ');
  const r = await ours.logprobs(text);
  t.ok(r.tokens.length > 64, `${r.tokens.length} tokens: the temperature reaches 1 + 0.5·log 2 and more`);
  const expected = await referenceLogprobs(ref, r.tokens);
  const worst = Math.max(...r.logprobs.slice(1).map((x, i) => Math.abs((x as number) - expected[i])));
  t.ok(worst <= referenceLogprobTolerance, `max |Δ log-prob| ${worst.toExponential(2)}`);
  const own = (await ministral.logprobs(text)).logprobs;
  t.ok(r.logprobs.slice(1).some((x, i) => Math.abs((x as number) - (own[i + 1] as number)) > 1e-3), "other numbers than with Ministral 3's betas");
  await t.rejects(testModel({ arch: 'llama', attnTemperature: 0.1 }), { code: 'INVALID_ARGUMENT', message: /llama has none \(mistral3 has\)/ });
});

t.test("make-model: a glm4 model has q, k, v biases, norms before and after, a fused gate and up, and RoPE on half of each head", async (t) => {
  const model = await loadModel(await testModel({ arch: 'glm4', kvHeads: 2 }), { threads: 1 });
  t.teardown(() => model.dispose());
  t.equal(model.hparams.architecture, 'glm4');
  t.equal(model.hparams.nVocab, 151936, "Qwen2's vocabulary, near GLM-4's 151,552");
  t.equal(model.hparams.nRot, 8, 'half of heads of 16');
  t.ok(model.hparams.fusedUp);
  const shape = (name: string) => tensorShape(model, name);
  t.same(shape('blk.1.attn_k.bias'), [32]);
  t.same(shape('blk.1.attn_norm.weight'), [64]);
  t.same(shape('blk.1.post_attention_norm.weight'), [64]);
  t.same(shape('blk.1.post_ffw_norm.weight'), [64]);
  t.same(shape('blk.1.ffn_up.weight'), [64, 320], 'the gate, then the up projection');
  await t.rejects(testModel({ arch: 'glm4', vocab: 'spm', headDim: 18 }), { code: 'INVALID_ARGUMENT', message: /glm4 rotates half of each head: the head size must be a multiple of 4/ });
});

t.test('SFT on a glm4 model: node-llama-cpp applies the adapter to its fused gate and up as we do', async (t) => {
  await sftAgreement(t, await testModel({ arch: 'glm4', vocab: 'spm', kvHeads: 2 }), 'glm4', ['q', 'v', 'gate', 'down'], referenceLogprobTolerance);
});

t.test("make-model: an exaone4 model has post-norms and per-head q, k norms; windows only at EXAONE 4 32B's depth, as llama.cpp reads them", async (t) => {
  const model = await loadModel(await testModel({ arch: 'exaone4', vocab: 'spm', layers: 64, slidingWindow: 8 }), { threads: 1 });
  t.teardown(() => model.dispose());
  t.equal(model.hparams.architecture, 'exaone4');
  t.equal(model.hparams.slidingWindow, 8);
  const shape = (name: string) => tensorShape(model, name);
  t.same(shape('blk.1.attn_q_norm.weight'), [16], 'per head');
  t.same(shape('blk.1.post_ffw_norm.weight'), [64]);
  t.notOk(model.tensors.some((x) => x.name.endsWith('attn_norm.weight') || x.name.endsWith('ffn_norm.weight')), 'no norms before');
  await t.rejects(testModel({ arch: 'exaone4', vocab: 'spm', slidingWindow: 8 }), { code: 'INVALID_ARGUMENT', message: /exaone4 has windows only at 64 layers/ });
});

t.test("conversations in Qwen2's template: no BOS, every reply marked through its <|im_end|>", async (t) => {
  const model = await loadModel(await qwen2(), { threads: 1 });
  t.teardown(() => model.dispose());
  const { tokens, marked } = conversationTokens(model, mugTrajectory.conversations);
  t.equal(model.tokenPiece(tokens[0]).toString(), '<|im_start|>', 'the text begins the system turn; no BOS before it');
  t.notOk(tokens.includes(model.bosToken));
  t.same(markedSpans(model, tokens, marked), mugTrajectory.conversations.filter((c) => c.from === 'gpt').map((c) => `${c.value}<|im_end|>`));
});

t.test("conversations in Qwen3's and Qwen2.5's own templates (as their GGUFs carry them)", async (t) => {
  const spansOf = async (template: string) => {
    const chatTemplate = readFileSync(join(packageRoot, 'vendor', 'llama.cpp', 'models', 'templates', template), 'utf8');
    const model = await loadModel(await testModel({ arch: 'qwen3', headDim: 32, chatTemplate }), { threads: 1 });
    t.teardown(() => model.dispose());
    const { tokens, marked } = conversationTokens(model, mugTrajectory.conversations);
    return { model, spans: markedSpans(model, tokens, marked) };
  };
  const replies = mugTrajectory.conversations.filter((c) => c.from === 'gpt').map((c) => `${c.value}<|im_end|>`);
  t.same((await spansOf('Qwen-Qwen2.5-7B-Instruct.jinja')).spans, replies);
  // Qwen3's template opens a conversation's final reply with an empty think block (and no earlier one): each reply is
  // marked as the whole conversation writes it
  const qwen3 = await spansOf('Qwen-Qwen3-0.6B.jinja');
  t.same(qwen3.spans, [replies[0], `<think>\n\n</think>\n\n${replies[1]}`]);
  // and the prompt for a reply (what exploration continues) is the conversation before it, then the reply's opening
  const prompt = conversationTokens(qwen3.model, mugTrajectory.conversations.slice(0, 3)).tokens;
  const whole = conversationTokens(qwen3.model, mugTrajectory.conversations).tokens;
  t.same(whole.slice(0, prompt.length), prompt);
});

t.test("Qwen3's template with enable_thinking false: an empty think block opens each reply it prompts; policies record it", async (t) => {
  const chatTemplate = readFileSync(join(packageRoot, 'vendor', 'llama.cpp', 'models', 'templates', 'Qwen-Qwen3-0.6B.jinja'), 'utf8');
  const path = await testModel({ arch: 'qwen3', headDim: 32, chatTemplate });
  const model = await loadModel(path, { threads: 1, chatTemplateKwargs: { enable_thinking: false } });
  const thinking = await loadModel(path, { threads: 1 });
  t.teardown(async () => {
    await model.dispose();
    await thinking.dispose();
  });
  t.equal(model.chatTemplate.id, 'gguf {"enable_thinking":false}');
  t.equal(thinking.chatTemplate.id, 'gguf');
  const text = (m: Model, tokens: number[]) => tokens.map((tok) => m.tokenPiece(tok).toString()).join('');
  const prompt = (m: Model) => text(m, conversationTokens(m, mugTrajectory.conversations.slice(0, 3)).tokens);
  t.ok(prompt(model).endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'), 'the prompt for a reply ends in an empty think block');
  t.ok(prompt(thinking).endsWith('<|im_start|>assistant\n'), 'by default the model is left to think');
  // the template writes the think block before a conversation's final reply only: every reply is marked as the whole
  // conversation writes it, the final one after the think block it was prompted with
  const { tokens, marked } = conversationTokens(model, mugTrajectory.conversations);
  t.same(markedSpans(model, tokens, marked), mugTrajectory.conversations.filter((c) => c.from === 'gpt').map((c) => `${c.value}<|im_end|>`));
  t.ok(text(model, tokens).includes('<|im_start|>assistant\n<think>\n\n</think>\n\nThought: There it is.'));

  const dir = tempPath('qwen3-no-think');
  const policy = await createPolicy(model, { lora: { rank: 2, alpha: 4, targets: ['q'] }, valueHead: false });
  await policy.save(dir);
  await policy.dispose();
  await t.rejects(loadPolicy(thinking, dir), {
    code: 'CHAT_TEMPLATE_MISMATCH',
    message: /trained on conversations in the "gguf \{"enable_thinking":false\}" chat template, but the model is loaded with "gguf": .*--chat-template-kwargs '\{"enable_thinking":false\}'/,
  });
  await (await loadPolicy(model, dir)).policy.dispose();
  await t.rejects(loadModel(path, { chatTemplate: 'chatml', chatTemplateKwargs: { enable_thinking: false } }), { constructor: InvalidArgumentError, message: /"chatml" is a layout llama.cpp writes by name/ });
});

/**
 * SFT of an adapter on `modelPath`'s model (to a loss below half its first), then node-llama-cpp with the adapter
 * file agreeing with our log-probs to `bound`; returns the adapter's path.
 */
async function sftAgreement(t: Test, modelPath: string, name: string, targets: LoraTarget[], bound: number, lr = 3e-3): Promise<string> {
  const model = await loadModel(modelPath, { threads: 2 });
  const out = tempPath(`${name}-sft`);
  const { losses, policy } = await sft({ model, data: [mugTrajectory], out, steps: 30, lr, batch: 1, targets });
  t.teardown(async () => {
    await policy.dispose();
    await model.dispose();
  });
  t.ok(losses[0] / losses.at(-1)! > 2, `loss ${losses[0].toFixed(3)} -> ${losses.at(-1)!.toFixed(3)}`);
  const { worst, moved } = await adapterAgreement(model, policy, `${out}/adapter.gguf`, 'Thought: There it is, the mug on the counter.\nAction: take mug 1 from countertop 1');
  t.ok(moved > 0.5, `the adapter changes log-probs (by up to ${moved.toFixed(2)})`);
  t.ok(worst <= bound, `node-llama-cpp with our adapter.gguf agrees to ${worst.toExponential(2)} (<= ${bound})`);
  return `${out}/adapter.gguf`;
}

t.test('SFT on a qwen2 model: node-llama-cpp applies the adapter as we do; a llama model refuses it', async (t) => {
  const adapter = await sftAgreement(t, await qwen2(), 'qwen2', ['q', 'k', 'v', 'o'], referenceLogprobTolerance);
  const llama = await loadModel(await testModel(), { threads: 1 });
  t.teardown(() => llama.dispose());
  await t.rejects(loadAdapter(llama, adapter), { constructor: InvalidArgumentError, message: /adapter for architecture "qwen2", the model's is "llama"/ });
});

for (const arch of ['gemma3', 'gemma2'] as const) {
  t.test(`SFT on a ${arch} model with sliding windows: node-llama-cpp applies the adapter as we do`, async (t) => {
    await sftAgreement(t, await gemma({ arch, vocab: 'spm', slidingWindow: 8 }), arch, ['q', 'v', 'gate', 'down'], referenceLogprobTolerance + gemmaGeluTolerance);
  });
}

// the adapter has no k, v pairs in the global layers' values (K = V) nor in the last 6 layers (shared keys and values)
t.test('SFT on a gemma4 model with per-layer inputs and shared keys and values: node-llama-cpp applies the adapter as we do', async (t) => {
  const path = await testModel({ arch: 'gemma4', vocab: 'spm', layers: 12, kvHeads: 2, headDim: 32, headDimSwa: 16, kvHeadsGlobal: 1, kEqV: true, slidingWindow: 8, perLayerInputs: 32, sharedKvLayers: 6 });
  await sftAgreement(t, path, 'gemma4', ['q', 'k', 'v', 'gate', 'down'], referenceLogprobTolerance + gemmaGeluTolerance);
});

// Gemma 4 26B-A4B's experts beside each feed-forward (every expert used: GELU's difference would flip a choice of
// fewer), the feed-forward itself adapted
t.test('SFT on a gemma4 model with experts: node-llama-cpp applies the adapter as we do', async (t) => {
  const path = await testModel({ arch: 'gemma4', vocab: 'spm', layers: 6, kvHeads: 2, slidingWindow: 8, experts: { count: 4, used: 4, ff: 32 } });
  await sftAgreement(t, path, 'gemma4-experts', ['q', 'v', 'gate', 'down'], referenceLogprobTolerance + gemmaGeluTolerance);
});

t.test("SFT on a phi3 model: node-llama-cpp applies the adapter to its fused projections as we do; it loads back", async (t) => {
  const path = await testModel({ arch: 'phi3', kvHeads: 2, ropeFreqs: true });
  const adapter = await sftAgreement(t, path, 'phi3', ['q', 'v', 'gate', 'down'], referenceLogprobTolerance);
  const model = await loadModel(path, { threads: 1 });
  const again = await loadAdapter(model, adapter);
  t.teardown(async () => {
    await again.dispose();
    await model.dispose();
  });
  t.same(again.lora.targets, ['qkv', 'up', 'down']);
});

// the adapter's attention pairs, under each token's routed experts (attention alone adapted: a higher rate)
t.test('SFT on a qwen3moe model: node-llama-cpp applies the adapter as we do', async (t) => {
  await sftAgreement(t, await testModel({ arch: 'qwen3moe', vocab: 'spm', kvHeads: 2, experts: { count: 8, used: 2, ff: 64 } }), 'qwen3moe', ['q', 'k', 'v', 'o'], referenceLogprobTolerance, 1e-2);
});

t.test('SFT on an olmo2 model: node-llama-cpp applies the adapter as we do', async (t) => {
  await sftAgreement(t, await testModel({ arch: 'olmo2', vocab: 'spm', kvHeads: 2 }), 'olmo2', ['q', 'v', 'o', 'gate', 'up', 'down'], referenceLogprobTolerance);
});

// Granite's multipliers scale the adapters' terms too (o's and down's by 0.22, q's scores by 1 / head size rather than
// its root): a higher rate moves them as far
t.test('SFT on a granite model: node-llama-cpp applies the adapter under its multipliers as we do', async (t) => {
  await sftAgreement(t, await testModel({ arch: 'granite', kvHeads: 2, biases: true }), 'granite', ['q', 'v', 'o', 'down'], referenceLogprobTolerance, 1e-2);
});

t.test('without BOS, an empty prompt is a clear error where something must precede it', async (t) => {
  const model = await loadModel(await qwen2(), { threads: 1 });
  const policy = await createPolicy(model, { lora: { rank: 2, alpha: 4, targets: ['q'] }, valueHead: { hidden: [8] } });
  t.teardown(async () => {
    await policy.dispose();
    await model.dispose();
  });
  await t.rejects(model.scoreActions([{ prompt: '', actions: ['go north', 'go south'] }]), { constructor: InvalidArgumentError, message: /nothing precedes action "go north" of item 0/ });
  await t.rejects(policy.forwardValues(['']), { constructor: InvalidArgumentError, message: /empty prompt has no token/ });
  t.same(await model.logprobs(''), { tokens: [], pieces: [], logprobs: [] });
  const one = await model.logprobs('Hello');
  t.same(one.logprobs, [null], 'one token: nothing to predict');
  const [scores] = await model.scoreActions([{ prompt: 'There is a tomato.', actions: ['pick it up', 'go north'] }]);
  t.ok(Math.abs(scores.actions[0].probability + scores.actions[1].probability - 1) < 1e-9);
});
