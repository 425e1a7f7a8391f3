/**
 * The outside reference: node-llama-cpp (llama.cpp's own engine, prebuilt binaries) run on the same GGUF file.
 * Its KV cache is set to F32 and flash attention off so that its numbers differ from ours only by summation order.
 */
import { getLlama, type Llama, type LlamaModel } from 'node-llama-cpp';
import type { Model, TokenLogprobs } from '../../src/model.js';

/**
 * What Gemma's GELU adds to |ours - node-llama-cpp| per log-prob: llama.cpp's CPU backend looks it up in a table of
 * half-precision inputs, ours computes it (as GPUs do, and as its backward pass needs: native/patches/0009), which
 * moves log-probs by up to 3e-3. Quantized types would add the rounding of activations to 8 bits, which this
 * difference flips here and there (0.1 on a q8_0 model; with the table left in place, q8_0 and q4_0 models agreed to
 * 2e-6), so gemma3 models compared with node-llama-cpp are float.
 */
export const gemmaGeluTolerance = 5e-3;

let llama: Promise<Llama> | undefined;

export function referenceLlama(): Promise<Llama> {
  llama ??= getLlama({ gpu: false, build: 'never', logLevel: 'error' as never, progressLogs: false });
  return llama;
}

export async function referenceModel(path: string): Promise<LlamaModel> {
  return (await referenceLlama()).loadModel({ modelPath: path, gpuLayers: 0 });
}

/** node-llama-cpp's tokenization of `text` (no BOS, special tokens not parsed — as our tokenize()). */
export async function referenceTokenize(model: LlamaModel, text: string): Promise<number[]> {
  return Array.from(model.tokenize(text, false), Number);
}

/**
 * log P(tokens[i] | tokens[<i]) for i >= 1: the log-softmax of node-llama-cpp's raw logits, in double precision. With
 * `every`, only every `every`-th of them (NaN for the others): node-llama-cpp hands out each position's logits as a Map
 * of the whole vocabulary, which for hundreds of positions takes seconds and gigabytes.
 */
export async function referenceLogprobs(model: LlamaModel, tokens: number[], extra: { lora?: string; every?: number } = {}): Promise<number[]> {
  const context = await model.createContext({
    contextSize: Math.max(256, tokens.length + 8),
    batchSize: Math.max(256, tokens.length + 8),
    flashAttention: false,
    experimentalKvCacheKeyType: 'F32',
    experimentalKvCacheValueType: 'F32',
    threads: 2,
    ...(extra.lora ? { lora: { adapters: [{ filePath: extra.lora, scale: 1 }] } } : {}),
  } as never);
  try {
    const sequence = context.getSequence();
    const every = extra.every ?? 1;
    const input = tokens.slice(0, -1).map((t, i) => ((i + 1) % every === 0 ? [t, { generateNext: { logits: true } }] : t));
    const out = await sequence.controlledEvaluate(input as never);
    return out.map((o, i) => {
      if (o === undefined) return NaN;
      const logits = (o as { next: { logits: Map<number, number> } }).next.logits;
      let max = -Infinity;
      for (const v of logits.values()) max = Math.max(max, v);
      let sum = 0;
      for (const v of logits.values()) sum += Math.exp(v - max);
      return logits.get(tokens[i + 1])! - max - Math.log(sum);
    });
  } finally {
    await context.dispose();
  }
}

/** node-llama-cpp's greedy continuation of `prompt` (token ids, BOS included): up to n tokens, stopping after EOS. */
export async function referenceGreedy(model: LlamaModel, prompt: number[], n: number, extra: { lora?: string } = {}): Promise<number[]> {
  const context = await model.createContext({
    contextSize: 256,
    flashAttention: false,
    threads: 2,
    ...(extra.lora ? { lora: { adapters: [{ filePath: extra.lora, scale: 1 }] } } : {}),
  } as never);
  try {
    const out: number[] = [];
    for await (const token of context.getSequence().evaluate(prompt as never, { temperature: 0 })) {
      out.push(Number(token));
      if (out.length >= n || Number(token) === model.tokens.eos) break;
    }
    return out;
  } finally {
    await context.dispose();
  }
}

/**
 * A trained adapter checked against node-llama-cpp: our log-probs of `text` with the policy applied, the largest
 * difference from node-llama-cpp's with the policy's saved adapter file (`worst`), and the largest change the adapter
 * makes to the base model's (`moved`, so that agreement is not the trivial one of an adapter that does nothing).
 */
export async function adapterAgreement(
  model: Model,
  policy: { logprobs(text: string): Promise<TokenLogprobs> },
  adapterFile: string,
  text: string,
): Promise<{ ours: TokenLogprobs; worst: number; moved: number }> {
  const ours = await policy.logprobs(text);
  const ref = await referenceModel(model.path);
  try {
    const theirs = await referenceLogprobs(ref, ours.tokens, { lora: adapterFile });
    const base = await model.logprobs(text);
    let worst = 0;
    let moved = 0;
    ours.logprobs.slice(1).forEach((x, i) => {
      worst = Math.max(worst, Math.abs((x as number) - theirs[i]));
      moved = Math.max(moved, Math.abs((x as number) - (base.logprobs[i + 1] as number)));
    });
    return { ours, worst, moved };
  } finally {
    await ref.dispose();
  }
}
