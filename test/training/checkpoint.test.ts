// Adapters in llama.cpp's format (checked by node-llama-cpp), exact checkpoint round trips, SFT, and bad input.
import t from 'tap';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chatTasks } from '../../envs/chat-tasks.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { loadModel } from '../../src/model.js';
import { readTrajectories } from '../../src/training/conversation.js';
import { explore } from '../../src/training/explore.js';
import { createPolicy, loadAdapter, loadPolicy } from '../../src/training/llm-policy.js';
import { sft } from '../../src/training/sft.js';
import { referenceLogprobTolerance } from '../helpers/device.js';
import { tempPath, testModel } from '../helpers/models.js';
import { adapterAgreement } from '../helpers/reference.js';
import { mugTrajectory } from '../helpers/trajectories.js';
import { runCli, runCliInterrupted } from '../helpers/cli.js';

const trajectories = [
  mugTrajectory,
  { id: 'b', conversations: [{ from: 'human' as const, value: 'Buy a red shirt under 20 dollars.' }, { from: 'gpt' as const, value: 'Thought: Search for it.\nAction: search[red shirt]' }] },
];
const items = [{ prompt: 'There is a tomato. Your next step is to', actions: ['pick up the tomato', 'serve the dish', 'go north'] }];

t.test('SFT overfits a few conversations, and node-llama-cpp applies the adapter as we do', async (t) => {
  const path = await testModel();
  const model = await loadModel(path, { threads: 2 });
  const out = tempPath('sft-ckpt');
  const { losses, policy } = await sft({ model, data: trajectories, out, steps: 120, lr: 3e-3, batch: 2, targets: ['q', 'v', 'o', 'up', 'down'] });
  t.teardown(async () => {
    await policy.dispose();
    await model.dispose();
  });
  t.ok(losses[0] / losses.at(-1)! > 20, `loss ${losses[0].toFixed(3)} -> ${losses.at(-1)!.toFixed(3)}`);

  const text = 'Thought: There it is.\nAction: take mug 1 from countertop 1';
  const { ours, worst, moved } = await adapterAgreement(model, policy, `${out}/adapter.gguf`, text);
  t.ok(moved > 0.5, `the adapter changes log-probs (by up to ${moved.toFixed(2)})`);
  t.ok(worst <= referenceLogprobTolerance, `node-llama-cpp with our adapter.gguf agrees to ${worst.toExponential(2)}`);

  // the CLI applies it too
  const cli = runCli(['logprobs', '--model', path, '--text', text, '--adapter', `${out}/adapter.gguf`, '--json']);
  t.equal(cli.status, 0, cli.stderr);
  t.ok(Math.abs(JSON.parse(cli.stdout).total - ours.logprobs.slice(1).reduce((a: number, b) => a + (b as number), 0)) < 1e-4);
  const applied = await loadAdapter(model, `${out}/adapter.gguf`);
  t.same((await applied.logprobs(text)).logprobs, ours.logprobs);
  await applied.dispose();
});

t.test('a checkpoint restores training exactly', async (t) => {
  const model = await loadModel(await testModel({ type: 'q8_0' }), { threads: 2 });
  const config = { lora: { rank: 4, alpha: 8, targets: ['q' as const, 'v' as const] }, valueHead: { hidden: [16, 8] }, seed: 3 };
  const a = await createPolicy(model, config);
  t.teardown(async () => {
    await a.dispose();
    await model.dispose();
  });
  const opt = { actor: { lr: 1e-2, eps: 1e-5, maxGradNorm: 0.5 }, critic: { lr: 1e-2, eps: 1e-5, maxGradNorm: 0.5 } };
  const trainStep = async (p: typeof a, k: number) => {
    const f = await p.forward(items);
    p.zeroGrad();
    await p.backward({ dLogprob: [f.scores[0].actions.map((_, i) => (i === k % 3 ? -1 : 0.3))], dValue: [f.values[0] - 1] });
    return p.step(opt);
  };
  for (let k = 0; k < 3; k++) await trainStep(a, k);
  const dir = tempPath('exact-ckpt');
  await a.save(dir, { step: 3 });
  await trainStep(a, 3);
  const { policy: b, meta } = await loadPolicy(model, dir);
  t.teardown(() => b.dispose());
  t.same(meta, { step: 3 });
  await trainStep(b, 3);
  for (const p of a.parameters()) t.same(Array.from(b.getParameter(p.name)), Array.from(a.getParameter(p.name)), `${p.name} after the next step`);
});

