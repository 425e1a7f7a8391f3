// Your own environment: registered by id, it trains with TWOSOME on the settings the configuration gives (it has no
// published ones), resumes exactly and evaluates like the built-in ones.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { envSpecs, getEnvSpec, makeEnv, registerEnv } from '../../envs/registry.js';
import { evaluate } from '../../src/train/evaluate.js';
import { train } from '../../src/train/train.js';
import { darkRoom as spec } from '../helpers/dark-room.js';
import { testModel } from '../helpers/models.js';

const metrics = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .map(({ decisionsPerSecond: _d, tokensPerSecond: _t, seconds: _s, ...rest }) => rest);

t.test('registerEnv: checked, found by id, never a built-in twice', async (t) => {
  t.throws(() => getEnvSpec('mine/dark-room'), { code: 'UNKNOWN_ENV', message: /programs add their own with registerEnv/ });
  registerEnv(spec);
  t.equal(makeEnv('mine/dark-room').reset().actions.length, 3);
  t.notOk(envSpecs.some((s) => s.id === spec.id), "the shipped list stays the shipped environments'");
  t.throws(() => registerEnv(spec), { code: 'ENV_EXISTS' });
  t.throws(() => registerEnv({ ...spec, id: 'overcooked/tomato-salad' }), { code: 'ENV_EXISTS' });
  t.throws(() => registerEnv({ ...spec, id: 'my env' }), { code: 'BAD_ENV_SPEC', message: /without spaces/ });
  t.throws(() => registerEnv({ ...spec, id: 'mine/x', create: undefined as never }), { code: 'BAD_ENV_SPEC', message: /no create function/ });
  t.throws(() => registerEnv({ ...spec, id: 'mine/x', horizon: 0 }), { code: 'BAD_ENV_SPEC', message: /horizon/ });
  t.throws(() => registerEnv({ ...spec, id: 'mine/x', actionCount: 2.5 }), { code: 'BAD_ENV_SPEC', message: /actionCount/ });
});

t.test('twosome on your own environment: trains with the given settings, resumes exactly, evaluates', async (t) => {
  const model = await testModel();
  const dir = t.testdir();
  const base = { env: 'mine/dark-room', algo: 'twosome', model, envs: 2, rolloutSteps: 8, valueMinibatch: 8, policyMinibatch: 4, gradAccumSteps: 2, valueHidden: [16], checkpointEvery: 2 };
  await t.rejects(train({ out: join(dir, 'none'), config: { ...base, actorLr: 0.01 } }), { code: 'UNSUPPORTED_ENV', message: /no published settings for env "mine\/dark-room".*: give criticLr, gamma, totalDecisions$/ });
  const config = { ...base, actorLr: 0.01, criticLr: 0.01, gamma: 0.9, totalDecisions: 48 };
  const whole = await train({ out: join(dir, 'whole'), config });
  t.match(whole, { update: 3, decisions: 48, stopped: false, config: { actorLr: 0.01, criticLr: 0.01, gamma: 0.9 } });
  const lines = metrics(whole.runDir);
  t.ok(lines.every((m) => m.policyLoss !== null && m.episodes > 0 && m.returns.every((r: number) => r === 0 || r === 1)), 'every update learns from finished episodes');
  const controller = new AbortController();
  await train({ out: join(dir, 'cut'), config }, { signal: controller.signal, onProgress: (p) => p.update === 1 && controller.abort() });
  await train({ out: join(dir, 'cut'), resume: true });
  t.same(metrics(join(dir, 'cut')), lines, 'a resumed run logs what the uninterrupted one did');
  const e = await evaluate({ run: whole.runDir, episodes: 4, envs: 2 });
  t.match(e, { algo: 'twosome', env: 'mine/dark-room', episodes: 4 });
});
