/**
 * TWOSOME's policy: for every prompt and each of its actions, log P(action | prompt), normalized, and the softmax over
 * the prompt's actions — computed in packed batches ([prompt | a1 | ... | aK], one group per prompt).
 *
 * Token boundary rule (exact whatever the tokenizer merges): the prompt and the action are joined by one space; the
 * action's tokens are the tokens of `tokenize(prompt + " " + action)` past its longest common prefix with
 * `tokenize(prompt)`. So when the tokenizer merges the boundary (a prompt ending in a space, an action starting with
 * punctuation) the merged token counts as the action's and is predicted from the tokens before it — the same
 * quantity as summing `logprobs(prompt + " " + action)` over those tokens. Duplicate actions are scored
 * independently; each appears in the softmax (so duplicates share their probability mass).
 */
import { InvalidArgumentError } from './errors.js';
import type { ModelHParams } from './model.js';
import { native } from './native.js';
import { packBatch, slotLength, unitLength, unitSpan, type PackUnit } from './packing.js';

export type Normalization = 'sum' | 'token' | 'word';
export const normalizations: readonly Normalization[] = ['sum', 'token', 'word'];

export interface ScoreItem {
  prompt: string;
  actions: string[];
}

export interface ScoreOptions {
  /** 'sum' (none), 'token' (divide by token count) or 'word' (divide by word count, TWOSOME's default). */
  normalization?: Normalization;
  /** Approximate bytes of compute memory one graph may use; larger work is split (default 1 GiB). */
  memoryBudget?: number;
  /** Most packed tokens per graph (default 8192). */
  maxBatchTokens?: number;
}

export interface ActionScore {
  action: string;
  /** Sum of the action tokens' log-probs. */
  logprob: number;
  /** The action's token ids (see the boundary rule above). */
  tokenIds: number[];
  tokens: number;
  words: number;
  /** logprob normalized as requested: the logit of the action. */
  score: number;
  /** Softmax of the scores over the prompt's actions. */
  probability: number;
}

export interface PromptScores {
  prompt: string;
  actions: ActionScore[];
}

/** What scoring needs from a model (Model implements it). */
export interface ScoringModel {
  readonly hparams: ModelHParams;
  tokenize(text: string, options?: { bos?: boolean }): number[];
  evaluate(batch: ReturnType<typeof packBatch>): Promise<Float32Array>;
}

export interface PreparedAction {
  item: number;
  action: number;
  tokenIds: number[];
}

export interface PreparedItems {
  /** One packing unit per prompt: its tokens, each action as a branch. */
  units: PackUnit[];
  /** Per prompt, per action: where its scores go and its tokens. */
  owners: PreparedAction[][];
}

/** Validates and tokenizes the items into packing units, one per prompt, and records each action's tokens. */
export function prepareItems(model: Pick<ScoringModel, 'hparams' | 'tokenize'>, items: readonly ScoreItem[]): PreparedItems {
  if (!Array.isArray(items) || items.length === 0) throw new InvalidArgumentError('INVALID_ARGUMENT', 'scoreActions: items must be a non-empty array of {prompt, actions}');
  const units: PackUnit[] = [];
  const owners: PreparedAction[][] = [];
  items.forEach((item, n) => {
    if (typeof item?.prompt !== 'string') throw new InvalidArgumentError('INVALID_ARGUMENT', `scoreActions: item ${n} has no prompt string`);
    if (!Array.isArray(item.actions) || item.actions.length === 0) throw new InvalidArgumentError('INVALID_ARGUMENT', `scoreActions: item ${n} has no actions`);
    const prompt = model.tokenize(item.prompt, { bos: true });
    const actions: readonly unknown[] = item.actions;
    const joined = actions.map((a, k) => {
      if (typeof a !== 'string') throw new InvalidArgumentError('INVALID_ARGUMENT', `scoreActions: action ${k} of item ${n} is not a string`);
      if (a.trim() === '') throw new InvalidArgumentError('INVALID_ARGUMENT', `scoreActions: action ${k} of item ${n} is empty`);
      const toks = model.tokenize(`${item.prompt} ${a}`, { bos: true });
      let c = 0;
      while (c < prompt.length && c < toks.length && prompt[c] === toks[c]) c++;
      if (c === toks.length) throw new InvalidArgumentError('INVALID_ARGUMENT', `scoreActions: action ${JSON.stringify(a)} of item ${n} adds no tokens`);
      if (c === 0) {
        throw new InvalidArgumentError('INVALID_ARGUMENT', `scoreActions: nothing precedes action ${JSON.stringify(a)} of item ${n} (an empty prompt, and this model's vocabulary adds no BOS token)`);
      }
      return { toks, c };
    });
    const m = Math.min(...joined.map((j) => j.c));
    const unit: PackUnit = { prefix: prompt.slice(0, m), branches: joined.map((j) => j.toks.slice(m)), scored: [] };
    joined.forEach((j, k) => {
      for (let i = j.c - m; i < j.toks.length - m; i++) unit.scored.push([k, i]);
    });
    if (unitSpan(unit) > model.hparams.nCtxTrain) {
      throw new InvalidArgumentError('CONTEXT_OVERFLOW', `scoreActions: item ${n} needs ${unitSpan(unit)} positions, more than the model's context of ${model.hparams.nCtxTrain}`);
    }
    units.push(unit);
    owners.push(joined.map((j, k) => ({ item: n, action: k, tokenIds: j.toks.slice(j.c) })));
  });
  return { units, owners };
}

