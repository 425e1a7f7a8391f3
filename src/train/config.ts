/**
 * Every training hyperparameter, its default per task and algorithm, and the schema that validates overrides — in
 * one place, so the table below reads like the spec's (twosome.md: PPO settings, common settings, baselines).
 */
import { readFileSync } from 'node:fs';
import { getEnvSpec } from '../../envs/registry.js';
import { FOOD_VARIANTS } from '../../envs/virtualhome/index.js';
import { InvalidArgumentError } from '../errors.js';
import { normalizations, type Normalization } from '../scoring.js';
import { defaultMemoryBudget } from '../training/batching.js';
import { loraTargets, type LoraTarget } from '../training/policy.js';

export type Algo = 'twosome' | 'ppo' | 'saycan';
export const algos: readonly Algo[] = ['twosome', 'ppo', 'saycan'];

/** The four TWOSOME tasks; the per-task column of the spec's PPO table. */
interface TaskDefaults {
  actorLr: number;
  criticLr: number;
  totalDecisions: number;
  gamma: number;
  /** Learning rate of the from-scratch PPO baseline. */
  ppoLr: number;
}

const TASKS: Record<string, TaskDefaults> = {
  'overcooked/tomato-salad': { actorLr: 5e-7, criticLr: 1e-5, totalDecisions: 500_000, gamma: 0.99, ppoLr: 1e-4 },
  'overcooked/tomato-lettuce-salad': { actorLr: 5e-7, criticLr: 1e-5, totalDecisions: 500_000, gamma: 0.99, ppoLr: 5e-4 },
  'virtualhome/food-preparation': { actorLr: 1e-6, criticLr: 5e-5, totalDecisions: 50_000, gamma: 0.95, ppoLr: 1e-3 },
  'virtualhome/entertainment': { actorLr: 1e-6, criticLr: 5e-5, totalDecisions: 200_000, gamma: 0.95, ppoLr: 1e-3 },
};

/** The unseen VirtualHome tasks train (and evaluate) like the task they vary. */
function baseTask(env: string): string | undefined {
  if (env in TASKS) return env;
  const name = env.startsWith('virtualhome/') ? env.slice('virtualhome/'.length) : undefined;
  if (name === undefined) return undefined;
  if (name in FOOD_VARIANTS || name === 'crossover-food-preparation') return 'virtualhome/food-preparation';
  if (name === 'crossover-entertainment') return 'virtualhome/entertainment';
  return undefined;
}

interface CommonConfig {
  env: string;
  seed: number;
  /** Parallel environments. */
  envs: number;
  /** Decisions per environment per update (rollout length). */
  rolloutSteps: number;
  /** Decisions (over all environments) the run takes. */
  totalDecisions: number;
  /** Save a checkpoint every this many updates (and always at the end). */
  checkpointEvery: number;
  /** Checkpoints kept on disk (the oldest are deleted). */
  keepCheckpoints: number;
}

/** What PPO-trained algorithms share (CleanRL names). */
interface PpoCommon extends CommonConfig {
  gamma: number;
  gaeLambda: number;
  /** Discount each transition by gamma^(primitive steps of its macro-action) (TWOSOME's Overcooked). */
  macroDiscount: boolean;
  updateEpochs: number;
  clipCoef: number;
  /** Value clipping range around the rollout's value; null turns value clipping off. */
  clipValue: number | null;
  valueCoef: number;
  entropyCoef: number;
  maxGradNorm: number;
  /** Stop the epoch when the approximate KL exceeds this; null never stops. */
  targetKl: number | null;
  normAdvantages: boolean;
  /** Decay the learning rates linearly to 0 over the run. */
  annealLr: boolean;
  adamEps: number;
}

