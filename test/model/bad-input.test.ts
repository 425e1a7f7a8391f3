// Every kind of bad model file or input gives a typed error that names the problem, never a crash.
import t, { type Test } from 'tap';
import { copyFileSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { DisposedError, InvalidArgumentError, ModelLoadError, UnsupportedModelError } from '../../src/errors.js';
import { loadModel } from '../../src/model.js';
import { makeModel } from '../../src/make-model.js';
import { tempPath, testModel } from '../helpers/models.js';
import { createPolicy } from '../../src/training/llm-policy.js';
import { renameEntry, setF32, setString, setTensorType, setU32 } from '../helpers/gguf-surgery.js';

async function broken(name: string, edit: (path: string) => void, base?: Promise<string>): Promise<string> {
  const path = tempPath(name);
  copyFileSync(await (base ?? testModel()), path);
  edit(path);
  return path;
}

const expectLoadError = (t: Test, path: string, Cls: typeof ModelLoadError, pattern: RegExp) =>
  t.rejects(loadModel(path), { constructor: Cls, message: pattern } as never, pattern.source);

t.test('file problems', async (t) => {
  await expectLoadError(t, tempPath('missing.gguf'), ModelLoadError, /not found/);
  mkdirSync(tempPath('a-dir'), { recursive: true });
  await expectLoadError(t, tempPath('a-dir'), ModelLoadError, /is a directory/);
  writeFileSync(tempPath('text.gguf'), 'this is not a model\n');
  await expectLoadError(t, tempPath('text.gguf'), ModelLoadError, /not a GGUF file/);
  writeFileSync(tempPath('empty.gguf'), '');
  await expectLoadError(t, tempPath('empty.gguf'), ModelLoadError, /not a GGUF file/);
  const size = readFileSync(await testModel()).length;
  await expectLoadError(t, await broken('trunc-data.gguf', (p) => truncateSync(p, size - 1000)), ModelLoadError, /truncated/);
  await expectLoadError(t, await broken('trunc-header.gguf', (p) => truncateSync(p, 4000)), ModelLoadError, /corrupt or truncated/);
});

t.test('model problems', async (t) => {
  await expectLoadError(t, await broken('arch.gguf', (p) => setString(p, 'general.architecture', 'mamba')), UnsupportedModelError, /unsupported architecture "mamba"/);
  await expectLoadError(t, await broken('missing-tensor.gguf', (p) => renameEntry(p, 'output_norm.weight', 'output_norX.weight')), ModelLoadError, /missing tensor output_norm.weight/);
  const qwen2 = testModel({ arch: 'qwen2' });
  await expectLoadError(t, await broken('missing-bias.gguf', (p) => renameEntry(p, 'blk.1.attn_k.bias', 'blk.1.attn_k.biaX'), qwen2), ModelLoadError, /missing tensor blk.1.attn_k.bias/);
  const qwen3 = testModel({ arch: 'qwen3', headDim: 32 });
  await expectLoadError(t, await broken('missing-norm.gguf', (p) => renameEntry(p, 'blk.0.attn_k_norm.weight', 'blk.0.attn_k_norX.weight'), qwen3), ModelLoadError, /missing tensor blk.0.attn_k_norm.weight/);
  await expectLoadError(t, await broken('value-length.gguf', (p) => setU32(p, 'qwen3.attention.value_length', 16), qwen3), UnsupportedModelError, /key_length 32 and value_length 16 must be equal/);
  const yarn = testModel({ ropeScaling: { type: 'yarn', factor: 4 } });
  await expectLoadError(t, await broken('rope-scaling.gguf', (p) => setString(p, 'llama.rope.scaling.type', 'ntkv'), yarn), UnsupportedModelError, /unsupported rope scaling type "ntkv" \(rl-ggml supports linear and yarn\)/);
  const gemma3 = testModel({ arch: 'gemma3', vocab: 'spm', slidingWindow: 8 });
  await expectLoadError(t, await broken('missing-post-norm.gguf', (p) => renameEntry(p, 'blk.1.post_ffw_norm.weight', 'blk.1.post_ffw_norX.weight'), gemma3), ModelLoadError, /missing tensor blk.1.post_ffw_norm.weight/);
  const gemma2 = testModel({ arch: 'gemma2', vocab: 'spm' });
  await expectLoadError(t, await broken('soft-cap.gguf', (p) => setF32(p, 'gemma2.final_logit_softcapping', -30), gemma2), ModelLoadError, /final_logit_softcapping must be positive/);
  const phi3 = testModel({ arch: 'phi3' });
  await expectLoadError(t, await broken('missing-qkv.gguf', (p) => renameEntry(p, 'blk.1.attn_qkv.weight', 'blk.1.attn_qkX.weight'), phi3), ModelLoadError, /missing tensor blk.1.attn_qkv.weight/);
  await expectLoadError(t, await broken('embd.gguf', (p) => setU32(p, 'llama.embedding_length', 128)), ModelLoadError, /token_embd.weight has shape \[64, 32000, 1, 1\], expected \[128, 32000, 1, 1\]/);
  await expectLoadError(t, await broken('ff.gguf', (p) => setU32(p, 'llama.feed_forward_length', 100)), ModelLoadError, /ffn_gate.weight has shape/);
  await expectLoadError(t, await broken('heads.gguf', (p) => setU32(p, 'llama.attention.head_count', 3)), ModelLoadError, /not a multiple of head_count/);
  await expectLoadError(t, await broken('layers.gguf', (p) => setU32(p, 'llama.block_count', 1)), ModelLoadError, /more blocks than block_count/);
  const tempered = testModel({ arch: 'mistral3', ropeScaling: { type: 'yarn', factor: 4, originalContext: 64 }, attnTemperature: 0.1 });
  await expectLoadError(t, await broken('temperature-floor.gguf', (p) => setU32(p, 'mistral3.rope.scaling.original_context_length', 0), tempered), ModelLoadError, /original_context_length must be positive for the attention temperature/);
  const glm4 = testModel({ arch: 'glm4', vocab: 'spm' });
  await expectLoadError(t, await broken('nextn.gguf', (p) => renameEntry(p, 'glm4.attention.head_count', 'glm4.nextn_predict_layers'), glm4), UnsupportedModelError, /next-token prediction layers \(glm4.nextn_predict_layers\) are not supported/);
  // Gemma 4 E2B's and E4B's parts: per-layer inputs without their tables; shared layers after other than a windowed
  // layer, then a global one (llama.cpp's KV cache would share the wrong layers' keys and values)
  const gemma4 = testModel({ arch: 'gemma4', vocab: 'spm', layers: 12, slidingWindow: 8, sharedKvLayers: 6 });
  await expectLoadError(t, await broken('per-layer-inputs.gguf', (p) => setU32(p, 'gemma4.embedding_length_per_layer_input', 32), gemma4), ModelLoadError, /missing tensor per_layer_token_embd.weight/);
  await expectLoadError(t, await broken('shared-kv.gguf', (p) => setU32(p, 'gemma4.attention.shared_kv_layers', 5), gemma4), ModelLoadError, /shared_kv_layers = 5: the two layers before the shared ones must be a windowed one, then a global one/);
  // a mixture of experts: without its count, choosing more experts than it has, an expert tensor missing
  const moe = testModel({ arch: 'qwen3moe', experts: { count: 8, used: 2, ff: 64 } });
  await expectLoadError(t, await broken('expert-count.gguf', (p) => renameEntry(p, 'qwen3moe.expert_count', 'qwen3moe.expert_cXunt'), moe), ModelLoadError, /missing hyperparameter qwen3moe.expert_count \(qwen3moe models are mixtures of experts\)/);
  await expectLoadError(t, await broken('experts-used.gguf', (p) => setU32(p, 'qwen3moe.expert_used_count', 9), moe), ModelLoadError, /expert_used_count 9 must be between 1 and qwen3moe.expert_count 8/);
  await expectLoadError(t, await broken('expert-tensor.gguf', (p) => renameEntry(p, 'blk.1.ffn_down_exps.weight', 'blk.1.ffn_down_expX.weight'), moe), ModelLoadError, /missing tensor blk.1.ffn_down_exps.weight/);
  const olmo3 = testModel({ arch: 'olmo2', vocab: 'spm', layers: 4, slidingWindow: 8 });
  await expectLoadError(t, await broken('window-layers.gguf', (p) => setU32(p, 'olmo2.block_count', 3), olmo3), ModelLoadError, /sliding_window_pattern must be an integer or one boolean per layer \(3\)/);
  // a tensor the graph would not read: the model would run wrong without it (llama.cpp refuses such files too)
  const biased = testModel({ biases: true });
  await expectLoadError(t, await broken('foreign-tensor.gguf', (p) => renameEntry(p, 'blk.0.ffn_up.bias', 'blk.0.ffn_up.biaX'), biased), UnsupportedModelError, /tensor blk.0.ffn_up.biaX has no place in a llama model/);
  await expectLoadError(t, await broken('layers3.gguf', (p) => setU32(p, 'llama.block_count', 3)), ModelLoadError, /missing tensor blk.2/);
  // I32 (ggml type 26) has F32's size, so the file stays consistent and only the type is wrong.
  await expectLoadError(t, await broken('norm-type.gguf', (p) => setTensorType(p, 'blk.0.attn_norm.weight', 26)), UnsupportedModelError, /blk.0.attn_norm.weight has unsupported type i32/);
  await expectLoadError(t, await broken('q-type.gguf', (p) => setTensorType(p, 'blk.1.attn_q.weight', 26)), UnsupportedModelError, /blk.1.attn_q.weight has unsupported type i32/);
});

t.test('any type the ggml CPU backend multiplies is accepted', async (t) => {
  // IQ4_NL (ggml type 20) has Q4_0's block size, so swapping it in keeps the file consistent.
  const path = await broken('iq4nl.gguf', (p) => setTensorType(p, 'blk.0.ffn_up.weight', 20), testModel({ type: 'q4_0' }));
  const model = await loadModel(path);
  t.teardown(() => model.dispose());
  t.equal(model.tensors.find((x) => x.name === 'blk.0.ffn_up.weight')?.type, 'iq4_nl');
  const r = await model.logprobs('a quick check');
  t.ok(r.logprobs.slice(1).every((x) => Number.isFinite(x)));
});

t.test('input problems', async (t) => {
  const small = tempPath('ctx32.gguf');
  await makeModel({ out: small, ctx: 32 });
  const model = await loadModel(small);
  await t.rejects(model.logprobs('word '.repeat(40)), { constructor: InvalidArgumentError, message: /longer than the model's context of 32/ } as never);
  t.ok((await model.logprobs('word '.repeat(20))).tokens.length <= 32);
  t.throws(() => model.detokenize([1, 99999]), { constructor: InvalidArgumentError, message: /outside the vocabulary/ } as never);
  t.throws(() => model.tokenize(42 as never), InvalidArgumentError);
  // calls in flight finish before dispose frees the model; later calls are DisposedError
  const pending = model.logprobs('still running');
  const disposing = model.dispose();
  t.equal((await pending).tokens[0], model.bosToken);
  await disposing;
  t.ok(model.disposed);
  t.throws(() => model.tokenize('x'), DisposedError);
  await t.rejects(model.logprobs('x'), DisposedError);
  await model.dispose(); // idempotent
  await t.rejects(makeModel({ out: tempPath('bad.gguf'), type: 'q4_k' }), { constructor: InvalidArgumentError, message: /multiples/ } as never);
  await t.rejects(makeModel({ out: tempPath('bad.gguf'), heads: 5 }), { constructor: InvalidArgumentError, message: /multiple of heads/ } as never);
  await t.rejects(loadModel(''), InvalidArgumentError);
});

t.test('malformed packed batches are refused with what is wrong', async (t) => {
  const model = await loadModel(await testModel());
  t.teardown(() => model.dispose());
  const i32 = (a: number[]) => Int32Array.from(a);
  // Two groups of 4 slots: tokens 1..3 in the first (then one padding slot), 1..2 in the second.
  const good = { tokens: i32([1, 5, 6, 0, 1, 7, 0, 0]), positions: i32([0, 1, 2, 0, 0, 1, 0, 0]), branch: i32([-1, -1, -1, -2, -1, -1, -2, -2]), nGroups: 2, outRows: i32([1, 4]), outTargets: i32([6, 7]) };
  t.equal((await model.evaluate(good)).length, 2);
  const bad: [string, object, RegExp][] = [
    ['uneven groups', { nGroups: 3 }, /not a multiple of its group count/],
    ['all padding', { branch: i32(Array(8).fill(-2)) }, /all padding/],
    ['a scored padding slot', { outRows: i32([1, 6]) }, /output row is a padding token/],
    ['a row outside the batch', { outRows: i32([1, 8]) }, /output row out of range/],
    ['a token outside the vocabulary', { tokens: i32([1, 5, 6, 0, 1, 32000, 0, 0]) }, /outside the vocabulary/],
    ['arrays of different lengths', { positions: i32([0, 1]) }, /differ in length/],
  ];
  for (const [what, change, message] of bad) {
    await t.rejects(model.evaluate({ ...good, ...change }), { constructor: InvalidArgumentError, message } as never, what);
  }
});

t.test('a model file replaced after loading is not trained on', async (t) => {
  // Training re-reads CPU weights that were repacked for the forward pass from the file (weights of the same size,
  // from another seed, must not be mixed in). x86 with AVX2 and ARM with dotprod repack q4_0.
  const path = tempPath('replaced.gguf');
  copyFileSync(await testModel({ type: 'q4_0' }), path);
  const model = await loadModel(path, { device: 'cpu' });
  t.teardown(() => model.dispose());
  await makeModel({ out: path, type: 'q4_0', seed: 9 });
  await t.rejects(createPolicy(model, { lora: { rank: 2 } }), { constructor: ModelLoadError, message: /changed after the model was loaded; load it again/ } as never);
  const fresh = await loadModel(path, { device: 'cpu' });
  t.teardown(() => fresh.dispose());
  const policy = await createPolicy(fresh, { lora: { rank: 2 } });
  t.teardown(() => policy.dispose());
});

t.test('a model file rewritten in place during training stops the backward pass with an error, not a fault', async (t) => {
  // The backward pass reads the repacked projections' twins from the mapped file: truncated in place, reading them
  // would fault (SIGBUS); rewritten in place, they would be other weights.
  const path = tempPath('in-place.gguf');
  copyFileSync(await testModel({ type: 'q4_0' }), path);
  const model = await loadModel(path, { device: 'cpu' });
  t.teardown(() => model.dispose());
  const policy = await createPolicy(model, { lora: { rank: 2 } });
  t.teardown(() => policy.dispose());
  const items = [{ prompt: 'You are in the kitchen.', actions: ['open the fridge', 'wait'] }];
  await policy.forward(items);
  await policy.backward({ dLogprob: [[1, -1]], dValue: [0] });
  await policy.forward(items);
  truncateSync(path, 4096);
  await t.rejects(policy.backward({ dLogprob: [[1, -1]], dValue: [0] }), { constructor: ModelLoadError, message: /was modified in place while training/ } as never);
});

