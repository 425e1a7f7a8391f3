import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { configSchema, defaultConfig, readConfigFile, resolveConfig, updateCount } from '../../src/train/config.js';
import { tempDir } from '../helpers/temp.js';

t.test('twosome defaults follow the spec table per task, with the common settings', async (t) => {
  const ts = defaultConfig('overcooked/tomato-salad', 'twosome');
  t.match(ts, { actorLr: 5e-7, criticLr: 1e-5, totalDecisions: 500_000, gamma: 0.99 });
  t.match(defaultConfig('overcooked/tomato-lettuce-salad', 'twosome'), { actorLr: 5e-7, criticLr: 1e-5, totalDecisions: 500_000, gamma: 0.99 });
  t.match(defaultConfig('virtualhome/food-preparation', 'twosome'), { actorLr: 1e-6, criticLr: 5e-5, totalDecisions: 50_000, gamma: 0.95 });
  t.match(defaultConfig('virtualhome/entertainment', 'twosome'), { actorLr: 1e-6, criticLr: 5e-5, totalDecisions: 200_000, gamma: 0.95 });
  t.match(ts, {
    envs: 4, rolloutSteps: 32, updateEpochs: 1, valueMinibatch: 32, policyMinibatch: 4, gradAccumSteps: 8, gaeLambda: 0.95,
    clipCoef: 0.2, clipValue: 0.2, valueCoef: 0.5, entropyCoef: 0.01, maxGradNorm: 0.5, targetKl: 0.02, adamEps: 1e-5,
    weightDecay: 0, annealLr: true, normAdvantages: true, normalization: 'word', loraRank: 8, loraAlpha: 16, loraTargets: ['q', 'v'],
    valueHidden: [1024, 512], macroDiscount: true,
  });
  // The unseen VirtualHome variants train like their base task.
  t.match(defaultConfig('virtualhome/cheese', 'twosome'), { actorLr: 1e-6, totalDecisions: 50_000 });
  t.match(defaultConfig('virtualhome/crossover-entertainment', 'twosome'), { totalDecisions: 200_000 });
  t.match(defaultConfig('virtualhome/crossover-food-preparation', 'twosome'), { totalDecisions: 50_000 });
});

t.test('ppo baseline defaults: per-task lr, 4 × 128 steps, 4 minibatches, 4 epochs, mask only in VirtualHome', async (t) => {
  t.match(defaultConfig('overcooked/tomato-salad', 'ppo'), { lr: 1e-4, envs: 4, rolloutSteps: 128, minibatches: 4, updateEpochs: 4, gamma: 0.99, hidden: 64, actionMask: false, targetKl: null });
  t.match(defaultConfig('overcooked/tomato-lettuce-salad', 'ppo'), { lr: 5e-4 });
  t.match(defaultConfig('virtualhome/entertainment', 'ppo'), { lr: 1e-3, actionMask: true, gamma: 0.99 });
  t.equal(updateCount(defaultConfig('overcooked/tomato-salad', 'ppo')), Math.ceil(500_000 / 512));
});

t.test('unsupported combinations and unknown envs are clear errors', async (t) => {
  t.throws(() => defaultConfig('nowhere/at-all', 'ppo'), /unknown environment "nowhere\/at-all"/);
  t.throws(() => defaultConfig('webshop', 'twosome'), { code: 'UNSUPPORTED_ENV', message: /algo "twosome" has no published settings for env "webshop" .*: give actorLr, criticLr, gamma, totalDecisions$/ });
  t.throws(() => defaultConfig('webshop', 'ppo'), { code: 'UNSUPPORTED_ENV', message: /algo "ppo" needs a fixed action list/ });
  // an environment without the paper's settings trains with the ones the configuration gives
  const given = { actorLr: 1e-5, criticLr: 1e-4, gamma: 0.9, totalDecisions: 256 };
  t.match(resolveConfig({ env: 'household/mixed', algo: 'twosome', ...given }), { ...given, loraRank: 8, valueMinibatch: 32 });
  t.match(defaultConfig('webshop', 'saycan'), { algo: 'saycan', normalization: 'word' });
});