export interface TwosomeConfig extends PpoCommon {
  algo: 'twosome';
  model: string | null;
  normalization: Normalization;
  actorLr: number;
  criticLr: number;
  weightDecay: number;
  /** Samples per policy minibatch; gradients of `gradAccumSteps` of them make one optimizer step. */
  policyMinibatch: number;
  gradAccumSteps: number;
  valueMinibatch: number;
  loraRank: number;
  loraAlpha: number;
  loraTargets: LoraTarget[];
  valueHidden: number[];
  valueFeatures: 'base' | 'adapted';
  /** Device memory (bytes) per training forward/backward: policy minibatches are split into chunks of whole samples. */
  trainMemoryBudget: number;
}

export interface PpoConfig extends PpoCommon {
  algo: 'ppo';
  lr: number;
  minibatches: number;
  /** Width of the two tanh hidden layers of the actor and of the critic. */
  hidden: number;
  /** Mask the actor's logits to the valid actions (VirtualHome's "PPO with action mask"). */
  actionMask: boolean;
}

export interface SayCanConfig extends CommonConfig {
  algo: 'saycan';
  model: string | null;
  normalization: Normalization;
  /** Take the most probable action instead of sampling. */
  greedy: boolean;
}

export type TrainConfig = TwosomeConfig | PpoConfig | SayCanConfig;

/** The per-task column for `env`: the paper's (its tasks and their VirtualHome variants), else from `given`. */
function taskDefaults(env: string, algo: Algo, given: Record<string, unknown>): TaskDefaults {
  const task = baseTask(env);
  if (task) return TASKS[task];
  const keys: Record<keyof TaskDefaults, string> = { actorLr: 'actorLr', criticLr: 'criticLr', totalDecisions: 'totalDecisions', gamma: 'gamma', ppoLr: 'lr' };
  const needed: (keyof TaskDefaults)[] = algo === 'ppo' ? ['ppoLr', 'totalDecisions'] : ['actorLr', 'criticLr', 'gamma', 'totalDecisions'];
  const missing = needed.filter((k) => given[keys[k]] === undefined).map((k) => keys[k]);
  if (missing.length > 0) {
    throw new InvalidArgumentError(
      'UNSUPPORTED_ENV',
      `algo "${algo}" has no published settings for env "${env}" (only for ${Object.keys(TASKS).join(', ')} and the VirtualHome variants): give ${missing.join(', ')}`,
    );
  }
  // the keys this algorithm does not use stay NaN
  const pick = (k: keyof TaskDefaults) => (given[keys[k]] ?? Number.NaN) as number;
  return { actorLr: pick('actorLr'), criticLr: pick('criticLr'), totalDecisions: pick('totalDecisions'), gamma: pick('gamma'), ppoLr: pick('ppoLr') };
}

/**
 * The defaults of `algo` on `env` (throws for an unknown env). The per-task settings are the paper's for its four
 * tasks; any other environment (your own, registered with `registerEnv`) takes them from `given`, the configuration's
 * own keys, and throws when one is missing.
 */
export function defaultConfig(env: string, algo: Algo, given: Record<string, unknown> = {}): TrainConfig {
  const spec = getEnvSpec(env);
  const common = { env, seed: 1, envs: 4, checkpointEvery: 50, keepCheckpoints: 3 };
  if (algo === 'saycan') {
    // Evaluation only: a short run measures the frozen policy's return.
    return { ...common, algo, model: null, normalization: 'word', greedy: false, rolloutSteps: 32, totalDecisions: 4 * 32 * 20 };
  }
  if (algo === 'ppo' && spec.actionCount === null) throw new InvalidArgumentError('UNSUPPORTED_ENV', `algo "ppo" needs a fixed action list; env "${env}" has none`);
  const t = taskDefaults(env, algo, given);
  const ppoCommon = {
    ...common,
    gaeLambda: 0.95,
    macroDiscount: true,
    clipCoef: 0.2,
    clipValue: 0.2,
    valueCoef: 0.5,
    entropyCoef: 0.01,
    maxGradNorm: 0.5,
    normAdvantages: true,
    annealLr: true,
    adamEps: 1e-5,
  };
  if (algo === 'ppo') {
    return {
      ...ppoCommon,
      algo,
      totalDecisions: t.totalDecisions,
      rolloutSteps: 128,
      gamma: 0.99,
      updateEpochs: 4,
      targetKl: null,
      lr: t.ppoLr,
      minibatches: 4,
      hidden: 64,
      actionMask: env.startsWith('virtualhome/'),
    };
  }
  return {
    ...ppoCommon,
    algo,
    model: null,
    normalization: 'word',
    totalDecisions: t.totalDecisions,
    rolloutSteps: 32,
    gamma: t.gamma,
    updateEpochs: 1,
    targetKl: 0.02,
    actorLr: t.actorLr,
    criticLr: t.criticLr,
    weightDecay: 0,
    policyMinibatch: 4,
    gradAccumSteps: 8,
    valueMinibatch: 32,
    loraRank: 8,
    loraAlpha: 16,
    loraTargets: ['q', 'v'],
    valueHidden: [1024, 512],
    valueFeatures: 'base',
    trainMemoryBudget: defaultMemoryBudget,
  };
}

