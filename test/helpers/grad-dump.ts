/**
 * Prints the gradients of a fixed loss for a policy on the model given as argv[2] (JSON on stdout). Run as a child
 * process so tests can compare RL_GGML_GENERIC_BACKWARD=1 (ggml's own out_prod formula) with the default fast path.
 */
import { loadModel } from '../../src/model.js';
import { createPolicy } from '../../src/training/llm-policy.js';

const model = await loadModel(process.argv[2], { threads: 2 });
const policy = await createPolicy(model, { lora: { rank: 2, alpha: 4, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] }, valueHead: false, seed: 5 });
let s = 9;
const r = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
for (const p of policy.parameters()) {
  if (p.name.endsWith('.lora_b')) policy.setParameter(p.name, Float32Array.from({ length: p.shape[0] * p.shape[1] }, () => 0.05 * r()));
}
const items = [
  { prompt: 'There is a tomato on the counter. Your next step is to', actions: ['pick up the tomato', 'serve the dish'] },
  { prompt: 'You are in the kitchen.', actions: ['open the fridge', 'walk to the sofa', 'wait'] },
];
await policy.forward(items);
policy.zeroGrad();
await policy.backward({ dLogprob: [[1, -0.5], [0.3, 0.9, -1.2]] });
const out: Record<string, number[]> = {};
for (const p of policy.parameters()) out[p.name] = Array.from(policy.getGradient(p.name));
console.log(JSON.stringify(out));
await policy.dispose();
await model.dispose();