t.test('overrides: flags beat the file, the schema names the bad key', async (t) => {
  const c = resolveConfig({ env: 'overcooked/tomato-salad', algo: 'ppo', lr: 0.003 }, { lr: 0.002, seed: 7 });
  t.match(c, { lr: 0.003, seed: 7, minibatches: 4 });
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ lrr: 1 }, /unknown key "lrr"/],
    [{ Actor_LR: 1 }, /unknown key "Actor_LR" \(did you mean "actorLr"\?\)/],
    [{ lr: 'fast' }, /"lr" must be a number ≥ 0, got "fast"/],
    [{ envs: 2.5 }, /"envs" must be an integer ≥ 1, got 2.5/],
    [{ gamma: 1.5 }, /"gamma" must be a number ≥ 0 and ≤ 1/],
    [{ actionMask: 'yes' }, /"actionMask" must be a boolean/],
    [{ clipCoef: 0 }, /"clipCoef" must be a number > 0/],
    [{ targetKl: null, clipValue: null, seed: null }, /"seed" must be an integer ≥ 0, got null/],
    [{ actorLr: 1e-5 }, /"actorLr" does not apply to algo "ppo" \(it is for twosome\)/],
    [{ minibatches: 3 }, /"minibatches" \(3\) must divide the rollout batch envs × rolloutSteps = 512/],
  ];
  for (const [extra, re] of cases) t.throws(() => resolveConfig({ env: 'overcooked/tomato-salad', algo: 'ppo', ...extra }), re, JSON.stringify(extra));
  t.throws(() => resolveConfig({ env: 'overcooked/tomato-salad', algo: 'twosome', loraTargets: ['q', 'x'] }), /"loraTargets" must be an array of LoRA targets/);
  t.throws(() => resolveConfig({ env: 'overcooked/tomato-salad', algo: 'twosome', valueHidden: [0] }), /"valueHidden" must be an array of positive integers/);
  t.throws(() => resolveConfig({ env: 'overcooked/tomato-salad', algo: 'twosome', gradAccumSteps: 3 }), /"gradAccumSteps" \(3\) must divide the 32 policy minibatches/);
  t.throws(() => resolveConfig({ env: 'overcooked/tomato-salad', algo: 'twosome', valueMinibatch: 48 }), /"valueMinibatch" \(48\) must divide/);
  t.throws(() => resolveConfig({ env: 'overcooked/tomato-salad', algo: 'dqn' }), /"algo" must be a string \(one of twosome, ppo, saycan\)/);
  t.throws(() => resolveConfig({ algo: 'ppo' }), /no environment given/);
  t.throws(() => resolveConfig({ env: 'overcooked/tomato-salad' }), /no algorithm given/);
  t.throws(() => resolveConfig({}, { wat: 1 }, 'my.json'), /my.json: unknown key "wat"/);
  t.same((resolveConfig({ env: 'overcooked/tomato-salad', algo: 'ppo', targetKl: null }) as { targetKl: unknown }).targetKl, null);
  t.same((resolveConfig({ env: 'overcooked/tomato-salad', algo: 'ppo', targetKl: 0.05 }) as { targetKl: unknown }).targetKl, 0.05);
});

t.test('every schema key is a key of some default config, and defaults pass the schema', async (t) => {
  const all = new Set(
    (['twosome', 'ppo', 'saycan'] as const).flatMap((a) => {
      const c = defaultConfig('overcooked/tomato-salad', a);
      resolveConfig(c as never);
      return Object.keys(c);
    }),
  );
  t.same([...all].sort(), Object.keys(configSchema).sort());
});

t.test('config files: JSON objects only, with clear errors', async (t) => {
  const dir = tempDir('rl-ggml-cfg-');
  writeFileSync(join(dir, 'ok.json'), '{"lr": 0.01}');
  writeFileSync(join(dir, 'bad.json'), '{lr: 0.01}');
  writeFileSync(join(dir, 'list.json'), '[1]');
  t.same(readConfigFile(join(dir, 'ok.json')), { lr: 0.01 });
  t.throws(() => readConfigFile(join(dir, 'bad.json')), /is not valid JSON/);
  t.throws(() => readConfigFile(join(dir, 'list.json')), /must hold a JSON object/);
  t.throws(() => readConfigFile(join(dir, 'missing.json')), /cannot read the config file/);
});
