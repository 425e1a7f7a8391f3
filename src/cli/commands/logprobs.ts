import type { Argv, CommandModule } from 'yargs';
import { loadModel } from '../../model.js';

interface Args {
  model: string;
  text: string;
  json: boolean;
}

/** `rl-ggml logprobs`: per-token log-probabilities of a text. */
export const logprobsCommand: CommandModule<object, Args> = {
  command: 'logprobs',
  describe: 'Per-token log-probabilities of a text under a model',
  builder: (y: Argv) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'GGUF model path' })
      .option('text', { type: 'string', demandOption: true, describe: 'text to score (BOS is prepended)' })
      .option('json', { type: 'boolean', default: false, describe: 'JSON output' }) as unknown as Argv<Args>,
  handler: async (argv) => {
    const model = await loadModel(argv.model);
    try {
      const r = await model.logprobs(argv.text);
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
    } finally {
      await model.dispose();
    }
  },
};
