import t from 'tap';
import { VectorEnv, makeVectorEnv } from '../../envs/core/vector.js';
import type { Env, Observation, ResetOptions, StepResult } from '../../envs/core/types.js';
import { makeEnv } from '../../envs/registry.js';
import { EnvError, InvalidArgumentError } from '../../src/errors.js';

/** A counter environment: episodes last `length` decisions, each taking `2` primitive steps and paying the action. */
class CountingEnv implements Env {
  readonly id = 'test/counting';
  n = 0;
  seeds: (number | undefined)[] = [];
  constructor(private readonly length: number) {}
  private obs(): Observation {
    return { prompt: `at ${this.n}`, actions: ['a', 'b'], valid: [0, 1], vector: [this.n] };
  }
  reset(options?: ResetOptions): Observation {
    this.seeds.push(options?.seed);
    this.n = 0;
    return this.obs();
  }
  step(index: number): StepResult {
    this.n++;
    const done = this.n >= this.length;
    return { observation: this.obs(), reward: index, done, info: { macroSteps: 2, return: this.n * 10, ...(done ? { success: index === 1 } : {}) } };
  }
  save(): unknown {
    return { n: this.n };
  }
  load(state: unknown): void {
    this.n = (state as { n: number }).n;
  }
}

t.test('steps every environment, resets finished ones and reports every finished episode', async (t) => {
  const envs = [new CountingEnv(2), new CountingEnv(3), new CountingEnv(2)];
  const vec = new VectorEnv(envs, { resetOptions: (env, episode) => ({ seed: env * 100 + episode }) });
  t.same(
    vec.reset().map((o) => o.vector),
    [[0], [0], [0]],
  );
  const first = vec.step([1, 0, 1]);
  t.same(first.rewards, [1, 0, 1]);
  t.same(first.dones, [false, false, false]);
  t.same(first.finished, []);
  const second = vec.step([1, 0, 0]);
  t.same(second.dones, [true, false, true]);
  t.same(
    second.observations.map((o) => o.vector),
    [[0], [2], [0]],
    'finished environments hand back a start observation',
  );
  t.same(second.rewards, [1, 0, 0], 'the final reward is kept');
  t.same(
    second.finished.map(({ env, return: r, length, decisions, success, finalObservation }) => ({ env, r, length, decisions, success, last: finalObservation.vector })),
    [
      { env: 0, r: 20, length: 4, decisions: 2, success: true, last: [2] },
      { env: 2, r: 20, length: 4, decisions: 2, success: false, last: [2] },
    ],
    'both episodes finishing in the same step are logged (Q10 fixed)',
  );
  t.same(vec.current.map((o) => o.vector), [[0], [2], [0]]);
  const third = vec.step([0, 0, 0]);
  t.same(third.finished.map((f) => [f.env, f.length, f.decisions]), [[1, 6, 3]]);
  t.same(envs.map((e) => e.seeds), [[0, 1], [100, 101], [200, 201]], 'reset options per environment and episode');
});

t.test('misuse is reported', async (t) => {
  const vec = new VectorEnv([new CountingEnv(2)]);
  t.throws(() => vec.step([0]), EnvError);
  vec.reset();
  t.throws(() => vec.step([0, 1]), InvalidArgumentError);
  t.throws(() => new VectorEnv([]), InvalidArgumentError);
  t.throws(() => makeVectorEnv('overcooked/tomato-salad', 0), InvalidArgumentError);
  t.throws(() => makeVectorEnv('nope', 2), EnvError);
});

t.test('Overcooked episodes are logged with TWOSOME\'s discounted return and primitive length', async (t) => {
  const vec = makeVectorEnv('overcooked/tomato-salad', 2);
  t.equal(vec.size, 2);
  const start = vec.reset();
  const plan = [0, 2, 4, 0, 1, 3];
  let last;
  for (const a of plan) last = vec.step([a, a]);
  t.equal(last!.finished.length, 2);
  for (const f of last!.finished) t.match(f, { return: 0.920518092564195, length: 28, decisions: 6, success: true });
  t.same(last!.observations, start);
});

t.test('save/load resumes exactly, through JSON', async (t) => {
  const plan = [
    [0, 1],
    [4, 5],
    [7, 7],
    [1, 3],
    [5, 0],
    [7, 6],
    [3, 2],
    [0, 4],
    [1, 7],
    [6, 6],
    [0, 0],
  ];
  const vec = makeVectorEnv('overcooked/tomato-lettuce-salad', 2);
  vec.reset();
  for (const a of plan.slice(0, 4)) vec.step(a);
  const saved = JSON.parse(JSON.stringify(vec.save()));
  const rest = plan.slice(4).map((a) => vec.step(a));
  const other = makeVectorEnv('overcooked/tomato-lettuce-salad', 2);
  other.load(saved);
  t.same(other.current, saved.observations);
  const again = plan.slice(4).map((a) => other.step(a));
  t.same(again, rest);
  t.ok(rest.some((r) => r.finished.length > 0), 'an episode finished after the checkpoint');
  t.throws(() => new VectorEnv([makeEnv('overcooked/tomato-salad'), makeEnv('overcooked/tomato-salad')]).load(saved), EnvError);
});
