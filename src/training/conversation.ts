/**
 * ETO's trajectory data: `[{id, conversations: [{from: "human"|"gpt", value}]}]`, turned into token sequences with the
 * agent (`gpt`) turns marked for the loss, in the chat layout of the model's family (see {@link chatLayout}). Each
 * piece is tokenized on its own and concatenated, so the marked span is exactly the agent's text plus its end token.
 */
import { readFileSync } from 'node:fs';
import type { ChatTurn } from '../../envs/core/chat.js';
import { InvalidArgumentError } from '../errors.js';
import type { Model } from '../model.js';
import type { MarkedSequence } from './llm-policy.js';

export type Turn = ChatTurn;

export interface Trajectory {
  id: string;
  conversations: Turn[];
  /** The episode's final reward, where known (WebShop experts, explored episodes); ETO-format data has none. */
  reward?: number;
}

/** Opening turns of an ETO conversation, before the agent's first reply: instruction, "OK", task. */
export const OPENING_TURNS = 3;

/** The agent's replies after the opening turns. */
export function agentReplies(t: Trajectory): string[] {
  return t.conversations.slice(OPENING_TURNS).filter((turn) => turn.from === 'gpt').map((turn) => turn.value);
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

/**
 * Training data from several trajectory sets (experts and explored episodes, for rejection-sampling fine-tuning):
 * those whose reward reaches `minReward` (a trajectory without one is an expert's, reward 1), each distinct
 * conversation of a task once (a greedy agent often replays the expert's).
 */
export function selectTrajectories(sets: readonly (readonly Trajectory[])[], minReward = -Infinity): Trajectory[] {
  const seen = new Set<string>();
  const out: Trajectory[] = [];
  for (const t of sets.flat()) {
    const key = JSON.stringify([t.id, t.conversations.map((turn) => [turn.from, turn.value])]);
    if ((t.reward ?? 1) < minReward || seen.has(key)) continue;
    seen.add(key);
    out.push(t);
  }
  return out;
}

/** Tokens of a conversation with its agent turns marked. Throws when it does not fit the model's context. */
export function encodeConversation(model: Model, turns: readonly Turn[], firstMarkedTurn = 0): MarkedSequence {
  const seq = conversationTokens(model, turns, firstMarkedTurn);
  model.checkLength(seq.tokens.length);
  return seq;
}

/**
 * How conversations are laid out in tokens. `llama2` is Llama-2-chat's (ETO's base model), and what any vocabulary
 * without Llama 3's chat tokens gets; `llama3` is Llama 3's, used where the vocabulary has its header and end-of-turn
 * tokens (Llama 3 models, base or instruct):
 *   llama2: <s>[INST] human [/INST] gpt </s><s>[INST] human [/INST] gpt </s>...
 *   llama3: <|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhuman<|eot_id|>
 *           <|start_header_id|>assistant<|end_header_id|>\n\ngpt<|eot_id|>...
 */
export type ChatLayout = 'llama2' | 'llama3';

/** Llama 3's turn pieces in a vocabulary's tokens: the role headers, and the end of a turn. */
interface Llama3Turns {
  user: number[];
  assistant: number[];
  endOfTurn: number;
}

// Per model, read once: Llama 3's turn pieces, or null where the vocabulary lacks its chat tokens.
const llama3Turns = new WeakMap<Model, Llama3Turns | null>();

function llama3TurnsOf(model: Model): Llama3Turns | null {
  let turns = llama3Turns.get(model);
  if (turns === undefined) {
    const ids = ['<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>'].map((t) => model.tokenize(t, { special: true }));
    if (ids.every((t) => t.length === 1)) {
      const [[start], [end], [endOfTurn]] = ids;
      const header = (role: string) => [start, ...model.tokenize(role), end, ...model.tokenize('\n\n')];
      turns = { user: header('user'), assistant: header('assistant'), endOfTurn };
    } else {
      turns = null;
    }
    llama3Turns.set(model, turns);
  }
  return turns;
}

/** The chat layout of the model's vocabulary (see {@link ChatLayout}). */
export function chatLayout(model: Model): ChatLayout {
  return llama3TurnsOf(model) ? 'llama3' : 'llama2';
}

/**
 * Tokens of a conversation (see {@link ChatLayout}), agent turns from `firstMarkedTurn` on marked: each reply's text
 * and the token that ends it. A conversation that ends with a human turn ends with the prompt for the agent's next
 * reply (`[/INST]`, or Llama 3's assistant header).
 */
export function conversationTokens(model: Model, turns: readonly Turn[], firstMarkedTurn = 0): MarkedSequence {
  const tokens: number[] = [model.bosToken];
  const marked: boolean[] = [false];
  const push = (ids: number[], mark: boolean) => {
    tokens.push(...ids);
    for (const _ of ids) marked.push(mark);
  };
  const llama3 = llama3TurnsOf(model);
  if (llama3) {
    turns.forEach((turn, k) => {
      if (turn.from === 'human') {
        push([...llama3.user, ...model.tokenize(turn.value.trim()), llama3.endOfTurn], false);
      } else {
        push(llama3.assistant, false);
        push([...model.tokenize(turn.value.trim()), llama3.endOfTurn], k >= firstMarkedTurn);
      }
    });
    if (turns.at(-1)?.from === 'human') push(llama3.assistant, false);
    return { tokens, marked };
  }
  turns.forEach((turn, k) => {
    if (turn.from === 'human') {
      if (k > 0) push([model.bosToken], false);
      push(model.tokenize(`[INST] ${turn.value.trim()} [/INST]`), false);
    } else {
      push([...model.tokenize(` ${turn.value.trim()} `), model.eosToken], k >= firstMarkedTurn);
    }
  });
  return { tokens, marked };
}
