/**
 * Conversation encoding benchmark: what SFT and DPO spend laying out ETO trajectories in tokens, per chat template.
 * The household expert's conversations of N generated games are written in each template and tokenized with their
 * replies marked (`conversationTokens`); the peer is the same marking with every prefix of a conversation tokenized
 * whole. Both run interleaved in one process; the ratio is the figure to compare across machines.
 * Usage: node dist/bench/conversations/main.js [--games 50] [--rounds 3] [--json]
 */
import { householdGames } from '../../envs/chat-tasks.js';
import { TwPddlGame } from '../../envs/household/game.js';
import { chatTextTokens, renderChat, type ChatMessage } from '../../src/chat-template.js';
import { expertConversation } from '../../src/cli/experts/household.js';
import { loadModel, type Model } from '../../src/model.js';
import { conversationTokens, type Turn } from '../../src/training/conversation.js';
import { makeModel } from '../../src/make-model.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const nGames = arg('games', 50);
const rounds = arg('rounds', 3);

const conversations: Turn[][] = [];
for (const g of householdGames('household/mixed', 'train', 1)) {
  if (conversations.length >= nGames) break;
  const c = g.task && expertConversation(g.id, new TwPddlGame(g.game), g.task);
  if (c) conversations.push(c.conversations);
}

/** The peer: every prefix that marking needs, tokenized whole. */
function wholePrefixes(model: Model, turns: Turn[]): number {
  const messages: ChatMessage[] = turns.map((t) => ({ role: t.from === 'human' ? 'user' : 'assistant', content: t.value.trim() }));
  let n = chatTextTokens(model, renderChat(model, messages, false)).length;
  messages.forEach((m, k) => {
    if (m.role === 'assistant') n += chatTextTokens(model, renderChat(model, messages.slice(0, k), true)).length + chatTextTokens(model, renderChat(model, messages.slice(0, k + 1), false)).length;
  });
  return n;
}

const mistralInstruct =
  "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}" +
  "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% endif %}{% endfor %}";
const spm = join(tmpdir(), 'rl-ggml-bench-conversations-spm.gguf');
const bpe = join(tmpdir(), 'rl-ggml-bench-conversations-bpe.gguf');
await makeModel({ out: spm, layers: 1, embd: 32, heads: 2, ff: 64, chatTemplate: mistralInstruct });
await makeModel({ out: bpe, vocab: 'bpe', layers: 1, embd: 32, heads: 2, ff: 64 });
const setups: [string, string, string | undefined][] = [
  ['llama2', spm, 'llama2'],
  ['gguf (Mistral-Instruct)', spm, undefined],
  ['chatml (no special tokens in the vocabulary)', spm, 'chatml'],
  ['llama3', bpe, undefined],
];

const results = [];
for (const [label, path, chatTemplate] of setups) {
  const model = await loadModel(path, { threads: 1, chatTemplate });
  const times = { encode: [] as number[], whole: [] as number[] };
  let tokens = 0;
  for (let r = 0; r < rounds; r++) {
    let t0 = performance.now();
    tokens = 0;
    for (const c of conversations) tokens += conversationTokens(model, c).tokens.length;
    times.encode.push(performance.now() - t0);
    t0 = performance.now();
    for (const c of conversations) wholePrefixes(model, c);
    times.whole.push(performance.now() - t0);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const perConversation = (xs: number[]) => Number((median(xs) / conversations.length).toFixed(2));
  results.push({
    template: label,
    msPerConversation: perConversation(times.encode),
    wholePrefixesMsPerConversation: perConversation(times.whole),
    speedup: Number((median(times.whole) / median(times.encode)).toFixed(2)),
    tokensPerConversation: Math.round(tokens / conversations.length),
  });
  await model.dispose();
}
const turns = conversations.reduce((a, c) => a + c.length, 0) / conversations.length;
if (process.argv.includes('--json')) console.log(JSON.stringify({ conversations: conversations.length, meanTurns: Number(turns.toFixed(1)), results }));
else {
  console.log(`${conversations.length} household expert conversations, ${turns.toFixed(1)} turns on average`);
  for (const r of results) {
    console.log(`${r.template.padEnd(46)} ${r.msPerConversation} ms/conversation (${r.tokensPerConversation} tokens); every prefix whole: ${r.wholePrefixesMsPerConversation} ms (${r.speedup}x)`);
  }
}
