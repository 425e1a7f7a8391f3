import { writeFileSync } from 'node:fs';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { tempPath, testModel } from '../helpers/models.js';

t.test('make-model, info and logprobs', async (t) => {
  const out = tempPath('cli.gguf');
  const made = runCli(['make-model', '--out', out, '--layers', '1', '--embd', '32', '--heads', '2', '--ff', '64', '--tied', '--json']);
  t.equal(made.status, 0, made.stderr);
  t.same(JSON.parse(made.stdout).out, out);

  const info = runCli(['info', '--model', out, '--json']);
  t.equal(info.status, 0, info.stderr);
  const summary = JSON.parse(info.stdout);
  t.match(summary, { architecture: 'llama', vocab: 'spm', nLayer: 1, nEmbd: 32, nHead: 2, nHeadKv: 2, nFf: 64, tiedOutput: true, tensorTypes: { f32: 11 } });
  t.notOk(summary.tensors.some((x: { name: string }) => x.name === 'output.weight'));
  t.match(runCli(['info', '--model', out]).stdout, /vocabulary\s+spm \(32000 tokens\)/);

  const lp = runCli(['logprobs', '--model', out, '--text', 'Hello world', '--json']);
  t.equal(lp.status, 0, lp.stderr);
  const r = JSON.parse(lp.stdout);
  t.same(r.tokens, [1, 15043, 3186]);
  t.same(r.pieces, ['<s>', ' Hello', ' world']);
  t.equal(r.logprobs[0], null);
  t.ok(Math.abs(r.total - (r.logprobs[1] + r.logprobs[2])) < 1e-9);
  t.match(runCli(['logprobs', '--model', out, '--text', 'Hello world']).stdout, /total log-prob -\d+\.\d+ over 2 predicted tokens/);
});

