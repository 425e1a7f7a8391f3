import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { benchWorkload, generatedBenchModel, runTwosomeBench, workloadTokens, type BenchResult } from '../../src/bench/twosome-bench.js';
import { timeInterleaved } from '../../src/bench/timing.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { loadModel } from '../../src/model.js';
import { runCli } from '../helpers/cli.js';
import { testModel } from '../helpers/models.js';

const quick = ['--device', 'cpu', '--threads', '2', '--prompts', '2', '--actions', '3', '--gen-tokens', '8', '--gen-parallel', '3', '--min-seconds', '0.2'];

function checkResult(t: Test, r: BenchResult, shape: { prompts: number; actions: number }, generation: { tokens: number; parallel: number }): void {
  t.match(r.device, { id: 'cpu', name: 'CPU', kind: 'cpu' });
  t.type(r.device.description, 'string');
  t.match(r.workload, { prompts: shape.prompts, actions: shape.actions, promptWords: 100 });
  t.equal(r.workload.packedTokens, r.workload.promptTokens + r.workload.actionTokens, 'no merged boundaries: packed = prompts + actions');
  t.ok(r.workload.actionTokens >= shape.prompts * shape.actions);
  for (const x of [r.scoring.secondsPerCall, r.scoring.decisionsPerSec, r.scoring.tokensPerSec, r.ppoUpdate.secondsPerUpdate, r.ppoUpdate.decisionsPerSec]) {
    t.ok(Number.isFinite(x) && x > 0, `positive: ${x}`);
  }
  t.ok(Math.abs(r.scoring.decisionsPerSec * r.scoring.secondsPerCall - shape.prompts) < 1e-9);
  t.match(r.ppoUpdate, { actBatch: 4, policyMinibatch: 4, valueMinibatch: 32, gradAccumSteps: 1, actorSteps: 1 });
  t.match(r.generation, generation);
  t.ok(r.generation!.tokensPerSec > 0 && r.generation!.batchTokensPerSec > 0, `generation ${JSON.stringify(r.generation)}`);
  t.match(r.sftStep, { conversations: 1 });
  t.ok(r.sftStep!.tokens > 1000 && r.sftStep!.tokensPerSec > 0, `one household expert conversation: ${JSON.stringify(r.sftStep)}`);
  t.ok(Math.abs(r.sftStep!.tokensPerSec * r.sftStep!.secondsPerStep - r.sftStep!.tokens) < 1e-6);
  t.ok(r.rounds >= 1);
  t.equal(r.memory.kind, 'cpu');
  if (r.memory.kind === 'cpu') t.ok(r.memory.peakRssBytes > 1e6);
  const e = r.memory.engine;
  t.ok(e.weightsBytes > 0 && e.paramsBytes > 0 && e.computeBytes > 0, `engine memory ${JSON.stringify(e)}`);
}

t.test('the workload: TWOSOME-shaped, deterministic, validated', async (t) => {
  const items = benchWorkload({ prompts: 3, actions: 5, promptWords: 40 });
  t.same(benchWorkload({ prompts: 3, actions: 5, promptWords: 40 }), items, 'same shape and seed, same text');
  t.notSame(benchWorkload({ prompts: 3, actions: 5, promptWords: 40, seed: 2 }), items);
  for (const it of items) {
    t.equal(it.prompt.split(' ').length, 40);
    t.match(it.prompt, /, your next step is to$/);
    t.equal(new Set(it.actions).size, 5, 'distinct actions');
  }
  t.equal(new Set(benchWorkload({ prompts: 1, actions: 400, promptWords: 10 })[0].actions).size, 400, 'past the phrase pool, numbered phrases');
  t.throws(() => benchWorkload({ prompts: 0, actions: 2, promptWords: 40 }), InvalidArgumentError);
  t.throws(() => benchWorkload({ prompts: 1, actions: 2.5, promptWords: 40 }), /actions must be an integer >= 1/);
  t.throws(() => benchWorkload({ prompts: 1, actions: 2, promptWords: 3 }), /prompt words must be an integer >= 6/);
});

