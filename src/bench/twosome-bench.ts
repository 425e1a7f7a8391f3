/**
 * `rl-ggml bench`: how fast TWOSOME and ETO run on this machine. On one TWOSOME-shaped workload (prompts of a set
 * length, each with its own action phrases; one prompt = one decision) it times, in interleaved rounds
 * (src/bench/timing.ts):
 *
 * - packed action scoring: `model.scoreActions(items)`, every prompt with all its actions in packed batches;
 * - one TWOSOME PPO update as the trainer runs it: `TwosomeAgent.act` over the decisions in groups of the trainer's
 *   4 parallel environments (rollout scoring, values), then `TwosomeAgent.update` (value minibatches, policy
 *   minibatches of 4 with gradient accumulation and AdamW steps on the LoRA actor);
 *
 * - generation, the decoding ETO's exploration runs: `genTokens` new tokens greedily after a one-word prompt, for one
 *   sequence (what llama-bench's tg test measures) and for `genParallel` sequences decoded together;
 * - one step of ETO's behaviour cloning (`sftStep`, as `rl-ggml sft` takes it) on `sftConversations` household
 *   expert conversations;
 *
 * and reports the device's memory after the run. The workload's token ids can be written in the input format of the
 * PyTorch peer (bench/peers/twosome_peft.py) so the same update can be timed there on identical tokens.
 */
import { join } from 'node:path';
import type { Observation } from '../../envs/core/types.js';
import type { DeviceInfo } from '../devices.js';
import { InvalidArgumentError } from '../errors.js';
import { presets, type WeightType } from '../make-model.js';
import type { Model } from '../model.js';
import { prepareItems, type ScoreItem } from '../scoring.js';
import type { Rollout } from '../train/agent.js';
import { defaultConfig, type TwosomeConfig } from '../train/config.js';
import { cacheDir, ensureGeneratedModel } from '../train/model-source.js';
import { Rng } from '../train/rng.js';
import { nativePolicyFactory, TwosomeAgent, type PolicyFactory } from '../train/twosome.js';
import { sequenceMemoryBudget } from '../training/batching.js';
import { encodeConversation } from '../training/conversation.js';
import { createPolicy, type NativeLlmPolicy } from '../training/llm-policy.js';
import { sftStep } from '../training/sft.js';
import { householdExperts } from './eto-workload.js';
import { timeInterleaved, type TimingProgress } from './timing.js';

export type BenchPreset = keyof typeof presets;

/** The shape of the workload: `prompts` decisions of `actions` phrases after prompts of `promptWords` words. */
export interface WorkloadShape {
  prompts: number;
  actions: number;
  promptWords: number;
  /** Seed of the generated text (default 1). */
  seed?: number;
}

export const defaultShape = { prompts: 16, actions: 8, promptWords: 100 } as const;

const nouns = ['tomato', 'lettuce', 'onion', 'bowl', 'cutting board', 'counter', 'dish', 'fridge', 'sofa', 'TV', 'chips', 'milk', 'remote', 'coffee table', 'kitchen', 'knife'];
const verbs = ['pick up the', 'go to the', 'put down the', 'chop the', 'open the', 'walk to the', 'turn on the', 'serve the', 'take the', 'close the'];
const states = ['empty', 'closed', 'on the left', 'in the kitchen', 'next to you', 'chopped', 'open'];
const PROMPT_END = 'your next step is to';

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError('INVALID_ARGUMENT', `${name} must be an integer >= ${min}, got ${value}`);
}

/**
 * A deterministic TWOSOME-like workload: each prompt is an observation of exactly `promptWords` words ending in
 * "your next step is to" (an action continues it fluently), each with `actions` distinct "verb the noun" phrases.
 */
