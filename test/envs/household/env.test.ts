import t from 'tap';
import { envSpecs, makeEnv } from '../../../envs/registry.js';
import { HouseholdEnv } from '../../../envs/household/env.js';
import { runExpert } from '../../../envs/household/expert.js';
import { etoObservation, etoTaskText } from '../../../envs/household/wrapper.js';
import { EnvError } from '../../../src/errors.js';

t.test('specs: one per task type plus mixed', async (t) => {
  const ids = envSpecs.filter((s) => s.id.startsWith('household/')).map((s) => s.id);
  t.same(ids, ['household/pick-and-place', 'household/look-at-in-light', 'household/clean-and-place', 'household/heat-and-place', 'household/cool-and-place', 'household/pick-two-and-place', 'household/mixed']);
  t.throws(() => makeEnv('household/mixed', { split: 'dev' }), /unknown split/);
  t.throws(() => makeEnv('household/mixed', { seed: 1.5 }), /integer/);
});

t.test('ETO wrapper texts', async (t) => {
  t.equal(etoTaskText('-= Banner =-\n\nYou are in a room.\n\nYour task is to: x.'), 'You are in a room.\nYour task is to: x.');
  t.equal(etoObservation('You arrive at loc 15. On the desk 1, you see nothing.'), 'Observation: On the desk 1, you see nothing.');
  t.equal(etoObservation('You arrive at desk 1. On the desk 1, you see nothing.'), 'Observation: You arrive at desk 1. On the desk 1, you see nothing.');
});

t.test('env: actions are the admissible commands, reward 1 when won, save/load', async (t) => {
  const env = makeEnv('household/heat-and-place', { split: 'seen', seed: 2 }) as HouseholdEnv;
  const obs = env.reset();
  t.match(obs.prompt, /^You are in the middle of a room\. .*\nYour task is to: /s);
  t.same(obs.valid, obs.actions.map((_, i) => i));
  t.same(obs.vector, []);
  const plan = runExpert(env.engine, env.taskSpec!).steps.map((s) => s.command);
  env.reset();
  let last;
  for (const [i, cmd] of plan.entries()) {
    if (i === 2) {
      const snap = JSON.parse(JSON.stringify(env.save()));
      const other = makeEnv('household/heat-and-place', { split: 'seen', seed: 2 });
      other.load(snap);
      t.same(other.step(0).observation.actions.length > 0, true, 'a loaded env keeps playing');
    }
    const r = env.step(env.engine.admissible.indexOf(cmd));
    t.match(r.observation.prompt, /^Observation: /);
    last = r;
  }
  t.equal(last!.reward, 1);
  t.equal(last!.done, true);
  t.equal(last!.info.success, true);
  t.throws(() => env.step(0), EnvError);
  t.throws(() => env.step(-1), /outside/);
  t.throws(() => env.load({}), /snapshot/);
});

t.test('env: 40-step limit, reset with a new seed changes the game', async (t) => {
  const env = makeEnv('household/mixed', { seed: 1 });
  const first = env.reset().prompt;
  let r;
  let n = 0;
  do {
    r = env.step(env.reset === undefined ? 0 : 0);
    n++;
  } while (!r.done);
  t.equal(n, 40);
  t.equal(r.reward, 0);
  t.not(env.reset({ seed: 2 }).prompt, first);
});
