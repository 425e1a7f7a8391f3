/**
 * The public model API: load a llama-, qwen2-, qwen3-, smollm3-, gemma3- or olmo2-architecture GGUF, tokenize, and
 * compute exact per-token log-probabilities.
 * Native work runs off the JS thread; calls on one model are serialized, and `dispose()` waits for them.
 */
import { availableParallelism } from 'node:os';
import { checkChatTemplateOption, vocabularyChatTemplate, resolveChatTemplate, type ChatTemplate } from './chat-template.js';
import { DisposedError, InvalidArgumentError } from './errors.js';
import { resolveDeviceOption, type Device, type DeviceInfo } from './devices.js';
import { generateWith, type GenerateOptions, type Generation, type Prompt } from './generate.js';
import type { Architecture, Experts, SoftCaps } from './make-model.js';
import { callNative, callNativeSync, native, type NativeBatch, type NativeModel } from './native.js';
import { packBatch } from './packing.js';
import { scoreActions, type PromptScores, type ScoreItem, type ScoreOptions } from './scoring.js';

export interface LoadModelOptions {
  /** CPU threads for graph computation (default: all available cores). */
  threads?: number;
  /**
   * Where the weights live and the math runs: "auto" (a CUDA GPU when present, else the CPU), "cpu", "cuda" (the
   * first GPU) or "cuda:N". Default: the RL_GGML_DEVICE environment variable, else "auto".
   */
  device?: Device;
  /**
   * How conversations are laid out for this model (ETO's data and agents): "auto" (default: the file's own Jinja
   * chat template, else Llama 3's or Llama-2-chat's by the vocabulary), "gguf" (the file's template), "llama2", or a
   * layout llama.cpp writes by name ("chatml", "llama3", "zephyr", "mistral-v7", ...). See src/chat-template.ts.
   */
  chatTemplate?: string;
  /**
   * Variables handed to a Jinja chat template besides the conversation, as llama.cpp's --chat-template-kwargs: e.g.
   * `{enable_thinking: false}` for Qwen3's and SmolLM3's templates (an empty think block before each reply they
   * prompt). Policies and adapters record them with the template and must be loaded with the same.
   */
  chatTemplateKwargs?: Record<string, unknown>;
}

