/**
 * Generated test models: GGUF files of the supported architectures (`architectures`) with deterministic random weights
 * and a real tokenizer (LLaMA's, which SmolLM3 shares with Llama 3; Qwen2's, which Qwen3 shares; Gemma 4's, the
 * vendored tree's only one of Gemma's 262,144 tokens; Phi-3's; or StarCoder's) copied from the vocab files in the
 * vendored llama.cpp tree.
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

export type Architecture = 'llama' | 'qwen2' | 'qwen3' | 'qwen3moe' | 'smollm3' | 'gemma2' | 'gemma3' | 'gemma4' | 'olmo2' | 'phi3' | 'granite' | 'mistral3' | 'glm4' | 'ernie4_5' | 'exaone4';
export const architectures: readonly Architecture[] = ['llama', 'qwen2', 'qwen3', 'qwen3moe', 'smollm3', 'gemma2', 'gemma3', 'gemma4', 'olmo2', 'phi3', 'granite', 'mistral3', 'glm4', 'ernie4_5', 'exaone4'];
export type Vocabulary = 'spm' | 'bpe' | 'qwen2' | 'gemma4' | 'phi3' | 'starcoder';
export const vocabularies: readonly Vocabulary[] = ['spm', 'bpe', 'qwen2', 'gemma4', 'phi3', 'starcoder'];

/**
 * Each architecture's vocabulary where none is given: its family's (SmolLM3 uses Llama 3's, Qwen3 Qwen2's), or where
 * the vendored tree lacks it, a kin of about its size: for Gemma 2, Gemma 4's (256,000 tokens against 262,144); for
 * OLMo 2, Llama 3's byte-level BPE; for Granite 3, StarCoder's (49,152 tokens against 49,155); for Ministral 3, Llama
 * 3's (128,256 tokens against Tekken's 131,072); for GLM-4, Qwen2's (151,936 against 151,552); for ERNIE 4.5 and
 * EXAONE 4, Llama 3's (128,256 against 103,424 and 102,400).
 */
const defaultVocabulary: Record<Architecture, Vocabulary> = {
  llama: 'spm',
  qwen2: 'qwen2',
  qwen3: 'qwen2',
  qwen3moe: 'qwen2',
  smollm3: 'bpe',
  gemma2: 'gemma4',
  gemma3: 'gemma4',
  gemma4: 'gemma4',
  olmo2: 'bpe',
  phi3: 'phi3',
  granite: 'starcoder',
  mistral3: 'bpe',
  glm4: 'qwen2',
  ernie4_5: 'bpe',
  exaone4: 'bpe',
};

/**
 * The RoPE base each family's models have: LLaMA-2 10,000, LLaMA-3 500,000, Qwen2, Qwen3, Gemma 3 and 4 1,000,000 (their
 * sliding-window layers 10,000), SmolLM3 5,000,000, Gemma 2 and Phi-3 10,000, OLMo 2 500,000, Granite 3.3 10,000,000,
 * Ministral 3 1,000,000, GLM-4 10,000, ERNIE 4.5 500,000, EXAONE 4 1,000,000.
 */
function defaultRopeBase(arch: Architecture, vocab: Vocabulary): number {
  return { llama: vocab === 'bpe' ? 500000 : 10000, qwen2: 1e6, qwen3: 1e6, qwen3moe: 1e6, smollm3: 5e6, gemma2: 10000, gemma3: 1e6, gemma4: 1e6, olmo2: 500000, phi3: 10000, granite: 1e7, mistral3: 1e6, glm4: 10000, ernie4_5: 500000, exaone4: 1e6 }[arch];
}

/** A mixture of experts in every layer's feed-forward (Mixtral's, Qwen3-MoE's): `count` experts, `used` of them per
 *  token (those the layer's router rates highest), each `ff` wide (default: the model's `ff`; llama's experts are
 *  always `ff` wide). */
export interface Experts {
  count: number;
  used: number;
  ff?: number;
}

/** A preset: a shape, and for a real model's shapes its architecture, head size, vocabulary, output tying and window
 *  (and Gemma 4's windowed layers' head size, per-layer inputs and shared key-value layers; a mixture's experts). */
export interface Preset extends ModelShape {
  arch?: Architecture;
  headDim?: number;
  vocab?: Vocabulary;
  tied?: boolean;
  slidingWindow?: number;
  headDimSwa?: number;
  perLayerInputs?: number;
  sharedKvLayers?: number;
  experts?: Experts;
}