/** Shape of the graph over `units`: S-token slots in G groups (T = S·G, for attention), N real tokens, R scored rows. */
function graphShape(units: readonly PackUnit[]) {
  const S = slotLength(units);
  const G = units.length;
  const N = units.reduce((n, u) => n + unitLength(u), 0);
  const R = units.reduce((n, u) => n + u.scored.length, 0);
  return { S, G, T: S * G, N, R };
}

/** Estimated compute-buffer bytes of one graph over `units` (attention per group, activations, one LM-head chunk). */
export function estimateBytes(hp: ModelHParams, units: readonly PackUnit[]): number {
  const { S, G, T, N, R } = graphShape(units);
  // a soft cap (Gemma 2's) computes its scores twice more, c·tanh(x / c); an LM head bias or scale its logits once more
  const scoreCopies = hp.softCaps.attention > 0 ? 5 : 3;
  const logitCopies = (hp.softCaps.final > 0 ? 4 : 2) + (hp.outputBias ? 1 : 0) + (hp.scales.logit !== 1 ? 1 : 0);
  const attention = scoreCopies * S * attentionBlock(S) * hp.nHead * G + 2 * T * (hp.nHead + 2 * hp.nHeadKv) * hp.headDim;
  const activations = N * (8 * vectorWidth(hp) + 3 * hiddenUnits(hp) + expertValues(hp) + layerInputs(hp));
  return 4 * (attention + activations + logitCopies * headChunk(R) * hp.nVocab);
}

/** Per token, the values that making every layer's own input takes (Gemma 4 E2B's: its table's row, its projection
 *  of the embedding, their sum and copies; 0 in models without them). */
function layerInputs(hp: ModelHParams): number {
  return 6 * hp.perLayerInputs * hp.nLayer;
}

/** The hidden units a token goes through in a layer's feed-forward: its width, or its chosen experts' together (and
 *  Gemma 4's feed-forward beside them). */
function hiddenUnits(hp: ModelHParams): number {
  if (!hp.experts) return hp.nFf;
  return hp.experts.used * hp.experts.ff + (hp.experts.shared ? hp.nFf : 0);
}

/** Per token and layer, the values a mixture of experts holds beyond its hidden units: each chosen expert's output
 *  before their weighted sum, and the router's logits (0 in dense models). */
function expertValues(hp: ModelHParams): number {
  return hp.experts ? hp.experts.used * hp.nEmbd + hp.experts.count : 0;
}

/** The width of a layer's widest embedding-like vectors: the embedding, or all heads' queries where wider (Qwen3). */
function vectorWidth(hp: ModelHParams): number {
  return Math.max(hp.nEmbd, hp.nHead * hp.headDim);
}

/** Queries of the largest attention block of an S-token slot. */
function attentionBlock(S: number): number {
  return Math.min(S, native().attentionBlockRows);
}

/**
 * Query-key pairs attention scores in an S-token slot (and the attention mask's entries per group): each block of
 * queries, the keys up to its last query.
 */
