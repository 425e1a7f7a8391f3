/**
 * Training throughput: tokens/s of forward+backward+AdamW step against the forward pass alone (scoring), on the same
 * TWOSOME-shaped packed batches and model, plus peak RSS.
 *
 *   npm run bench:train -- [--model M.gguf] [--threads N] [--prompts 4] [--actions 17] [--min-seconds 5] [--json]
 *
 * The training side is LoRA r=8 on q,v with TWOSOME's value head ([1024, 512]) and cached base features, the shape
 * of a TWOSOME policy minibatch. Target: forward+backward+step <= 2.5x the forward time.
 */
import { loadModel } from '../../src/model.js';
import { createPolicy } from '../../src/training/llm-policy.js';
import type { ScoreItem } from '../../src/scoring.js';
import { benchArgs, benchModel, timeInterleaved } from '../common.js';

const argv = benchArgs({
  prompts: { type: 'number', default: 4 },
  actions: { type: 'number', default: 17 },
});

function workload(n: number, k: number): ScoreItem[] {
  const nouns = ['tomato', 'lettuce', 'onion', 'bowl', 'cutting board', 'counter', 'dish', 'fridge', 'sofa', 'TV'];
  return Array.from({ length: n }, (_, p) => ({
    prompt: `There is a fixed cutting board in the room. ${Array.from({ length: 12 }, (_, i) => `You notice a ${nouns[(i + p) % nouns.length]} next to the ${nouns[(i * 3 + p) % nouns.length]}.`).join(' ')} Your next step is to`,
    actions: Array.from({ length: k }, (_, i) => `pick up the ${nouns[i % nouns.length]} ${i}`),
  }));
}

async function main() {
  const path = await benchModel(argv.model);
  const model = await loadModel(path, { threads: argv.threads });
  const policy = await createPolicy(model, { lora: { rank: 8, alpha: 16, targets: ['q', 'v'] }, valueHead: { hidden: [1024, 512] } });
  const items = workload(argv.prompts, argv.actions);
  const tokens = items.reduce((n, it) => n + model.tokenize(it.prompt, { bos: true }).length + it.actions.reduce((a, x) => a + model.tokenize(` ${x}`).length, 0), 0);

  const forwardOnly = async () => void (await policy.score(items));
  const trainStep = async () => {
    const f = await policy.forward(items);
    policy.zeroGrad();
    await policy.backward({ dLogprob: f.scores.map((s) => s.actions.map((a) => a.probability - 1 / s.actions.length)), dValue: f.values.map((v) => v - 1) });
    await policy.step({ actor: { lr: 1e-6, maxGradNorm: 0.5 }, critic: { lr: 1e-5, maxGradNorm: 0.5 } });
  };
  const [tf, tt] = await timeInterleaved(argv.minSeconds, [forwardOnly, trainStep], 3);
  const result = {
    model: path,
    threads: argv.threads,
    prompts: argv.prompts,
    actions: argv.actions,
    packedTokens: tokens,
    forwardTokensPerSec: tokens / tf,
    trainTokensPerSec: tokens / tt,
    trainOverForward: tt / tf,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  if (argv.json) console.log(JSON.stringify(result));
  else {
    console.log(`${tokens} packed tokens (${argv.prompts} prompts x ${argv.actions} actions), ${argv.threads} threads`);
    console.log(`forward only          ${result.forwardTokensPerSec.toFixed(0)} tok/s`);
    console.log(`forward+backward+step ${result.trainTokensPerSec.toFixed(0)} tok/s (${result.trainOverForward.toFixed(2)}x the forward time)`);
    console.log(`peak RSS              ${result.peakRssMiB.toFixed(0)} MiB`);
  }
  await policy.dispose();
  await model.dispose();
}

await main();