export function benchWorkload(shape: WorkloadShape): ScoreItem[] {
  checkCount('prompts', shape.prompts, 1);
  checkCount('actions', shape.actions, 1);
  checkCount('prompt words', shape.promptWords, PROMPT_END.split(' ').length + 1);
  const rng = new Rng(shape.seed ?? 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)];
  const phrases = verbs.flatMap((v) => nouns.map((n) => `${v} ${n}`));
  return Array.from({ length: shape.prompts }, () => {
    const bodyWords = shape.promptWords - PROMPT_END.split(' ').length;
    const words: string[] = ['There', 'is', 'a', 'fixed', 'cutting', 'board', 'in', 'the', 'room.'];
    while (words.length < bodyWords) words.push(...`You notice a ${pick(nouns)} next to the ${pick(nouns)}, and the ${pick(nouns)} is ${pick(states)}.`.split(' '));
    const body = words.slice(0, bodyWords).join(' ').replace(/[.,]$/, '');
    const order = rng.permutation(phrases.length);
    // Distinct phrases; past the verb × noun pool, numbered ones ("pick up the tomato 2").
    const actions = Array.from({ length: shape.actions }, (_, k) => `${phrases[order[k % phrases.length]]}${k >= phrases.length ? ` ${Math.floor(k / phrases.length) + 1}` : ''}`);
    return { prompt: `${body}, ${PROMPT_END}`, actions };
  });
}

/** The workload as token ids: the input of bench/peers/twosome_peft.py. */
export interface WorkloadTokens {
  vocab: number;
  /** Per decision: the prompt's ids (BOS first) and each action's ids, the tokens that follow the prompt. */
  prompts: { prompt: number[]; actions: number[][] }[];
}

/**
 * The exact token ids our scorer evaluates for `items`: the prompt tokenized with BOS, and each action as the tokens
 * of `prompt + " " + action` past the prompt (src/scoring.ts's boundary rule). The peer appends the action ids to the
 * prompt ids, so a prompt whose last token the tokenizer merges with an action is refused.
 */
export function workloadTokens(model: Pick<Model, 'hparams' | 'tokenize'>, items: readonly ScoreItem[]): WorkloadTokens {
  const { owners } = prepareItems(model, items);
  return {
    vocab: model.hparams.nVocab,
    prompts: items.map((item, n) => {
      const prompt = model.tokenize(item.prompt, { bos: true });
      const actions = owners[n].map((o, k) => {
        const joined = model.tokenize(`${item.prompt} ${item.actions[k]}`, { bos: true });
        if (joined.length <= prompt.length || prompt.some((t, i) => joined[i] !== t)) {
          throw new InvalidArgumentError('WORKLOAD_BOUNDARY', `prompt ${n}: the tokenizer merges the prompt's end with action ${JSON.stringify(item.actions[k])}; its tokens cannot be written as prompt + action`);
        }
        return o.tokenIds;
      });
      return { prompt, actions };
    }),
  };
}

/** Where `rl-ggml bench` keeps its generated model of `preset` and `type`: the model cache (see cacheDir). */
export function generatedBenchModelPath(preset: BenchPreset, type: WeightType, cache = cacheDir()): string {
  return join(cache, `random-${preset}-${type}-${presets[preset].vocab ?? 'spm'}-v1.gguf`);
}

/** The generated benchmark model of `preset` and `type` (random weights, the preset's tokenizer), made once into the cache. */
export async function generatedBenchModel(preset: BenchPreset, type: WeightType, cache = cacheDir()): Promise<{ path: string; generated: boolean }> {
  if (!(preset in presets)) throw new InvalidArgumentError('INVALID_ARGUMENT', `unknown preset "${preset}" (${Object.keys(presets).join(', ')})`);
  const path = generatedBenchModelPath(preset, type, cache);
  return { path, generated: await ensureGeneratedModel(path, { preset, type, seed: 1 }) };
}

export interface BenchOptions extends Partial<WorkloadShape> {
  /** New tokens per generated sequence (default 128; 0: no generation figures). */
  genTokens?: number;
  /** Sequences of the batched generation figure (default 8, exploration's default). */
  genParallel?: number;
  /** Household expert conversations per SFT step (default 1, about 1,600 tokens; 0: no SFT figure). */
  sftConversations?: number;
  /** Measure each figure for at least this long (default 5 s) and at least `minRounds` rounds (default 3). */
  minSeconds?: number;
  minRounds?: number;
  /** The warm-up, then every measured round. */
  onProgress?: (p: TimingProgress) => void;
}

