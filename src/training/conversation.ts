/**
 * ETO's trajectory data: `[{id, conversations: [{from: "human"|"gpt", value}]}]`, turned into token sequences with the
 * agent (`gpt`) turns marked for the loss, in Llama-2-chat's layout (ETO's base model):
 *   <s>[INST] human [/INST] gpt </s><s>[INST] human [/INST] gpt </s>...
 * Each piece is tokenized on its own and concatenated, so the marked span is exactly the agent's text plus its EOS.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../errors.js';
import type { Model } from '../model.js';
import type { MarkedSequence } from './llm-policy.js';

export interface Turn {
  from: 'human' | 'gpt';
  value: string;
}

export interface Trajectory {
  id: string;
  conversations: Turn[];
}

/** Reads and validates a trajectory file, naming the first problem it finds. */
export function readTrajectories(path: string): Trajectory[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InvalidArgumentError('BAD_DATA', `cannot read trajectories from ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(data) || data.length === 0) throw new InvalidArgumentError('BAD_DATA', `${path} must hold a non-empty JSON array of {id, conversations}`);
  data.forEach((t, n) => {
    const convs = (t as Trajectory)?.conversations;
    if (!Array.isArray(convs) || convs.length === 0) throw new InvalidArgumentError('BAD_DATA', `${path}: trajectory ${n} has no conversations`);
    convs.forEach((turn, k) => {
      if ((turn?.from !== 'human' && turn?.from !== 'gpt') || typeof turn.value !== 'string') {
        throw new InvalidArgumentError('BAD_DATA', `${path}: trajectory ${n}, turn ${k} must be {from: "human"|"gpt", value: string}`);
      }
    });
    if (!convs.some((turn: Turn) => turn.from === 'gpt')) throw new InvalidArgumentError('BAD_DATA', `${path}: trajectory ${n} has no gpt turn to learn from`);
  });
  return data as Trajectory[];
}

/** Tokens of a conversation with its agent turns marked. Throws when it does not fit the model's context. */
export function encodeConversation(model: Model, turns: readonly Turn[]): MarkedSequence {
  const tokens: number[] = [];
  const marked: boolean[] = [];
  const push = (ids: number[], mark: boolean) => {
    tokens.push(...ids);
    for (const _ of ids) marked.push(mark);
  };
  for (const turn of turns) {
    if (turn.from === 'human') {
      push([model.bosToken], false);
      push(model.tokenize(`[INST] ${turn.value.trim()} [/INST]`), false);
    } else {
      push(model.tokenize(` ${turn.value.trim()} `), true);
      push([model.eosToken], true);
    }
  }
  if (tokens[0] !== model.bosToken) {
    tokens.unshift(model.bosToken);
    marked.unshift(false);
  }
  model.checkLength(tokens.length);
  return { tokens, marked };
}
