import t from 'tap';
import { getEnvSpec, makeEnv } from '../../../envs/registry.js';
import { EnvError } from '../../../src/errors.js';
import { TLS, TS, macroReturn, play } from './helpers.js';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

t.test('start observations (spec 8.2, 11)', async (t) => {
  const ts = makeEnv(TS).reset();
  t.same(ts.vector, [0, 5, 0, 0, 0, 0, 0, 0, 0, 1, 4, 1, 0, 0, 0, 0, 0, 0]);
  t.same(ts.actions, ['pick up the tomato', 'take the bowl', 'walk to the cutting board', 'serve nothing', 'chop nothing']);
  t.same(ts.valid, [0, 1, 2, 3, 4]);
  t.match(ts.prompt, /^There is one fixed cutting board in the room\. You notice a tomato on the table\. Currently you don't have anything in hand\. .*you should first$/);
  const tls = makeEnv(TLS).reset();
  t.same(tls.vector, [0, 5, 0, 1, 6, 0, 2, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 1, 0, 0, 0]);
  t.same(tls.actions, [
    'pick up the tomato',
    'pick up the lettuce',
    'pick up the onion',
    'take the empty bowl',
    'walk to the first cutting board',
    'walk to the second cutting board',
    'serve nothing',
    'chop nothing',
  ]);
  t.match(tls.prompt, /^There are two fixed cutting boards in the room\. You notice a tomato, a lettuce and an onion on different tables\. /);
  t.match(tls.prompt, /chopped tomato and lettuce, you should first$/);
});

t.test('TS optimal plan reaches exactly the stated return (spec 10)', async (t) => {
  const { steps } = play(TS, [0, 2, 4, 0, 1, 3]);
  t.same(
    steps.map((s) => s.reward),
    [-0.00199, -0.00490099501, 0.19304990000000002, -0.001, -0.009561792499119549, 0.9346866841916989],
  );
  t.same(
    steps.map((s) => s.info.macroSteps),
    [2, 5, 3, 1, 10, 7],
  );
  t.same(
    steps.map((s) => s.done),
    [false, false, false, false, false, true],
  );
  const last = steps[steps.length - 1];
  t.equal(last.info.return, 0.920518092564195);
  t.equal(last.info.return, getEnvSpec(TS).optimalReturn);
  t.equal(last.info.length, 28);
  t.equal(last.info.success, true);
  // The delivered bowl and its tomato report the delivery counter.
  t.same(last.observation.vector.slice(0, 5), [3, 0, 3, 3, 0]);
  // The logged return is accumulated per primitive step, not from the macro rewards (spec 10).
  const fromMacros = steps.reduce((acc, s, i) => acc + 0.99 ** sum(steps.slice(0, i).map((p) => p.info.macroSteps)) * s.reward, 0);
  t.ok(Math.abs(fromMacros - last.info.return) < 1e-12);

  const runnerUp = play(TS, [0, 2, 4, 1, 0, 3]).steps;
  t.equal(runnerUp[5].info.return, 0.895634159850448);
  t.equal(runnerUp[5].info.length, 31);
});

t.test('TLS optimal plans reach exactly the stated return (spec 10)', async (t) => {
  for (const plan of [
    [0, 4, 7, 1, 5, 7, 3, 0, 1, 6],
    [0, 4, 7, 1, 5, 7, 3, 1, 0, 6],
  ]) {
    const { steps } = play(TLS, plan);
    const last = steps[steps.length - 1];
    t.equal(last.info.return, 0.9476564569165644);
    t.equal(last.info.length, 45);
    t.ok(last.done && steps.slice(0, -1).every((s) => !s.done));
  }
  t.same(
    play(TLS, [0, 4, 7, 1, 5, 7, 3, 0, 1, 6]).steps.map((s) => s.info.macroSteps),
    [2, 5, 3, 5, 6, 3, 8, 9, 2, 2],
  );
  t.equal(getEnvSpec(TLS).optimalReturn, 0.9476564569165644);
});

t.test('subtask farming pays again after a wrong delivery but never beats finishing (Q1)', async (t) => {
  const { steps } = play(TS, [0, 2, 4, 0, 3, 0, 2, 4, 0, 1, 3]);
  t.equal(steps[4].reward, macroReturn(3, -0.1), 'wrong delivery of the chopped tomato');
  t.same(steps[4].observation.vector.slice(0, 3), [0, 0, 0], 'tomato back on its (unseen) start counter, raw');
  t.equal(steps[7].reward, macroReturn(3, 0.2), 'chopping it again pays again');
  t.equal(Math.round(steps[10].info.return * 1000) / 1000, 0.838);
  t.ok(steps[10].info.return < 0.920518092564195);
});

t.test('chopping while carrying wastes three steps (Q2)', async (t) => {
  // Raw tomato onto the board, fetch the bowl, come back with it (the board's raw tomato cannot go in), chop.
  const { steps } = play(TS, [0, 2, 1, 2, 4]);
  t.equal(steps[4].observation.actions[4], 'chop the tomato');
  t.equal(steps[4].info.macroSteps, 3);
  t.equal(steps[4].reward, macroReturn(3, 0));
  t.equal(steps[4].observation.vector[2], 0, 'tomato still unchopped');
});

t.test('"chop the tomato" is offered for a chopped tomato and is a one-step stay (Q3)', async (t) => {
  const { steps } = play(TS, [0, 2, 4, 4]);
  t.equal(steps[2].observation.actions[4], 'chop the tomato');
  t.equal(steps[3].info.macroSteps, 1);
  t.same(steps[3].observation.vector, steps[2].observation.vector);
});

t.test('TLS "take the bowl" depends on visibility (Q4) and get-food walks until the bowl is seen (Q5)', async (t) => {
  const { steps } = play(TLS, [0, 4, 7, 3, 4, 4, 2, 0]);
  t.equal(steps[4].observation.actions[3], 'take the bowl', 'filled bowl on board 1 in view');
  t.equal(steps[6].observation.actions[3], 'take the empty bowl', 'filled bowl out of view from (2,5)');
  t.equal(steps[7].info.macroSteps, 5);
  t.same(steps[7].observation.vector.slice(17, 19), [1, 2], 'stops on (1,2)');
  t.equal(steps[7].observation.actions[3], 'take the bowl');
});

t.test('onion never pays a subtask reward (Q7) and an onion dish is a wrong delivery', async (t) => {
  const { steps } = play(TLS, [2, 4, 7, 3, 4, 6]);
  t.equal(steps[2].reward, macroReturn(3, 0));
  t.equal(steps[2].observation.vector[8], 3, 'onion chopped');
  t.equal(steps[4].observation.actions[6], 'serve the dish');
  t.equal(steps[5].reward, macroReturn(steps[5].info.macroSteps, -0.1));
  t.notOk(steps[5].done);
  t.same(steps[5].observation.vector.slice(6, 11), [0, 0, 0, 0, 0], 'onion and bowl back at their (unseen) starts');
  const tomatoOnly = play(TLS, [0, 4, 7, 3, 4, 0, 6]).steps;
  t.equal(tomatoOnly[6].reward, macroReturn(tomatoOnly[6].info.macroSteps, -0.1), 'a tomato-only bowl is wrong in TLS');
});

t.test('the horizon ends episodes at 200 primitive steps without cutting macro-actions short (Q6)', async (t) => {
  const env = makeEnv(TS);
  env.reset();
  let G = 0;
  let D = 1;
  for (let i = 0; i < 199; i++) {
    const r = env.step(4);
    t.equal(r.done, false);
    G += D * -0.001;
    D *= 0.99;
  }
  const r = env.step(4);
  G += D * -0.001;
  t.equal(r.done, true);
  t.equal(r.info.length, 200);
  t.equal(r.info.return, G);
  t.equal(r.info.success, false);
  t.equal(env.step(4).done, true, 'every further step reports done');

  env.reset();
  for (let i = 0; i < 197; i++) env.step(4);
  const long = env.step(1); // take the bowl: 6 steps from (1,4)
  t.equal(long.info.macroSteps, 6);
  t.equal(long.info.length, 203);
  t.equal(long.done, true);
});

t.test('action indices outside the list are errors', async (t) => {
  const env = makeEnv(TLS);
  env.reset();
  for (const bad of [-1, 8, 1.5, Number.NaN]) t.throws(() => env.step(bad), EnvError, String(bad));
  t.throws(() => env.step(8), { code: 'INVALID_ACTION', message: /outside 0\.\.7/ });
});

t.test('save/load restores the full state, mid-macro counters and return included', async (t) => {
  const env = makeEnv(TLS);
  env.reset();
  for (const a of [0, 4, 7, 1]) env.step(a);
  const snap = JSON.parse(JSON.stringify(env.save()));
  const rest = [5, 7, 3, 0, 1, 6];
  const first = rest.map((a) => env.step(a));
  const other = makeEnv(TLS);
  other.load(snap);
  const second = rest.map((a) => other.step(a));
  t.same(second, first);
  t.equal(second[5].info.return, 0.9476564569165644);
  t.throws(() => makeEnv(TS).load(snap), EnvError);
  t.throws(() => env.load(null), EnvError);
});

t.test('registry entries', async (t) => {
  const ts = getEnvSpec(TS);
  const tls = getEnvSpec(TLS);
  t.match(ts, { actionCount: 5, horizon: 200 });
  t.match(tls, { actionCount: 8, horizon: 200 });
  t.equal(ts.create().id, TS);
  t.equal(makeEnv(TLS).reset().actions.length, 8);
});