export function attentionPairs(S: number): number {
  const B = attentionBlock(S);
  let pairs = 0;
  for (let s0 = 0; s0 < S; s0 += B) pairs += Math.min(S, s0 + B) * Math.min(B, S - s0);
  return pairs;
}

/** Rows of the LM head's largest chunk over R scored rows. */
function headChunk(R: number): number {
  return Math.min(R, native().headChunkRows);
}

/**
 * Estimated compute-buffer bytes of a *training* graph over `units`: unlike scoring, the forward keeps every layer's
 * activations for the backward pass (about 8 embedding-wide and 2 feed-forward-wide vectors per token and layer, and
 * the attention probabilities, which long slots recompute block by block instead). Measured: 13–18% above what the
 * engine allocates, from 8 × 1024 to LLaMA-7B shapes.
 */
export function estimateTrainingBytes(hp: ModelHParams, units: readonly PackUnit[]): number {
  const { S, G, N, R } = graphShape(units);
  // what the backward reads of attention's and the LM head's softmax: its output, and a soft cap's tanh (Gemma 2's)
  const scoreCopies = hp.softCaps.attention > 0 ? 2 : 1, logitCopies = hp.softCaps.final > 0 ? 2 : 1;
  // attention's: every layer's kept, or recomputed a block of queries at a time
  const pairs = S >= native().recomputeAttentionFromSlot ? 2 * S * attentionBlock(S) : hp.nLayer * attentionPairs(S);
  const attention = scoreCopies * pairs * hp.nHead * G;
  // the LM head's: every chunk's, and one chunk's logits and the gradients of both
  return 4 * (hp.nLayer * N * (8 * vectorWidth(hp) + 2 * hiddenUnits(hp) + expertValues(hp)) + N * layerInputs(hp) + attention + (logitCopies * R + 3 * headChunk(R)) * hp.nVocab);
}

/**
 * How much more a query-key pair of attention costs in a training step than its forward flops say, next to a token's
 * products through the layers' weights. The backward pass recomputes and differentiates attention (four times its
 * forward's products, against one more for a token through the frozen weights), and attention's small f32 products
 * run slower than the quantized kernels. Measured on the 8 × 1024 bench model on a 2-core CPU (steps of 256 to 2,048
 * tokens, bench/RESULTS.md): a pair costs 1/1,030 of a token, 1/6,272 by forward flops.
 */
const ATTENTION_PAIR_WEIGHT = 6;

/**
 * What a forward/backward pass costs beyond its tokens and attention, in tokens: building and scheduling the graph,
 * reading the frozen weights once more, products over fewer rows. Measured on the 8 × 1024 bench model on a 2-core
 * CPU: 8 sequences of 64 (256) tokens, a pass each, took 0.13 (0.29) s more per pass than one pass over all of them,
 * the time of 27 (57) tokens.
 */
const PASS_TOKENS = 48;

/**
 * Relative time of a training pass over `units`: the layers' matrix products per real token (padding costs none),
 * attention over every group's slot (padded to the longest), which grows with its square (about half of it: see
 * attentionPairs), and the pass's own cost. What packSequences weighs sharing a beginning with, and SFT's and DPO's
 * micro-batches splitting a step into passes.
 */
export function trainingCost(hp: ModelHParams, units: readonly PackUnit[]): number {
  const q = hp.nHead * hp.headDim, kv = hp.nHeadKv * hp.headDim;
  const perToken = 2 * hp.nEmbd * (2 * q + 2 * kv) + 6 * hp.nEmbd * hiddenUnits(hp) + 4 * hp.nEmbd * (hp.experts?.count ?? 0);
  const perPair = ATTENTION_PAIR_WEIGHT * 4 * q;
  const S = slotLength(units);
  const tokens = units.reduce((n, u) => n + unitLength(u), 0);
  return hp.nLayer * ((tokens + PASS_TOKENS) * perToken + attentionPairs(S) * perPair * units.length);
}

