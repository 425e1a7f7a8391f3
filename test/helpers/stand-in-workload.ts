/**
 * What test/native/cuda-stand-in.test.ts runs in a child process on the CUDA stand-in: the engine's GPU paths end to
 * end (scoring, TWOSOME training steps, a long sequence's blocked attention with checkpointed layers, generation).
 * Args: model path, number of training steps, number of checkpointed sequence steps (default 1). Prints the device's
 * description and the sequence's length as JSON.
 */
import { loadModel } from '../../src/model.js';
import { createPolicy } from '../../src/training/llm-policy.js';

const [path, steps, sequenceSteps = '1'] = process.argv.slice(2);
const model = await loadModel(path, { device: 'cuda' });
const items = [
  { prompt: 'There is a tomato on the counter. Your next step is to', actions: ['pick up the tomato', 'serve the dish'] },
  { prompt: 'You are in the kitchen.', actions: ['open the fridge', 'walk to the sofa', 'wait'] },
];
await model.scoreActions(items);
const policy = await createPolicy(model, { lora: { rank: 4, alpha: 8, targets: ['q', 'v'] }, valueHead: { hidden: [16, 8] }, seed: 1 });
for (let i = 0; i < Number(steps); i++) {
  await policy.forward(items);
  policy.zeroGrad();
  await policy.backward({ dLogprob: [[1, -1], [0.5, 0.5, -1]], dValue: [0.3, -0.2] });
  await policy.step({ actor: { lr: 1e-4, maxGradNorm: 0.5 }, critic: { lr: 1e-4 } });
}
const tokens = model.tokenize('You are in the middle of a room. Looking around you, you see a cabinet 1. '.repeat(30), { bos: true });
const marked = tokens.map((_, i) => i % 25 === 0);
for (let i = 0; i < Number(sequenceSteps); i++) {
  await policy.forwardSequences([{ tokens, marked }], { memoryBudget: 1 });  // checkpointed layers
  await policy.backwardSequences([1]);
}
await policy.dispose();
await model.generate(['Your next step is to', 'You see'], { maxTokens: 8 });
console.log(JSON.stringify({ device: model.device.description, sequenceTokens: tokens.length }));
await model.dispose();