export interface ModelHParams {
  /**
   * "llama" (Mixtral's too: see `experts`); "qwen2" (llama's block with q, k, v projection biases and NeoX-style
   * RoPE); "qwen3" (no biases, each head's queries and keys RMS-normed before NeoX-style RoPE); "qwen3moe" (qwen3's
   * block with mixtures of experts); "smollm3" (llama's block without RoPE in every 4th
   * layer); "gemma3" (qwen3's attention, scaled embeddings, a GELU-gated feed-forward, post-norms, sliding windows);
   * "gemma2" (gemma3's block without q and k norms, soft caps on scores and logits, a window in every other layer);
   * "phi3" (llama's block with fused projections: one for the queries, keys and values, one for the gate and up);
   * "olmo2" (norms after attention and feed-forward only, q and k normed over the whole projection); "granite"
   * (llama's block with μP multipliers: see `scales`); "mistral3" (llama's block with an attention temperature);
   * "glm4" (llama's block with q, k, v biases, pre- and post-norms, a fused gate and up, RoPE on half of each head);
   * "ernie4_5" (llama's block); "exaone4" (olmo2's block with per-head q, k norms; at 64 layers, windows in 3 of 4
   * layers and no RoPE in the 4th); "gemma4" (gemma3's block with RMS-normed values, unscaled scores, a scale on each
   * layer's output, a soft cap on the logits, and heads of their own size in the windowed layers: see `layers`; 26B-A4B's
   * experts beside each feed-forward: see `experts`).
   */
  architecture: Architecture;
  nVocab: number;
  /** Context size the model was trained with: the longest sequence rl-ggml evaluates. */
  nCtxTrain: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  /** The most kv heads of any layer (`layers` has each layer's). */
  nHeadKv: number;
  /** The widest feed-forward of any layer. */
  nFf: number;
  /** The RoPE dimensions of the layers that attend to everything. */
  nRot: number;
  /** The largest attention head size of any layer: embedding / heads, or the file's attention.key_length (Qwen3's
   *  heads are wider; Gemma 4's windowed layers have narrower heads, attention.key_length_swa). */
  headDim: number;
  /** Each layer's head size, kv heads, feed-forward width and RoPE dimensions (the same in most models). */
  layers: LayerDims[];
  /** Gemma 4 E2B's and E4B's: the width of each layer's own input from the tokens (0: none). */
  perLayerInputs: number;
  /** Gemma 4 E2B's and E4B's: how many last layers attend with the keys and values of the last windowed or global
   *  layer before them (0: none). */
  sharedKvLayers: number;
  /** Mixtral's, Qwen3-MoE's and Gemma 4 26B-A4B's: each layer's feed-forward is a mixture of `count` experts, `ff`
   *  wide, of which each token takes the `used` its router rates highest; `shared`: Gemma 4's, whose own feed-forward
   *  (`layers`' nFf wide) runs beside them as a shared expert (null: dense feed-forwards). */
  experts: (Required<Experts> & { shared: boolean }) | null;
  rmsEps: number;
  ropeFreqBase: number;
  /** 1 / the RoPE scaling factor (of the layers that attend to everything). */
  ropeFreqScale: number;
  /** How positions are scaled: "none", "linear" or "yarn" (from rope.scaling.original_context_length on). */
  ropeScaling: 'none' | 'linear' | 'yarn';
  tiedOutput: boolean;
  /** The sliding window of the layers that attend only to recent positions (Gemma 2's and 3's); 0: none. */
  slidingWindow: number;
  /** Gemma 2's soft caps c, which make attention's scores and the output's logits x into c·tanh(x / c); 0: none. */
  softCaps: SoftCaps;
  /** Whether the layers' query, key and value projections are one matrix (Phi-3's: LoRA target qkv). */
  fusedQkv: boolean;
  /** Whether the up projection holds the feed-forward's gate too (Phi-3's). */
  fusedUp: boolean;
  /** Whether the model carries Llama-3 style RoPE frequency factors. */
  ropeFreqs: boolean;
  /** Whether the LM head adds a bias to its logits (some Qwen2 files have output.bias). */
  outputBias: boolean;
  /**
   * Factors on the token embeddings, on the sublayers' outputs before their residual adds, on attention's scores,
   * and dividing the logits: Granite's μP multipliers (Gemma's embeddings ×√nEmbd; elsewhere 1, 1, 1/√headDim, 1).
   */
  scales: { embedding: number; residual: number; attention: number; logit: number };
  /** Whether no layer rotates positions (Granite's files can switch RoPE off). */
  noRope: boolean;
  /** Mistral 3's attention temperature s: queries × 1 + s·log(1 + ⌊position / original context⌋); 0: none. */
  attnTemperature: number;
}

/** One layer's attention and feed-forward sizes. */
export interface LayerDims {
  headDim: number;
  nHeadKv: number;
  nFf: number;
  nRot: number;
}

export interface TensorInfo {
  name: string;
  type: string;
  shape: number[];
}

export interface TokenizeOptions {
  /** Prepend the beginning-of-sequence token (default false). */
  bos?: boolean;
  /** Read special tokens written in the text (`<|eot_id|>`) as those tokens, not as their characters (default false). */
  special?: boolean;
}

export interface TokenLogprobs {
  /** Token ids of the text, starting with BOS. */
  tokens: number[];
  /** The text of each token. */
  pieces: string[];
  /** log P(token_i | tokens_<i); null for the first token, which nothing predicts. */
  logprobs: (number | null)[];
}

