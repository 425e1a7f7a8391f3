import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { InvalidArgumentError } from '../../errors.js';
import { architectures, makeModel, presets, vocabularies, weightTypes, type MakeModelOptions } from '../../make-model.js';

interface Args {
  out: string;
  type: string;
  arch?: string;
  vocab?: string;
  preset: string;
  layers?: number;
  embd?: number;
  heads?: number;
  kvHeads?: number;
  headDim?: number;
  headDimSwa?: number;
  kvHeadsGlobal?: number;
  kEqV: boolean;
  perLayerInputs?: number;
  sharedKvLayers?: number;
  experts?: number;
  expertsUsed?: number;
  expertFf?: number;
  window?: number;
  ff?: number;
  ctx?: number;
  tied?: boolean;
  fusedQkv?: boolean;
  ropeFreqs: boolean;
  biases: boolean;
  rope: boolean;
  attnTemperature?: number;
  ropeScaling?: 'linear' | 'yarn';
  ropeFactor: number;
  ropeOriginalCtx?: number;
  attnSoftcap?: number;
  finalSoftcap?: number;
  seed: number;
  outputScale: number;
  chatTemplate?: string;
  json: boolean;
}

function readTemplate(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError('BAD_OPTIONS', `cannot read the chat template ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** `rl-ggml make-model`: a GGUF of a supported architecture with random weights and a real tokenizer, for tests and benchmarks. */
export const makeModelCommand: CommandModule<object, Args> = {
  command: 'make-model',
  describe: 'Write a GGUF of a supported architecture (llama, qwen2, qwen3, qwen3moe, smollm3, gemma2, gemma3, gemma4, olmo2, phi3, granite, mistral3, glm4, ernie4_5, exaone4) with deterministic random weights (for tests and benchmarks)',
  builder: (y: Argv) =>
    y
      .option('out', { type: 'string', demandOption: true, describe: 'output GGUF path' })
      .option('type', { choices: weightTypes as string[], default: 'f32', describe: 'weight tensor type' })
      .option('arch', {
        choices: architectures as string[],
        describe:
          'llama (with --experts: Mixtral\'s), qwen2 (q, k, v biases, NeoX RoPE), qwen3 (per-head q, k norms, NeoX RoPE), qwen3moe (qwen3 with mixtures of experts), smollm3 (no RoPE in every 4th layer), gemma3 (qwen3\'s attention, GELU feed-forward, post-norms, sliding windows), gemma2 (gemma3 without q, k norms, with soft caps), gemma4 (gemma3 with normed values, unscaled scores, layer output scales, a logit soft cap, partial RoPE in global layers), olmo2 (post-norms only, q, k norms over whole projections), phi3 (fused q, k, v and gate, up projections), granite (μP multipliers), mistral3 (attention temperature), glm4 (q, k, v biases, pre- and post-norms, fused gate, up, half-rotary RoPE), ernie4_5 (llama\'s block) or exaone4 (olmo2\'s block, per-head q, k norms) [default: llama, or the preset\'s]',
      })
      .option('vocab', {
        choices: vocabularies as string[],
        describe:
          'LLaMA-1/2 SentencePiece (32000), LLaMA-3 BPE (128256), Qwen2 BPE (151936, with its chat template), Gemma 4 (262144, with its chat template), Phi-3 (32064, with its chat template) or StarCoder BPE (49152) [default: qwen2 for the Qwen architectures and glm4, bpe for smollm3, olmo2, mistral3, ernie4_5 and exaone4, gemma4 for the Gemmas, phi3 for phi3, starcoder for granite, else spm]',
      })
      .option('preset', { choices: Object.keys(presets), default: 'tiny', describe: 'base shape; flags below override it' })
      .option('layers', { type: 'number', describe: 'transformer blocks' })
      .option('embd', { type: 'number', describe: 'embedding size' })
      .option('heads', { type: 'number', describe: 'attention heads' })
      .option('kv-heads', { type: 'number', describe: 'key/value heads (grouped-query attention when fewer than heads)' })
      .option('head-dim', { type: 'number', describe: 'attention head size, when not embd / heads (written as attention.key_length)' })
      .option('head-dim-swa', { type: 'number', describe: "the windowed layers' head size, where it differs (Gemma 4's: attention.key_length_swa) [default: --head-dim]" })
      .option('kv-heads-global', { type: 'number', describe: "the kv heads of the layers that attend to everything, where they differ (head_count_kv per layer) [default: --kv-heads]" })
      .option('k-eq-v', { type: 'boolean', default: false, describe: "gemma4: no value projection in the global layers, whose values are the keys' projection (Gemma 4 31B's)" })
      .option('per-layer-inputs', { type: 'number', describe: "gemma4: inputs of each layer's own from the tokens, this wide (Gemma 4 E2B's and E4B's: 256) [default: none]" })
      .option('shared-kv-layers', { type: 'number', describe: "gemma4: the last layers attend with the keys and values of the last windowed or global layer before them (E2B's 20 of 35) [default: none]" })
      .option('experts', { type: 'number', describe: "llama, qwen3moe: a mixture of this many experts instead of every layer's feed-forward (gemma4: beside it) [default: the preset's, else none]" })
      .option('experts-used', { type: 'number', describe: 'with --experts: the experts each token takes (those its router rates highest)' })
      .option('expert-ff', { type: 'number', describe: "qwen3moe, gemma4: each expert's feed-forward size (expert_feed_forward_length) [default: --ff]" })
      .option('window', {
        type: 'number',
        describe: "gemma3, gemma4 (gemma2, olmo2, exaone4 at 64 layers): the sliding window of 5 in every 6 layers (1 in 2, 3 in 4) [default: the preset's, else none written but gemma2's 4096, gemma4's 1024 and exaone4's 4096]",
      })
      .option('attn-softcap', { type: 'number', describe: "gemma2: the soft cap c on attention's scores x, which become c·tanh(x / c) [default: 50]" })
      .option('final-softcap', { type: 'number', describe: "gemma2, gemma4: the soft cap on the output's logits [default: 30]" })
      .option('ff', { type: 'number', describe: 'feed-forward size' })
      .option('ctx', { type: 'number', describe: 'context length' })
      .option('tied', { type: 'boolean', describe: "tie the output projection to the token embedding [default: the preset's, else gemma2's tied, others' not]" })
      .option('fused-qkv', { type: 'boolean', describe: "one attn_qkv projection for the queries, keys and values (llama.cpp reads either in any architecture) [default: phi3's fused, others' not]" })
      .option('rope-freqs', { type: 'boolean', default: false, describe: "write Llama-3 style RoPE frequency factors (phi3: LongRoPE's, for an original context of ctx / 4)" })
      .option('biases', { type: 'boolean', default: false, describe: "write the optional biases: llama's, granite's and mistral3's on attn_output and the feed-forward, qwen2's on the LM head" })
      .option('rope', { type: 'boolean', default: true, describe: 'granite: --no-rope writes rope.scaling.finetuned = false, Granite\'s switch that turns RoPE off' })
      .option('attn-temperature', { type: 'number', describe: "mistral3: Llama 4's attention temperature s, queries × 1 + s·log(1 + ⌊position / original context⌋) [default: none written]" })
      .option('rope-scaling', { choices: ['linear', 'yarn'], describe: 'write RoPE scaling of this kind (rope.scaling.*) [default: none]' })
      .option('rope-factor', { type: 'number', default: 4, describe: 'with --rope-scaling: the factor positions are divided by' })
      .option('rope-original-ctx', { type: 'number', describe: "with --rope-scaling yarn: the context YaRN extends [default: the model's]" })
      .option('seed', { type: 'number', default: 1, describe: 'weight seed' })
      .option('output-scale', { type: 'number', default: 2, describe: 'std of output.weight × √embd: smaller = broader untrained distributions' })
      .option('chat-template', { type: 'string', describe: 'a file holding a Jinja chat template (e.g. a real model\'s) to write as tokenizer.chat_template' })
      .option('json', { type: 'boolean', default: false, describe: 'print a JSON summary' }) as unknown as Argv<Args>,
  handler: async (argv) => {
    const options = {
      out: argv.out,
      type: argv.type,
      arch: argv.arch,
      vocab: argv.vocab,
      preset: argv.preset,
      layers: argv.layers,
      embd: argv.embd,
      heads: argv.heads,
      kvHeads: argv.kvHeads,
      headDim: argv.headDim,
      headDimSwa: argv.headDimSwa,
      kvHeadsGlobal: argv.kvHeadsGlobal,
      kEqV: argv.kEqV,
      perLayerInputs: argv.perLayerInputs,
      sharedKvLayers: argv.sharedKvLayers,
      experts: argv.experts === undefined ? undefined : { count: argv.experts, used: argv.expertsUsed ?? 0, ff: argv.expertFf },
      slidingWindow: argv.window,
      softCaps: { attention: argv.attnSoftcap, final: argv.finalSoftcap },
      ff: argv.ff,
      ctx: argv.ctx,
      tied: argv.tied,
      fusedQkv: argv.fusedQkv,
      ropeFreqs: argv.ropeFreqs,
      biases: argv.biases,
      rope: argv.rope,
      attnTemperature: argv.attnTemperature,
      ropeScaling: argv.ropeScaling && { type: argv.ropeScaling, factor: argv.ropeFactor, originalContext: argv.ropeOriginalCtx },
      seed: argv.seed,
      outputScale: argv.outputScale,
      chatTemplate: argv.chatTemplate === undefined ? undefined : readTemplate(argv.chatTemplate),
    } as MakeModelOptions;
    const made = await makeModel(options);
    if (argv.json) console.log(JSON.stringify({ out: argv.out, type: argv.type, arch: made.arch, vocab: made.vocab, preset: argv.preset }));
    else console.log(`wrote ${argv.out} (random weights, ${argv.type}, ${made.arch} architecture, ${made.vocab} vocabulary)`);
  },
};
