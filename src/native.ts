/**
 * The compiled addon (build/Release/rl_ggml.node) and the mapping of its error codes onto rl-ggml's typed errors.
 * Everything else talks to the engine through this module.
 */
import { createRequire } from 'node:module';
import type { DeviceInfo, DeviceList } from './devices.js';
import type { Experts, ModelShape, RopeScaling } from './make-model.js';
import type { ModelHParams } from './model.js';
import type { AdamWGroup } from './training/policy.js';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import {
  DeviceError,
  DisposedError,
  InvalidArgumentError,
  ModelLoadError,
  NativeError,
  OutOfMemoryError,
  RlGgmlError,
  UnsupportedModelError,
} from './errors.js';

/** What `info()` returns: the model's hyperparameters (see ModelHParams in src/model.ts) plus vocabulary facts. */
export interface NativeHParams extends ModelHParams {
  vocab: string;
  bos: number;
  /** Whether tokenizing with BOS puts it first (LLaMA's vocabularies do, Qwen2's does not). */
  addsBos: boolean;
  eos: number;
  /** Every token that ends a reply (EOS, Llama 3's <|eot_id|>, ...). */
  eog: Int32Array;
  /** Special tokens after which tokenization starts afresh (native/model.h: splits_text). */
  splitting: Int32Array;
  /** The GGUF's Jinja `tokenizer.chat_template`, or null. */
  chatTemplate: string | null;
  tensors: { name: string; type: string; shape: number[] }[];
}

/** A packed batch (built by src/packing.ts): see native/forward.h for the attention rule. */
export interface NativeBatch {
  tokens: Int32Array;
  positions: Int32Array;
  branch: Int32Array;
  nGroups: number;
  outRows: Int32Array;
  outTargets: Int32Array;
}

export interface NativeModel {
  info(): NativeHParams;
  tokenize(text: string, addBos: boolean, special?: boolean): Int32Array;
  detokenize(ids: Int32Array): string;
  tokenPiece(id: number): Buffer;
  logprobs(batch: NativeBatch): Promise<Float32Array>;
  device(): DeviceInfo;
  memory(): { weights: number; compute: number };
  /** keep: every request names a slot of the model's kept K,V cache (see native/generate.h). */
  generate(requests: NativeGenerationRequest[], sampling: NativeSampling, slots: number, keep: boolean): Promise<NativeGeneration[]>;
  releaseCache(): void;
  dispose(): void;
}

/** native/generate.h */
export interface NativeGenerationRequest {
  prompt: Int32Array;
  maxTokens: number;
  stop: string[];
  slot?: number;
  /** This request's own sampling stream (else the call's seed with the request's index). */
  seed?: number;
}

export interface NativeSampling {
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
}

export interface NativeGeneration {
  tokens: Int32Array;
  logprobs: Float32Array;
  text: string;
  finish: 'eos' | 'stop' | 'length';
  cached: number;
}

export interface NativeMakeModelOptions extends ModelShape {
  out: string;
  vocabFile: string;
  type: string;
  arch: string;
  headDim?: number;
  headDimSwa?: number;
  kvHeadsGlobal?: number;
  kEqV: boolean;
  perLayerInputs?: number;
  sharedKvLayers?: number;
  experts?: Experts;
  slidingWindow?: number;
  ropeScaling?: RopeScaling;
  /** gemma2's soft caps (absent: Gemma 2's own) */
  attnSoftcap?: number;
  finalSoftcap?: number;
  tied?: boolean;
  fusedQkv?: boolean;
  ropeFreqs: boolean;
  biases: boolean;
  noRope: boolean;
  attnTemperature?: number;
  ropeFreqBase: number;
  seed: number;
  roundTrip?: string;
  outputScale?: number;
  chatTemplate?: string;
}