/** The schema: each key's type and range, the algorithms it applies to, and a line for --help and the docs. */
type KeyType = 'int' | 'number' | 'boolean' | 'string' | 'ints' | 'targets';
interface KeySpec {
  type: KeyType;
  describe: string;
  algos: readonly Algo[];
  /** Smallest allowed value (inclusive unless `above`). */
  min?: number;
  above?: boolean;
  max?: number;
  nullable?: boolean;
  choices?: readonly string[];
}

const ALL = algos;
const TRAINED: readonly Algo[] = ['twosome', 'ppo'];
const LLM: readonly Algo[] = ['twosome', 'saycan'];

export const configSchema: Readonly<Record<string, KeySpec>> = {
  env: { type: 'string', algos: ALL, describe: 'environment id (rl-ggml env list)' },
  algo: { type: 'string', algos: ALL, choices: algos, describe: 'twosome, ppo or saycan' },
  model: { type: 'string', algos: LLM, nullable: true, describe: 'GGUF path or hf:<user>/<repo>/<file>; none: a cached random-weights model' },
  seed: { type: 'int', algos: ALL, min: 0, describe: 'random seed (actions, minibatches, initialization, environment resets)' },
  envs: { type: 'int', algos: ALL, min: 1, describe: 'parallel environments' },
  rolloutSteps: { type: 'int', algos: ALL, min: 1, describe: 'decisions per environment per update' },
  totalDecisions: { type: 'int', algos: ALL, min: 1, describe: 'decisions of the whole run (all environments)' },
  checkpointEvery: { type: 'int', algos: ALL, min: 1, describe: 'updates between checkpoints (one is always written at the end)' },
  keepCheckpoints: { type: 'int', algos: ALL, min: 1, describe: 'checkpoints kept on disk' },
  gamma: { type: 'number', algos: TRAINED, min: 0, max: 1, describe: 'discount factor' },
  gaeLambda: { type: 'number', algos: TRAINED, min: 0, max: 1, describe: 'GAE lambda' },
  macroDiscount: { type: 'boolean', algos: TRAINED, describe: 'discount by gamma^(primitive steps of the macro-action)' },
  updateEpochs: { type: 'int', algos: TRAINED, min: 1, describe: 'passes over each rollout' },
  clipCoef: { type: 'number', algos: TRAINED, min: 0, above: true, describe: 'PPO ratio clip' },
  clipValue: { type: 'number', algos: TRAINED, min: 0, above: true, nullable: true, describe: 'value clip range (null: no value clipping)' },
  valueCoef: { type: 'number', algos: TRAINED, min: 0, describe: 'value loss coefficient' },
  entropyCoef: { type: 'number', algos: TRAINED, min: 0, describe: 'entropy bonus coefficient' },
  maxGradNorm: { type: 'number', algos: TRAINED, min: 0, above: true, describe: 'gradient norm clip' },
  targetKl: { type: 'number', algos: TRAINED, min: 0, above: true, nullable: true, describe: 'approximate-KL early stop (null: none)' },
  normAdvantages: { type: 'boolean', algos: TRAINED, describe: 'normalize advantages per minibatch' },
  annealLr: { type: 'boolean', algos: TRAINED, describe: 'decay learning rates linearly to 0' },
  adamEps: { type: 'number', algos: TRAINED, min: 0, above: true, describe: 'Adam epsilon' },
  normalization: { type: 'string', algos: LLM, choices: normalizations, describe: 'action log-prob normalization: word, token or sum' },
  actorLr: { type: 'number', algos: ['twosome'], min: 0, describe: 'LoRA learning rate' },
  criticLr: { type: 'number', algos: ['twosome'], min: 0, describe: 'value head learning rate' },
  weightDecay: { type: 'number', algos: ['twosome'], min: 0, describe: 'AdamW weight decay' },
  policyMinibatch: { type: 'int', algos: ['twosome'], min: 1, describe: 'samples per policy minibatch' },
  gradAccumSteps: { type: 'int', algos: ['twosome'], min: 1, describe: 'policy minibatches per optimizer step' },
  valueMinibatch: { type: 'int', algos: ['twosome'], min: 1, describe: 'samples per value minibatch' },
  loraRank: { type: 'int', algos: ['twosome'], min: 1, describe: 'LoRA rank' },
  loraAlpha: { type: 'number', algos: ['twosome'], min: 0, above: true, describe: 'LoRA alpha' },
  loraTargets: { type: 'targets', algos: ['twosome'], describe: `LoRA projections (${loraTargets.join(', ')})` },
  valueHidden: { type: 'ints', algos: ['twosome'], describe: 'value head hidden widths' },
  valueFeatures: { type: 'string', algos: ['twosome'], choices: ['base', 'adapted'], describe: 'value features from the base or the adapted model' },
  trainMemoryBudget: {
    type: 'number',
    algos: ['twosome'],
    min: 0,
    above: true,
    describe: 'device memory (bytes) per training forward/backward; larger policy minibatches run in chunks (same gradients)',
  },
  lr: { type: 'number', algos: ['ppo'], min: 0, describe: 'Adam learning rate' },
  minibatches: { type: 'int', algos: ['ppo'], min: 1, describe: 'minibatches per epoch' },
  hidden: { type: 'int', algos: ['ppo'], min: 1, describe: 'hidden layer width' },
  actionMask: { type: 'boolean', algos: ['ppo'], describe: "mask the actor's logits to the valid actions" },
  greedy: { type: 'boolean', algos: ['saycan'], describe: 'take the most probable action instead of sampling' },
};

