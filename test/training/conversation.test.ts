// Conversations in tokens: Llama-2-chat's layout for SentencePiece LLaMA vocabularies, Llama 3's where the vocabulary
// has its chat tokens, a model file's own Jinja template, and llama.cpp's templates by name; each checked against
// node-llama-cpp's tokenization of the layout written out by hand. The loss marks replies and their end tokens only,
// and cloned agents end their replies with the template's end token.
import t, { type Test } from 'tap';
import { InvalidArgumentError } from '../../src/errors.js';
import { loadModel } from '../../src/model.js';
import { chatTextTokens, renderChat } from '../../src/chat-template.js';
import { conversationTokens, prefixTokenizer, type Turn } from '../../src/training/conversation.js';
import { sft } from '../../src/training/sft.js';
import { tempPath, testModel } from '../helpers/models.js';
import { referenceModel } from '../helpers/reference.js';

const turns: Turn[] = [
  { from: 'human', value: 'You are in a kitchen. Your task is to: heat an egg.' },
  { from: 'gpt', value: 'Thought: I need an egg.\nAction: go to fridge 1' },
  { from: 'human', value: 'Observation: The fridge 1 is closed.' },
];
const marks = (marked: boolean[]) => marked.map((m) => (m ? 1 : 0)).join('');

t.test("SentencePiece vocabulary: Llama-2-chat's template, the reply and its EOS marked", async (t) => {
  const u = (k: number) => turns[k].value;
  const pieces = [`<s>[INST] ${u(0)} [/INST]`, ` ${u(1)} </s>`, `<s>[INST] ${u(2)} [/INST]`];
  const { model } = await checkLayout(t, await testModel(), undefined, pieces);
  t.match(model.chatTemplate, { name: 'llama2', source: 'vocabulary' });
  t.test('replies before firstMarkedTurn are context', (t) => checkLayout(t, model.path, undefined, pieces, 2));
});

