import type { Argv, CommandModule } from 'yargs';
import { modelSessionOptions, withModel, type ModelSessionArgs } from '../model-session.js';

interface Args extends ModelSessionArgs {
  text: string;
  json: boolean;
}

/** `rl-ggml logprobs`: per-token log-probabilities of a text. */
export const logprobsCommand: CommandModule<object, Args> = {
  command: 'logprobs',
  describe: 'Per-token log-probabilities of a text under a model',
  builder: (y: Argv) =>
    modelSessionOptions(y)
      .option('text', { type: 'string', demandOption: true, describe: 'text to score (BOS is prepended where the vocabulary adds one)' })
      .option('json', { type: 'boolean', default: false, describe: 'JSON output' }) as unknown as Argv<Args>,
  handler: async (argv) => {
    await withModel(argv, async (model, adapter) => {
      const r = adapter ? await adapter.logprobs(argv.text) : await model.logprobs(argv.text);
      const total = r.logprobs.reduce<number>((a, b) => a + (b ?? 0), 0);
      if (argv.json) {
        console.log(JSON.stringify({ ...r, total }));
        return;
      }
      for (let i = 0; i < r.tokens.length; i++) {
        const lp = r.logprobs[i];
        console.log(`${String(r.tokens[i]).padStart(7)}  ${JSON.stringify(r.pieces[i]).padEnd(20)}  ${lp === null ? '' : lp.toFixed(6)}`);
      }
      console.log(`total log-prob ${total.toFixed(6)} over ${r.tokens.length - 1} predicted tokens`);
    });
  },
};
