// Our tokenizer and log-probs against node-llama-cpp on the same generated files.
import t from 'tap';
import { loadModel } from '../../src/model.js';
import type { MakeModelOptions } from '../../src/make-model.js';
import { native } from '../../src/native.js';
import { referenceLogprobTolerance as tolerance } from '../helpers/device.js';
import { testModel } from '../helpers/models.js';
import { gemmaGeluTolerance, referenceLogprobs, referenceModel, referenceTokenize } from '../helpers/reference.js';

const texts = [
  'Hello world, move north.',
  '',
  ' leading space',
  '  two leading spaces and trailing  ',
  'Unicode: café, naïve, 東京, emoji 🍅🥗, Ελληνικά',
  'Line one\nLine two\ttab',
  'pick up the tomato; chop it on the first cutting board!',
];
const longText = Array.from({ length: 400 }, (_, i) => `word${i} and more,`).join(' ');

// Bound on |ours - node-llama-cpp| per token log-prob, for every type. Both engines run the same ggml kernels on the
// same weights (quantized types quantize activations to 8 bits inside the dot products in both), so results differ
// only by summation order and thread split: seen below 1e-5 for every type, float and quantized alike. On a GPU the
// bound widens by the CPU/GPU agreement (helpers/device.ts).
// Gemma's GELU adds gemmaGeluTolerance (see there).