function typeName(s: KeySpec): string {
  const base = { int: 'an integer', number: 'a number', boolean: 'a boolean', string: 'a string', ints: 'an array of positive integers', targets: 'an array of LoRA targets' }[s.type];
  const range = s.min !== undefined ? ` ${s.above ? '>' : '≥'} ${s.min}${s.max !== undefined ? ` and ≤ ${s.max}` : ''}` : '';
  const choices = s.choices ? ` (one of ${s.choices.join(', ')})` : '';
  return `${base}${range}${choices}${s.nullable ? ' or null' : ''}`;
}

/** Throws naming `key` when `value` does not fit its schema entry. */
function checkValue(key: string, value: unknown, source: string): void {
  const s = configSchema[key];
  const fail = (): never => {
    throw new InvalidArgumentError('BAD_CONFIG', `${source}: "${key}" must be ${typeName(s)}, got ${JSON.stringify(value)}`);
  };
  if (value === null) return s.nullable ? undefined : fail();
  switch (s.type) {
    case 'int':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value) || (s.type === 'int' && !Number.isInteger(value))) fail();
      if (s.min !== undefined && ((value as number) < s.min || (s.above && value === s.min))) fail();
      if (s.max !== undefined && (value as number) > s.max) fail();
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail();
      return;
    case 'string':
      if (typeof value !== 'string' || value === '' || (s.choices && !s.choices.includes(value))) fail();
      return;
    case 'ints':
      if (!Array.isArray(value) || value.length === 0 || !value.every((v) => Number.isInteger(v) && v > 0)) fail();
      return;
    case 'targets':
      if (!Array.isArray(value) || value.length === 0 || !value.every((v) => loraTargets.includes(v)) || new Set(value).size !== value.length) fail();
      return;
  }
}