t.test('bad input', async (t) => {
  const model = await loadModel(await testModel(), { threads: 2 });
  t.teardown(() => model.dispose());
  await t.rejects(createPolicy(model, { lora: { rank: 0 } }), { constructor: InvalidArgumentError, message: /rank must be a positive integer/ } as never);
  await t.rejects(createPolicy(model, { lora: { targets: ['q', 'x' as never] } }), { message: /unknown LoRA target "x"/ } as never);
  const p = await createPolicy(model, { valueHead: { hidden: [8] } });
  t.teardown(() => p.dispose());
  await t.rejects(p.backward({ dLogprob: [[1]] }), { message: /needs a forward/ } as never);
  await p.forward(items);
  await t.rejects(p.backward({ dLogprob: [[1, 2]] }), { message: /dLogprob\[0\] must have 3 entries/ } as never);
  // NaN gradients: the step is skipped and reported, weights untouched
  await p.forward(items);
  p.zeroGrad();
  await p.backward({ dLogprob: [[NaN, 0, 0]], dValue: [0] });
  const before = Array.from(p.getParameter('blk.0.attn_q.weight.lora_a'));
  const report = await p.step({ actor: { lr: 0.1 }, critic: { lr: 0.1 } });
  t.ok(report.skipped, 'skipped');
  t.same(Array.from(p.getParameter('blk.0.attn_q.weight.lora_a')), before, 'weights untouched');

  // adapters and checkpoints that do not fit
  const dir = tempPath('bad-ckpt');
  await p.save(dir);
  const other = await loadModel(await testModel({ embd: 32, heads: 2, ff: 64 }), { threads: 1 });
  t.teardown(() => other.dispose());
  await t.rejects(loadPolicy(other, dir), { message: /trained on another base model/ } as never);
  const chatml = await loadModel(await testModel(), { threads: 1, chatTemplate: 'chatml' });
  t.teardown(() => chatml.dispose());
  await t.rejects(loadPolicy(chatml, dir), {
    code: 'CHAT_TEMPLATE_MISMATCH',
    message: /trained on conversations in the "llama2" chat template, but the model is loaded with "chatml": .*--chat-template llama2/,
  } as never);
  const adapter = await loadAdapter(model, `${dir}/adapter.gguf`);
  t.equal(adapter.trainedChatTemplate, 'llama2', 'the adapter file records its chat template');
  await t.rejects(explore(chatml, adapter, chatTasks('household/mixed', 'train', 1)), {
    code: 'CHAT_TEMPLATE_MISMATCH',
    message: /^the agent was trained on conversations in the "llama2" chat template, but the model is loaded with "chatml"/,
  } as never);
  await adapter.dispose();
  await t.rejects(loadAdapter(other, `${dir}/adapter.gguf`), { message: /has shape \[64, 8\], this model and rank need \[32, 8\]/ } as never);
  truncateSync(`${dir}/state.gguf`, 200);
  await t.rejects(loadPolicy(model, dir), { message: /corrupt or truncated/ } as never);
  writeFileSync(`${dir}/policy.json`, '{"format":"something else"}');
  await t.rejects(loadPolicy(model, dir), { message: /not an rl-ggml policy/ } as never);
  await t.rejects(loadAdapter(model, `${dir}/policy.json`), { message: /not a readable GGUF|not a LoRA adapter/ } as never);

  // trajectory files
  const bad = tempPath('bad.json');
  writeFileSync(bad, JSON.stringify([{ id: 'x', conversations: [{ from: 'human', value: 'hi' }] }]));
  t.throws(() => readTrajectories(bad), { message: /no gpt turn/ } as never);
  writeFileSync(bad, JSON.stringify([{ id: 'x', conversations: [{ from: 'robot', value: 'hi' }] }]));
  t.throws(() => readTrajectories(bad), { message: /turn 0 must be/ } as never);
  writeFileSync(bad, '[');
  t.throws(() => readTrajectories(bad), { message: /cannot read trajectories/ } as never);
  t.ok(readFileSync(bad, 'utf8'));
});