const configs: (Omit<MakeModelOptions, 'out'> & { name: string; tolerance?: number })[] = [
  { name: 'f32 spm untied', type: 'f32' },
  { name: 'f16 spm GQA tied', type: 'f16', heads: 4, kvHeads: 2, tied: true },
  { name: 'bf16 spm', type: 'bf16' },
  { name: 'q8_0 spm GQA', type: 'q8_0', kvHeads: 1 },
  { name: 'q4_0 spm tied', type: 'q4_0', tied: true },
  { name: 'q4_1 spm', type: 'q4_1' },
  { name: 'q5_0 spm', type: 'q5_0' },
  { name: 'q5_1 spm', type: 'q5_1' },
  { name: 'q4_k spm', type: 'q4_k', embd: 256, ff: 512 },
  { name: 'q5_k bpe', type: 'q5_k', embd: 256, ff: 512, vocab: 'bpe' },
  { name: 'q6_k spm GQA', type: 'q6_k', embd: 256, ff: 512, heads: 8, kvHeads: 2 },
  { name: 'f32 bpe GQA rope_freqs', type: 'f32', vocab: 'bpe', kvHeads: 2, ropeFreqs: true },
  { name: 'f16 spm, linear RoPE scaling ×4', type: 'f16', ropeScaling: { type: 'linear', factor: 4 } },
  { name: 'q8_0 bpe GQA, YaRN ×4 beyond 256 positions', type: 'q8_0', vocab: 'bpe', kvHeads: 2, ropeScaling: { type: 'yarn', factor: 4, originalContext: 256 } },
  { name: 'f16 spm GQA wide heads (attention.key_length, as Mistral Nemo)', type: 'f16', kvHeads: 2, headDim: 32 },
  { name: 'f16 spm GQA with attn_output and feed-forward biases', type: 'f16', kvHeads: 2, biases: true },
  { name: 'q8_0 qwen2 GQA tied', arch: 'qwen2', type: 'q8_0', kvHeads: 2, tied: true },
  { name: 'f32 qwen2 with an LM head bias', arch: 'qwen2', biases: true },
  { name: 'q4_k qwen2', arch: 'qwen2', type: 'q4_k', embd: 256, ff: 512 },
  { name: 'q4_0 qwen3 GQA wide heads tied', arch: 'qwen3', type: 'q4_0', kvHeads: 2, headDim: 32, tied: true },
  { name: 'q8_0 smollm3 (layers 4 and 8 without RoPE) GQA tied', arch: 'smollm3', type: 'q8_0', layers: 8, kvHeads: 2, tied: true },
  // 6 layers: the 6th attends to everything, the others to the last 64 positions (the long text has 700 tokens)
  { name: 'f32 gemma3 wide heads, sliding window 64', arch: 'gemma3', vocab: 'spm', kvHeads: 1, headDim: 32, tied: true, layers: 6, slidingWindow: 64, tolerance: gemmaGeluTolerance },
  { name: 'f16 gemma3 without a window', arch: 'gemma3', type: 'f16', vocab: 'spm', kvHeads: 2, tied: true, tolerance: gemmaGeluTolerance },
  // soft caps low enough to bend scores and logits well away from linear; and Gemma 2's own, with its default window
  { name: 'f32 gemma2, every other layer in a window of 64, soft caps 2 and 5', arch: 'gemma2', vocab: 'spm', layers: 4, kvHeads: 2, headDim: 32, tied: true, slidingWindow: 64, softCaps: { attention: 2, final: 5 }, tolerance: gemmaGeluTolerance },
  { name: "f16 gemma2 with Gemma 2's soft caps and window", arch: 'gemma2', type: 'f16', vocab: 'spm', kvHeads: 2, tied: true, tolerance: gemmaGeluTolerance },
  { name: 'q4_0 phi3 GQA (fused projections)', arch: 'phi3', type: 'q4_0', kvHeads: 2 },
  // LongRoPE: the short factors within the original context (a quarter of the context), as llama.cpp uses them there
  { name: 'q8_0 phi3 with LongRoPE factors', arch: 'phi3', type: 'q8_0', ropeFreqs: true },
  { name: 'q8_0 granite GQA tied (μP multipliers), StarCoder vocabulary', arch: 'granite', type: 'q8_0', kvHeads: 2, tied: true },
  { name: 'f32 granite with RoPE switched off and biases', arch: 'granite', rope: false, biases: true },
  { name: 'q8_0 mistral3 GQA wide heads tied', arch: 'mistral3', type: 'q8_0', kvHeads: 2, headDim: 32, tied: true },
  // Ministral 3's YaRN keys (a log multiplier that cancels YaRN's own attention factor), and Llama 4's attention
  // temperature from position 128 on (the long text reaches 700)
  { name: 'f32 mistral3 with YaRN ×4 beyond 128 positions, an attention temperature and biases', arch: 'mistral3', kvHeads: 2, ropeScaling: { type: 'yarn', factor: 4, originalContext: 128 }, attnTemperature: 0.5, biases: true },
  { name: 'q8_0 glm4 GQA (q, k, v biases, pre- and post-norms, fused gate and up, RoPE on half of each head)', arch: 'glm4', type: 'q8_0', vocab: 'spm', kvHeads: 2 },
  { name: 'q4_0 ernie4_5 GQA wide heads tied', arch: 'ernie4_5', type: 'q4_0', kvHeads: 2, headDim: 32, tied: true },
  { name: 'q8_0 exaone4 GQA tied (norms after attention and feed-forward, per-head q and k norms)', arch: 'exaone4', type: 'q8_0', kvHeads: 2, tied: true },
  // EXAONE 4 32B's depth: windows of 64 in 3 of every 4 layers, no RoPE in the 4th
  { name: 'f32 exaone4 at 64 layers: windows of 64, the others without RoPE', arch: 'exaone4', vocab: 'spm', layers: 64, kvHeads: 2, slidingWindow: 64 },
  // Gemma 4's: windows of 64 in 5 of 6 layers with heads of 16 and 2 kv heads; the 6th with heads of 32, one kv head,
  // RoPE on a quarter of each head, and (31B's) the keys' projection as values. (With llama.cpp's GELU table in our
  // build, these and q8_0 and q4_0 gemma4 models agreed to 1.5e-6.)
  { name: 'f32 gemma4: windowed layers of their own head size and kv heads, K = V in the global layer', arch: 'gemma4', layers: 6, kvHeads: 2, headDim: 32, headDimSwa: 16, kvHeadsGlobal: 1, kEqV: true, tied: true, slidingWindow: 64, tolerance: gemmaGeluTolerance },
  // E2B's and E4B's parts: inputs of each layer's own from the tokens, and the last 6 of 12 layers attending with the
  // keys and values of layers 4 (windowed) and 5 (global)
  { name: 'f32 gemma4 with per-layer inputs and shared keys and values', arch: 'gemma4', layers: 12, kvHeads: 2, headDim: 32, headDimSwa: 16, kvHeadsGlobal: 1, tied: true, slidingWindow: 64, perLayerInputs: 32, sharedKvLayers: 6, tolerance: gemmaGeluTolerance },
  { name: 'f32 gemma4 GQA untied, values projected in every layer, a soft cap of 5 on the logits', arch: 'gemma4', layers: 6, kvHeads: 2, headDim: 32, slidingWindow: 64, softCaps: { final: 5 }, tolerance: gemmaGeluTolerance },
  // mixtures of experts: each token's feed-forward is its router's top experts, weighted
  { name: 'f32 qwen3moe GQA: 8 experts of 64, 2 per token', arch: 'qwen3moe', kvHeads: 2, experts: { count: 8, used: 2, ff: 64 } },
  { name: 'q4_0 qwen3moe tied: 16 experts of 96, 4 per token', arch: 'qwen3moe', type: 'q4_0', tied: true, experts: { count: 16, used: 4, ff: 96 } },
  { name: "q8_0 llama as Mixtral's: 4 experts, 2 per token", type: 'q8_0', kvHeads: 2, experts: { count: 4, used: 2 } },
  // Gemma 4 26B-A4B's: experts beside each feed-forward, gate and up in one, a router of its own input, expert scales.
  // Every expert used: GELU's difference (see gemmaGeluTolerance) would flip a choice of fewer here and there, as it
  // did in 2 of 8 (choosing is checked on the other architectures above, the same code)
  { name: 'f32 gemma4 with 4 experts of 64 beside each feed-forward, all used', arch: 'gemma4', layers: 6, kvHeads: 2, headDim: 32, headDimSwa: 16, tied: true, slidingWindow: 64, experts: { count: 4, used: 4, ff: 64 }, tolerance: gemmaGeluTolerance },
  { name: 'q8_0 olmo2 GQA (norms after attention and feed-forward, q and k normed whole)', arch: 'olmo2', type: 'q8_0', kvHeads: 2 },
  // one attn_qkv (as llama.cpp reads in any architecture): olmo2 norms the views of its queries and keys whole, qwen2
  // adds one bias to it
  { name: 'q8_0 olmo2 with one attn_qkv', arch: 'olmo2', type: 'q8_0', kvHeads: 2, fusedQkv: true },
  { name: 'f32 qwen2 GQA with one attn_qkv and its bias', arch: 'qwen2', kvHeads: 2, fusedQkv: true },
  // OLMo 3's: all layers but every 4th attend to the last 64 positions, unscaled; the others with YaRN
  { name: 'f32 olmo2 with sliding windows and YaRN, bpe', arch: 'olmo2', layers: 4, kvHeads: 2, slidingWindow: 64, ropeScaling: { type: 'yarn', factor: 8, originalContext: 128 } },
];