export interface BenchResult {
  device: Pick<DeviceInfo, 'id' | 'name' | 'description' | 'kind'>;
  workload: {
    prompts: number;
    actions: number;
    promptWords: number;
    /** Prompt tokens (BOS included where the vocabulary adds one) and action tokens over all decisions. */
    promptTokens: number;
    actionTokens: number;
    /** Tokens one packed scoring pass evaluates (each prompt once, then its actions). */
    packedTokens: number;
  };
  /** `model.scoreActions` over the whole workload. */
  scoring: { secondsPerCall: number; decisionsPerSec: number; tokensPerSec: number };
  /** One TWOSOME PPO update over the workload's decisions, rollout scoring included. */
  ppoUpdate: {
    secondsPerUpdate: number;
    decisionsPerSec: number;
    /** Decisions per `act` call (the trainer's parallel environments). */
    actBatch: number;
    policyMinibatch: number;
    valueMinibatch: number;
    gradAccumSteps: number;
    /** AdamW steps of the actor per update. */
    actorSteps: number;
  };
  /**
   * Greedy decoding of up to `tokens` new tokens after a one-word prompt (the prompt's own pass included; the model
   * without an adapter): seconds per call and tokens/s (of the tokens generated) of one sequence and of `parallel`
   * sequences together. Null with `genTokens: 0`.
   */
  generation: { tokens: number; secondsPerCall: number; tokensPerSec: number; parallel: number; batchSecondsPerCall: number; batchTokensPerSec: number } | null;
  /**
   * One SFT step (forward, backward and AdamW of a LoRA r 8 on q, v) on `conversations` expert conversations of
   * `tokens` tokens in all: seconds per step and tokens/s. Null with `sftConversations: 0`.
   */
  sftStep: { conversations: number; tokens: number; secondsPerStep: number; tokensPerSec: number } | null;
  /** Measured rounds (each figure, interleaved) after one warm-up round. */
  rounds: number;
  /**
   * On a GPU: the most memory in use on the device (total − free, the driver's context included) seen while the
   * figures ran, sampled every 20 ms, and what is in use after the run (buffers come and go: generation's K,V cache
   * is freed after each call). On the CPU: the process's peak resident set.
   */
  memory: ({ kind: 'gpu'; peakUsedBytes: number; usedBytes: number; totalBytes: number } | { kind: 'cpu'; peakRssBytes: number }) & {
    /** What the engine itself holds on the device at the end (the compute buffers at their high-water marks). */
    engine: { weightsBytes: number; paramsBytes: number; computeBytes: number };
  };
}

/**
 * The TWOSOME trainer's settings for the update: the spec's defaults (LoRA r 8, alpha 16 on q, v; value head
 * [1024, 512] on base features; policy minibatches of 4; value minibatches of 32; word normalization), with two
 * changes so that every update does all of its work whatever the workload's size: no target-KL early stop, and the
 * gradient accumulation (8) capped at the update's policy minibatch count so the actor always takes its AdamW step.
 */
export function benchTwosomeConfig(decisions: number): TwosomeConfig {
  const base = defaultConfig('overcooked/tomato-salad', 'twosome') as TwosomeConfig;
  return { ...base, targetKl: null, gradAccumSteps: Math.min(base.gradAccumSteps, Math.ceil(decisions / base.policyMinibatch)) };
}