t.test('sft checkpoints: stopped or crashed, a resumed run ends where an uninterrupted one does', async (t) => {
  const model = await loadModel(await testModel(), { threads: 2 });
  t.teardown(() => model.dispose());
  const options = { model, data: trajectories, steps: 7, batch: 1, lr: 1e-2, checkpointEvery: 2 };
  const whole = await sft({ ...options, out: tempPath('sft-whole') });
  await whole.policy.dispose();
  t.same([whole.steps, whole.stopped, whole.losses.length], [7, false, 7]);
  const metricLines = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.same(metricLines(tempPath('sft-whole')).map((m) => m.loss), whole.losses, 'a metrics line per step');

  // stopped after step 3: the checkpoint holds 3 steps
  const out = tempPath('sft-stopped');
  const controller = new AbortController();
  const stopped = await sft({ ...options, out }, { signal: controller.signal, onProgress: (p) => p.step === 3 && controller.abort() });
  await stopped.policy.dispose();
  t.same([stopped.steps, stopped.stopped], [3, true]);
  await t.rejects(sft({ ...options, out }), { code: 'RUN_EXISTS' });
  await t.rejects(sft({ ...options, out, resume: true, lr: 1e-3 }), { code: 'CONFIG_MISMATCH', message: /another lr/ });
  await t.rejects(sft({ ...options, out, resume: true, data: trajectories.slice(1) }), { code: 'CONFIG_MISMATCH', message: /another data/ });
  await t.rejects(sft({ ...options, out: tempPath('sft-none'), resume: true }), { code: 'NO_RUN' });
  const resumed = await sft({ ...options, out, resume: true });
  await resumed.policy.dispose();
  t.same([resumed.steps, resumed.stopped, resumed.losses], [7, false, whole.losses]);
  t.ok(readFileSync(join(out, 'adapter.gguf')).equals(readFileSync(join(tempPath('sft-whole'), 'adapter.gguf'))), 'the same adapter, byte for byte');
  t.same(metricLines(out), metricLines(tempPath('sft-whole')).map((m, i) => ({ ...m, tokensPerSecond: metricLines(out)[i].tokensPerSecond })));

  // crashed in step 5: the folder holds step 4's checkpoint; step 5's line is dropped and the step done again
  const crashed = tempPath('sft-crashed');
  await t.rejects(sft({ ...options, out: crashed }, { onProgress: (p) => { if (p.step === 5) throw new Error('power cut'); } }), { message: 'power cut' });
  t.equal(metricLines(crashed).length, 5);
  const again = await sft({ ...options, out: crashed, resume: true, checkpointEvery: 3 });
  await again.policy.dispose();
  t.same(again.losses, whole.losses);
  t.ok(readFileSync(join(crashed, 'adapter.gguf')).equals(readFileSync(join(tempPath('sft-whole'), 'adapter.gguf'))), 'and again the same adapter');
  const done = await sft({ ...options, out: crashed, resume: true });
  await done.policy.dispose();
  t.same([done.steps, done.stopped, done.losses], [7, false, whole.losses], 'resuming a finished run does nothing more');
});

t.test('sft CLI', async (t) => {
  const data = tempPath('traj.json');
  writeFileSync(data, JSON.stringify(trajectories));
  const r = runCli(['sft', '--model', await testModel(), '--data', data, '--out', tempPath('cli-sft'), '--steps', '5', '--batch', '2', '--json']);
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.equal(lines.filter((l) => l.type === 'progress').length, 5);
  t.match(lines.at(-1), { type: 'done', steps: 5, stopped: false });

  // Ctrl-C writes a checkpoint and exits 130; --resume finishes the run
  const out = tempPath('cli-sft-interrupted');
  const args = ['sft', '--model', await testModel(), '--data', data, '--out', out, '--steps', '300', '--batch', '2', '--checkpoint-every', '1000'];
  const { status, stdout, stderr } = await runCliInterrupted([...args, '--json'], (out) => out.includes('"type":"progress"'));
  t.equal(status, 130, stderr);
  t.match(stderr, /stopping: writing a checkpoint/);
  const stop = JSON.parse(stdout.trim().split('\n').pop()!);
  t.match(stop, { type: 'done', stopped: true });
  t.ok(stop.steps < 300);
  t.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, stop.steps, 'the checkpoint holds every step logged');
  const resumed = runCli([...args, '--resume']);
  t.equal(resumed.status, 0, resumed.stderr);
  t.match(resumed.stdout, /wrote .* \(2 trajectories, 300 steps, loss/);
});
