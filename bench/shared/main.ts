/**
 * Sequences that begin alike, trained with their beginning computed once (how SFT and DPO pack them) against each
 * sequence alone (`shareWithin: 1`), on ETO's two training shapes with household conversations (etoWorkloads), all
 * in one pass. One forward + backward + AdamW step per round, the two packings interleaved; tok/s counts every sequence's tokens.
 *
 *   npm run bench:shared -- [--model M.gguf] [--threads N] [--batch 4] [--min-seconds 5] [--json]
 */
import { loadModel } from '../../src/model.js';
import { packSequences, unitLength } from '../../src/packing.js';
import { trainingCost } from '../../src/scoring.js';
import { benchArgs, benchModel, compareSteps, etoWorkloads } from '../common.js';

const argv = benchArgs({
  batch: { type: 'number', default: 4, describe: 'SFT conversations (DPO pairs) per step' },
});

async function main() {
  const path = await benchModel(argv.model);
  const model = await loadModel(path, { threads: argv.threads });
  const rows = [];
  for (const w of etoWorkloads(model, argv.batch)) {
    const tokens = w.seqs.reduce((n, s) => n + s.tokens.length, 0);
    const packed = packSequences(w.seqs, (u) => trainingCost(model.hparams, u), w.shareWithin);
    const { seconds, computeMiB } = await compareSteps(model, argv.minSeconds, [
      { passes: [w.seqs], shareWithin: w.shareWithin },
      { passes: [w.seqs], shareWithin: 1 },
    ]);
    rows.push({
      workload: w.name,
      sequences: w.seqs.length,
      tokens,
      computedTokens: packed.units.reduce((n, u) => n + unitLength(u), 0),
      groups: packed.units.length,
      sharedTokPerSec: tokens / seconds[0],
      aloneTokPerSec: tokens / seconds[1],
      speedup: seconds[1] / seconds[0],
      computeMiB,
    });
  }
  const result = { model: path, threads: argv.threads, rows };
  if (argv.json) console.log(JSON.stringify(result));
  else {
    console.log(`${path}, ${argv.threads} threads; shared beginnings vs each sequence alone`);
    for (const r of rows) {
      console.log(
        `${r.workload}: ${r.sequences} sequences, ${r.tokens} tokens (${r.computedTokens} computed in ${r.groups} groups): ` +
          `${r.sharedTokPerSec.toFixed(0)} vs ${r.aloneTokPerSec.toFixed(0)} tok/s (${r.speedup.toFixed(2)}x), ${r.computeMiB.map((m) => m.toFixed(0)).join(' vs ')} MiB`,
      );
    }
  }
  await model.dispose();
}

await main();
