// Conversations in tokens: Llama-2-chat's layout for SentencePiece LLaMA vocabularies, Llama 3's where the vocabulary
// has its chat tokens (checked against node-llama-cpp's tokenization of Llama 3's template written out as text), the
// loss marks on replies and their end tokens only, and a Llama 3 agent's reply ending at <|eot_id|>.
import t from 'tap';
import { loadModel } from '../../src/model.js';
import { chatLayout, conversationTokens, type Turn } from '../../src/training/conversation.js';
import { sft } from '../../src/training/sft.js';
import { tempPath, testModel } from '../helpers/models.js';
import { referenceModel } from '../helpers/reference.js';

const turns: Turn[] = [
  { from: 'human', value: 'You are in a kitchen. Your task is to: heat an egg.' },
  { from: 'gpt', value: 'Thought: I need an egg.\nAction: go to fridge 1' },
  { from: 'human', value: 'Observation: The fridge 1 is closed.' },
];
const marks = (marked: boolean[]) => marked.map((m) => (m ? 1 : 0)).join('');

t.test('SentencePiece vocabulary: Llama-2-chat layout, the reply and its EOS marked', async (t) => {
  const model = await loadModel(await testModel(), { threads: 2 });
  t.teardown(() => model.dispose());
  t.equal(chatLayout(model), 'llama2');
  const tok = (s: string) => model.tokenize(s);
  const reply = [...tok(` ${turns[1].value} `), model.eosToken];
  const head = [model.bosToken, ...tok(`[INST] ${turns[0].value} [/INST]`)];
  const tail = [model.bosToken, ...tok(`[INST] ${turns[2].value} [/INST]`)];
  const seq = conversationTokens(model, turns);
  t.same(seq.tokens, [...head, ...reply, ...tail]);
  t.equal(marks(seq.marked), '0'.repeat(head.length) + '1'.repeat(reply.length) + '0'.repeat(tail.length));
  t.equal(marks(conversationTokens(model, turns, 2).marked), '0'.repeat(seq.tokens.length), 'replies before firstMarkedTurn are context');
});

t.test("Llama 3 vocabulary: Llama 3's layout, as node-llama-cpp tokenizes the template's text", async (t) => {
  const path = await testModel({ vocab: 'bpe' });
  const model = await loadModel(path, { threads: 2 });
  const ref = await referenceModel(path);
  t.teardown(async () => {
    await ref.dispose();
    await model.dispose();
  });
  t.equal(chatLayout(model), 'llama3');
  const header = (role: string) => `<|start_header_id|>${role}<|end_header_id|>\n\n`;
  const text =
    `<|begin_of_text|>${header('user')}${turns[0].value}<|eot_id|>${header('assistant')}${turns[1].value}<|eot_id|>` +
    `${header('user')}${turns[2].value}<|eot_id|>${header('assistant')}`;
  const seq = conversationTokens(model, turns);
  t.same(seq.tokens, Array.from(ref.tokenize(text, true), Number), 'the same tokens as the whole template tokenized with its special tokens');
  const eot = model.tokenize('<|eot_id|>', { special: true });
  t.equal(eot.length, 1);
  t.not(eot[0], model.eosToken, "a base Llama 3 vocabulary's EOS is <|end_of_text|>, not the end of a turn");
  const reply = [...model.tokenize(turns[1].value), eot[0]];
  const start = seq.tokens.indexOf(reply[0], seq.tokens.indexOf(model.tokenize('assistant')[0]));
  t.equal(marks(seq.marked), '0'.repeat(start) + '1'.repeat(reply.length) + '0'.repeat(seq.tokens.length - start - reply.length));
  t.same(seq.tokens.slice(start, start + reply.length), reply);
});

t.test('a Llama 3 agent cloned on one reply says it and stops at <|eot_id|>', async (t) => {
  const model = await loadModel(await testModel({ vocab: 'bpe' }), { threads: 2 });
  t.teardown(() => model.dispose());
  const data = [{ id: 'one', conversations: turns.slice(0, 2) }];
  const { policy } = await sft({ model, data, out: tempPath('sft-llama3'), steps: 40, batch: 1, lr: 1e-2, seed: 1 });
  t.teardown(() => policy.dispose());
  const prompt = conversationTokens(model, turns.slice(0, 1)).tokens;
  const [g] = await policy.generate([prompt], { maxTokens: 64 });
  t.equal(g.text, turns[1].value);
  t.equal(g.finishReason, 'eos', 'ended by the end-of-turn token');
  t.notOk(g.tokens.includes(model.tokenize('<|eot_id|>', { special: true })[0]), 'which is not part of the reply');
});
