/**
 * Training on long sequences (ETO's SFT and DPO shape: one conversation per graph): tokens/s of forward+backward+AdamW
 * step and device memory (compute buffers and layer checkpoints) of ways to keep what the backward pass needs and to
 * lay out attention, interleaved in one process on the same model:
 * - kept: every activation from the forward pass (RL_GGML_RECOMPUTE_ATTENTION=0);
 * - attention: attention's probabilities recomputed in the backward pass (RL_GGML_RECOMPUTE_ATTENTION=1);
 * - layers: layer checkpointing (a memory budget of 1 byte forces it), attention as by default;
 * - layers-one-head-chunk: the same with the LM head over all scored tokens at once (RL_GGML_HEAD_CHUNK_ROWS), not in
 *   chunks of 128 rows;
 * - attention-one-block: as `attention`, with every query in one block (RL_GGML_ATTENTION_BLOCK_ROWS), so that each
 *   attends over the whole slot, masked, instead of blocks of 256 queries over the keys up to their last.
 *
 *   npm run bench:sequence -- [--model M.gguf] [--threads N] [--lengths 512,1024,2048] [--variants kept,attention,...]
 *     [--min-seconds 5] [--json]
 *
 * Ratios are to the first variant listed.
 *
 * LoRA r=8 on q,v; the loss marks every other sentence (the agent's turns of a conversation).
 */
import { loadModel, type Model } from '../../src/model.js';
import { createPolicy, type MarkedSequence } from '../../src/training/llm-policy.js';
import { benchArgs, benchModel, timeInterleaved } from '../common.js';

const argv = benchArgs({
  lengths: { type: 'string', default: '512,1024,2048', describe: 'sequence lengths in tokens' },
  variants: { type: 'string', default: 'kept,attention,layers,layers-one-head-chunk,attention-one-block', describe: 'variants to interleave (ratios are to the first)' },
});

/** A conversation-like sequence of exactly `length` tokens, every other sentence marked. */
function conversation(model: Model, length: number): MarkedSequence {
  const tokens: number[] = [];
  const marked: boolean[] = [];
  for (let i = 0; tokens.length < length; i++) {
    const text = i % 2 ? ` Thought: I need to find the mug ${i}. Action: go to cabinet ${i % 7}.` : ` On the cabinet ${i % 7}, you see a mug ${i}, a spoon ${i + 1} and a plate.`;
    const ids = model.tokenize(text, { bos: i === 0 });
    tokens.push(...ids);
    marked.push(...ids.map(() => i % 2 === 1));
  }
  return { tokens: tokens.slice(0, length), marked: marked.slice(0, length) };
}

async function main() {
  const path = await benchModel(argv.model);
  const model = await loadModel(path, { threads: argv.threads });
  const lengths = argv.lengths.split(',').map(Number);
  const rows = [];
  const known = [
    { name: 'kept', recompute: '0', memoryBudget: undefined, headChunkRows: '', blockRows: '' },
    { name: 'attention', recompute: '1', memoryBudget: undefined, headChunkRows: '', blockRows: '' },
    { name: 'layers', recompute: '', memoryBudget: 1, headChunkRows: '', blockRows: '' },
    { name: 'layers-one-head-chunk', recompute: '', memoryBudget: 1, headChunkRows: '1000000', blockRows: '' },
    { name: 'attention-one-block', recompute: '1', memoryBudget: undefined, headChunkRows: '', blockRows: '1000000' },
  ];
  const variants = argv.variants.split(',').map((name) => {
    const v = known.find((k) => k.name === name);
    if (!v) throw new Error(`unknown variant "${name}" (${known.map((k) => k.name).join(', ')})`);
    return v;
  });
  for (const length of lengths) {
    const seq = conversation(model, length);
    // one policy per variant, so each reports its own memory high-water mark
    const sides = await Promise.all(variants.map(async (v) => ({ ...v, policy: await createPolicy(model, { lora: { rank: 8, alpha: 16, targets: ['q', 'v'] }, valueHead: false }) })));
    const steps = sides.map(({ recompute, memoryBudget, headChunkRows, blockRows, policy }) => async () => {
      process.env.RL_GGML_RECOMPUTE_ATTENTION = recompute;
      process.env.RL_GGML_HEAD_CHUNK_ROWS = headChunkRows;
      process.env.RL_GGML_ATTENTION_BLOCK_ROWS = blockRows;
      await policy.forwardSequences([seq], { memoryBudget });
      policy.zeroGrad();
      await policy.backwardSequences([-1]);
      await policy.step({ actor: { lr: 1e-6, maxGradNorm: 1 } });
    });
    const seconds = await timeInterleaved(argv.minSeconds, steps, 3);
    const bytes = sides.map((s) => s.policy.memoryUsage().compute);
    rows.push({
      tokens: length,
      variants: Object.fromEntries(
        sides.map((s, i) => [s.name, { tokensPerSec: length / seconds[i], computeMiB: bytes[i] / 2 ** 20, timeRatio: seconds[i] / seconds[0], memoryRatio: bytes[i] / bytes[0] }]),
      ),
    });
    for (const { policy } of sides) await policy.dispose();
  }
  delete process.env.RL_GGML_RECOMPUTE_ATTENTION;
  delete process.env.RL_GGML_HEAD_CHUNK_ROWS;
  delete process.env.RL_GGML_ATTENTION_BLOCK_ROWS;
  const result = { model: path, threads: argv.threads, rows, peakRssMiB: process.resourceUsage().maxRSS / 1024 };
  if (argv.json) console.log(JSON.stringify(result));
  else {
    console.log(`${path}, ${argv.threads} threads; tok/s and device memory, ratios to ${variants[0].name}`);
    for (const r of rows) {
      const cells = Object.entries(r.variants).map(
        ([name, v]) => `${name} ${v.tokensPerSec.toFixed(0)} tok/s (${v.timeRatio.toFixed(2)}x time), ${v.computeMiB.toFixed(0)} MiB (${v.memoryRatio.toFixed(2)}x)`,
      );
      console.log(`${String(r.tokens).padStart(6)} tokens: ${cells.join('; ')}`);
    }
  }
  await model.dispose();
}

await main();