export class Model {
  readonly path: string;
  readonly hparams: ModelHParams;
  readonly tensors: readonly TensorInfo[];
  /** Tokenizer kind: "spm" (LLaMA-1/2) or "bpe" (LLaMA-3, Qwen2). */
  readonly vocab: string;
  readonly bosToken: number;
  /** Whether `tokenize(text, { bos: true })` puts BOS first: LLaMA's vocabularies do, Qwen2's does not (as llama.cpp). */
  readonly addsBos: boolean;
  readonly eosToken: number;
  /** The tokens that end a reply: EOS and any other the vocabulary marks so (Llama 3's <|eot_id|>, chatml's <|im_end|>). */
  readonly endOfGeneration: ReadonlySet<number>;
  /** @internal Special tokens after which tokenization starts afresh (native/model.h: splits_text). */
  readonly splittingTokens: ReadonlySet<number>;
  /** The GGUF's own Jinja chat template, or null. */
  readonly ggufChatTemplate: string | null;
  /** The layout of conversations (see LoadModelOptions.chatTemplate and src/chat-template.ts). */
  readonly chatTemplate: ChatTemplate;
  /** The device the model was loaded on (its memory figures are those at load time; see `deviceMemory()`). */
  readonly device: DeviceInfo;
  #native: NativeModel | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /** @internal use loadModel() */
  constructor(path: string, nativeModel: NativeModel, chatTemplate?: string, chatTemplateKwargs?: Record<string, unknown>) {
    this.path = path;
    this.#native = nativeModel;
    const { tensors, vocab, bos, addsBos, eos, eog, splitting, chatTemplate: gguf, ...hparams } = nativeModel.info();
    this.hparams = hparams;
    this.tensors = tensors;
    this.vocab = vocab;
    this.bosToken = bos;
    this.addsBos = addsBos;
    this.eosToken = eos;
    this.endOfGeneration = new Set(eog);
    this.splittingTokens = new Set(splitting);
    this.ggufChatTemplate = gguf;
    const vocabularyTemplate = vocabularyChatTemplate((t) => this.tokenize(t, { special: true }));
    this.chatTemplate = resolveChatTemplate(chatTemplate, gguf !== null, vocabularyTemplate, chatTemplateKwargs);
    this.device = nativeModel.device();
  }

  /**
   * Bytes the engine holds on the device for this model: its weights and its scoring/generation compute buffer. On
   * a CPU whose weights ggml repacks, `weights` includes, once a training policy exists, the file-layout copies the
   * backward pass reads (mapped from the model file, so shared with the page cache).
   */
  memoryUsage(): { weights: number; compute: number } {
    const m = this.#live();
    return callNativeSync(() => m.memory());
  }

