/**
 * Text generation with the engine's KV-cache decoder (native/generate.h): greedy or sampled, several prompts decoded
 * together, each generated token with its log-probability under the model (temperature 1) — what training on the
 * model's own text (ETO exploration, DPO pairs) needs.
 */
import { InvalidArgumentError } from './errors.js';
import type { NativeGeneration, NativeGenerationRequest, NativeSampling } from './native.js';

export interface GenerateOptions {
  /** New tokens at most, per prompt (default 128). */
  maxTokens?: number;
  /** 0 (the default): greedy; above 0: sample at this temperature. */
  temperature?: number;
  /** Sample only among the k most probable tokens (default 0: all). */
  topK?: number;
  /** Sample only from the smallest set of tokens whose probability reaches p (default 1: all). */
  topP?: number;
  /** Seed of the sampling; each prompt draws from its own stream (of the seed and its index), so results do not depend on `parallel`. */
  seed?: number;
  /**
   * One seed per prompt, instead of `seed`: prompt i's stream then depends on `seeds[i]` alone, not on its place in
   * the call (a prompt with seed s samples as the only prompt of a call with `seed: s`).
   */
  seeds?: readonly number[];
  /** Stop as soon as the generated text contains one of these; the text is cut before it. */
  stop?: string[];
  /** Prompts decoded together in one batch (default: up to 8); with `slots`, the number of cache slots. */
  parallel?: number;
  /**
   * Keep each prompt's K,V (and its generated tokens') after the call in this slot of the model's (or policy's)
   * generation cache, one distinct slot in [0, parallel) per prompt: a later prompt in the same slot that extends
   * them computes only its new tokens (a conversation's next round). The cache is emptied when the policy's weights
   * change and freed by `releaseGenerationCache()`.
   */
  slots?: number[];
  /** Prepend the beginning-of-sequence token to each prompt (default true). */
  bos?: boolean;
}

/** A prompt: text (tokenized with BOS unless `bos: false`), or token ids used as they are. */
export type Prompt = string | readonly number[];

export interface Generation<P extends Prompt = Prompt> {
  prompt: P;
  /** The generated text (cut before a stop string). */
  text: string;
  /** The generated token ids (without the end-of-generation token that ended them). */
  tokens: number[];
  /** log P(token | prompt, earlier tokens) of each generated token. */
  logprobs: number[];
  /**
   * Why generation ended: an end-of-generation token of the model's vocabulary (EOS, or an end of turn such as Llama
   * 3's `<|eot_id|>`), a stop string, or maxTokens.
   */
  finishReason: 'eos' | 'stop' | 'length';
  /** Prompt tokens whose K,V were already in the prompt's cache slot (0 without `slots`). */
  cachedTokens: number;
}

/** What a model or policy needs to generate: tokenization and the native generate call. */
export interface Generator {
  tokenize(text: string, options: { bos?: boolean }): number[];
  generate(requests: NativeGenerationRequest[], sampling: NativeSampling, slots: number, keep: boolean): Promise<NativeGeneration[]>;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new InvalidArgumentError('INVALID_ARGUMENT', `generate: ${message}`);
}

export async function generateWith<P extends Prompt>(g: Generator, prompts: readonly P[], options: GenerateOptions = {}): Promise<Generation<P>[]> {
  check(Array.isArray(prompts) && prompts.every((p) => typeof p === 'string' || Array.isArray(p)), 'prompts must be an array of strings or token-id arrays');
  const maxTokens = options.maxTokens ?? 128;
  const temperature = options.temperature ?? 0;
  const topK = options.topK ?? 0;
  const topP = options.topP ?? 1;
  const seed = options.seed ?? 1;
  const slots = options.slots;
  const parallel = options.parallel ?? (slots ? Math.max(1, ...slots.map((x) => x + 1)) : Math.min(8, Math.max(1, prompts.length)));
  check(Number.isInteger(maxTokens) && maxTokens > 0, 'maxTokens must be a positive integer');
  check(Number.isFinite(temperature) && temperature >= 0, 'temperature must be >= 0');
  check(Number.isInteger(topK) && topK >= 0, 'topK must be a non-negative integer');
  check(Number.isFinite(topP) && topP > 0 && topP <= 1, 'topP must be in (0, 1]');
  check(Number.isInteger(seed) && seed >= 0, 'seed must be a non-negative integer');
  const seeds = options.seeds;
  if (seeds) {
    check(Array.isArray(seeds) && seeds.length === prompts.length, 'seeds must give one seed per prompt');
    check(seeds.every((x) => Number.isSafeInteger(x) && x >= 0), 'seeds must be non-negative integers');
  }
  check(Number.isInteger(parallel) && parallel > 0, 'parallel must be a positive integer');
  if (slots) {
    check(Array.isArray(slots) && slots.length === prompts.length, 'slots must give one cache slot per prompt');
    check(slots.every((x) => Number.isInteger(x) && x >= 0 && x < parallel), `cache slots must be integers in [0, ${parallel})`);
    check(new Set(slots).size === slots.length, 'two prompts name the same cache slot');
  }
  const stop = options.stop ?? [];
  check(stop.every((s) => typeof s === 'string' && s !== ''), 'stop strings must be non-empty strings');
  const requests = prompts.map((p, i) => ({
    prompt: Int32Array.from(typeof p === 'string' ? g.tokenize(p, { bos: options.bos ?? true }) : p),
    maxTokens,
    stop,
    ...(slots ? { slot: slots[i] } : {}),
    ...(seeds ? { seed: seeds[i] } : {}),
  }));
  check(requests.every((r) => r.prompt.length > 0), 'a prompt has no tokens (empty text without BOS, or no ids)');
  const out = await g.generate(requests, { temperature, topK, topP, seed }, parallel, slots !== undefined);
  return out.map((r, i) => ({
    prompt: prompts[i],
    text: r.text,
    tokens: Array.from(r.tokens),
    logprobs: Array.from(r.logprobs),
    finishReason: r.finish,
    cachedTokens: r.cached,
  }));
}