/** `options` with their defaults, validated (InvalidArgumentError), and the workload they describe. */
export function resolveBenchOptions(options: BenchOptions = {}): {
  shape: Required<WorkloadShape>;
  minSeconds: number;
  minRounds: number;
  genTokens: number;
  genParallel: number;
  sftConversations: number;
  items: ScoreItem[];
} {
  const shape = { prompts: options.prompts ?? defaultShape.prompts, actions: options.actions ?? defaultShape.actions, promptWords: options.promptWords ?? defaultShape.promptWords, seed: options.seed ?? 1 };
  const minSeconds = options.minSeconds ?? 5;
  if (typeof minSeconds !== 'number' || !(minSeconds >= 0) || !Number.isFinite(minSeconds)) throw new InvalidArgumentError('INVALID_ARGUMENT', `min seconds must be a number >= 0, got ${minSeconds}`);
  const minRounds = options.minRounds ?? 3;
  checkCount('min rounds', minRounds, 1);
  const genTokens = options.genTokens ?? 128;
  checkCount('generated tokens', genTokens, 0);
  const genParallel = options.genParallel ?? 8;
  checkCount('generation parallel', genParallel, 1);
  const sftConversations = options.sftConversations ?? 1;
  checkCount('SFT conversations', sftConversations, 0);
  return { shape, minSeconds, minRounds, genTokens, genParallel, sftConversations, items: benchWorkload(shape) };
}

