import type { Argv, CommandModule } from 'yargs';
import { withModel } from '../model-session.js';

interface Args {
  model: string;
  json: boolean;
}

/** `rl-ggml info`: what a GGUF model is, as rl-ggml reads it. */
export const infoCommand: CommandModule<object, Args> = {
  command: 'info',
  describe: 'Show a model: architecture, sizes, tensor types, vocabulary',
  builder: (y: Argv) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'GGUF model path' })
      .option('json', { type: 'boolean', default: false, describe: 'JSON output' }) as unknown as Argv<Args>,
  handler: async (argv) => {
    await withModel(argv.model, undefined, async (model) => {
      const typeCounts: Record<string, number> = {};
      let params = 0;
      for (const t of model.tensors) {
        typeCounts[t.type] = (typeCounts[t.type] ?? 0) + 1;
        params += t.shape.reduce((a, b) => a * b, 1);
      }
      const summary = { path: model.path, architecture: 'llama', vocab: model.vocab, parameters: params, ...model.hparams, tensorTypes: typeCounts, tensors: model.tensors };
      if (argv.json) {
        console.log(JSON.stringify(summary));
        return;
      }
      const hp = model.hparams;
      console.log(`model         ${model.path}`);
      console.log(`architecture  llama (${(params / 1e6).toFixed(2)}M parameters)`);
      console.log(`vocabulary    ${model.vocab} (${hp.nVocab} tokens)`);
      console.log(`layers        ${hp.nLayer}`);
      console.log(`embedding     ${hp.nEmbd} (heads ${hp.nHead}, kv heads ${hp.nHeadKv}, head size ${hp.headDim})`);
      console.log(`feed-forward  ${hp.nFf}`);
      console.log(`context       ${hp.nCtxTrain}`);
      console.log(`rope          base ${hp.ropeFreqBase}, scale ${hp.ropeFreqScale}, dims ${hp.nRot}${hp.ropeFreqs ? ', frequency factors' : ''}`);
      console.log(`output        ${hp.tiedOutput ? 'tied to token embedding' : 'separate'}`);
      console.log(`tensor types  ${Object.entries(typeCounts).map(([t, n]) => `${t} ×${n}`).join(', ')}`);
    });
  },
};