/**
 * The effective configuration: the defaults of `algo` on `env`, then `file` (a config file's keys), then `overrides`
 * (flags). Unknown keys, wrong types and keys of another algorithm are errors that name the key.
 */
export function resolveConfig(overrides: Record<string, unknown>, file: Record<string, unknown> = {}, fileName = 'config file'): TrainConfig {
  const layers: [string, Record<string, unknown>][] = [
    [fileName, file],
    ['options', overrides],
  ];
  for (const [source, layer] of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (!(key in configSchema)) throw new InvalidArgumentError('BAD_CONFIG', `${source}: unknown key "${key}"${suggest(key)}`);
      if (value !== undefined) checkValue(key, value, source);
    }
  }
  const merged = { ...file, ...definedOnly(overrides) };
  const env = merged.env as string | undefined;
  const algo = merged.algo as Algo | undefined;
  if (env === undefined) throw new InvalidArgumentError('BAD_CONFIG', 'no environment given (--env or "env" in the config file)');
  if (algo === undefined) throw new InvalidArgumentError('BAD_CONFIG', 'no algorithm given (--algo or "algo" in the config file)');
  const config = defaultConfig(env, algo, merged) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(merged)) {
    if (!configSchema[key].algos.includes(algo)) {
      throw new InvalidArgumentError('BAD_CONFIG', `"${key}" does not apply to algo "${algo}" (it is for ${configSchema[key].algos.join(', ')})`);
    }
    config[key] = value;
  }
  checkConsistency(config as unknown as TrainConfig);
  return config as unknown as TrainConfig;
}

function definedOnly(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function suggest(key: string): string {
  const lower = key.toLowerCase().replace(/[-_]/g, '');
  const hit = Object.keys(configSchema).find((k) => k.toLowerCase() === lower);
  return hit ? ` (did you mean "${hit}"?)` : '';
}

/** Rules across keys: the minibatches must tile the rollout. */
function checkConsistency(c: TrainConfig): void {
  const batch = c.envs * c.rolloutSteps;
  const tile = (key: string, size: number) => {
    if (batch % size !== 0) throw new InvalidArgumentError('BAD_CONFIG', `"${key}" (${size}) must divide the rollout batch envs × rolloutSteps = ${batch}`);
  };
  if (c.algo === 'ppo') {
    if (batch % c.minibatches !== 0) throw new InvalidArgumentError('BAD_CONFIG', `"minibatches" (${c.minibatches}) must divide the rollout batch envs × rolloutSteps = ${batch}`);
  } else if (c.algo === 'twosome') {
    tile('valueMinibatch', c.valueMinibatch);
    tile('policyMinibatch', c.policyMinibatch);
    if ((batch / c.policyMinibatch) % c.gradAccumSteps !== 0) {
      throw new InvalidArgumentError('BAD_CONFIG', `"gradAccumSteps" (${c.gradAccumSteps}) must divide the ${batch / c.policyMinibatch} policy minibatches of a rollout`);
    }
  }
}

/** Reads a JSON config file (an object of schema keys). */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError('BAD_CONFIG', `cannot read the config file ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError('BAD_CONFIG', `the config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidArgumentError('BAD_CONFIG', `the config file ${path} must hold a JSON object`);
  return value as Record<string, unknown>;
}

/** Updates per run: the decisions are taken in whole rollouts (rounded up). */
export function updateCount(c: TrainConfig): number {
  return Math.ceil(c.totalDecisions / (c.envs * c.rolloutSteps));
}