/** Runs the benchmark on a loaded model; the caller disposes the model. */
export async function runTwosomeBench(model: Model, options: BenchOptions = {}): Promise<BenchResult> {
  const { shape, minSeconds, minRounds, genTokens, genParallel, sftConversations, items } = resolveBenchOptions(options);
  const n = items.length;
  const { units, owners } = prepareItems(model, items);
  const promptTokens = items.reduce((a, it) => a + model.tokenize(it.prompt, { bos: true }).length, 0);
  const actionTokens = owners.reduce((a, o) => a + o.reduce((b, x) => b + x.tokenIds.length, 0), 0);
  const packedTokens = units.reduce((a, u) => a + u.prefix.length + u.branches.reduce((b, x) => b + x.length, 0), 0);

  // The trainer's agent on the native policy; the factory keeps a handle on the policy for the feature reset below.
  const config = benchTwosomeConfig(n);
  let policy: NativeLlmPolicy | undefined;
  const factory: PolicyFactory = {
    create: async (m, o) => (policy = await createPolicy(m, o)),
    load: nativePolicyFactory.load,
  };
  const agent = await TwosomeAgent.create(config, model, factory);
  const sftPolicy = sftConversations > 0 ? await createPolicy(model, { lora: { rank: 8, alpha: 16, targets: ['q', 'v'] }, valueHead: false, seed: 1 }) : undefined;
  try {
    const live = policy!;
    // The value head reads base-model features, which the policy caches per prompt text. A training rollout brings new
    // prompts, so each measured update starts from an empty cache: writing a parameter (here the smallest, unchanged)
    // clears it. Without this, repeating the same prompts would skip the prompt-only feature pass after the warm-up.
    const probe = live.parameters().reduce((a, b) => (a.shape[0] * a.shape[1] <= b.shape[0] * b.shape[1] ? a : b));
    const clearFeatureCache = () => live.setParameter(probe.name, live.getParameter(probe.name));

    const observations: Observation[] = items.map((it) => ({ prompt: it.prompt, actions: it.actions, valid: it.actions.map((_, k) => k), vector: [] }));
    const rng = new Rng(shape.seed);
    const update = async () => {
      clearFeatureCache();
      const rollout: Rollout = { steps: n, envs: 1, observations, choices: [], logprobs: [], values: [], advantages: new Float64Array(n), returns: new Float64Array(n) };
      for (let s = 0; s < n; s += config.envs) {
        const out = await agent.act(observations.slice(s, s + config.envs), rng, false);
        rollout.choices.push(...out.choices);
        rollout.logprobs.push(...out.logprobs);
        rollout.values.push(...out.values);
      }
      // Speed does not depend on the rewards: seeded dummy advantages and returns stand in for GAE's.
      for (let i = 0; i < n; i++) {
        rollout.advantages[i] = rng.normal();
        rollout.returns[i] = rollout.values[i] + rng.normal();
      }
      await agent.update(rollout, 1, rng);
    };
    const score = async () => void (await model.scoreActions(items));
    // One-word prompts, another word per sequence so that the batched sequences differ; greedy: every round the same.
    const genPrompts = Array.from({ length: genParallel }, (_, k) => model.tokenize(nouns[k % nouns.length], { bos: true }));
    const generated = [0, 0];
    const generate = (prompts: number[][], i: number) => async () => {
      const out = await model.generate(prompts, { maxTokens: genTokens, parallel: prompts.length });
      generated[i] = out.reduce((a, g) => a + g.tokens.length, 0);
    };
    // the figures by name, those asked for
    const figures: Record<string, () => Promise<void>> = { score, update };
    if (genTokens > 0) Object.assign(figures, { gen1: generate(genPrompts.slice(0, 1), 0), genN: generate(genPrompts, 1) });
    const conversations = householdExperts(sftConversations).map((c) => encodeConversation(model, c));
    const sftTokens = conversations.reduce((a, c) => a + c.tokens.length, 0);
    if (sftPolicy) {
      const memoryBudget = sequenceMemoryBudget(model);
      figures.sft = async () => void (await sftStep(sftPolicy, conversations, 1e-6, memoryBudget));
    }

    let rounds = 0;
    let peakUsed = 0;
    const sample = () => {
      const m = model.deviceMemory();
      peakUsed = Math.max(peakUsed, m.total - m.free);
      return m;
    };
    const sampler = model.device.kind === 'gpu' ? setInterval(sample, 20) : undefined;
    const times: Record<string, number> = {};
    try {
      const seconds = await timeInterleaved(minSeconds, Object.values(figures), minRounds, (p) => {
        rounds = p.rounds;
        options.onProgress?.(p);
      });
      Object.keys(figures).forEach((name, i) => (times[name] = seconds[i]));
    } finally {
      clearInterval(sampler);
    }

    const policyBatches = Math.ceil(n / config.policyMinibatch);
    const { id, name, description, kind } = model.device;
    const [mm, pm, sm] = [model.memoryUsage(), live.memoryUsage(), sftPolicy?.memoryUsage() ?? { params: 0, compute: 0 }];
    const engine = { weightsBytes: mm.weights, paramsBytes: pm.params + sm.params, computeBytes: mm.compute + pm.compute + sm.compute };
    let memory: BenchResult['memory'];
    if (kind === 'gpu') {
      const m = sample();
      memory = { kind, peakUsedBytes: peakUsed, usedBytes: m.total - m.free, totalBytes: m.total, engine };
    } else memory = { kind: 'cpu', peakRssBytes: process.resourceUsage().maxRSS * 1024, engine };
    return {
      device: { id, name, description, kind },
      workload: { prompts: shape.prompts, actions: shape.actions, promptWords: shape.promptWords, promptTokens, actionTokens, packedTokens },
      scoring: { secondsPerCall: times.score, decisionsPerSec: n / times.score, tokensPerSec: packedTokens / times.score },
      ppoUpdate: {
        secondsPerUpdate: times.update,
        decisionsPerSec: n / times.update,
        actBatch: config.envs,
        policyMinibatch: config.policyMinibatch,
        valueMinibatch: config.valueMinibatch,
        gradAccumSteps: config.gradAccumSteps,
        actorSteps: Math.floor(policyBatches / config.gradAccumSteps) * config.updateEpochs,
      },
      generation:
        genTokens > 0
          ? { tokens: genTokens, secondsPerCall: times.gen1, tokensPerSec: generated[0] / times.gen1, parallel: genParallel, batchSecondsPerCall: times.genN, batchTokensPerSec: generated[1] / times.genN }
          : null,
      sftStep: sftPolicy ? { conversations: sftConversations, tokens: sftTokens, secondsPerStep: times.sft, tokensPerSec: sftTokens / times.sft } : null,
      rounds,
      memory,
    };
  } finally {
    await sftPolicy?.dispose();
    await agent.dispose();
  }
}
