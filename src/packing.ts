/**
 * Packed batches: many token sequences that share prefixes, laid out for one forward graph.
 *
 * A *unit* is one shared prefix plus branches (a prompt and its actions, or a whole conversation as a prefix with no
 * branches). Each unit occupies one group slot of the graph: `[prefix | branch 1 | branch 2 | ...]`, padded to the
 * longest unit of the batch. Branch positions restart right after the prefix; a branch sees the prefix and its own
 * earlier tokens only. Scored tokens name the hidden state that predicts them.
 */
import type { NativeBatch } from './native.js';

export interface PackUnit {
  /** Tokens every branch sees (starts with BOS). */
  prefix: number[];
  branches: number[][];
  /**
   * Tokens whose log-probs are read, as [branch index or -1 for the prefix, index within it]. A scored token at
   * index 0 of a branch is predicted by the last prefix token.
   */
  scored: [number, number][];
}

/** Token count of a unit in the packed layout. */
export function unitLength(u: PackUnit): number {
  return u.prefix.length + u.branches.reduce((n, b) => n + b.length, 0);
}

/** Longest position a unit uses + 1: what must fit the model's context. */
export function unitSpan(u: PackUnit): number {
  return u.prefix.length + Math.max(0, ...u.branches.map((b) => b.length));
}

/** Group slots are padded to a multiple of this: ggml's fast f32 GEMM needs contractions over tokens in 16s. */
const SLOT_ALIGN = 16;

/** Tokens per group slot when `units` share one batch: the longest unit, rounded up to SLOT_ALIGN. */
export function slotLength(units: readonly PackUnit[]): number {
  return Math.ceil(Math.max(...units.map(unitLength)) / SLOT_ALIGN) * SLOT_ALIGN;
}

/** Lays out units as one native batch; results come back in the order of the units' `scored` lists. */
export function packBatch(units: readonly PackUnit[]): NativeBatch {
  const slot = slotLength(units);
  const n = slot * units.length;
  const tokens = new Int32Array(n);
  const positions = new Int32Array(n);
  const branch = new Int32Array(n).fill(-2);
  const outRows: number[] = [];
  const outTargets: number[] = [];
  units.forEach((u, g) => {
    const base = g * slot;
    const P = u.prefix.length;
    u.prefix.forEach((t, i) => {
      tokens[base + i] = t;
      positions[base + i] = i;
      branch[base + i] = -1;
    });
    const starts: number[] = [];
    let at = base + P;
    u.branches.forEach((b, k) => {
      starts.push(at);
      b.forEach((t, i) => {
        tokens[at + i] = t;
        positions[at + i] = P + i;
        branch[at + i] = k;
      });
      at += b.length;
    });
    for (; at < base + slot; at++) positions[at] = 0; // padding (token 0 is a valid id; it attends to itself only)
    for (const [k, i] of u.scored) {
      if (k < 0) {
        outRows.push(base + i - 1);
        outTargets.push(u.prefix[i]);
      } else {
        outRows.push(i === 0 ? base + P - 1 : starts[k] + i - 1);
        outTargets.push(u.branches[k][i]);
      }
    }
  });
  return { tokens, positions, branch, nGroups: units.length, outRows: Int32Array.from(outRows), outTargets: Int32Array.from(outTargets) };
}

/** Marked-token sequences (SFT/DPO): a token list and which of its tokens count. */
export interface MarkedSequence {
  tokens: number[];
  /** marked[i]: token i (i >= 1) counts towards the sequence's log-prob. */
  marked: boolean[];
}

export interface PackedSequences {
  units: PackUnit[];
  /** For each scored token, in the order packBatch returns them: the sequences whose sums it enters. */
  owners: number[][];
}

/**
 * Sequences as units. Consecutive sequences that share a beginning (a DPO pair's prompt, the instruction every SFT
 * conversation opens with) become one unit: the shared tokens as its prefix, computed once, and the rest of each as a
 * branch; a marked token of the prefix counts for every sequence that marks it. A sequence joins the unit before it
 * when `cost` (of the whole list of units) says that is cheaper: sharing saves the prefix's tokens, but a longer slot
 * costs attention over it in every group of the graph. With `chunk`, only sequences of the same run of `chunk` (a DPO
 * pair's two sides) share, so that a sequence is packed alike whatever its neighbours.
 */
export function packSequences(seqs: readonly MarkedSequence[], cost: (units: readonly PackUnit[]) => number, chunk = Infinity): PackedSequences {
  const packed: { members: number[]; unit: PackUnit; owners: number[][] }[] = [];
  for (let i = 0; i < seqs.length; i++) {
    const alone = { members: [i], ...sharedUnit(seqs, [i]) };
    const last = packed.at(-1);
    if (last && Math.floor(last.members[0] / chunk) === Math.floor(i / chunk)) {
      const joined = { members: [...last.members, i], ...sharedUnit(seqs, [...last.members, i]) };
      const before = packed.slice(0, -1).map((p) => p.unit);
      if (cost([...before, joined.unit]) < cost([...before, last.unit, alone.unit])) {
        packed[packed.length - 1] = joined;
        continue;
      }
    }
    packed.push(alone);
  }
  return { units: packed.map((p) => p.unit), owners: packed.flatMap((p) => p.owners) };
}

/** One unit of the sequences `members`: their common beginning as the prefix (all of a lone sequence), the rest as branches. */
function sharedUnit(seqs: readonly MarkedSequence[], members: readonly number[]): { unit: PackUnit; owners: number[][] } {
  const first = seqs[members[0]].tokens;
  let P = first.length;
  for (const m of members.slice(1)) {
    const t = seqs[m].tokens;
    let p = 0;
    while (p < P && p < t.length && t[p] === first[p]) p++;
    P = p;
  }
  const scored: [number, number][] = [];
  const owners: number[][] = [];
  for (let i = 1; i < P; i++) {
    const by = members.filter((m) => seqs[m].marked[i]);
    if (by.length === 0) continue;
    scored.push([-1, i]);
    owners.push(by);
  }
  const branches = members.length === 1 ? [] : members.map((m) => seqs[m].tokens.slice(P));
  if (members.length > 1) {
    members.forEach((m, k) => {
      seqs[m].marked.forEach((on, i) => {
        if (on && i >= Math.max(P, 1)) {
          scored.push([k, i - P]);
          owners.push([m]);
        }
      });
    });
  }
  return { unit: { prefix: first.slice(0, P), branches, scored }, owners };
}
