import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { evaluate } from '../../src/train/evaluate.js';
import { train, type UpdateMetrics } from '../../src/train/train.js';
import { testModel } from '../helpers/models.js';
import { tabularFactory } from './fake-policy.js';

const metrics = (dir: string): UpdateMetrics[] =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as UpdateMetrics);
const learning = (dir: string) => metrics(dir).map(({ decisionsPerSecond: _d, tokensPerSecond: _t, seconds: _s, ...rest }) => rest);

const twosome = {
  env: 'virtualhome/food-preparation', algo: 'twosome', envs: 2, rolloutSteps: 8, totalDecisions: 64, valueMinibatch: 8, policyMinibatch: 4, gradAccumSteps: 2, checkpointEvery: 2,
  actorLr: 0.5, criticLr: 0.1,
};

t.test('saycan: rolls out the frozen model, logs returns and tokens/s, no losses; eval uses the same model', async (t) => {
  const model = await testModel();
  const dir = join(t.testdir(), 'saycan');
  const r = await train({ out: dir, config: { env: 'virtualhome/food-preparation', algo: 'saycan', model, envs: 2, rolloutSteps: 4, totalDecisions: 16 } });
  t.match(r, { update: 2, decisions: 16, stopped: false });
  const m = metrics(dir);
  t.equal(m.length, 2);
  t.equal(m[0].policyLoss, null);
  t.ok(m[0].tokensPerSecond > 0 && m[0].seconds.scoring > 0);
  const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
  t.match(meta.model, { path: model, generated: false });
  const e = await evaluate({ run: dir, episodes: 2, greedy: true, envs: 2 });
  t.match(e, { algo: 'saycan', episodes: 2, meanLength: 50 });
});

t.test('twosome with an injected policy: trains, checkpoints the policy, resumes to the uninterrupted metrics', async (t) => {
  const model = await testModel();
  const dir = t.testdir();
  const whole = await train({ out: join(dir, 'whole'), config: { ...twosome, model } }, { policyFactory: tabularFactory() });
  const m = learning(whole.runDir);
  t.equal(m.length, 4);
  t.ok(m.every((x) => Number.isFinite(x.valueLoss) && Number.isFinite(x.policyLoss) && x.lrs.actor > 0 && x.lrs.critic > 0));
  t.ok(Math.abs(m[3].lrs.actor - 0.5 / 4) < 1e-12, 'actor lr decays linearly');
  t.same(readdirSync(join(whole.checkpoint!, 'policy')), ['tabular.json']);

  const controller = new AbortController();
  const cut = await train({ out: join(dir, 'cut'), config: { ...twosome, model } }, { policyFactory: tabularFactory(), signal: controller.signal, onProgress: (p) => p.update === 1 && controller.abort() });
  t.match(cut, { stopped: true, update: 1 });
  const factory = tabularFactory();
  await train({ out: join(dir, 'cut'), resume: true }, { policyFactory: factory });
  t.equal(factory.made.length, 2, 'a fresh policy, then the checkpoint loaded through the factory');
  t.same(learning(join(dir, 'cut')), m);

  const e = await evaluate({ run: whole.runDir, episodes: 2, envs: 2 }, { policyFactory: tabularFactory() });
  t.match(e, { algo: 'twosome', episodes: 2 });
});

t.test('LLM runs: a model whose context cannot hold the prompts, and a resume with another model, are refused cleanly', async (t) => {
  const dir = t.testdir();
  const small = await testModel({ ctx: 32 });
  const out = join(dir, 'short');
  await t.rejects(
    train({ out, config: { env: 'virtualhome/food-preparation', algo: 'saycan', model: small } }),
    /the prompts of env "virtualhome\/food-preparation" do not fit the model .*context of 32/,
  );
  t.notOk(existsSync(out), 'no partial run folder');
  await t.rejects(train({ out, config: { env: 'virtualhome/food-preparation', algo: 'saycan', model: join(dir, 'missing.gguf') } }), /model file not found/);

  const a = await testModel();
  const b = await testModel({ seed: 2 });
  const run = join(dir, 'run');
  await train({ out: run, config: { ...twosome, model: a, totalDecisions: 16 } }, { policyFactory: tabularFactory() });
  await t.rejects(train({ out: run, resume: true, config: { model: b } }), /model was .*, now /);
  // The file behind the same path changed: the fingerprint catches it.
  const path = join(dir, 'model.gguf');
  copyFileSync(a, path);
  const run2 = join(dir, 'run2');
  await train({ out: run2, config: { ...twosome, model: path, totalDecisions: 16 } }, { policyFactory: tabularFactory() });
  copyFileSync(b, path);
  await t.rejects(train({ out: run2, resume: true }, { policyFactory: tabularFactory() }), /it was trained with the model .*model.gguf, not .* \(the files differ\)/);
  await t.rejects(evaluate({ run: run2 }, { policyFactory: tabularFactory() }), /which is missing or has changed/);
});

t.test('twosome with the native LoRA policy: trains, checkpoints adapter and state, resumes exactly', async (t) => {
  const model = await testModel();
  const dir = t.testdir();
  const config = { ...twosome, model, totalDecisions: 48, valueHidden: [16], actorLr: 0.01, criticLr: 0.01 };
  const whole = await train({ out: join(dir, 'whole'), config });
  t.same(readdirSync(join(whole.checkpoint!, 'policy')).sort(), ['adapter.gguf', 'policy.json', 'state.gguf']);
  const controller = new AbortController();
  await train({ out: join(dir, 'cut'), config }, { signal: controller.signal, onProgress: (p) => p.update === 1 && controller.abort() });
  await train({ out: join(dir, 'cut'), resume: true });
  t.same(learning(join(dir, 'cut')), learning(whole.runDir));
  t.ok(metrics(whole.runDir).every((m) => m.tokensPerSecond > 0));
});
