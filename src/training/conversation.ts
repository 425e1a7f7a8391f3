/**
 * ETO's trajectory data: `[{id, conversations: [{from: "human"|"gpt", value}]}]`, turned into token sequences with the
 * agent (`gpt`) turns marked for the loss (the agent's text plus the token that ends it), in the model's chat
 * template.
 */
import { readFileSync } from 'node:fs';
import type { ChatTurn } from '../../envs/core/chat.js';
import { chatTextTokens, renderChat, type ChatMessage } from '../chat-template.js';
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
 * Tokens of a conversation in the model's chat template (`model.chatTemplate`, see src/chat-template.ts): the whole
 * text, tokenized with its special tokens, agent turns from `firstMarkedTurn` on marked. A conversation that ends
 * with a human turn ends with the opening of the agent's next reply (`[/INST]`, Llama 3's assistant header, ...).
 * Reply k's marked span starts where the tokens of the conversation up to it part from those of the prompt for it
 * (the turns before, and the reply's opening), and runs through the first token that ends a reply (`</s>`, Llama 3's
 * <|eot_id|>, ...) or, in a template that writes none, to the end of its turn. Where a template writes a
 * conversation's final reply differently from the same reply followed by more turns (Qwen3's opens it with an empty
 * think block, and in its non-thinking mode prompts every reply with one), the span is the reply as the whole
 * conversation writes it.
 */
export function conversationTokens(model: Model, turns: readonly Turn[], firstMarkedTurn = 0): MarkedSequence {
  const messages: ChatMessage[] = turns.map((t) => ({ role: t.from === 'human' ? 'user' : 'assistant', content: t.value.trim() }));
  const text = prefixTokenizer(model, renderChat(model, messages, messages.at(-1)?.role === 'user'));
  const tokensOf = (n: number, addAssistant: boolean) => text.tokensOf(renderChat(model, messages.slice(0, n), addAssistant));
  const { tokens } = text;
  const marked = tokens.map(() => false);
  // [start, end) of a reply that starts at `start` of `seq`: through its end token; without one, to the end of `seq`
  const reply = (seq: readonly number[], start: number) => {
    let end = start;
    while (end < seq.length && !model.endOfGeneration.has(seq[end])) end++;
    const ended = end < seq.length;
    return { start, end: ended ? end + 1 : end, ended };
  };
  messages.forEach((m, k) => {
    if (m.role !== 'assistant' || k < firstMarkedTurn) return;
    const prompt = tokensOf(k, true);
    const upTo = tokensOf(k + 1, false);
    const shared = commonPrefix(upTo, tokens);
    const last = reply(upTo, commonPrefix(prompt, upTo));
    // Without an end token, the turn's last token may merge with the next turn's text.
    if (shared >= last.start && shared >= last.end - (last.ended ? 0 : 1)) {
      marked.fill(true, last.start, Math.min(last.end, shared));
      return;
    }
    // The whole conversation's reply must be how the final one ends, less what that puts before it
    const own = reply(tokens, commonPrefix(prompt, tokens));
    const n = own.end - own.start;
    const endsLast = n <= last.end - last.start && tokens.slice(own.start, own.end).every((t, i) => t === upTo[last.end - n + i]);
    // and the prompt may go further only by what the template opens a final reply with (Qwen3's non-thinking mode
    // prompts every reply with the empty think block that it writes before the final one only)
    const opening = prompt.slice(own.start);
    const opensLast = own.start + opening.length === last.start && opening.every((t, i) => t === upTo[own.start + i]);
    if (!own.ended || !endsLast || (own.start + 1 < prompt.length && !opensLast)) {
      throw new InvalidArgumentError('CHAT_TEMPLATE', `the chat template "${model.chatTemplate.id}" writes reply ${k} differently once later turns follow; choose another template`);
    }
    marked.fill(true, own.start, own.end);
  });
  return { tokens, marked };
}

/**
 * The tokens of a template's text (see chatTextTokens), and those of any text, its string prefixes above all,
 * without tokenizing each prefix whole (which made a conversation's cost quadratic in its turns): llama.cpp
 * tokenizes the text after each special token that splits it (Model.splittingTokens) on its own, so a prefix's
 * tokens are the whole text's through the last such token within the prefix, then those of the rest.
 */
export function prefixTokenizer(model: Model, text: string): { tokens: number[]; tokensOf(prefix: string): number[] } {
  const tokens = chatTextTokens(model, text);
  // Each splitting token of the text (not a BOS put before it) with the text's offset after it; found on the first
  // prefix asked for (exploration's prompts ask for none).
  let cuts: { index: number; end: number }[] | undefined;
  const findCuts = () => {
    const found: { index: number; end: number }[] = [];
    let at = 0;
    for (let i = text.startsWith(model.tokenPiece(tokens[0])) ? 0 : 1; i < tokens.length; i++) {
      if (!model.splittingTokens.has(tokens[i])) continue;
      const piece = model.tokenPiece(tokens[i]);
      const from = text.indexOf(piece, at);
      if (from < 0) break;
      at = from + piece.length;
      found.push({ index: i, end: at });
    }
    return found;
  };
  return {
    tokens,
    tokensOf(prefix: string): number[] {
      cuts ??= findCuts();
      let c = text.startsWith(prefix) ? cuts.length - 1 : -1;
      while (c >= 0 && cuts[c].end > prefix.length) c--;
      if (c < 0) return chatTextTokens(model, prefix);
      return [...tokens.slice(0, cuts[c].index + 1), ...model.tokenize(prefix.slice(cuts[c].end), { special: true })];
    },
  };
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}
