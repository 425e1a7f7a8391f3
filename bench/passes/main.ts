/**
 * A training step's passes as SFT and DPO plan them (microBatches: sequences in order of length, a pass joining the
 * next while that costs less than a pass of its own) against one pass over the whole step (slots padded to its
 * longest sequence), on ETO's two training shapes with household conversations (etoWorkloads), whose lengths vary
 * several-fold. One forward + backward + AdamW step per round, the two interleaved; tok/s counts every sequence's
 * tokens.
 *
 *   npm run bench:passes -- [--model M.gguf] [--threads N] [--batch 8] [--workload sft|dpo] [--min-seconds 5] [--json]
 */
import { loadModel } from '../../src/model.js';
import { microBatches, passPlan } from '../../src/training/batching.js';
import { createPolicy } from '../../src/training/llm-policy.js';
import { benchArgs, benchModel, compareSteps, etoWorkloads } from '../common.js';

const argv = benchArgs({
  batch: { type: 'number', default: 8, describe: 'SFT conversations (DPO pairs) per step' },
  workload: { type: 'string', choices: ['sft', 'dpo'], describe: 'only this workload (default: both)' },
});

async function main() {
  const path = await benchModel(argv.model);
  const model = await loadModel(path, { threads: argv.threads });
  const rows = [];
  for (const w of etoWorkloads(model, argv.batch).filter((w) => !argv.workload || w.name === argv.workload)) {
    const tokens = w.seqs.reduce((n, s) => n + s.tokens.length, 0);
    const planner = await createPolicy(model, { valueHead: false });
    const planned = microBatches(w.seqs, passPlan(planner, Infinity, { shareWithin: w.shareWithin }), w.name === 'dpo' ? 2 : 1).map((idx) => idx.map((i) => w.seqs[i]));
    await planner.dispose();
    const { seconds, computeMiB } = await compareSteps(model, argv.minSeconds, [
      { passes: planned, shareWithin: w.shareWithin },
      { passes: [w.seqs], shareWithin: w.shareWithin },
    ]);
    rows.push({
      workload: w.name,
      sequences: w.seqs.length,
      tokens,
      lengths: w.seqs.map((s) => s.tokens.length),
      passes: planned.map((p) => p.map((s) => s.tokens.length)),
      plannedTokPerSec: tokens / seconds[0],
      onePassTokPerSec: tokens / seconds[1],
      speedup: seconds[1] / seconds[0],
      computeMiB,
    });
  }
  const result = { model: path, threads: argv.threads, rows };
  if (argv.json) console.log(JSON.stringify(result));
  else {
    console.log(`${path}, ${argv.threads} threads; passes by length and cost vs one pass`);
    for (const r of rows) {
      console.log(
        `${r.workload}: ${r.sequences} sequences, ${r.tokens} tokens in passes ${r.passes.map((p) => `[${p.join(' ')}]`).join(' ')}: ` +
          `${r.plannedTokPerSec.toFixed(0)} vs ${r.onePassTokPerSec.toFixed(0)} tok/s (${r.speedup.toFixed(2)}x), ${r.computeMiB.map((m) => m.toFixed(0)).join(' vs ')} MiB`,
      );
    }
  }
  await model.dispose();
}

await main();
