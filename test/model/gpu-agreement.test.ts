// CPU and GPU compute the same thing: log-probs, gradients of every adapter and head tensor, and an AdamW step, on
// each weight type the CUDA kernels decode. Skipped where no GPU is present (CI); run it on a GPU machine.
//
// Tolerances: the two backends round differently (CUDA's quantized matmuls quantize activations to q8_1 blocks, the
// CPU's to q8_0/q8_K; the CUDA backward multiplies in bf16 from Ampere on), so results agree to rounding, not bit for bit.
import t from 'tap';
import { listDevices } from '../../src/devices.js';
import { loadModel } from '../../src/model.js';
import type { MakeModelOptions } from '../../src/make-model.js';
import { createPolicy, type NativeLlmPolicy } from '../../src/training/llm-policy.js';
import type { LoraTarget } from '../../src/training/policy.js';
import { gpuAgreement } from '../helpers/device.js';
import { testModel } from '../helpers/models.js';

const gpu = (await listDevices()).devices.find((d) => d.kind === 'gpu');
const skip = gpu ? false : 'no GPU on this machine';

const items = [
  { prompt: 'There is a tomato on the counter. Your next step is to', actions: ['pick up the tomato', 'serve the dish'] },
  { prompt: 'You are in the kitchen.', actions: ['open the fridge', 'walk to the sofa', 'wait'] },
];
const dLogprob = [[1, -0.5], [0.3, 0.9, -1.2]];
const dValue = [0.7, -0.4];

const { logprob: LOGPROB_TOL, gradient: GRAD_TOL } = gpuAgreement;

async function run(path: string, device: 'cpu' | 'cuda') {
  // The CPU backward multiplies in f32 (not bf16, where the CPU has it), the GPU's at its default (bf16), so the
  // bounds measure the GPU. The flag is read when a training graph is built.
  process.env.RL_GGML_BACKWARD_F32 = device === 'cpu' ? '1' : '0';
  const model = await loadModel(path, { device, threads: 2 });
  // (a mixture of experts' feed-forwards are not adapted, but Gemma 4's dense one beside them)
  const targets: LoraTarget[] = model.hparams.experts && !model.hparams.experts.shared ? ['q', 'k', 'v', 'o'] : ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];
  const policy = await createPolicy(model, { lora: { rank: 2, alpha: 4, targets }, valueHead: { hidden: [16, 8] }, seed: 5 });
  perturb(policy);
  const f = await policy.forward(items);
  policy.zeroGrad();
  await policy.backward({ dLogprob, dValue });
  const grads = Object.fromEntries(policy.parameters().map((p) => [p.name, policy.getGradient(p.name)]));
  await policy.step({ actor: { lr: 1e-3, maxGradNorm: 0.5 }, critic: { lr: 1e-3 } });
  const after = Object.fromEntries(policy.parameters().map((p) => [p.name, policy.getParameter(p.name)]));
  await policy.dispose();
  await model.dispose();
  return { logprobs: f.scores.flatMap((s) => s.actions.map((a) => a.logprob)), values: f.values, grads, after };
}

function perturb(policy: NativeLlmPolicy) {
  let s = 9;
  const r = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  for (const p of policy.parameters()) {
    if (p.name.endsWith('.lora_b')) policy.setParameter(p.name, Float32Array.from({ length: p.shape[0] * p.shape[1] }, () => 0.05 * r()));
  }
}

const worstRelative = (a: Float32Array, b: Float32Array) => {
  const scale = Math.max(...Array.from(a, Math.abs)) + 1e-12;
  return Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]) / scale));
};

