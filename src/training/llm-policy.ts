/**
 * `LlmPolicy` on the native engine: LoRA actor + value head over a frozen model (see ./policy.ts for the contract).
 */
import { generateWith, type GenerateOptions, type Generation, type Prompt } from '../generate.js';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkTrainedChatTemplate } from '../chat-template.js';
import { InvalidArgumentError, RlGgmlError } from '../errors.js';
import type { Model, ModelHParams, TokenLogprobs } from '../model.js';
import type { NativeBatch, NativeTrainer } from '../native.js';
import { callNative, native } from '../native.js';
import { packBatch, packSequences, type MarkedSequence, type PackedSequences, type PackUnit } from '../packing.js';
import { assembleScores, estimateTrainingBytes, prepareItems, scoreActions, trainingCost, type Normalization, type PreparedAction, type PromptScores, type ScoreItem, type ScoreOptions } from '../scoring.js';
import {
  loraTargets,
  type LlmPolicy,
  type LoraTarget,
  type LoraConfig,
  type PolicyBackward,
  type PolicyForward,
  type StepOptions,
  type StepReport,
  type ValueHeadConfig,
} from './policy.js';

export interface CreatePolicyOptions {
  lora?: Partial<LoraConfig>;
  /** Value head; `false` for an actor only (SFT, DPO, or applying an adapter). */
  valueHead?: Partial<ValueHeadConfig> | false;
  /** Seed of the initial LoRA A and head weights. */
  seed?: number;
}

export type { MarkedSequence };

/** How `forwardSequences` may share the beginnings of its sequences. */
export interface SequencePacking {
  /** Share only within consecutive runs of this many sequences (default: any consecutive ones). */
  shareWithin?: number;
}

/** Options of a training forward pass (`forward`, `forwardSequences`). */
export interface TrainingForwardOptions {
  /**
   * Device memory (bytes) the pass may keep for its backward, by the engine's estimate (`trainingBytes`,
   * `sequenceTrainingBytes`). A pass that would need more keeps only each layer's input hidden states, and the
   * backward pass recomputes the layers one at a time (layer checkpointing: the same gradients, for one more forward
   * pass of compute). Default: no limit.
   */
  memoryBudget?: number;
}

/** Format of the `policy.json` in a saved policy folder. */
interface PolicyFile {
  format: 'rl-ggml-policy';
  version: 1;
  lora: LoraConfig;
  valueHead: ValueHeadConfig | false;
  seed: number;
  base: { nVocab: number; nEmbd: number; nLayer: number; nFf: number };
  /** The model's chat template when saved (absent in older folders): conversations must be laid out the same way. */
  chatTemplate?: string;
}

const POLICY_FORMAT = 'rl-ggml-policy';

function validateLora(hp: ModelHParams, lora: Partial<LoraConfig> = {}): LoraConfig {
  const cfg: LoraConfig = { rank: lora.rank ?? 8, alpha: lora.alpha ?? 16, targets: lora.targets ?? ['q', 'v'] };
  if (!Number.isInteger(cfg.rank) || cfg.rank <= 0) throw new InvalidArgumentError('INVALID_ARGUMENT', `LoRA rank must be a positive integer, got ${cfg.rank}`);
  if (!(cfg.alpha > 0)) throw new InvalidArgumentError('INVALID_ARGUMENT', `LoRA alpha must be positive, got ${cfg.alpha}`);
  if (!Array.isArray(cfg.targets) || cfg.targets.length === 0) throw new InvalidArgumentError('INVALID_ARGUMENT', 'LoRA targets must be a non-empty list');
  for (const t of cfg.targets) {
    if (!loraTargets.includes(t)) throw new InvalidArgumentError('INVALID_ARGUMENT', `unknown LoRA target "${t}" (${loraTargets.join(', ')})`);
  }
  return { ...cfg, targets: modelTargets(hp, cfg.targets) };
}

