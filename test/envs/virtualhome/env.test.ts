import t from 'tap';
import { specs } from '../../../envs/virtualhome/index.js';
import { successReturn } from '../../../envs/virtualhome/env.js';
import { EnvError } from '../../../src/errors.js';
import { makeEnv } from './explore.js';

const optimalReturn = (id: string) => specs.find((s) => s.id === id)!.optimalReturn;

const FOOD_PLAN = [4, 6, 5, 8, 7, 9];
const FUN_PLAN = [4, 9, 5, 10, 0, 6, 11, 7, 13, 8, 15];
const IDS = [
  'virtualhome/food-preparation',
  'virtualhome/entertainment',
  'virtualhome/cheese',
  'virtualhome/hamburger',
  'virtualhome/apple-pie',
  'virtualhome/pizza',
  'virtualhome/washing-plate',
  'virtualhome/laundry',
  'virtualhome/crossover-entertainment',
  'virtualhome/crossover-food-preparation',
];

t.test('specs: ids, action counts, horizon 50, optimal returns by repeated multiplication', async (t) => {
  t.same(specs.map((s) => s.id), IDS);
  for (const spec of specs) {
    const fun = spec.id.endsWith('entertainment');
    t.equal(spec.actionCount, fun ? 17 : 10, spec.id);
    t.equal(spec.horizon, 50);
    t.equal(spec.optimalReturn, fun ? 0.5987369392383786 : 0.7737809374999999, spec.id);
    const env = spec.create();
    t.equal(env.id, spec.id);
    t.equal(env.reset().actions.length, spec.actionCount);
  }
  t.equal(successReturn(6), 0.7737809374999999);
  t.not(successReturn(6), Math.pow(0.95, 5), 'differs from pow in the last bit, as the original');
});

t.test('the optimal plans reach exactly the optimal returns', async (t) => {
  for (const [id, plan] of [['virtualhome/food-preparation', FOOD_PLAN], ['virtualhome/entertainment', FUN_PLAN]] as const) {
    const env = makeEnv(id);
    env.reset();
    let last;
    for (const [i, a] of plan.entries()) {
      last = env.step(a);
      t.equal(last.done, i === plan.length - 1, `done only at the end (${id} step ${i + 1})`);
      t.equal(last.reward, i === plan.length - 1 ? 1 : 0);
      t.equal(last.info.macroSteps, 1);
    }
    t.equal(last!.info.return, optimalReturn(id));
    t.equal(last!.info.success, true);
  }
});

t.test('out-of-list indices are EnvErrors; non-offered ones run as no-ops that cost a step', async (t) => {
  const env = makeEnv('virtualhome/food-preparation');
  const start = env.reset();
  for (const bad of [-1, 10, 1.5, NaN]) t.throws(() => env.step(bad), EnvError, `index ${bad}`);
  t.throws(() => env.step(10), /outside the action list/);
  t.notOk(start.valid.includes(6));
  const r = env.step(6);
  t.same(r.observation.vector, start.vector, 'grab from afar changes nothing');
  t.equal(r.info.executed, false);
  t.equal(r.info.steps, 1, 'but the step counts');
  t.equal(r.reward, 0);
  t.equal(env.step(4).info.executed, true);
});

t.test('horizon: the 50th step ends the episode, with reward 1 if it succeeds', async (t) => {
  const env = makeEnv('virtualhome/food-preparation');
  env.reset();
  for (let i = 1; i <= 49; i++) t.equal(env.step(8).done, false, `no-op ${i}`);
  const last = env.step(8);
  t.same([last.done, last.reward, last.info.return], [true, 0, 0]);

  env.reset();
  for (let i = 0; i < 44; i++) env.step(8);
  let r;
  for (const a of FOOD_PLAN) r = env.step(a);
  t.same([r!.done, r!.reward, r!.info.steps], [true, 1, 50]);
  t.equal(r!.info.return, successReturn(50));
});

t.test('stepping on after done continues the episode as the original would', async (t) => {
  const env = makeEnv('virtualhome/food-preparation');
  env.reset();
  for (const a of FOOD_PLAN) env.step(a);
  const away = env.step(2);
  t.same([away.reward, away.done], [0, false]);
  const back = env.step(1);
  t.same([back.reward, back.done], [1, true], 'back in the kitchen with the pancake hidden: success again');
  t.equal(back.info.return, successReturn(6) + successReturn(8));
});

t.test('reset restores the start, whatever the seed', async (t) => {
  const env = makeEnv('virtualhome/entertainment');
  const first = env.reset({ seed: 1 });
  for (const a of [4, 9, 0]) env.step(a);
  t.same(env.reset({ seed: 2 }), first);
  t.equal(env.step(0).info.steps, 1);
});

t.test('observations are shared and frozen', async (t) => {
  const env = makeEnv('virtualhome/food-preparation');
  const obs = env.reset();
  t.equal(env.reset(), obs);
  t.throws(() => (obs.vector as number[]).push(1), TypeError);
  t.throws(() => (obs.valid as number[]).push(1), TypeError);
});

t.test('save/load round-trips the full state through JSON', async (t) => {
  for (const [id, plan] of [['virtualhome/food-preparation', FOOD_PLAN], ['virtualhome/entertainment', FUN_PLAN]] as const) {
    const env = makeEnv(id);
    env.reset();
    const cut = plan.length - 2;
    for (const a of plan.slice(0, cut)) env.step(a);
    const snapshot = JSON.parse(JSON.stringify(env.save()));
    const copy = makeEnv(id);
    copy.reset();
    copy.load(snapshot);
    for (const a of plan.slice(cut)) t.same(copy.step(a), env.step(a), `${id}: same step after load`);
  }
});

t.test('load rejects snapshots of another env or with bad fields', async (t) => {
  const env = makeEnv('virtualhome/entertainment');
  const good = env.save() as Record<string, unknown>;
  const state = good.state as Record<string, unknown>;
  t.throws(() => makeEnv('virtualhome/food-preparation').load(good), EnvError);
  t.throws(() => env.load(null), EnvError);
  t.throws(() => env.load({ ...good, steps: -1 }), EnvError);
  t.throws(() => env.load({ ...good, totalReturn: 'x' }), EnvError);
  t.throws(() => env.load({ ...good, state: { ...state, room: 4 } }), EnvError);
  t.throws(() => env.load({ ...good, state: { ...state, tvOn: 1 } }), EnvError);
  t.throws(() => env.load({ ...good, state: { ...state, at: [0] } }), EnvError);
  t.throws(() => env.load({ ...good, state: { ...state, tag: [0, 9] } }), EnvError);
  const food = makeEnv('virtualhome/food-preparation');
  const foodSaved = food.save() as Record<string, unknown>;
  t.throws(() => food.load({ ...foodSaved, state: { ...(foodSaved.state as object), pancake: 3 } }), /pancake/);
  env.load(good);
  t.same(env.save(), good);
});