/** native/trainer.h: LoRA + value head on a model, differentiable. */
export interface NativeTrainer {
  /** keep: retain for `backward`; checkpoint (with keep): retain each layer's input only and recompute the layers in `backward`. */
  forward(batch: NativeBatch, featureRows: Int32Array, lora: boolean, keep: boolean, checkpoint?: boolean): Promise<{ logp: Float32Array; features: Float32Array }>;
  memory(): { params: number; compute: number };
  generate(requests: NativeGenerationRequest[], sampling: NativeSampling, slots: number, keep: boolean): Promise<NativeGeneration[]>;
  releaseCache(): void;
  backward(coefficients: Float32Array): Promise<void>;
  headForward(features: Float32Array, n: number, keep: boolean): Promise<Float32Array>;
  headBackward(dValues: Float32Array): Promise<void>;
  zeroGrad(): void;
  step(actor: AdamWGroup | null, critic: AdamWGroup | null): Promise<{ actorNorm: number; criticNorm: number; skipped: boolean }>;
  params(): { name: string; group: 'actor' | 'critic'; shape: [number, number] }[];
  getParam(name: string): Float32Array;
  setParam(name: string, values: Float32Array): void;
  getGrad(name: string): Float32Array;
  /** chatTemplate: written as rl-ggml.chat_template (the template the adapter was trained in). */
  saveAdapter(path: string, chatTemplate?: string): Promise<void>;
  loadAdapter(path: string): Promise<void>;
  saveState(path: string, meta: string): Promise<void>;
  loadState(path: string): Promise<string>;
  dispose(): void;
}

export interface NativeTrainerOptions {
  rank: number;
  alpha: number;
  targets: string[];
  head: number[];
  seed: number;
}

interface Addon {
  loadModel(path: string, threads: number, device: string): Promise<NativeModel>;
  listDevices(): Promise<DeviceList>;
  createTrainer(model: NativeModel, options: NativeTrainerOptions): Promise<NativeTrainer>;
  adapterInfo(path: string): Promise<{ alpha: number; architecture: string; chatTemplate: string | null; tensors: { name: string; shape: number[] }[] }>;
  makeModel(options: NativeMakeModelOptions): Promise<void>;
  /** native/chat.h */
  chatTemplates(): string[];
  applyChatTemplate(name: string, roles: string[], contents: string[], addAssistant: boolean): string;
  /** The LM head's logits are computed for this many scored rows at a time. */
  headChunkRows: number;
  /** Attention in longer slots runs by blocks of this many queries. */
  attentionBlockRows: number;
  /** Training graphs with attention slots at least this long recompute attention's probabilities in the backward pass. */
  recomputeAttentionFromSlot: number;
}

/** Root of the installed package (dist/src/native.js is two levels below it). */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let addon: Addon | undefined;

export function native(): Addon {
  if (!addon) {
    const path = join(packageRoot, 'build', 'Release', 'rl_ggml.node');
    try {
      addon = createRequire(import.meta.url)(path) as Addon;
    } catch (err) {
      throw new NativeError('ADDON_MISSING', `the native addon ${path} could not be loaded (run \`npm install\` to build it): ${(err as Error).message}`, { cause: err });
    }
  }
  return addon;
}

const errorClasses: Record<string, new (code: string, message: string) => RlGgmlError> = {
  MODEL_NOT_FOUND: ModelLoadError,
  MODEL_BAD_FILE: ModelLoadError,
  MODEL_INVALID: ModelLoadError,
  MODEL_UNSUPPORTED: UnsupportedModelError,
  INVALID_ARGUMENT: InvalidArgumentError,
  DISPOSED: DisposedError,
  NATIVE_FAILURE: NativeError,
  OUT_OF_MEMORY: OutOfMemoryError,
  DEVICE_UNAVAILABLE: DeviceError,
};

/** Converts an error thrown by the addon (an Error with a `code`) into the matching typed error. */
export function fromNative(err: unknown): unknown {
  if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && !(err instanceof RlGgmlError)) {
    const code = (err as Error & { code: string }).code;
    const Cls = errorClasses[code];
    if (Cls) return new Cls(code, err.message);
  }
  return err;
}

/** Calls into the addon, rethrowing its errors as typed errors. */
export async function callNative<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fromNative(err);
  }
}

export function callNativeSync<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw fromNative(err);
  }
}
