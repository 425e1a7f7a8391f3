/**
 * The contract between the trainers (PPO in TypeScript) and the native differentiable engine.
 *
 * An `LlmPolicy` is a frozen base model plus trainable LoRA adapters (the actor) and a value head (the critic).
 * `forward` scores every action of every prompt exactly as `Model.scoreActions` does (same packed graph, so the
 * probabilities of a fresh adapter equal the scoring's) and returns the value of each prompt; `backward` takes the
 * gradient of the caller's loss with respect to each action's summed log-prob and each prompt's value, and
 * accumulates parameter gradients; `step` applies AdamW per parameter group. PPO's clipping, GAE, normalization and
 * the softmax over actions therefore live in TypeScript.
 */
import type { Normalization, PromptScores, ScoreItem } from '../scoring.js';

/**
 * The projections a LoRA adapts. `qkv` is the fused query, key and value projection of models that have one (Phi-3's);
 * on those, q, k and v select it too, and gate selects their up projection, which holds the gate's rows.
 */
export type LoraTarget = 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down' | 'qkv';
export const loraTargets: readonly LoraTarget[] = ['q', 'k', 'v', 'o', 'gate', 'up', 'down', 'qkv'];

export interface LoraConfig {
  /** Rank r (default 8). */
  rank: number;
  /** Scale numerator: the update is (alpha / rank) · B·A (default 16). */
  alpha: number;
  /** Projections that get adapters (default ['q', 'v'], as TWOSOME), as the model's layers have them (see LoraTarget). */
  targets: LoraTarget[];
}

export interface ValueHeadConfig {
  /** Hidden widths between the model's hidden state and the scalar output (default [1024, 512]). */
  hidden: number[];
  /** 'base': features from the model with the adapter disabled (cacheable; TWOSOME's choice); 'adapted': from the
   *  adapted model, detached. */
  features: 'base' | 'adapted';
}

export interface AdamWGroup {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Clip this group's global gradient norm to this value before the step (none when absent). */
  maxGradNorm?: number;
}

export interface StepOptions {
  actor?: AdamWGroup;
  critic?: AdamWGroup;
}

export interface StepReport {
  /** Gradient norms before clipping. */
  actorGradNorm: number;
  criticGradNorm: number;
  /** True when a gradient held NaN/Inf: nothing was updated and the gradients were dropped. */
  skipped: boolean;
}

export interface PolicyForward {
  /** Per prompt: each action's summed log-prob, token and word counts, normalized score and probability. */
  scores: PromptScores[];
  /** Value-head output per prompt. */
  values: number[];
}

export interface PolicyBackward {
  /** dLoss/d(summed log-prob) for each prompt's actions, in the shape of the last forward's `scores`. */
  dLogprob: number[][];
  /** dLoss/d(value) per prompt (zeros or absent when only the actor trains). */
  dValue?: number[];
}

export interface LlmPolicy {
  readonly lora: LoraConfig;
  readonly valueHead: ValueHeadConfig;
  /**
   * Scores and values of `items`, kept for `backward`. `memoryBudget` (bytes): a pass whose kept activations would
   * exceed it keeps each layer's input only and recomputes the layers in `backward` (same gradients, more compute).
   */
  forward(items: readonly ScoreItem[], options?: { normalization?: Normalization; memoryBudget?: number }): Promise<PolicyForward>;
  /**
   * Scores and values of `items` for acting: the same numbers as `forward`, with nothing kept for a backward pass, so
   * a rollout's scoring takes a scoring pass's memory (packed within its budget), not a training pass's.
   */
  evaluate(items: readonly ScoreItem[], options?: { normalization?: Normalization }): Promise<PolicyForward>;
  /** Gradients of the last `forward`; accumulates into the parameters' gradients (call zeroGrad between steps). */
  backward(grad: PolicyBackward): Promise<void>;
  /** Estimated device memory (bytes) of a training `forward` + `backward` over `items`, for splitting minibatches. */
  trainingBytes(items: readonly ScoreItem[]): number;
  /**
   * The value head alone on prompts (the critic's update needs no log-probs and no LLM gradients); kept for
   * `backwardValues`. Equal to `forward`'s values for the same prompts.
   */
  forwardValues(prompts: readonly string[]): Promise<number[]>;
  /** Gradients of the last `forwardValues` into the value head's parameters (accumulating, like `backward`). */
  backwardValues(dValue: readonly number[]): Promise<void>;
  zeroGrad(): void;
  step(options: StepOptions): Promise<StepReport>;
  /** Writes adapter.gguf (llama.cpp LoRA format) and the head/optimizer state into `dir`, atomically. */
  save(dir: string): Promise<void>;
  dispose(): Promise<void>;
}
