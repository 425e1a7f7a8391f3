import type { Argv, CommandModule } from 'yargs';
import { modelSessionOptions, withModel, type ModelSessionArgs } from '../model-session.js';
import { normalizations, type Normalization } from '../../scoring.js';

interface Args extends ModelSessionArgs {
  prompt: string;
  action: string[];
  norm: Normalization;
  json: boolean;
}

/** `rl-ggml score`: TWOSOME's action probabilities for one prompt. */
export const scoreCommand: CommandModule<object, Args> = {
  command: 'score',
  describe: "Score actions after a prompt as TWOSOME's policy does (log-prob, normalized score, probability)",
  builder: (y: Argv) =>
    modelSessionOptions(y)
      .option('prompt', { type: 'string', demandOption: true, describe: 'observation prompt' })
      .option('action', { type: 'string', array: true, demandOption: true, describe: 'an action (repeat for each)' })
      .option('norm', { choices: normalizations as string[], default: 'word', describe: 'normalization of the summed log-prob' })
      .option('json', { type: 'boolean', default: false, describe: 'JSON output' }) as unknown as Argv<Args>,
  handler: async (argv) => {
    await withModel(argv, async (model, adapter) => {
      const items = [{ prompt: argv.prompt, actions: argv.action.map(String) }];
      const [result] = adapter ? await adapter.score(items, { normalization: argv.norm }) : await model.scoreActions(items, { normalization: argv.norm });
      if (argv.json) {
        console.log(JSON.stringify({ prompt: result.prompt, normalization: argv.norm, actions: result.actions }));
        return;
      }
      const width = Math.max(6, ...result.actions.map((a) => a.action.length));
      console.log(`${'action'.padEnd(width)}  ${'logprob'.padStart(10)}  tokens  words  ${'score'.padStart(10)}  probability`);
      for (const a of result.actions) {
        console.log(`${a.action.padEnd(width)}  ${a.logprob.toFixed(4).padStart(10)}  ${String(a.tokens).padStart(6)}  ${String(a.words).padStart(5)}  ${a.score.toFixed(4).padStart(10)}  ${a.probability.toFixed(6)}`);
      }
    });
  },
};