const cases: [string, Omit<MakeModelOptions, 'out'>][] = [
  ['f32', {}],
  ['f16', { type: 'f16' }],
  ['q8_0', { type: 'q8_0' }],
  ['q4_0', { type: 'q4_0', tied: true }],
  ['q4_k', { type: 'q4_k', embd: 256, ff: 512 }],
  ['q6_k', { type: 'q6_k', embd: 256, ff: 512 }],
  // the other architectures' blocks: per-head norms, GELU and its composed backward, post-norms, windows, soft caps; YaRN
  ['q8_0 gemma3 (5 of 6 layers in a window of 8)', { type: 'q8_0', arch: 'gemma3', vocab: 'spm', layers: 6, kvHeads: 2, tied: true, slidingWindow: 8 }],
  ['q8_0 gemma2 (every other layer in a window of 8, soft caps 2 and 5)', { type: 'q8_0', arch: 'gemma2', vocab: 'spm', layers: 4, kvHeads: 2, slidingWindow: 8, softCaps: { attention: 2, final: 5 } }],
  ['q4_0 phi3 (fused projections, LongRoPE factors)', { type: 'q4_0', arch: 'phi3', kvHeads: 2, ropeFreqs: true }],
  ['q4_0 granite (μP multipliers, biases)', { type: 'q4_0', arch: 'granite', kvHeads: 2, biases: true }],
  ['q8_0 mistral3 (YaRN, an attention temperature from position 8 on)', { type: 'q8_0', arch: 'mistral3', vocab: 'spm', kvHeads: 2, ropeScaling: { type: 'yarn', factor: 4, originalContext: 8 }, attnTemperature: 0.5 }],
  // the norms' backward on copies of a fused projection's parts (CUDA's reads dense rows)
  ['q8_0 qwen3 with one attn_qkv (per-head norms)', { type: 'q8_0', arch: 'qwen3', vocab: 'spm', kvHeads: 2, headDim: 32, fusedQkv: true }],
  ['q8_0 olmo2 with one attn_qkv (norms over the whole queries and keys)', { type: 'q8_0', arch: 'olmo2', vocab: 'spm', kvHeads: 2, fusedQkv: true }],
  ['q4_0 glm4 (pre- and post-norms, fused gate and up, RoPE on half of each head)', { type: 'q4_0', arch: 'glm4', vocab: 'spm', kvHeads: 2 }],
  ['q8_0 gemma4 (windowed layers of their own head size and kv heads, K = V in the global ones, per-layer inputs, shared keys and values)', { type: 'q8_0', arch: 'gemma4', vocab: 'spm', layers: 12, kvHeads: 2, headDim: 32, headDimSwa: 16, kvHeadsGlobal: 1, kEqV: true, slidingWindow: 8, perLayerInputs: 32, sharedKvLayers: 6 }],
  ['q8_0 exaone4 at 64 layers (windows of 8 in 3 of 4, no RoPE in the others)', { type: 'q8_0', arch: 'exaone4', vocab: 'spm', layers: 64, kvHeads: 2, slidingWindow: 8 }],
  // the input gradient per expert (ggml_mul_mat_t_id: rows gathered by expert on the GPU)
  ['q8_0 qwen3moe (2 of 8 experts per token)', { type: 'q8_0', arch: 'qwen3moe', vocab: 'spm', kvHeads: 2, experts: { count: 8, used: 2, ff: 64 } }],
  ['q4_0 llama as Mixtral (2 of 4 experts per token)', { type: 'q4_0', experts: { count: 4, used: 2 } }],
  ['q4_0 olmo2 (3 of 4 layers in a window of 8, YaRN on the others)', { type: 'q4_0', arch: 'olmo2', vocab: 'spm', layers: 4, kvHeads: 2, slidingWindow: 8, ropeScaling: { type: 'yarn', factor: 4, originalContext: 16 } }],
];

for (const [name, options] of cases) {
  t.test(`CPU and ${gpu?.name ?? 'GPU'} agree on a ${name} model`, { skip }, async (t) => {
    const path = await testModel(options);
    const cpu = await run(path, 'cpu');
    const cuda = await run(path, 'cuda');
    const lp = Math.max(...cpu.logprobs.map((x, i) => Math.abs(x - cuda.logprobs[i])));
    t.ok(lp <= LOGPROB_TOL, `log-probs within ${lp.toExponential(2)}`);
    const v = Math.max(...cpu.values.map((x, i) => Math.abs(x - cuda.values[i])));
    t.ok(v <= LOGPROB_TOL, `values within ${v.toExponential(2)}`);
    let worst = 0;
    let worstName = '';
    for (const [p, g] of Object.entries(cpu.grads)) {
      const d = worstRelative(g, cuda.grads[p]);
      if (d > worst) [worst, worstName] = [d, p];
    }
    t.ok(worst <= GRAD_TOL, `gradients within ${worst.toExponential(2)} of each tensor's largest (worst: ${worstName})`);
    const step = Math.max(...Object.entries(cpu.after).map(([p, w]) => worstRelative(w, cuda.after[p])));
    t.ok(step <= GRAD_TOL, `parameters after an AdamW step within ${step.toExponential(2)}`);
  });
}
