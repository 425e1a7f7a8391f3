/**
 * ETO exploration speed: agent replies per second on generated household games, with each conversation kept in a
 * slot of the generator's K,V cache from round to round (what `explore` does) against recomputing every round's whole
 * conversation (generation without cache slots), in interleaved runs on the same model. Both play the same greedy
 * episodes; the check that they do is part of the run.
 *
 *   npm run bench:explore -- [--model M.gguf] [--threads N] [--tasks 8] [--max-steps 6] [--max-tokens 32] [--min-seconds 5] [--json]
 */
import { chatTasks } from '../../envs/chat-tasks.js';
import type { GenerateOptions, Prompt } from '../../src/generate.js';
import { loadModel } from '../../src/model.js';
import { explore, type Agent, type ExploredTrajectory } from '../../src/training/explore.js';
import { benchArgs, benchModel, timeInterleaved } from '../common.js';

const argv = benchArgs({
  tasks: { type: 'number', default: 8, describe: 'household games played at once' },
  'max-steps': { type: 'number', default: 6, describe: 'replies per episode (rounds)' },
  'max-tokens': { type: 'number', default: 32, describe: 'new tokens per reply at most' },
});

async function main() {
  const path = await benchModel(argv.model);
  const model = await loadModel(path, { threads: argv.threads });
  const tasks = chatTasks('household/mixed', 'train', argv.tasks, { maxSteps: argv.maxSteps });
  const options = { maxTokens: argv.maxTokens, parallel: argv.tasks };
  const recompute: Agent = { generate: (p: readonly Prompt[], o?: GenerateOptions) => model.generate(p, { ...o, slots: undefined }) };
  const runs: ExploredTrajectory[][] = [[], []];
  const [kept, whole] = await timeInterleaved(argv.minSeconds, [
    async () => void (runs[0] = await explore(model, model, tasks, options)),
    async () => void (runs[1] = await explore(model, recompute, tasks, options)),
  ], 3);
  if (JSON.stringify(runs[0]) !== JSON.stringify(runs[1])) throw new Error('the two ways of generating played different episodes');
  const replies = runs[0].reduce((n, r) => n + r.steps, 0);
  const result = {
    model: path,
    threads: argv.threads,
    tasks: argv.tasks,
    maxSteps: argv.maxSteps,
    maxTokens: argv.maxTokens,
    replies,
    keptCacheRepliesPerSec: replies / kept,
    recomputeRepliesPerSec: replies / whole,
    speedup: whole / kept,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  if (argv.json) console.log(JSON.stringify(result));
  else {
    console.log(`${argv.tasks} household games x ${argv.maxSteps} replies of <= ${argv.maxTokens} tokens, ${argv.threads} threads`);
    console.log(`cache slots kept between rounds  ${result.keptCacheRepliesPerSec.toFixed(2)} replies/s`);
    console.log(`whole conversation every round   ${result.recomputeRepliesPerSec.toFixed(2)} replies/s (${result.speedup.toFixed(2)}x slower)`);
  }
  await model.dispose();
}

await main();
