import type { Argv, CommandModule } from 'yargs';
import { modelSessionOptions, withModel, type ModelSessionArgs } from '../model-session.js';

interface Args extends ModelSessionArgs {
  prompt: string[];
  maxTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  stop?: string[];
  json: boolean;
}

/** `rl-ggml generate`: continue prompts with the model (or a LoRA adapter on it). */
export const generateCommand: CommandModule<object, Args> = {
  command: 'generate',
  describe: 'Continue prompts with generated text (greedy or sampled), with per-token log-probs',
  builder: (y: Argv) =>
    modelSessionOptions(y)
      .option('prompt', { type: 'string', array: true, demandOption: true, describe: 'a prompt (repeat to decode several together; BOS is prepended where the vocabulary adds one)' })
      .option('max-tokens', { type: 'number', default: 128, describe: 'new tokens at most per prompt' })
      .option('temperature', { type: 'number', default: 0, describe: '0: greedy; above 0: sample' })
      .option('top-k', { type: 'number', default: 0, describe: 'sample among the k most probable tokens (0: all)' })
      .option('top-p', { type: 'number', default: 1, describe: 'sample from the smallest set of tokens with this much probability' })
      .option('seed', { type: 'number', default: 1, describe: 'sampling seed' })
      .option('stop', { type: 'string', array: true, describe: 'stop when the text contains this (repeatable)' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON object per prompt' }) as unknown as Argv<Args>,
  handler: async (argv) => {
    await withModel(argv, async (model, adapter) => {
      const options = { maxTokens: argv.maxTokens, temperature: argv.temperature, topK: argv.topK, topP: argv.topP, seed: argv.seed, stop: argv.stop?.map(String) };
      const prompts = argv.prompt.map(String);
      const gens = adapter ? await adapter.generate(prompts, options) : await model.generate(prompts, options);
      for (const g of gens) {
        if (argv.json) console.log(JSON.stringify(g));
        else console.log(`${g.prompt}\x1b[1m${g.text}\x1b[0m  [${g.tokens.length} tokens, ${g.finishReason}, log-prob ${g.logprobs.reduce((a, b) => a + b, 0).toFixed(3)}]`);
      }
    });
  },
};