/**
 * `tiny` keeps the test suite fast on 2 cores; `llama-7b`, `qwen2.5-0.5b`, `qwen3-0.6b`, `smollm3-3b`, `gemma-2-2b`,
 * `gemma-3-270m`, `gemma-3-1b`, `olmo-2-1b`, `phi-3-mini`, `granite-3.3-2b`, `ministral-3-3b`, `glm-4-9b`,
 * `ernie-4.5-0.3b`, `exaone-4.0-1.2b`, `gemma-4-e4b` and `qwen3-30b-a3b` have those models' exact shapes (for speed benchmarks; gemma-2-2b's
 * vocabulary is Gemma 4's, 2% larger than its own, olmo-2-1b's Llama 3's, 28% larger, granite-3.3-2b's StarCoder's, 3
 * tokens smaller, ministral-3-3b's Llama 3's, 2% smaller, glm-4-9b's Qwen2's, 0.3% larger, ernie-4.5-0.3b's and
 * exaone-4.0-1.2b's Llama 3's, 24% and 25% larger).
 */
export type PresetName =
  | 'tiny'
  | 'llama-7b'
  | 'qwen2.5-0.5b'
  | 'qwen3-0.6b'
  | 'smollm3-3b'
  | 'gemma-2-2b'
  | 'gemma-3-270m'
  | 'gemma-3-1b'
  | 'olmo-2-1b'
  | 'phi-3-mini'
  | 'granite-3.3-2b'
  | 'ministral-3-3b'
  | 'glm-4-9b'
  | 'ernie-4.5-0.3b'
  | 'exaone-4.0-1.2b'
  | 'gemma-4-e4b'
  | 'qwen3-30b-a3b';
export const presets: Record<PresetName, Preset> = {
  tiny: { layers: 2, embd: 64, heads: 4, kvHeads: 4, ff: 160, ctx: 4096 },
  'llama-7b': { layers: 32, embd: 4096, heads: 32, kvHeads: 32, ff: 11008, ctx: 2048 },
  'qwen2.5-0.5b': { layers: 24, embd: 896, heads: 14, kvHeads: 2, ff: 4864, ctx: 32768, arch: 'qwen2', vocab: 'qwen2', tied: true },
  'qwen3-0.6b': { layers: 28, embd: 1024, heads: 16, kvHeads: 8, ff: 3072, ctx: 40960, arch: 'qwen3', headDim: 128, vocab: 'qwen2', tied: true },
  'smollm3-3b': { layers: 36, embd: 2048, heads: 16, kvHeads: 4, ff: 11008, ctx: 65536, arch: 'smollm3', vocab: 'bpe', tied: true },
  'gemma-2-2b': { layers: 26, embd: 2304, heads: 8, kvHeads: 4, ff: 9216, ctx: 8192, arch: 'gemma2', headDim: 256, vocab: 'gemma4', tied: true, slidingWindow: 4096 },
  'gemma-3-270m': { layers: 18, embd: 640, heads: 4, kvHeads: 1, ff: 2048, ctx: 32768, arch: 'gemma3', headDim: 256, vocab: 'gemma4', tied: true, slidingWindow: 512 },
  'gemma-3-1b': { layers: 26, embd: 1152, heads: 4, kvHeads: 1, ff: 6912, ctx: 32768, arch: 'gemma3', headDim: 256, vocab: 'gemma4', tied: true, slidingWindow: 512 },
  'olmo-2-1b': { layers: 16, embd: 2048, heads: 16, kvHeads: 16, ff: 8192, ctx: 4096, arch: 'olmo2', vocab: 'bpe' },
  'phi-3-mini': { layers: 32, embd: 3072, heads: 32, kvHeads: 32, ff: 8192, ctx: 4096, arch: 'phi3', vocab: 'phi3' },
  'granite-3.3-2b': { layers: 40, embd: 2048, heads: 32, kvHeads: 8, ff: 8192, ctx: 131072, arch: 'granite', vocab: 'starcoder', tied: true },
  'ministral-3-3b': { layers: 26, embd: 3072, heads: 32, kvHeads: 8, ff: 9216, ctx: 262144, arch: 'mistral3', headDim: 128, vocab: 'bpe', tied: true },
  'glm-4-9b': { layers: 40, embd: 4096, heads: 32, kvHeads: 2, ff: 13696, ctx: 32768, arch: 'glm4', vocab: 'qwen2' },
  'ernie-4.5-0.3b': { layers: 18, embd: 1024, heads: 16, kvHeads: 2, ff: 3072, ctx: 131072, arch: 'ernie4_5', headDim: 128, vocab: 'bpe', tied: true },
  'exaone-4.0-1.2b': { layers: 30, embd: 2048, heads: 32, kvHeads: 8, ff: 4096, ctx: 65536, arch: 'exaone4', vocab: 'bpe', tied: true },
  // windows of 512 in 5 of every 6 layers with heads of 256, the global layers' of 512; the last 18 layers share
  // layers 22's and 23's keys and values
  'gemma-4-e4b': { layers: 42, embd: 2560, heads: 8, kvHeads: 2, ff: 10240, ctx: 131072, arch: 'gemma4', headDim: 512, vocab: 'gemma4', tied: true, slidingWindow: 512, headDimSwa: 256, perLayerInputs: 256, sharedKvLayers: 18 },
  // 128 experts of 768 per layer, 8 per token: 3.3B of its 30.5B parameters per token
  'qwen3-30b-a3b': { layers: 48, embd: 2048, heads: 32, kvHeads: 4, ff: 6144, ctx: 40960, arch: 'qwen3moe', headDim: 128, vocab: 'qwen2', experts: { count: 128, used: 8, ff: 768 } },
};