  /**
   * Free and total memory of the model's device now (on a GPU, `total - free` includes the driver's own context and
   * ggml's pools, which keep what they once took; buffers such as a generation's K,V cache come and go).
   */
  deviceMemory(): { free: number; total: number } {
    const d = callNativeSync(() => this.#live().device());
    return { free: d.memoryFree, total: d.memoryTotal };
  }

  get disposed(): boolean {
    return this.#native === undefined;
  }

  tokenize(text: string, options: TokenizeOptions = {}): number[] {
    if (typeof text !== 'string') throw new InvalidArgumentError('INVALID_ARGUMENT', 'tokenize: text must be a string');
    const m = this.#live();
    return Array.from(callNativeSync(() => m.tokenize(text, options.bos ?? false, options.special ?? false)));
  }

  detokenize(ids: readonly number[]): string {
    const m = this.#live();
    return callNativeSync(() => m.detokenize(Int32Array.from(ids)));
  }

  /** The text of one token (byte tokens may be partial UTF-8 and are decoded leniently). */
  tokenPiece(id: number): string {
    const m = this.#live();
    return callNativeSync(() => m.tokenPiece(id)).toString('utf8');
  }

  /** Per-token log-probabilities of `text` (tokenized with BOS where the vocabulary adds one) under the model (or another evaluator, e.g. an adapter's). */
  async logprobs(text: string, evaluate: (batch: NativeBatch) => Promise<Float32Array> = (b) => this.evaluate(b)): Promise<TokenLogprobs> {
    const tokens = this.tokenize(text, { bos: true });
    this.checkLength(tokens.length);
    const pieces = tokens.map((t) => this.tokenPiece(t));
    // Nothing to predict: an empty text, or one token (a vocabulary such as Qwen2's adds no BOS)
    if (tokens.length < 2) return { tokens, pieces, logprobs: tokens.map(() => null) };
    const batch = packBatch([{ prefix: tokens, branches: [], scored: tokens.slice(1).map((_, i) => [-1, i + 1]) }]);
    const lp = await evaluate(batch);
    return { tokens, pieces, logprobs: [null, ...Array.from(lp)] };
  }

  /**
   * TWOSOME's action scoring: log P(action | prompt) for every prompt's actions, normalized, with the softmax over
   * each prompt's actions, in packed batches. See src/scoring.ts for the token boundary rule.
   */
  scoreActions(items: readonly ScoreItem[], options?: ScoreOptions): Promise<PromptScores[]> {
    this.#live();
    return scoreActions(this, items, options);
  }

  /** Continues each prompt (text, or token ids) with generated text (greedy by default; see GenerateOptions), decoding them together. */
  generate<P extends Prompt>(prompts: readonly P[], options?: GenerateOptions): Promise<Generation<P>[]> {
    const m = this.#live();
    return generateWith(
      { tokenize: (x, o) => this.tokenize(x, o), generate: (r, s, n, keep) => this.#enqueue(() => callNative(() => m.generate(r, s, n, keep))) },
      prompts,
      options,
    );
  }

  /** Frees the K,V that `generate(..., { slots })` kept (after calls already queued). */
  releaseGenerationCache(): Promise<void> {
    const m = this.#live();
    return this.#enqueue(async () => m.releaseCache());
  }

  /** Throws InvalidArgumentError when a sequence of `n` tokens does not fit the model's context. */
  checkLength(n: number): void {
    if (n > this.hparams.nCtxTrain) {
      throw new InvalidArgumentError('CONTEXT_OVERFLOW', `the text is ${n} tokens long, longer than the model's context of ${this.hparams.nCtxTrain} tokens`);
    }
  }

  /** Runs one packed batch (serialized with other calls on this model). */
  evaluate(batch: NativeBatch): Promise<Float32Array> {
    const m = this.#live();
    return this.#enqueue(() => callNative(() => m.logprobs(batch)));
  }

  /**
   * @internal Runs `fn` on the native model in this model's call queue (used by the training engine, whose native
   * calls share the model's compute resources).
   */
  schedule<T>(fn: (nativeModel: NativeModel) => Promise<T>): Promise<T> {
    const m = this.#live();
    return this.#enqueue(() => callNative(() => fn(m)));
  }

  /** Frees the native memory once pending calls finish; later calls throw DisposedError. */
  async dispose(): Promise<void> {
    const m = this.#native;
    if (!m) return;
    this.#native = undefined;
    await this.#queue.catch(() => undefined);
    m.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  #live(): NativeModel {
    if (!this.#native) throw new DisposedError('DISPOSED', `the model ${this.path} has been disposed`);
    return this.#native;
  }

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/** Loads a llama-, qwen2-, qwen3-, smollm3-, gemma3- or olmo2-architecture GGUF model. Bad files reject with ModelLoadError / UnsupportedModelError. */
export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<Model> {
  if (typeof path !== 'string' || path === '') throw new InvalidArgumentError('INVALID_ARGUMENT', 'loadModel: path must be a non-empty string');
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new InvalidArgumentError('INVALID_ARGUMENT', 'loadModel: threads must be a positive integer');
  const device = resolveDeviceOption(options.device);
  checkChatTemplateOption(options.chatTemplate);
  const nativeModel = await callNative(() => native().loadModel(path, threads, device));
  try {
    return new Model(path, nativeModel, options.chatTemplate, options.chatTemplateKwargs);
  } catch (err) {
    nativeModel.dispose();  // e.g. chatTemplate "gguf" for a file without one, or kwargs for a template without variables
    throw err;
  }
}