t.test('timeInterleaved: warm-up, interleaved rounds, medians', async (t) => {
  const calls: string[] = [];
  const phases: string[] = [];
  const times = await timeInterleaved(0, [async () => void calls.push('a'), async () => void calls.push('b')], 3, (p) => phases.push(`${p.phase}:${p.rounds}`));
  t.same(calls, ['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
  t.same(phases, ['warm-up:0', 'measure:0', 'measure:1', 'measure:2', 'measure:3']);
  t.equal(times.length, 2);
  t.ok(times.every((x) => x >= 0));
});

t.test('library: runTwosomeBench on the tiny model; workload tokens are the scorer\'s', async (t) => {
  const model = await loadModel(await testModel(), { device: 'cpu', threads: 2 });
  t.teardown(() => model.dispose());
  const r = await runTwosomeBench(model, { prompts: 2, actions: 3, genTokens: 6, genParallel: 2, minSeconds: 0.1, minRounds: 1 });
  checkResult(t, r, { prompts: 2, actions: 3 }, { tokens: 6, parallel: 2 });
  const bare = await runTwosomeBench(model, { prompts: 1, actions: 2, genTokens: 0, sftConversations: 0, minSeconds: 0, minRounds: 1 });
  t.same([bare.generation, bare.sftStep], [null, null], 'genTokens 0, sftConversations 0: no generation or SFT figures');
  await t.rejects(runTwosomeBench(model, { prompts: 2, actions: 3, sftConversations: 1.5 }), { message: /SFT conversations must be an integer >= 0/ });
  await t.rejects(runTwosomeBench(model, { prompts: 2, actions: 3, minSeconds: -1 }), InvalidArgumentError);
  await t.rejects(runTwosomeBench(model, { prompts: 2, actions: 3, genParallel: 0 }), { message: /generation parallel must be an integer >= 1/ });

  const items = benchWorkload({ prompts: 2, actions: 3, promptWords: 30 });
  const w = workloadTokens(model, items);
  t.equal(w.vocab, 32000);
  const scored = await model.scoreActions(items);
  items.forEach((it, n) => {
    t.same(w.prompts[n].prompt, model.tokenize(it.prompt, { bos: true }));
    t.equal(w.prompts[n].prompt[0], model.bosToken);
    it.actions.forEach((a, k) => {
      t.same([...w.prompts[n].prompt, ...w.prompts[n].actions[k]], model.tokenize(`${it.prompt} ${a}`, { bos: true }), 'prompt ids + action ids = the joined text');
      t.same(w.prompts[n].actions[k], scored[n].actions[k].tokenIds, 'the ids the scorer scores');
    });
  });
  // A tokenizer that merges a prompt's trailing space into the action's first token: not expressible as prompt +
  // action ids, so refused.
  const ids = new Map<string, number>();
  const merging = {
    hparams: model.hparams,
    tokenize: (text: string, o?: { bos?: boolean }) => [...(o?.bos ? [1] : []), ...(text.match(/\s*\S+|\s+$/g) ?? []).map((w) => ids.get(w) ?? ids.set(w, ids.size + 2).get(w)!)],
  };
  t.same(workloadTokens(merging, [{ prompt: 'go to', actions: ['it'] }]).prompts[0], { prompt: [1, 2, 3], actions: [[4]] });
  t.throws(() => workloadTokens(merging, [{ prompt: 'Your next step is to ', actions: ['go'] }]), { code: 'WORKLOAD_BOUNDARY', message: /merges the prompt's end with action "go"/ });
});

t.test('generatedBenchModel: made once into the cache', async (t) => {
  const cache = t.testdir();
  const first = await generatedBenchModel('tiny', 'f32', cache);
  t.same(first, { path: join(cache, 'random-tiny-f32-spm-v1.gguf'), generated: true });
  t.ok(existsSync(first.path));
  t.same(await generatedBenchModel('tiny', 'f32', cache), { ...first, generated: false });
  await t.rejects(generatedBenchModel('huge' as never, 'f32', cache), { code: 'INVALID_ARGUMENT', message: /unknown preset "huge"/ });
});

t.test('CLI: --json, --write-workload, the table', async (t) => {
  const modelPath = await testModel();
  const file = join(t.testdir(), 'workload.json');
  const r = runCli(['bench', '--model', modelPath, ...quick, '--json', '--write-workload', file]);
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  checkResult(t, out, { prompts: 2, actions: 3 }, { tokens: 8, parallel: 3 });
  t.match(out, { model: { path: modelPath, generated: false, nLayer: 2, nEmbd: 64, nVocab: 32000 }, threads: 2, minSeconds: 0.2, workloadFile: file });
  t.match(r.stderr, /loading .*\nwarming up .*\nmeasuring for at least 0\.2 s/, 'plain progress lines when stderr is not a terminal');
  t.notMatch(r.stderr, /\x1b/);

  const w = JSON.parse(readFileSync(file, 'utf8'));
  const model = await loadModel(modelPath, { device: 'cpu', threads: 1 });
  t.teardown(() => model.dispose());
  const items = benchWorkload({ prompts: 2, actions: 3, promptWords: 100 });
  t.same(Object.keys(w), ['vocab', 'prompts']);
  t.equal(w.vocab, model.hparams.nVocab);
  t.equal(w.prompts.length, 2);
  items.forEach((it, n) => {
    t.same(w.prompts[n].prompt, model.tokenize(it.prompt, { bos: true }));
    it.actions.forEach((a, k) => t.same([...w.prompts[n].prompt, ...w.prompts[n].actions[k]], model.tokenize(`${it.prompt} ${a}`, { bos: true })));
  });
  t.equal(w.prompts.reduce((a: number, p: { prompt: number[] }) => a + p.prompt.length, 0), out.workload.promptTokens, 'the workload the figures were measured on');

  const table = runCli(['bench', '--model', modelPath, ...quick]);
  t.equal(table.status, 0, table.stderr);
  t.match(table.stdout, /device\s+cpu .*2 threads/);
  t.match(table.stdout, /packed action scoring\s+[\d.,]+\s+[\d.,]+\s+[\d.]+/);
  t.match(table.stdout, /TWOSOME PPO update\s+[\d.,]+/);
  t.match(table.stdout, /generation, 1 sequence\s+–\s+[\d.,]+\s+[\d.]+\n.*generation, 3 together\s+–\s+[\d.,]+/);
  t.match(table.stdout, /SFT step, [\d,]+ tokens\s+–\s+[\d.,]+\s+[\d.]+/);
  t.match(table.stdout, /memory\s+peak RSS [\d.]+ GiB/);
});

t.test('CLI: the generated default model goes to the cache', async (t) => {
  const cache = t.testdir();
  const before = process.env.RL_GGML_CACHE;
  process.env.RL_GGML_CACHE = cache;
  t.teardown(() => {
    if (before === undefined) delete process.env.RL_GGML_CACHE;
    else process.env.RL_GGML_CACHE = before;
  });
  const r = runCli(['bench', '--preset', 'tiny', '--type', 'f32', '--device', 'cpu', '--prompts', '1', '--actions', '2', '--min-seconds', '0', '--json']);
  t.equal(r.status, 0, r.stderr);
  t.match(JSON.parse(r.stdout).model, { path: join(cache, 'random-tiny-f32-spm-v1.gguf'), generated: true });
  t.match(r.stderr, /^generating the benchmark model .*random-tiny-f32-spm-v1\.gguf once \(tiny shapes, f32, random weights\)/);
  const again = runCli(['bench', '--preset', 'tiny', '--type', 'f32', '--device', 'cpu', '--prompts', '1', '--actions', '2', '--min-seconds', '0', '--json']);
  t.equal(again.status, 0, again.stderr);
  t.notMatch(again.stderr, /generating/, 'reused');
});

t.test('CLI: --help and bad options', async (t) => {
  const help = runCli(['bench', '--help']);
  t.equal(help.status, 0);
  for (const flag of ['--model', '--preset', '--type', '--device', '--threads', '--prompts', '--actions', '--prompt-words', '--min-seconds', '--write-workload', '--json']) t.match(help.stdout, flag);

  const modelPath = await testModel();
  const device = runCli(['bench', '--model', modelPath, '--device', 'nonsense']);
  t.not(device.status, 0);
  t.match(device.stderr, /unknown device "nonsense": use auto, cpu, cuda or cuda:N/);
  t.notMatch(device.stdout, /decisions/);

  const prompts = runCli(['bench', '--model', modelPath, '--device', 'cpu', '--prompts', '0']);
  t.equal(prompts.status, 1);
  t.match(prompts.stderr, /^rl-ggml: prompts must be an integer >= 1, got 0/);

  const threads = runCli(['bench', '--model', modelPath, '--device', 'cpu', '--threads', '0']);
  t.equal(threads.status, 1);
  t.match(threads.stderr, /--threads must be a positive integer/);

  const missing = runCli(['bench', '--model', join(t.testdir(), 'nope.gguf'), '--device', 'cpu']);
  t.equal(missing.status, 1);
  t.match(missing.stderr, /^rl-ggml: model file not found/);

  const unwritable = runCli(['bench', '--model', modelPath, ...quick, '--write-workload', t.testdir()]);
  t.equal(unwritable.status, 1);
  t.match(unwritable.stderr, /rl-ggml: cannot write the workload to /);

  const conflict = runCli(['bench', '--model', modelPath, '--preset', 'tiny']);
  t.equal(conflict.status, 2);
  t.match(conflict.stderr, /mutually exclusive/);
});

t.test('bench:peers runs rl-ggml bench and the PyTorch peer on the same workload and reports the ratio', async (t) => {
  const modelPath = await testModel();
  const compare = fileURLToPath(new URL('../../bench/peers/compare.js', import.meta.url));
  const r = spawnSync(process.execPath, [compare, '--model', modelPath, '--device', 'cpu', '--threads', '2', '--prompts', '2', '--actions', '2', '--min-seconds', '0.1', '--skip', 'llama-bench', '--json'], { encoding: 'utf8', timeout: 300_000 });
  t.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  t.match(s.model, { path: modelPath, nLayer: 2, nEmbd: 64, nHead: Number, nHeadKv: Number, nFf: Number });
  t.match(s.workload, { prompts: 2, actions: 2 });
  t.ok(s.scoring.oursTokensPerSec > 0 && s.ppoUpdate.oursDecisionsPerSec > 0);
  t.same([s.scoring.llamaBench, s.scoring.ratio], ['skipped', null], 'a skipped peer has no ratio');
  // The peer needs python3 with torch, transformers and peft: where they are missing it is reported as failed.
  if (s.ppoUpdate.peft.ok) {
    t.ok(s.ppoUpdate.peft.value.decisionsPerSec > 0);
    t.equal(s.ppoUpdate.ratio, s.ppoUpdate.oursDecisionsPerSec / s.ppoUpdate.peft.value.decisionsPerSec);
  } else {
    t.match(s.ppoUpdate.peft.error, /python3/);
    t.equal(s.ppoUpdate.ratio, null);
  }
});
