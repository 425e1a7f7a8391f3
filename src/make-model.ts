/**
 * Generated test models: llama-architecture GGUF files with deterministic random weights and the real LLaMA
 * tokenizer copied from the vocab files in the vendored llama.cpp tree.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from './errors.js';
import { callNative, native, packageRoot } from './native.js';

export type WeightType = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0' | 'q4_1' | 'q5_0' | 'q5_1' | 'q4_k' | 'q5_k' | 'q6_k';
export const weightTypes: readonly WeightType[] = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_1', 'q5_0', 'q5_1', 'q4_k', 'q5_k', 'q6_k'];

export interface ModelShape {
  layers: number;
  embd: number;
  heads: number;
  kvHeads: number;
  ff: number;
  ctx: number;
}

/** `tiny` keeps the test suite fast on 2 cores; `llama-7b` has LLaMA-7B's exact shapes (for speed benchmarks). */
export const presets: Record<'tiny' | 'llama-7b', ModelShape> = {
  tiny: { layers: 2, embd: 64, heads: 4, kvHeads: 4, ff: 160, ctx: 4096 },
  'llama-7b': { layers: 32, embd: 4096, heads: 32, kvHeads: 32, ff: 11008, ctx: 2048 },
};

export interface MakeModelOptions extends Partial<ModelShape> {
  out: string;
  preset?: keyof typeof presets;
  type?: WeightType;
  /** "spm": LLaMA-1/2 SentencePiece (32000 tokens); "bpe": LLaMA-3 BPE (128256 tokens). */
  vocab?: 'spm' | 'bpe';
  /** Share the output projection with the token embedding. */
  tied?: boolean;
  /** Write Llama-3 style RoPE frequency factors (rope_freqs.weight). */
  ropeFreqs?: boolean;
  ropeFreqBase?: number;
  seed?: number;
  /** Round the weights through this type (quantize, dequantize) before writing them as `type`: an f32 file then holds
   *  exactly the weights of the quantized model (a float twin for gradient checks). */
  roundTrip?: WeightType;
  /** Std of output.weight × √embd (default 2): smaller gives broader untrained next-token distributions (a flatter
   *  prior over actions) but less room for the model to become confident. */
  outputScale?: number;
  /** A Jinja chat template to write as `tokenizer.chat_template` (the model then lays out conversations by it). */
  chatTemplate?: string;
}

export function vocabFile(vocab: 'spm' | 'bpe'): string {
  return join(packageRoot, 'vendor', 'llama.cpp', 'models', `ggml-vocab-llama-${vocab}.gguf`);
}

export async function makeModel(options: MakeModelOptions): Promise<void> {
  const preset = options.preset ?? 'tiny';
  if (!(preset in presets)) throw new InvalidArgumentError('INVALID_ARGUMENT', `unknown preset "${preset}" (tiny, llama-7b)`);
  const type = options.type ?? 'f32';
  if (!weightTypes.includes(type)) throw new InvalidArgumentError('INVALID_ARGUMENT', `unknown type "${type}" (${weightTypes.join(', ')})`);
  const vocab = options.vocab ?? 'spm';
  if (vocab !== 'spm' && vocab !== 'bpe') throw new InvalidArgumentError('INVALID_ARGUMENT', `unknown vocab "${vocab}" (spm, bpe)`);
  const file = vocabFile(vocab);
  if (!existsSync(file)) throw new InvalidArgumentError('VOCAB_MISSING', `the vocabulary file ${file} is missing: run \`npm install\``);
  const shape = { ...presets[preset] };
  for (const key of Object.keys(shape) as (keyof ModelShape)[]) {
    const v = options[key];
    if (v !== undefined) {
      if (!Number.isInteger(v) || v <= 0) throw new InvalidArgumentError('INVALID_ARGUMENT', `${key} must be a positive integer, got ${v}`);
      shape[key] = v;
    }
  }
  if (options.heads !== undefined && options.kvHeads === undefined) shape.kvHeads = shape.heads;
  await callNative(() =>
    native().makeModel({
      out: options.out,
      vocabFile: file,
      type,
      ...shape,
      tied: options.tied ?? false,
      ropeFreqs: options.ropeFreqs ?? false,
      ropeFreqBase: options.ropeFreqBase ?? (vocab === 'bpe' ? 500000 : 10000),
      seed: options.seed ?? 1,
      roundTrip: options.roundTrip,
      outputScale: options.outputScale,
      chatTemplate: options.chatTemplate,
    }),
  );
}