// How llama.cpp describes each generated file's type (general.file_type; "mostly": the norms stay F32).
const fileTypes: Record<string, string> = {
  f32: 'all F32', f16: 'F16', bf16: 'BF16', q8_0: 'Q8_0', q4_0: 'Q4_0', q4_1: 'Q4_1', q5_0: 'Q5_0', q5_1: 'Q5_1',
  q4_k: 'Q4_K - Small', q5_k: 'Q5_K - Small', q6_k: 'Q6_K',
};

for (const { name, tolerance: own, ...options } of configs) {
  t.test(name, async (t) => {
    const path = await testModel(options);
    const ours = await loadModel(path, { threads: 1 });
    const ref = await referenceModel(path);
    t.teardown(async () => {
      await ours.dispose();
      await ref.dispose();
    });
    // (the size llama.cpp names where it knows the depth, as EXAONE 4 32B's 64 layers)
    const size = options.arch === 'exaone4' && options.layers === 64 ? '32B' : '?B';
    t.equal(ref.typeDescription, `${options.arch ?? 'llama'} ${size} ${fileTypes[options.type ?? 'f32']}`, 'llama.cpp reads the architecture and file type');
    for (const text of [...texts, longText]) {
      t.same(ours.tokenize(text), await referenceTokenize(ref, text), `tokens of ${JSON.stringify(text.slice(0, 30))}`);
    }
    let worst = 0;
    // and a text of several attention blocks (each block of queries attends to the keys up to its last), every 25th
    // position of it
    for (const [text, every] of [...texts.slice(0, 5).map((x) => [x, 1] as const), [longText.slice(0, 2000), 25] as const]) {
      const r = await ours.logprobs(text);
      if (every > 1) t.ok(r.tokens.length > 2 * native().attentionBlockRows, `${r.tokens.length} tokens: three attention blocks or more`);
      const expected = await referenceLogprobs(ref, r.tokens, { every });
      t.equal(r.logprobs.length, r.tokens.length);
      if (r.tokens.length > 0) t.equal(r.logprobs[0], null, 'nothing predicts the first token (an empty text has none without BOS)');
      for (let i = every; i < r.tokens.length; i += every) worst = Math.max(worst, Math.abs((r.logprobs[i] as number) - expected[i - 1]));
    }
    const bound = tolerance + (own ?? 0);
    t.ok(worst <= bound, `max |Δ log-prob| ${worst.toExponential(2)} <= ${bound}`);
    if (options.ropeScaling) {
      // the same weights unscaled: the scaling is applied (by both engines), not ignored
      const unscaled = await loadModel(await testModel({ ...options, ropeScaling: undefined }), { threads: 1 });
      t.teardown(() => unscaled.dispose());
      t.equal(ours.hparams.ropeScaling, options.ropeScaling.type);
      const text = longText.slice(0, 2000);
      t.not((await ours.logprobs(text)).logprobs.at(-1), (await unscaled.logprobs(text)).logprobs.at(-1), 'scaling moves the log-probs');
    }
  });
}