/** Targets as the model's layers have them: its fused projections (see LoraTarget) stand for their parts. */
function modelTargets(hp: ModelHParams, targets: readonly LoraTarget[]): LoraTarget[] {
  const own = targets.map((t): LoraTarget => (hp.fusedQkv && (t === 'q' || t === 'k' || t === 'v') ? 'qkv' : hp.fusedUp && t === 'gate' ? 'up' : t));
  if (!hp.fusedQkv && own.includes('qkv')) {
    throw new InvalidArgumentError('INVALID_ARGUMENT', `LoRA target "qkv": this ${hp.architecture} model's query, key and value projections are separate (targets q, k, v)`);
  }
  return [...new Set(own)];
}

export class NativeLlmPolicy implements LlmPolicy {
  readonly lora: LoraConfig;
  readonly valueHead: ValueHeadConfig;
  readonly hasValueHead: boolean;
  readonly seed: number;
  /** The chat template it was trained in, where the adapter file it came from records one (see Agent). */
  trainedChatTemplate?: string;
  #pendingValues: number | undefined;
  #trainer: NativeTrainer | undefined;
  #model: Model;
  /** Base-model features per prompt text (features never change when they come from the base model). */
  #featureCache = new Map<string, Float32Array>();
  #pending: { owners: PreparedAction[][]; units: PackUnit[] } | undefined;
  #pendingSequences: { owners: number[][]; count: number } | undefined;

  /** @internal use createPolicy() / loadPolicy() */
  constructor(model: Model, trainer: NativeTrainer, lora: LoraConfig, valueHead: ValueHeadConfig | false, seed: number) {
    this.#model = model;
    this.#trainer = trainer;
    this.lora = lora;
    this.hasValueHead = valueHead !== false;
    this.valueHead = valueHead === false ? { hidden: [], features: 'base' } : valueHead;
    this.seed = seed;
  }

  get model(): Model {
    return this.#model;
  }

  /** Names, groups and shapes of the trainable parameters. */
  parameters(): { name: string; group: 'actor' | 'critic'; shape: [number, number] }[] {
    return this.#live().params();
  }

  /** @internal finite-difference tests and checkpoints */
  getParameter(name: string): Float32Array {
    return this.#live().getParam(name);
  }
  /** @internal */
  setParameter(name: string, values: Float32Array): void {
    this.#live().setParam(name, values);
    this.#featureCache.clear();
  }
  /** @internal */
  getGradient(name: string): Float32Array {
    return this.#live().getGrad(name);
  }