/** Gemma 2's soft caps c on attention's scores and the output's logits x, which become c·tanh(x / c). */
export interface SoftCaps {
  attention: number;
  final: number;
}

/** RoPE scaling: positions divided by `factor`, linearly or by YaRN (from `originalContext` on, default the context). */
export interface RopeScaling {
  type: 'linear' | 'yarn';
  factor: number;
  originalContext?: number;
}

export interface MakeModelOptions extends Partial<ModelShape> {
  out: string;
  preset?: PresetName;
  type?: WeightType;
  /**
   * "llama" (default); "qwen2": llama's block with q, k, v projection biases and NeoX-style RoPE; "qwen3": no biases,
   * each head's queries and keys RMS-normed before NeoX-style RoPE; "smollm3": llama's block without RoPE in every
   * 4th layer; "gemma3": qwen3's attention, embeddings scaled by √embd, a GELU-gated feed-forward, post-norms on the
   * attention's and feed-forward's outputs, and (with `slidingWindow`) sliding-window attention in 5 of every 6 layers;
   * "gemma2": gemma3's block without q and k norms, soft caps on attention's scores and the output's logits (see
   * `softCaps`), and a sliding window (4,096 where not given) in every other layer;
   * "olmo2": norms after the attention and the feed-forward instead of before, and on the whole query and key
   * projections (with `slidingWindow`, OLMo 3's windows in 3 of every 4 layers);
   * "phi3": llama's block with one projection for the queries, keys and values (attn_qkv) and one for the
   * feed-forward's gate and up (ffn_up, twice as wide), NeoX-style RoPE;
   * "granite": llama's block with Granite 3.3's μP multipliers (embeddings ×12, the sublayers' outputs ×0.22 before
   * their residual adds, attention's scores × 1/head size, logits ÷8);
   * "mistral3": llama's block with Llama 4's attention temperature (see `attnTemperature`) and, with YaRN, Ministral
   * 3's YaRN keys (betas 32 and 1, log multiplier 1);
   * "glm4": llama's block with q, k, v biases, norms after the attention and the feed-forward as well as before, one
   * projection for the gate and up (phi3's), and RoPE on half of each head;
   * "ernie4_5": llama's block (ERNIE 4.5's dense models);
   * "exaone4": olmo2's block with per-head q and k norms; at 64 layers (EXAONE 4 32B) and with `slidingWindow`,
   * windows in 3 of every 4 layers and no RoPE in the 4th;
   * "gemma4": gemma3's block with RMS-normed values, unscaled attention scores, a scale on each layer's output, a
   * soft cap on the logits (30), windows (1,024 where not given) in 5 of every 6 layers, and in the others RoPE on a
   * quarter of each head (Gemma 4's proportional RoPE factors); see `headDimSwa`, `kvHeadsGlobal` and `kEqV` for its
   * layers' own shapes.
   */
  arch?: Architecture;
  /** gemma2, gemma3, gemma4, olmo2, exaone4 (at 64 layers): the sliding window (attention.sliding_window); where not
   *  given, none written but gemma2's (4,096), gemma4's (1,024) and exaone4's at 64 layers (4,096). */
  slidingWindow?: number;
  /** gemma2: the soft caps to write; default Gemma 2's, 50 on scores and 30 on logits (gemma4: on logits only, 30). */
  softCaps?: Partial<SoftCaps>;
  /** The attention head size, when not embd / heads (Qwen3's heads are wider): written as attention.key_length. */
  headDim?: number;
  /** The windowed layers' head size, where it differs (Gemma 4's are half its global layers'): written as
   *  attention.key_length_swa and rope.dimension_count_swa. */
  headDimSwa?: number;
  /** The kv heads of the layers that attend to everything, where they differ from the windowed layers' (Gemma 4 31B's
   *  4 against 16): head_count_kv then written per layer. */
  kvHeadsGlobal?: number;
  /** gemma4: the layers that attend to everything have no value projection and take the keys' as values (Gemma 4
   *  31B's attention_k_eq_v). */
  kEqV?: boolean;
  /** gemma4: inputs of each layer's own from the tokens, this wide (Gemma 4 E2B's and E4B's 256). */
  perLayerInputs?: number;
  /** gemma4: the last layers attend with the keys and values of the last windowed or global layer before them (E2B's
   *  20 of 35); the two layers before them must be a windowed one, then a global one. */
  sharedKvLayers?: number;
  /** llama (Mixtral's), qwen3moe (required): mixtures of experts instead of dense feed-forwards. Default: the preset's
   *  where its architecture is kept. */
  experts?: Experts;
  /**
   * "spm": LLaMA-1/2 SentencePiece (32000 tokens); "bpe": LLaMA-3 BPE (128256 tokens); "qwen2": Qwen2's BPE (151936
   * tokens, with Qwen2's Jinja chat template); "gemma4": Gemma 4's (262144 tokens, with its Jinja chat template);
   * "phi3": Phi-3's (LLaMA's SentencePiece and its chat tokens, 32064, with its Jinja chat template); "starcoder":
   * StarCoder's BPE (49152 tokens). Default: "qwen2" for the Qwen architectures and glm4, "bpe" for smollm3, olmo2,
   * mistral3, ernie4_5 and exaone4, "gemma4" for gemma2 and gemma3, "phi3" for phi3, "starcoder" for granite, else
   * "spm".
   */
  vocab?: Vocabulary;
  /** Share the output projection with the token embedding. Default: the preset's, else as the architecture has it
   *  (llama.cpp loads gemma2 tied and olmo2 untied only; the others either way, default untied). */
  tied?: boolean;
  /** Write the optional biases the architecture's files may have: llama's, granite's and mistral3's on attn_output and
   *  the feed-forward's three projections, qwen2's on the LM head (output.bias). */
  biases?: boolean;
  /** granite: false writes rope.scaling.finetuned = false, Granite's switch that turns RoPE off in every layer. */
  rope?: boolean;
  /**
   * mistral3: Llama 4's attention temperature s (attention.temperature_scale; Ministral 3's is 0.1): queries ×
   * 1 + s·log(1 + ⌊position / original context⌋), from the original context (`ropeScaling.originalContext`) on.
   */
  attnTemperature?: number;
  /** One attn_qkv projection for the queries, keys and values, which llama.cpp reads in any architecture's file.
   *  Default: as the architecture's files have it (phi3's fused, the others' not). */
  fusedQkv?: boolean;
  /** Write Llama-3 style RoPE frequency factors (rope_freqs.weight); on phi3, LongRoPE's short and long ones, for an
   *  original context of a quarter of `ctx` (the longest rl-ggml then evaluates, as llama.cpp uses the short ones there). */
  ropeFreqs?: boolean;
  ropeFreqBase?: number;
  /** RoPE scaling to write (rope.scaling.*), as long-context models have it; none where not given. */
  ropeScaling?: RopeScaling;
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

export function vocabFile(vocab: Vocabulary): string {
  const name = {
    spm: 'ggml-vocab-llama-spm.gguf',
    bpe: 'ggml-vocab-llama-bpe.gguf',
    qwen2: 'ggml-vocab-qwen2.gguf',
    gemma4: 'ggml-vocab-gemma-4.gguf',
    phi3: 'ggml-vocab-phi-3.gguf',
    starcoder: 'ggml-vocab-starcoder.gguf',
  }[vocab];
  return join(packageRoot, 'vendor', 'llama.cpp', 'models', name);
}

/** Writes the model; returns the architecture and vocabulary it got (the options', else the defaults). */
export async function makeModel(options: MakeModelOptions): Promise<{ arch: Architecture; vocab: Vocabulary }> {
  const preset = options.preset ?? 'tiny';
  if (!(preset in presets)) throw new InvalidArgumentError('INVALID_ARGUMENT', `unknown preset "${preset}" (${Object.keys(presets).join(', ')})`);
  const type = options.type ?? 'f32';
  if (!weightTypes.includes(type)) throw new InvalidArgumentError('INVALID_ARGUMENT', `unknown type "${type}" (${weightTypes.join(', ')})`);
  const { arch: presetArch, headDim: presetHeadDim, vocab: presetVocab, tied: presetTied, slidingWindow: presetWindow, headDimSwa: presetHeadDimSwa, perLayerInputs: presetLayerInputs, sharedKvLayers: presetShared, experts: presetExperts, ...shapeOfPreset } = presets[preset];
  const arch = options.arch ?? presetArch ?? 'llama';
  if (!architectures.includes(arch)) throw new InvalidArgumentError('INVALID_ARGUMENT', `unknown architecture "${arch}" (${architectures.join(', ')})`);
  const vocab = options.vocab ?? presetVocab ?? defaultVocabulary[arch];
  if (!vocabularies.includes(vocab)) throw new InvalidArgumentError('INVALID_ARGUMENT', `unknown vocab "${vocab}" (${vocabularies.join(', ')})`);
  const headDim = options.headDim ?? presetHeadDim;
  // (Gemma 4's parts of a preset, where its architecture is kept)
  const own = arch === presetArch;
  const sizes = {
    headDim,
    headDimSwa: options.headDimSwa ?? (own ? presetHeadDimSwa : undefined),
    kvHeadsGlobal: options.kvHeadsGlobal,
    perLayerInputs: options.perLayerInputs ?? (own ? presetLayerInputs : undefined),
    sharedKvLayers: options.sharedKvLayers ?? (own ? presetShared : undefined),
  };
  for (const [name, v] of Object.entries(sizes)) {
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new InvalidArgumentError('INVALID_ARGUMENT', `${name} must be a positive integer, got ${v}`);
  }
  const experts = options.experts ?? (own ? presetExperts : undefined);
  for (const v of experts ? [experts.count, experts.used, experts.ff ?? 1] : []) {
    if (!(Number.isInteger(v) && v > 0)) throw new InvalidArgumentError('INVALID_ARGUMENT', `experts' count, used and ff must be positive integers, got ${JSON.stringify(experts)}`);
  }
  const slidingWindow = options.slidingWindow ?? (arch === presetArch ? presetWindow : undefined);
  // (which architectures have a window, the native side knows)
  if (slidingWindow !== undefined && !(Number.isInteger(slidingWindow) && slidingWindow > 0)) {
    throw new InvalidArgumentError('INVALID_ARGUMENT', `slidingWindow must be a positive integer, got ${slidingWindow}`);
  }
  const caps = options.softCaps ?? {};
  for (const cap of [caps.attention, caps.final]) {
    if (cap !== undefined && !(cap > 0)) throw new InvalidArgumentError('INVALID_ARGUMENT', `softCaps must be positive, got ${JSON.stringify(caps)}`);
  }
  const file = vocabFile(vocab);
  if (!existsSync(file)) throw new InvalidArgumentError('VOCAB_MISSING', `the vocabulary file ${file} is missing: run \`npm install\``);
  const shape: ModelShape = { ...shapeOfPreset };
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
      arch,
      ...sizes,
      experts,
      kEqV: options.kEqV ?? false,
      slidingWindow,
      ...shape,
      tied: options.tied ?? presetTied,
      fusedQkv: options.fusedQkv,
      ropeFreqs: options.ropeFreqs ?? false,
      biases: options.biases ?? false,
      noRope: options.rope === false,
      attnTemperature: options.attnTemperature,
      ropeFreqBase: options.ropeFreqBase ?? defaultRopeBase(arch, vocab),
      ropeScaling: options.ropeScaling,
      attnSoftcap: caps.attention,
      finalSoftcap: caps.final,
      seed: options.seed ?? 1,
      roundTrip: options.roundTrip,
      outputScale: options.outputScale,
      chatTemplate: options.chatTemplate,
    }),
  );
  return { arch, vocab };
}