t.test("Llama 3 vocabulary: Llama 3's layout, as node-llama-cpp tokenizes the template's text", async (t) => {
  const path = await testModel({ vocab: 'bpe' });
  const model = await loadModel(path, { threads: 2 });
  const ref = await referenceModel(path);
  t.teardown(async () => {
    await ref.dispose();
    await model.dispose();
  });
  t.match(model.chatTemplate, { name: 'llama3', source: 'vocabulary' });
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

// Chat templates of real instruct models (from their tokenizer_config.json), as their GGUF files carry them.
const mistralInstruct =
  "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
  "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}" +
  "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";
const tinyLlamaChat =
  "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n" +
  "{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n" +
  "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

/**
 * Checks a conversation's tokens against node-llama-cpp's tokenization (special tokens parsed) of the text the
 * template should write, given as pieces: [prompt, reply, ..., prompt]; each reply piece is marked, the rest not.
 */
async function checkLayout(t: Test, path: string, chatTemplate: string | undefined, pieces: string[], firstMarkedTurn = 0) {
  const model = await loadModel(path, { threads: 2, chatTemplate });
  const ref = await referenceModel(path);
  t.teardown(async () => {
    await ref.dispose();
    await model.dispose();
  });
  const tok = (text: string) => Array.from(ref.tokenize(text, true), Number);
  const seq = conversationTokens(model, turns, firstMarkedTurn);
  t.same(seq.tokens, tok(pieces.join('')), 'the tokens of the whole text');
  let expected = '';
  pieces.forEach((_, i) => {
    const before = tok(pieces.slice(0, i).join('')).length;
    const after = tok(pieces.slice(0, i + 1).join('')).length;
    expected += (i % 2 === 1 && i >= firstMarkedTurn ? '1' : '0').repeat(after - before);
  });
  t.equal(marks(seq.marked), expected, 'replies and their end marked');
  return { model, seq };
}

t.test("a model file's Jinja template (Mistral-Instruct's): written as Hugging Face renders it", async (t) => {
  const path = await testModel({ chatTemplate: mistralInstruct });
  const u = (k: number) => turns[k].value;
  const { model } = await checkLayout(t, path, undefined, [`<s>[INST] ${u(0)} [/INST]`, `${u(1)}</s>`, `[INST] ${u(2)} [/INST]`]);
  t.match(model.chatTemplate, { name: 'gguf', source: 'gguf' });
  t.equal(model.ggufChatTemplate, mistralInstruct);
  t.throws(() => conversationTokens(model, [turns[0], turns[2]]), { name: 'InvalidArgumentError', code: 'CHAT_TEMPLATE', message: /Conversation roles must alternate/ });
  t.test('replies before firstMarkedTurn are context', (t) => checkLayout(t, path, 'gguf', [`<s>[INST] ${u(0)} [/INST]`, `${u(1)}</s>`, `[INST] ${u(2)} [/INST]`], 2));
});

t.test("a model file's Jinja template (TinyLlama-Chat's, Zephyr's layout)", async (t) => {
  const u = (k: number) => turns[k].value;
  await checkLayout(t, await testModel({ chatTemplate: tinyLlamaChat }), undefined, [
    `<s><|user|>\n${u(0)}</s>\n<|assistant|>\n`,
    `${u(1)}</s>`,
    `\n<|user|>\n${u(2)}</s>\n<|assistant|>\n`,
  ]);
});

t.test("a llama.cpp template by name (ChatML), where the vocabulary has no end-of-turn token: marked to the turn's end", async (t) => {
  const u = (k: number) => turns[k].value;
  const { model } = await checkLayout(t, await testModel(), 'chatml', [
    `<s><|im_start|>user\n${u(0)}<|im_end|>\n<|im_start|>assistant\n`,
    `${u(1)}<|im_end|>\n`,
    `<|im_start|>user\n${u(2)}<|im_end|>\n<|im_start|>assistant\n`,
  ]);
  t.match(model.chatTemplate, { name: 'chatml', source: 'option' });
});

t.test('a template that writes a reply one way alone and another once later turns follow is refused', async (t) => {
  const lastOnly = "{% for m in messages %}{% if loop.last %}{{ m['content'] }}{% else %}{{ m['role'] }}: ...\n{% endif %}{% endfor %}";
  const model = await loadModel(await testModel({ chatTemplate: lastOnly }), { threads: 1 });
  t.teardown(() => model.dispose());
  t.throws(() => conversationTokens(model, turns), { name: 'InvalidArgumentError', code: 'CHAT_TEMPLATE', message: /writes reply 1 differently once later turns follow/ });
  t.ok(conversationTokens(model, turns, turns.length).tokens.length > 1, 'a prompt, with nothing to mark, is fine');
});

t.test('template options: unknown names and a missing file template are refused before loading', async (t) => {
  const path = await testModel();
  await t.rejects(loadModel(path, { chatTemplate: 'nonesuch' }), { name: 'InvalidArgumentError', code: 'UNKNOWN_CHAT_TEMPLATE', message: /"nonesuch" \(auto, .*chatml.*gguf.*llama2.*zephyr/ });
  await t.rejects(loadModel(path, { chatTemplate: 'gguf' }), new InvalidArgumentError('UNKNOWN_CHAT_TEMPLATE', 'the model file has no chat template (tokenizer.chat_template)'));
});

t.test("an agent cloned under a file's template says its reply and stops at the template's end token", async (t) => {
  const model = await loadModel(await testModel({ vocab: 'bpe', chatTemplate: mistralInstruct }), { threads: 2 });
  t.teardown(() => model.dispose());
  const { policy } = await sft({ model, data: [{ id: 'one', conversations: turns.slice(0, 2) }], out: tempPath('sft-mistral'), steps: 80, batch: 1, lr: 1e-2, seed: 1 });
  t.teardown(() => policy.dispose());
  const [g] = await policy.generate([conversationTokens(model, turns.slice(0, 1)).tokens], { maxTokens: 64 });
  t.equal(g.text, turns[1].value);
  t.equal(g.finishReason, 'eos');
});

t.test("prefixes tokenized from the whole text's tokens are those of the prefix tokenized whole", async (t) => {
  const replies = ['Thought: the egg is in the fridge.\nAction: go to fridge 1', ' Action:  open fridge 1 ', 'Action: take egg 1 from fridge 1\n\n', 'Thought: ünïcode — ok.\nAction: heat egg 1 with microwave 1'];
  const long: Turn[] = [];
  replies.forEach((r, i) => long.push({ from: 'human', value: `Observation: step ${i}, you see a shelf 1, a drawer 2 and </s> text.` }, { from: 'gpt', value: r }));
  const cases: [Parameters<typeof testModel>[0], string | undefined][] = [
    [{}, undefined],
    [{ chatTemplate: mistralInstruct }, undefined],
    [{ chatTemplate: tinyLlamaChat }, undefined],
    [{}, 'chatml'],
    [{ vocab: 'bpe' }, undefined],
    [{ vocab: 'bpe' }, 'mistral-v7'],
  ];
  for (const [options, chatTemplate] of cases) {
    const model = await loadModel(await testModel(options), { threads: 1, chatTemplate });
    const messages = long.map((m) => ({ role: m.from === 'human' ? ('user' as const) : ('assistant' as const), content: m.value.trim() }));
    const text = prefixTokenizer(model, renderChat(model, messages, false));
    let same = 0;
    for (let n = 1; n <= messages.length; n++) {
      for (const add of [false, true]) {
        const prefix = renderChat(model, messages.slice(0, n), add);
        if (JSON.stringify(text.tokensOf(prefix)) === JSON.stringify(chatTextTokens(model, prefix))) same++;
      }
    }
    t.equal(same, 2 * messages.length, `${model.chatTemplate.name} on ${model.vocab}`);
    await model.dispose();
  }
});