  /** Scores actions with the adapter applied (no gradients kept); any size, split like Model.scoreActions. */
  score(items: readonly ScoreItem[], options?: ScoreOptions): Promise<PromptScores[]> {
    return scoreActions({ hparams: this.#model.hparams, tokenize: (x, o) => this.#model.tokenize(x, o), evaluate: this.#evaluate() }, items, options);
  }

  /**
   * Bytes this policy holds on the device: parameters (with gradients and AdamW moments) and the training graphs'
   * compute buffers at their high-water mark (a kept forward holds its activations there until its backward; a
   * checkpointed one, its layer inputs beside them).
   */
  memoryUsage(): { params: number; compute: number } {
    const t = this.#live();
    return t.memory();
  }

  /** Generates text with the adapter applied (see Model.generate). */
  generate<P extends Prompt>(prompts: readonly P[], options?: GenerateOptions): Promise<Generation<P>[]> {
    const t = this.#live();
    return generateWith({ tokenize: (x, o) => this.#model.tokenize(x, o), generate: (r, s, n, keep) => this.#model.schedule(() => t.generate(r, s, n, keep)) }, prompts, options);
  }

  /** Frees the K,V that `generate(..., { slots })` kept. */
  releaseGenerationCache(): Promise<void> {
    const t = this.#live();
    return this.#model.schedule(async () => t.releaseCache());
  }

  /** Per-token log-probs of a text with the adapter applied. */
  logprobs(text: string): Promise<TokenLogprobs> {
    return this.#model.logprobs(text, this.#evaluate());
  }

  #evaluate(): (batch: NativeBatch) => Promise<Float32Array> {
    const t = this.#live();
    return (batch) => this.#model.schedule(async () => (await t.forward(batch, new Int32Array(0), true, false)).logp);
  }

  async forward(items: readonly ScoreItem[], options: { normalization?: Normalization } & TrainingForwardOptions = {}): Promise<PolicyForward> {
    const mode = options.normalization ?? 'word';
    const { units, owners } = prepareItems(this.#model, items);
    const logp = await this.#keptForward(units, options);
    this.#pending = { owners, units };
    this.#pendingSequences = undefined;
    const sums = owners.map((o) => new Float64Array(o.length));
    let r = 0;
    units.forEach((u, n) => {
      for (const [k] of u.scored) sums[n][k] += logp[r++];
    });
    const scores = assembleScores(items, owners, sums, mode);
    const values = this.hasValueHead ? Array.from(await this.#values(items.map((i) => i.prompt), true)) : items.map(() => 0);
    this.#pendingValues = undefined;
    return { scores, values };
  }

  async evaluate(items: readonly ScoreItem[], options: { normalization?: Normalization } = {}): Promise<PolicyForward> {
    const scores = await this.score(items, options);
    const values = this.hasValueHead ? Array.from(await this.#values(items.map((i) => i.prompt), false)) : items.map(() => 0);
    return { scores, values };
  }

  trainingBytes(items: readonly ScoreItem[]): number {
    return estimateTrainingBytes(this.#model.hparams, prepareItems(this.#model, items).units);
  }

  async forwardValues(prompts: readonly string[]): Promise<number[]> {
    if (!this.hasValueHead) throw new InvalidArgumentError('NO_VALUE_HEAD', 'this policy has no value head');
    const values = Array.from(await this.#values(prompts, true));
    this.#pendingValues = prompts.length;
    return values;
  }

  async backwardValues(dValue: readonly number[]): Promise<void> {
    const t = this.#live();
    const n = this.#pendingValues;
    if (n === undefined) throw new InvalidArgumentError('NO_FORWARD', 'backwardValues needs a forwardValues() first');
    if (dValue.length !== n) throw new InvalidArgumentError('GRADIENT_SHAPE', `dValue must have ${n} entries`);
    this.#pendingValues = undefined;
    await this.#model.schedule(() => t.headBackward(Float32Array.from(dValue)));
  }

  async backward(grad: PolicyBackward): Promise<void> {
    const t = this.#live();
    const pending = this.#pending;
    if (!pending) throw new InvalidArgumentError('NO_FORWARD', 'backward needs a forward() first');
    this.#pending = undefined;
    const coef: number[] = [];
    pending.units.forEach((u, n) => {
      const row = grad.dLogprob[n];
      if (!row || row.length !== pending.owners[n].length) {
        throw new InvalidArgumentError('GRADIENT_SHAPE', `dLogprob[${n}] must have ${pending.owners[n].length} entries`);
      }
      for (const [k] of u.scored) coef.push(row[k]);
    });
    if (grad.dLogprob.length !== pending.units.length) throw new InvalidArgumentError('GRADIENT_SHAPE', `dLogprob must have ${pending.units.length} rows`);
    await this.#model.schedule(() => t.backward(Float32Array.from(coef)));
    if (grad.dValue && this.hasValueHead) {
      if (grad.dValue.length !== pending.units.length) throw new InvalidArgumentError('GRADIENT_SHAPE', `dValue must have ${pending.units.length} entries`);
      await this.#model.schedule(() => t.headBackward(Float32Array.from(grad.dValue!)));
    }
  }

  /**
   * SFT/DPO: summed log-probs of the marked tokens of each sequence, kept for backwardSequences (`keep: false`: not
   * kept, as for a DPO reference). Consecutive sequences that begin alike share the computation of their beginning
   * where that is cheaper (see packSequences); with `shareWithin`, only within runs of that many (a DPO pair's sides).
   */
  async forwardSequences(seqs: readonly MarkedSequence[], options: TrainingForwardOptions & SequencePacking & { keep?: boolean } = {}): Promise<{ logprob: number[]; tokens: number[] }> {
    const t = this.#live();
    const packed = this.#packSequences(seqs, options);
    let logp: Float32Array;
    if (options.keep ?? true) {
      logp = await this.#keptForward(packed.units, options);
      this.#pending = undefined;
      this.#pendingSequences = { owners: packed.owners, count: seqs.length };
    } else {
      logp = (await this.#model.schedule(() => t.forward(packBatch(packed.units), new Int32Array(0), true, false))).logp;
    }
    const logprob = new Array<number>(seqs.length).fill(0);
    const tokens = new Array<number>(seqs.length).fill(0);
    packed.owners.forEach((owners, r) => {
      for (const n of owners) {
        logprob[n] += logp[r];
        tokens[n]++;
      }
    });
    return { logprob, tokens };
  }

  /** Estimated device memory (bytes) of a kept `forwardSequences(seqs)` + `backwardSequences`, for sizing micro-batches. */
  sequenceTrainingBytes(seqs: readonly MarkedSequence[], packing: SequencePacking = {}): number {
    return this.sequenceTrainingEstimate(seqs, packing).bytes;
  }

  /** A kept `forwardSequences(seqs)` + `backwardSequences` pass by the engine's estimates: its memory and relative time (the cost model), for planning micro-batches. */
  sequenceTrainingEstimate(seqs: readonly MarkedSequence[], packing: SequencePacking = {}): { bytes: number; cost: number } {
    const { units } = this.#packSequences(seqs, packing);
    return { bytes: estimateTrainingBytes(this.#model.hparams, units), cost: trainingCost(this.#model.hparams, units) };
  }

  /** A training forward over `units`, kept for its backward; checkpointed where the kept activations exceed the budget. */
  async #keptForward(units: PackUnit[], options: TrainingForwardOptions): Promise<Float32Array> {
    const t = this.#live();
    const budget = options.memoryBudget ?? Infinity;
    if (!(budget > 0)) throw new InvalidArgumentError('INVALID_ARGUMENT', `memoryBudget must be positive, got ${budget}`);
    const checkpoint = estimateTrainingBytes(this.#model.hparams, units) > budget;
    return (await this.#model.schedule(() => t.forward(packBatch(units), new Int32Array(0), true, true, checkpoint))).logp;
  }

  /** The sequences checked and packed, their shared beginnings where a training pass costs less so. */
  #packSequences(seqs: readonly MarkedSequence[], { shareWithin }: SequencePacking): PackedSequences {
    seqs.forEach((s, n) => {
      if (s.tokens.length !== s.marked.length) throw new InvalidArgumentError('INVALID_ARGUMENT', `sequence ${n}: marked must have one entry per token`);
      this.#model.checkLength(s.tokens.length);
      if (!s.marked.some((m, i) => m && i > 0)) throw new InvalidArgumentError('INVALID_ARGUMENT', `sequence ${n} has no marked tokens`);
    });
    return packSequences(seqs, (units) => trainingCost(this.#model.hparams, units), shareWithin);
  }

  async backwardSequences(dLogprob: readonly number[]): Promise<void> {
    const t = this.#live();
    const pending = this.#pendingSequences;
    if (!pending) throw new InvalidArgumentError('NO_FORWARD', 'backwardSequences needs a forwardSequences() first');
    if (dLogprob.length !== pending.count) throw new InvalidArgumentError('GRADIENT_SHAPE', `dLogprob must have ${pending.count} entries`);
    this.#pendingSequences = undefined;
    // a shared token's log-prob enters the sums of all its owners: its gradient is theirs added
    const grad = Float32Array.from(pending.owners, (owners) => owners.reduce((g, n) => g + dLogprob[n], 0));
    await this.#model.schedule(() => t.backward(grad));
  }

  zeroGrad(): void {
    this.#live().zeroGrad();
  }

  async step(options: StepOptions): Promise<StepReport> {
    const t = this.#live();
    const r = await this.#model.schedule(() => t.step(options.actor ?? null, options.critic ?? null));
    if (this.valueHead.features === 'adapted' && !r.skipped) this.#featureCache.clear();
    return { actorGradNorm: r.actorNorm, criticGradNorm: r.criticNorm, skipped: r.skipped };
  }

  /**
   * Writes the policy into `dir`: adapter.gguf (llama.cpp's LoRA format), state.gguf (value head, AdamW moments and
   * step counts) and policy.json (configuration). The folder is replaced as a whole: written beside it, then
   * swapped in by renames, so an interrupted save leaves the previous one intact. `carry` names files of the folder
   * being replaced that the new one keeps (a run's log).
   */
  async save(dir: string, meta: Record<string, unknown> = {}, { carry = [] }: { carry?: readonly string[] } = {}): Promise<void> {
    const t = this.#live();
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const hp = this.#model.hparams;
    const file: PolicyFile = {
      format: POLICY_FORMAT,
      version: 1,
      lora: this.lora,
      valueHead: this.hasValueHead ? this.valueHead : false,
      seed: this.seed,
      base: { nVocab: hp.nVocab, nEmbd: hp.nEmbd, nLayer: hp.nLayer, nFf: hp.nFf },
      chatTemplate: this.#model.chatTemplate.id,
    };
    try {
      await this.#model.schedule(() => t.saveAdapter(join(tmp, 'adapter.gguf'), this.#model.chatTemplate.id));
      await this.#model.schedule(() => t.saveState(join(tmp, 'state.gguf'), JSON.stringify(meta)));
      writeFileSync(join(tmp, 'policy.json'), `${JSON.stringify(file, null, 2)}\n`);
      for (const name of carry) if (existsSync(join(dir, name))) copyFileSync(join(dir, name), join(tmp, name));
      const old = `${dir}.old-${process.pid}`;
      if (existsSync(dir)) renameSync(dir, old);
      renameSync(tmp, dir);
      rmSync(old, { recursive: true, force: true });
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /** @internal Loads adapter.gguf and state.gguf of a saved folder; returns the metadata saved with them. */
  async restore(dir: string): Promise<Record<string, unknown>> {
    const t = this.#live();
    await this.restoreAdapter(join(dir, 'adapter.gguf'));
    const meta = await this.#model.schedule(() => t.loadState(join(dir, 'state.gguf')));
    this.#featureCache.clear();
    return JSON.parse(meta) as Record<string, unknown>;
  }

  /** @internal */
  async restoreAdapter(path: string): Promise<void> {
    const t = this.#live();
    await this.#model.schedule(() => t.loadAdapter(path));
    this.#featureCache.clear();
  }

  async dispose(): Promise<void> {
    const t = this.#trainer;
    if (!t) return;
    this.#trainer = undefined;
    await this.#model.schedule(async () => t.dispose()).catch(() => t.dispose());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  async #values(prompts: readonly string[], keep: boolean): Promise<Float32Array> {
    const t = this.#live();
    const E = this.#model.hparams.nEmbd;
    const cacheable = this.valueHead.features === 'base';
    const missing = [...new Set(prompts.filter((p) => !(cacheable && this.#featureCache.has(p))))];
    if (missing.length > 0) {
      // The hidden state at each prompt's last token, from a prompt-only pass (adapter off for 'base').
      const units: PackUnit[] = missing.map((p) => ({ prefix: this.#model.tokenize(p, { bos: true }), branches: [], scored: [] }));
      for (const u of units) {
        if (u.prefix.length === 0) throw new InvalidArgumentError('INVALID_ARGUMENT', "value head: an empty prompt has no token to read (this model's vocabulary adds no BOS token)");
        this.#model.checkLength(u.prefix.length);
      }
      const batch = packBatch(units);
      const slot = batch.tokens.length / units.length;
      const rows = Int32Array.from(units, (u, g) => g * slot + u.prefix.length - 1);
      const { features } = await this.#model.schedule(() => t.forward(batch, rows, this.valueHead.features === 'adapted', false));
      missing.forEach((p, i) => this.#featureCache.set(p, features.slice(i * E, (i + 1) * E)));
    }
    const all = new Float32Array(prompts.length * E);
    prompts.forEach((p, i) => all.set(this.#featureCache.get(p)!, i * E));
    if (!cacheable) this.#featureCache.clear();
    return this.#model.schedule(() => t.headForward(all, prompts.length, keep));
  }

  #live(): NativeTrainer {
    if (!this.#trainer) throw new RlGgmlError('DISPOSED', 'the policy has been disposed');
    return this.#trainer;
  }
}

/** Creates a fresh policy on `model` (LoRA A random, B zero: it scores exactly like the base model). */
export async function createPolicy(model: Model, options: CreatePolicyOptions = {}): Promise<NativeLlmPolicy> {
  const lora = validateLora(model.hparams, options.lora);
  const head: ValueHeadConfig | false =
    options.valueHead === false ? false : { hidden: options.valueHead?.hidden ?? [1024, 512], features: options.valueHead?.features ?? 'base' };
  if (head && head.features !== 'base' && head.features !== 'adapted') throw new InvalidArgumentError('INVALID_ARGUMENT', `value-head features must be "base" or "adapted"`);
  const seed = options.seed ?? 1;
  const trainer = await model.schedule((m) =>
    native().createTrainer(m, { rank: lora.rank, alpha: lora.alpha, targets: lora.targets, head: head ? head.hidden : [], seed }),
  );
  return new NativeLlmPolicy(model, trainer, lora, head, seed);
}

/** Loads a policy folder written by `save` onto `model` (which must be the base model it was trained on). */
export async function loadPolicy(model: Model, dir: string): Promise<{ policy: NativeLlmPolicy; meta: Record<string, unknown> }> {
  let file: PolicyFile;
  try {
    file = JSON.parse(readFileSync(join(dir, 'policy.json'), 'utf8')) as PolicyFile;
  } catch (err) {
    throw new InvalidArgumentError('BAD_CHECKPOINT', `${dir} is not a readable policy folder: ${(err as Error).message}`, { cause: err });
  }
  if (file.format !== POLICY_FORMAT || file.version !== 1) throw new InvalidArgumentError('BAD_CHECKPOINT', `${dir}/policy.json is not an rl-ggml policy of version 1`);
  const hp = model.hparams;
  if (file.base.nEmbd !== hp.nEmbd || file.base.nLayer !== hp.nLayer || file.base.nVocab !== hp.nVocab || file.base.nFf !== hp.nFf) {
    throw new InvalidArgumentError('MODEL_MISMATCH', `${dir} was trained on another base model (${JSON.stringify(file.base)})`);
  }
  checkTrainedChatTemplate(model, dir, file.chatTemplate);
  const policy = await createPolicy(model, { lora: file.lora, valueHead: file.valueHead, seed: file.seed });
  try {
    return { policy, meta: await policy.restore(dir) };
  } catch (err) {
    await policy.dispose();
    throw err;
  }
}

/**
 * An actor-only policy from a llama.cpp LoRA adapter file (rank, alpha and targets read from the file), for scoring
 * and log-probs with the adapter applied.
 */
export async function loadAdapter(model: Model, path: string): Promise<NativeLlmPolicy> {
  const info = await callNative(() => native().adapterInfo(path));
  const targets = new Set<LoraTarget>();
  let rank = 0;
  for (const t of info.tensors) {
    const m = /^blk\.\d+\.(attn_q|attn_k|attn_v|attn_qkv|attn_output|ffn_gate|ffn_up|ffn_down)\.weight\.lora_a$/.exec(t.name);
    if (m) {
      targets.add(tensorTargets[m[1]]);
      rank = t.shape[1];
    }
  }
  if (targets.size === 0 || rank === 0) throw new InvalidArgumentError('BAD_ADAPTER', `${path} holds no LoRA tensors rl-ggml can apply`);
  const policy = await createPolicy(model, { lora: { rank, alpha: info.alpha, targets: [...targets] }, valueHead: false });
  policy.trainedChatTemplate = info.chatTemplate ?? undefined;
  try {
    await policy.restoreAdapter(path);
    return policy;
  } catch (err) {
    await policy.dispose();
    throw err;
  }
}

const tensorTargets: Record<string, LoraTarget> = {
  attn_q: 'q',
  attn_k: 'k',
  attn_v: 'v',
  attn_qkv: 'qkv',
  attn_output: 'o',
  ffn_gate: 'gate',
  ffn_up: 'up',
  ffn_down: 'down',
};