/** Splits a unit's branches so each part fits the budget on its own (the prefix is repeated in each part). */
function splitUnit(hp: ModelHParams, unit: PackUnit, budget: number, maxTokens: number): PackUnit[] {
  const fits = (u: PackUnit) => estimateBytes(hp, [u]) <= budget && unitLength(u) <= maxTokens;
  if (fits(unit) || unit.branches.length <= 1) return [unit];
  const parts: PackUnit[] = [];
  let part: PackUnit = { prefix: unit.prefix, branches: [], scored: [] };
  unit.branches.forEach((b, k) => {
    const next: PackUnit = {
      prefix: unit.prefix,
      branches: [...part.branches, b],
      scored: [...part.scored, ...unit.scored.filter(([kk]) => kk === k).map(([, i]) => [part.branches.length, i] as [number, number])],
    };
    if (part.branches.length > 0 && !fits(next)) {
      parts.push(part);
      part = { prefix: unit.prefix, branches: [b], scored: unit.scored.filter(([kk]) => kk === k).map(([, i]) => [0, i] as [number, number]) };
    } else part = next;
  });
  parts.push(part);
  return parts;
}

/** Groups units into graphs within the budget, in order. */
export function planBatches(hp: ModelHParams, units: readonly PackUnit[], budget: number, maxTokens: number): PackUnit[][] {
  const batches: PackUnit[][] = [];
  let cur: PackUnit[] = [];
  for (const unit of units) {
    const trial = [...cur, unit];
    const S = Math.max(...trial.map(unitLength));
    if (cur.length > 0 && (estimateBytes(hp, trial) > budget || S * trial.length > maxTokens)) {
      batches.push(cur);
      cur = [unit];
    } else cur = trial;
  }
  if (cur.length) batches.push(cur);
  return batches;
}

function normalize(logprob: number, tokens: number, words: number, mode: Normalization): number {
  if (mode === 'token') return logprob / tokens;
  if (mode === 'word') return logprob / words;
  return logprob;
}

export async function scoreActions(model: ScoringModel, items: readonly ScoreItem[], options: ScoreOptions = {}): Promise<PromptScores[]> {
  const mode = options.normalization ?? 'word';
  if (!normalizations.includes(mode)) throw new InvalidArgumentError('INVALID_ARGUMENT', `unknown normalization "${mode}" (sum, token, word)`);
  const budget = options.memoryBudget ?? 2 ** 30;
  const maxTokens = options.maxBatchTokens ?? 8192;
  if (!(budget > 0) || !(maxTokens > 0)) throw new InvalidArgumentError('INVALID_ARGUMENT', 'memoryBudget and maxBatchTokens must be positive');
  const hp = model.hparams;
  const { units, owners } = prepareItems(model, items);

  // Split oversized prompts by action, remembering which action each part's branches are.
  const parts: PackUnit[] = [];
  const partActions: PreparedAction[][] = [];
  units.forEach((u, n) => {
    let k = 0;
    for (const part of splitUnit(hp, u, budget, maxTokens)) {
      parts.push(part);
      partActions.push(owners[n].slice(k, k + part.branches.length));
      k += part.branches.length;
    }
  });

  const sums = owners.map((o) => new Float64Array(o.length));
  let p = 0;
  for (const batch of planBatches(hp, parts, budget, maxTokens)) {
    const out = await model.evaluate(packBatch(batch));
    let r = 0;
    for (const unit of batch) {
      const acts = partActions[p++];
      for (const [k] of unit.scored) sums[acts[k].item][acts[k].action] += out[r++];
    }
  }

  return assembleScores(items, owners, sums, mode);
}

/** Per-action results from summed log-probs: normalized scores and the softmax over each prompt's actions. */
export function assembleScores(items: readonly ScoreItem[], owners: PreparedAction[][], sums: ArrayLike<number>[], mode: Normalization): PromptScores[] {
  return items.map((item, n) => {
    const scored = item.actions.map((action, k) => {
      const tokenIds = owners[n][k].tokenIds;
      const words = action.trim().split(/\s+/).length;
      const logprob = sums[n][k];
      return { action, logprob, tokenIds, tokens: tokenIds.length, words, score: normalize(logprob, tokenIds.length, words, mode), probability: 0 };
    });
    const max = Math.max(...scored.map((s) => s.score));
    const z = scored.reduce((a, s) => a + Math.exp(s.score - max), 0);
    for (const s of scored) s.probability = Math.exp(s.score - max) / z;
    return { prompt: item.prompt, actions: scored };
  });
}