t.test("chat templates: make-model writes one, info shows the one in use, --chat-template picks another, --chat-template-kwargs sets its variables", async (t) => {
  const template = tempPath('chatml.jinja');
  writeFileSync(template, "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}");
  const out = tempPath('cli-chat.gguf');
  const made = runCli(['make-model', '--out', out, '--layers', '1', '--embd', '32', '--heads', '2', '--ff', '64', '--chat-template', template]);
  t.equal(made.status, 0, made.stderr);
  t.match(JSON.parse(runCli(['info', '--model', out, '--json']).stdout).chatTemplate, { name: 'gguf', source: 'gguf' });
  t.match(runCli(['info', '--model', out]).stdout, /chat template gguf \(the model file's own Jinja template\)/);
  t.match(runCli(['info', '--model', out, '--chat-template', 'zephyr']).stdout, /chat template zephyr \(chosen by --chat-template\)/);
  t.match(runCli(['info', '--model', tempPath('cli.gguf')]).stdout, /chat template llama2 \(the vocabulary's family; the file has no template\)/);
  const bad = runCli(['info', '--model', out, '--chat-template', 'nonesuch']);
  t.equal(bad.status, 1);
  t.match(bad.stderr, /^rl-ggml: unknown chat template "nonesuch" \(auto, /);
  t.match(runCli(['info', '--model', out, '--chat-template-kwargs', '{"enable_thinking": false}']).stdout, /chat template gguf \{"enable_thinking":false\} \(the model file's own/);
  const notJson = runCli(['info', '--model', out, '--chat-template-kwargs', '{enable_thinking: false}']);
  t.equal(notJson.status, 1);
  t.match(notJson.stderr, /^rl-ggml: --chat-template-kwargs is not JSON/);
  t.match(runCli(['info', '--model', out, '--chat-template-kwargs', '[1]']).stderr, /must be a JSON object/);
  t.match(runCli(['info', '--model', out, '--chat-template', 'zephyr', '--chat-template-kwargs', '{"a": 1}']).stderr, /"zephyr" is a layout llama.cpp writes by name, which reads none/);
  const missing = runCli(['make-model', '--out', tempPath('y.gguf'), '--chat-template', tempPath('none.jinja')]);
  t.equal(missing.status, 1);
  t.match(missing.stderr, /cannot read the chat template .*none\.jinja/);
});

t.test('make-model writes RoPE scaling, and info shows it', async (t) => {
  const out = tempPath('cli-yarn.gguf');
  const made = runCli(['make-model', '--out', out, '--layers', '1', '--embd', '32', '--heads', '2', '--ff', '64', '--rope-scaling', 'yarn', '--rope-factor', '8', '--rope-original-ctx', '512']);
  t.equal(made.status, 0, made.stderr);
  t.match(runCli(['info', '--model', out]).stdout, /rope {10}base 10000, dims 16, yarn scaling ×8/);
  t.match(JSON.parse(runCli(['info', '--model', out, '--json']).stdout), { ropeScaling: 'yarn', ropeFreqScale: 0.125 });
  const bad = runCli(['make-model', '--out', tempPath('y.gguf'), '--rope-scaling', 'linear', '--rope-factor', '0.5']);
  t.equal(bad.status, 1);
  t.match(bad.stderr, /the RoPE scaling factor must be at least 1/);
});

t.test("make-model writes Gemma 2's soft caps, Phi-3's fused projections, Granite's multipliers and Mistral 3's temperature, and info shows them", async (t) => {
  const gemma2 = tempPath('cli-gemma2.gguf');
  const made = runCli(['make-model', '--out', gemma2, '--arch', 'gemma2', '--vocab', 'spm', '--layers', '2', '--attn-softcap', '20', '--window', '64']);
  t.equal(made.status, 0, made.stderr);
  const info = runCli(['info', '--model', gemma2]).stdout;
  t.match(info, /soft caps {5}20 on attention scores, 30 on output logits/);
  t.match(info, /output {8}tied to token embedding/);
  const phi3 = tempPath('cli-phi3.gguf');
  t.equal(runCli(['make-model', '--out', phi3, '--arch', 'phi3', '--layers', '1', '--rope-freqs', '--ctx', '2048']).status, 0);
  const phiInfo = runCli(['info', '--model', phi3]).stdout;
  t.match(phiInfo, /projections {3}fused: q, k, v \(LoRA target qkv\); gate, up \(LoRA target up\)/);
  t.match(phiInfo, /context {7}512\n/, "LongRoPE's original context");
  t.match(phiInfo, /vocabulary {4}spm \(32064 tokens\)/);
  const granite = tempPath('cli-granite.gguf');
  t.equal(runCli(['make-model', '--out', granite, '--arch', 'granite', '--layers', '1', '--no-rope', '--biases']).status, 0);
  t.match(runCli(['info', '--model', granite]).stdout, /multipliers {3}embeddings ×12, residual ×0.22, scores ×0.0625, logits ÷8; no RoPE/);
  const mistral3 = tempPath('cli-mistral3.gguf');
  t.equal(runCli(['make-model', '--out', mistral3, '--arch', 'mistral3', '--layers', '1', '--attn-temperature', '0.1', '--rope-scaling', 'yarn', '--rope-original-ctx', '256']).status, 0);
  t.match(runCli(['info', '--model', mistral3]).stdout, /temperature {3}queries × 1 \+ 0.1·log\(1 \+ ⌊position \/ original context⌋\)/);
  const bad = runCli(['make-model', '--out', tempPath('z.gguf'), '--arch', 'llama', '--final-softcap', '10']);
  t.equal(bad.status, 1);
  t.match(bad.stderr, /llama has no soft caps \(gemma2 has\)/);
});

t.test('score', async (t) => {
  const out = tempPath('cli.gguf');
  const r = runCli(['score', '--model', out, '--prompt', 'Your next step is to', '--action', 'pick up the tomato', '--action', 'serve the dish', '--norm', 'token', '--json']);
  t.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  t.equal(s.normalization, 'token');
  t.same(s.actions.map((a: { action: string }) => a.action), ['pick up the tomato', 'serve the dish']);
  t.ok(Math.abs(s.actions[0].probability + s.actions[1].probability - 1) < 1e-9);
  t.equal(s.actions[0].score, s.actions[0].logprob / s.actions[0].tokens);
  t.match(runCli(['score', '--model', out, '--prompt', 'Go', '--action', 'north']).stdout, /north\s+-\d+\.\d+\s+\d+\s+1\s+-\d+\.\d+\s+1\.000000/);
});

t.test('errors are one clear line and exit code 1', async (t) => {
  const r = runCli(['info', '--model', tempPath('nope.gguf')]);
  t.equal(r.status, 1);
  t.match(r.stderr, /^rl-ggml: model file not found: /);
  const bad = runCli(['make-model', '--out', tempPath('x.gguf'), '--type', 'q9_9']);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /Invalid values/);
});

t.test('--help everywhere', async (t) => {
  for (const cmd of [[], ['make-model'], ['info'], ['logprobs'], ['score'], ['sft'], ['explore'], ['eto'], ['env', 'list'], ['play'], ['experts']]) {
    const r = runCli([...cmd, '--help']);
    t.equal(r.status, 0, `${cmd.join(' ')} --help`);
    t.match(r.stdout, /rl-ggml/);
  }
});

t.test('generate: greedy continuations as text or JSON lines, on a chosen device', async (t) => {
  const path = await testModel();
  const json = runCli(['generate', '--model', path, '--prompt', 'Hello', '--prompt', 'You are in the kitchen.', '--max-tokens', '4', '--device', 'cpu', '--json']);
  t.equal(json.status, 0, json.stderr);
  const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { prompt: string; tokens: number[]; logprobs: number[]; finishReason: string });
  t.same(lines.map((l) => l.prompt), ['Hello', 'You are in the kitchen.']);
  for (const l of lines) t.ok(l.tokens.length === l.logprobs.length && (l.finishReason === 'length' ? l.tokens.length === 4 : l.finishReason === 'eos'));
  const text = runCli(['generate', '--model', path, '--prompt', 'Hello', '--max-tokens', '3']);
  t.equal(text.status, 0, text.stderr);
  t.match(text.stdout, /^Hello.*\[\d+ tokens, (length|eos), log-prob -?\d+\.\d{3}\]$/m);
  const bad = runCli(['generate', '--model', path, '--prompt', 'Hello', '--top-p', '0']);
  t.equal(bad.status, 1);
  t.match(bad.stderr, /topP must be in/);
});
